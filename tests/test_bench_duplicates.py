"""The duplicates benchmark still runs end to end (a tiny run; the figures are not judged)."""

from __future__ import annotations

import re

import pytest

from tests.bench_helpers import run_bench


@pytest.mark.slow
def test_the_duplicates_benchmark_runs_and_prints_precision_and_recall():
    out = run_bench("duplicates.py", "--pairs", "10", "--near", "12", "--filler", "20", timeout=180)
    assert re.search(r"recall: [\d.]+ +precision: [\d.]+", out)
    assert re.search(r"check: +22 checks +p50 +[\d.]+ ms +p99 +[\d.]+ ms", out)
