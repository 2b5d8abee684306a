"""The dashboards benchmark still runs end to end (a tiny run; the figures are not judged here)."""

from __future__ import annotations

import re

import pytest

from tests.bench_helpers import run_bench


@pytest.mark.slow
def test_the_dashboards_benchmark_runs_and_prints_its_figures():
    out = run_bench("dashboards.py", "--cases", "2000", "--n", "2", timeout=300)
    assert "rollups:    0 differences from a full recomputation of 2,000 cases" in out
    assert re.search(r"dashboard: +bench-lead +team \(last 30 days\) +p50 +[\d.]+ ms", out)
    assert re.search(r"summary: +\d+ of 18 dashboards on target", out)
