"""The case page benchmark still runs end to end (tiny runs; the figures are not judged here)."""

from __future__ import annotations

import re

import pytest

from tests.bench_helpers import run_bench

TINY = ["--cases", "300", "--events", "40"]


def run_tiny(*args: str) -> str:
    return run_bench("case_page.py", *TINY, *args, timeout=180)


@pytest.mark.slow
def test_the_case_page_benchmark_runs_and_prints_its_figures():
    out = run_tiny("--n", "40", "--comments", "8", "--clients", "2")
    assert re.search(r"data:\s+300 cases generated in [\d.]+ s", out)
    assert re.search(r"case:\s+\d{8}: 40 feed events \(", out)
    assert re.search(r"case page:\s+[\d.]+ req/s .* p99 +[\d.]+ ms +errors 0", out)
    assert re.search(r"1-event:\s+[\d.]+ req/s .* errors 0", out)
    assert re.search(r"comment:\s+([\d.]+ req/s .* errors 0|comment endpoint not available)", out)
    assert re.search(r"trivial:\s+[\d.]+ req/s .* errors 0", out)


@pytest.mark.slow
def test_the_case_page_profile_counts_queries_and_names_hotspots():
    out = run_tiny("--profile", "--profile-runs", "2")
    assert re.search(r"queries:\s+\d+ for GET /cases/\d{8}/ \(40 events\)", out)
    assert re.search(r"queries:\s+\d+ for GET /cases/\d{8}/ \(1 event\)", out)
    assert "top 15 by cumulative time" in out
    assert "filename:lineno(function)" in out
