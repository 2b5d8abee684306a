"""The submit benchmark still runs end to end (a tiny run; the figures are not judged here)."""

from __future__ import annotations

import re

import pytest

from tests.bench_helpers import run_bench


@pytest.mark.slow
def test_the_submit_benchmark_runs_and_prints_its_figures():
    out = run_bench("submit.py", "--n", "40", "--clients", "2", timeout=120)
    assert re.search(r"submit:\s+[\d.]+ cases/s .* p99 +[\d.]+ ms +errors 0", out)
    assert re.search(r"trivial:\s+[\d.]+ req/s", out)
    assert "ratio:" in out
