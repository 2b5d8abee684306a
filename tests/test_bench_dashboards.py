"""The dashboards benchmark still runs end to end (a tiny run; the figures are not judged here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "dashboards.py"


@pytest.mark.slow
def test_the_dashboards_benchmark_runs_and_prints_its_figures():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite
    out = subprocess.run(
        [sys.executable, str(BENCH), "--cases", "2000", "--n", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "rollups:    0 differences from a full recomputation of 2,000 cases" in out.stdout
    assert re.search(r"dashboard: +bench-lead +team \(last 30 days\) +p50 +[\d.]+ ms", out.stdout)
    assert re.search(r"summary: +\d+ of 18 dashboards on target", out.stdout)
