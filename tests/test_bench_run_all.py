"""The performance suite still runs end to end and prints its table (a tiny run; figures not
judged: the machine running the tests is busy with them)."""

from __future__ import annotations

import re

import pytest

from tests.bench_helpers import run_bench

ROWS = ("floor", "submit", "case page", "list views", "search", "dashboards", "export", "notify")


@pytest.mark.slow
def test_the_performance_suite_prints_one_row_per_figure_without_errors():
    sizes = ("--sizes", "400", "--n", "8", "--clients", "2", "--export-rows", "150")
    out = run_bench("run_all.py", *sizes, "--emails", "20", "--workers", "1", timeout=300)
    table = out.split("supportdesk performance")[1]
    for name in ROWS:
        row = re.search(rf"^\| {name}[^|]* \| 400 \| ([\d,.]+) \S+ \|.*\| (\d+) \|$", table, re.M)
        assert row, f"no {name!r} row in:\n{table}"
        assert float(row.group(1).replace(",", "")) > 0
        assert row.group(2) == "0", f"{name} had errors"
