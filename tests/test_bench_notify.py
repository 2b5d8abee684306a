"""The notification benchmark still runs end to end (a tiny run; the figures are not judged)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "notify.py"


@pytest.mark.slow
def test_the_notification_benchmark_runs_and_prints_its_figures():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite
    out = subprocess.run(
        [sys.executable, str(BENCH), "--emails", "30", "--cases", "10"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"delivery: 1 worker +[\d.]+ emails/s", out.stdout)
    assert re.search(r"delivery: 2 workers +[\d.]+ emails/s", out.stdout)
    assert re.search(r"submit with notifications +p50 +[\d.]+ ms +p99 +[\d.]+ ms", out.stdout)
    assert "overhead: +" in out.stdout
