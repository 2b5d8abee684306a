"""The list benchmark and its dataset still run end to end (a tiny run; figures not judged)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "listviews.py"


@pytest.mark.slow
def test_the_list_benchmark_runs_and_prints_its_figures():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite
    out = subprocess.run(
        [sys.executable, str(BENCH), "--cases", "400", "--n", "2", "--export-rows", "150"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.search(r"data:\s+400 cases, [\d,]+ feed events", out.stdout)
    assert re.search(
        r"first page\s+bench-agent\s+all-open\s+p50 +[\d.]+ ms +p99 +[\d.]+ ms", out.stdout
    )
    assert re.search(r"search\s+bench-admin\s+case number: \d{8}\s+p50", out.stdout)
    assert re.search(r"export\s+bench-admin\s+1\d\d rows, .* rows/s; peak RSS \d+ MB", out.stdout)
