"""The list benchmark and its dataset still run end to end (a tiny run; figures not judged)."""

from __future__ import annotations

import re

import pytest

from tests.bench_helpers import run_bench


@pytest.mark.slow
def test_the_list_benchmark_runs_and_prints_its_figures():
    out = run_bench(
        "listviews.py", "--cases", "400", "--n", "2", "--export-rows", "150", timeout=300
    )
    assert re.search(r"data:\s+400 cases, [\d,]+ feed events", out)
    assert re.search(r"first page\s+bench-agent\s+all-open\s+p50 +[\d.]+ ms +p99 +[\d.]+ ms", out)
    assert re.search(r"search\s+bench-admin\s+case number: \d{8}\s+p50", out)
    assert re.search(r"export\s+bench-admin\s+1\d\d rows, .* rows/s; peak RSS \d+ MB", out)
