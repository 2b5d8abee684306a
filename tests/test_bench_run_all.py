"""The performance suite still runs end to end and prints its table (a tiny run; figures not
judged: the machine running the tests is busy with them)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "run_all.py"
ROWS = ("floor", "submit", "case page", "list views", "search", "dashboards", "export", "notify")


@pytest.mark.slow
def test_the_performance_suite_prints_one_row_per_figure_without_errors():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [sys.executable, str(BENCH), "--sizes", "400", "--n", "8", "--clients", "2"]
    out = subprocess.run(
        [*command, "--export-rows", "150", "--emails", "20", "--workers", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    table = out.stdout.split("supportdesk performance")[1]
    for name in ROWS:
        row = re.search(rf"^\| {name}[^|]* \| 400 \| ([\d,.]+) \S+ \|.*\| (\d+) \|$", table, re.M)
        assert row, f"no {name!r} row in:\n{table}"
        assert float(row.group(1).replace(",", "")) > 0
        assert row.group(2) == "0", f"{name} had errors"
