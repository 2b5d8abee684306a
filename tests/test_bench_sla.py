"""The SLA benchmark still runs end to end (a tiny run; the figures are not judged here)."""

from __future__ import annotations

import re

import pytest

from tests.bench_helpers import run_bench


@pytest.mark.slow
def test_the_sla_benchmark_runs_and_prints_its_figures():
    out = run_bench("sla.py", "--cases", "60", timeout=180)
    assert re.search(r"refresh: +[\d.]+ ms p50 +[\d.]+ ms p99 per case \(60 cases\)", out)
    assert re.search(r"sweep: +[\d.]+ cases/s \(\d+ moved of \d+ due", out)
    assert re.search(r"panel: +[\d.]+ ms p50", out)
