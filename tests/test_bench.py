"""The submit benchmark still runs end to end (a tiny run; the figures are not judged here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "submit.py"


@pytest.mark.slow
def test_the_submit_benchmark_runs_and_prints_its_figures():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite
    out = subprocess.run(
        [sys.executable, str(BENCH), "--n", "40", "--clients", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"submit:\s+[\d.]+ cases/s .* p99 +[\d.]+ ms +errors 0", out.stdout)
    assert re.search(r"trivial:\s+[\d.]+ req/s", out.stdout)
    assert "ratio:" in out.stdout
