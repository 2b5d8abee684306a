"""The import benchmark still runs end to end (a tiny run; figures not judged)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "import_records.py"


@pytest.mark.slow
def test_the_import_benchmark_imports_then_finds_everything_unchanged():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    out = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "300", "--accounts", "20", "--owners", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.search(r"opportunities +300 rows in +[\d.]+ s = +[\d,]+ rows/s", out.stdout)
    assert "300 created, 0 updated, 0 unchanged, 0 rejected" in out.stdout
    assert "0 created, 0 updated, 300 unchanged, 0 rejected" in out.stdout
