"""Prints how many requests the API fuzz tests (tests/api/test_fuzz.py) sent in this run.

Each fuzz test records `fuzzed_requests` in its report's user properties, which xdist carries
from the workers to the controller; registered as a pytest plugin in tests/conftest.py.
"""

from __future__ import annotations

import pytest
from _pytest.terminal import TerminalReporter

PROPERTY = "fuzzed_requests"


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    reports = [
        report
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if isinstance(report, pytest.TestReport) and report.when == "call"
    ]
    counts = [value for r in reports for name, value in r.user_properties if name == PROPERTY]
    if counts:
        terminalreporter.write_line(
            f"API fuzzing: {sum(counts)} generated requests in {len(counts)} tests"
        )
