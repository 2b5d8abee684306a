"""Running a benchmark script of bench/ as a smoke test: a tiny run in a subprocess, on its
own SQLite database; the figures it prints are not judged, only that it printed them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1] / "bench"
# Not the test run's database, nor the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE.
NOT_INHERITED = ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")


def run_bench(script: str, *args: str, timeout: float) -> str:
    """Run `bench/<script>` with `args`; assert it exited 0 and return its standard output."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    out = subprocess.run(
        [sys.executable, str(BENCH_DIR / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout
