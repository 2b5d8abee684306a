"""The duplicates benchmark still runs end to end (a tiny run; the figures are not judged)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "duplicates.py"


@pytest.mark.slow
def test_the_duplicates_benchmark_runs_and_prints_precision_and_recall():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite
    out = subprocess.run(
        [sys.executable, str(BENCH), "--pairs", "10", "--near", "12", "--filler", "20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"recall: [\d.]+ +precision: [\d.]+", out.stdout)
    assert re.search(r"check: +22 checks +p50 +[\d.]+ ms +p99 +[\d.]+ ms", out.stdout)
