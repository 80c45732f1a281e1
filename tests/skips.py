"""On CI, a skipped test fails the run unless tests/allowed-skips.txt names it and says why.

Why: a test that a new machine skips proves nothing there, and a skip is easy to miss in a green
run. Locally a skip stays a skip (a writer without npm still gets a useful run); with CI=true, the
session's exit status turns to failure and the summary names each unlisted skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ALLOWED_FILE = Path(__file__).with_name("allowed-skips.txt")


def allowed_skips(path: Path | None = None) -> dict[str, str]:
    """Node id → reason, from the list (comments and blank lines ignored; a reason is required)."""
    path = path or ALLOWED_FILE
    allowed: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        node_id, _, why = line.partition(" # ")
        if not why.strip():
            where = f"{path.name}:{number}: '{node_id.strip()}'"
            raise pytest.UsageError(f"{where} needs ' # ' and why it cannot run on CI")
        allowed[node_id.strip()] = why.strip()
    return allowed


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


class SkipGuard:
    """Collects skipped tests (xdist workers report to the controller, so this sees them all)."""

    def __init__(self) -> None:
        self.allowed = allowed_skips()
        self.unlisted: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail") and report.nodeid not in self.allowed:
            self.unlisted.append(report.nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.unlisted and on_ci() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.unlisted:
            return
        verdict = "fails the run on CI" if on_ci() else "would fail the run on CI"
        terminalreporter.section("skipped tests not on tests/allowed-skips.txt", sep="-", red=on_ci())
        for node_id in self.unlisted:
            terminalreporter.line(f"{node_id}: skipped; {verdict}")
