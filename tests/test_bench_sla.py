"""The SLA benchmark still runs end to end (a tiny run; the figures are not judged here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "sla.py"


@pytest.mark.slow
def test_the_sla_benchmark_runs_and_prints_its_figures():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite
    out = subprocess.run(
        [sys.executable, str(BENCH), "--cases", "60"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"refresh: +[\d.]+ ms p50 +[\d.]+ ms p99 per case \(60 cases\)", out.stdout)
    assert re.search(r"sweep: +[\d.]+ cases/s \(\d+ moved of \d+ due", out.stdout)
    assert re.search(r"panel: +[\d.]+ ms p50", out.stdout)
