"""The notification benchmark still runs end to end (a tiny run; the figures are not judged)."""

from __future__ import annotations

import re

import pytest

from tests.bench_helpers import run_bench


@pytest.mark.slow
def test_the_notification_benchmark_runs_and_prints_its_figures():
    out = run_bench("notify.py", "--emails", "30", "--cases", "10", timeout=180)
    assert re.search(r"delivery: 1 worker +[\d.]+ emails/s", out)
    assert re.search(r"delivery: 2 workers +[\d.]+ emails/s", out)
    assert re.search(r"submit with notifications +p50 +[\d.]+ ms +p99 +[\d.]+ ms", out)
    assert "overhead: +" in out
