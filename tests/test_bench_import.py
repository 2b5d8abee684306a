"""The import benchmark still runs end to end (a tiny run; figures not judged)."""

from __future__ import annotations

import re

import pytest

from tests.bench_helpers import run_bench


@pytest.mark.slow
def test_the_import_benchmark_imports_then_finds_everything_unchanged():
    sizes = ("--rows", "300", "--accounts", "20", "--owners", "5")
    out = run_bench("import_records.py", *sizes, timeout=300)
    assert re.search(r"opportunities +300 rows in +[\d.]+ s = +[\d,]+ rows/s", out)
    assert "300 created, 0 updated, 0 unchanged, 0 rejected" in out
    assert "0 created, 0 updated, 300 unchanged, 0 rejected" in out
