"""The drift suite's pytest plugin: options, the run's shared state, outcomes, redaction, reports.

Each check builds a `Result` and hands it to `settle()`: ok passes, drift fails with a message a
writer can act on, inconclusive skips with a reason starting "inconclusive:". Every report pytest
makes is passed through the redactor before terminal, JUnit XML or JSON report see it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from checks.drift.http import RetryPolicy
from checks.drift.outcomes import Result, Status, Step
from checks.drift.redact import RedactingFilter, current_redactor
from checks.drift.remap import RemapError, Remapper
from keyguide.facts import Facts, load_facts
from keyguide.pages import fact_usage

PLUGIN_NAME = "keyguide-drift"
INCONCLUSIVE_PREFIX = "inconclusive:"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("drift", "OpenAI key guide drift checks")
    group.addoption(
        "--target",
        choices=("live", "standin"),
        default="live",
        help="live: OpenAI's real sites (default). standin: start the local stand-in and remap OpenAI's origins to it.",
    )
    group.addoption(
        "--remap",
        action="append",
        default=[],
        metavar="FROM=TO",
        help="send requests for URLs starting with FROM to TO instead (repeatable; httpx and Playwright alike)",
    )
    group.addoption("--drift-report", metavar="PATH", help="write the run's results as JSON to PATH")
    group.addoption("--http-timeout", type=float, default=15.0, help="seconds per HTTP request (default 15)")
    group.addoption("--retries", type=int, default=3, help="attempts per request on 429, 5xx or a network error")
    group.addoption(
        "--retry-after-cap", type=float, default=30.0, help="longest Retry-After to honour, in seconds (default 30)"
    )
    from checks.drift import links, ui

    links.add_options(group)
    ui.add_options(group)


class DriftSession:
    """State shared by every check of one run; registered as a pytest plugin."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.facts: Facts = load_facts()
        self.target: str = config.getoption("target")
        try:
            self.remapper = Remapper.parse(config.getoption("remap"))
        except RemapError as exc:
            raise pytest.UsageError(str(exc)) from None
        self.policy = RetryPolicy(
            attempts=max(1, config.getoption("retries")),
            retry_after_cap=config.getoption("retry_after_cap"),
            timeout=config.getoption("http_timeout"),
        )
        self.results: dict[str, Result] = {}
        self.standin: Any = None
        self.started = datetime.now(UTC)
        self._log_filter = RedactingFilter()

    # -- lifecycle ---------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        logging.getLogger().addFilter(self._log_filter)
        for handler in logging.getLogger().handlers:
            handler.addFilter(self._log_filter)
        if self.target == "standin":
            from checks.standin import StandIn

            self.standin = StandIn(facts=self.facts)
            self.standin.start()
            self.remapper = self.remapper.extended(self.standin.remap_pairs)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        path = self.config.getoption("drift_report")
        if path:
            write_json_report(Path(path), self.report_data())
        if self.standin is not None:
            self.standin.stop()
        logging.getLogger().removeFilter(self._log_filter)

    # -- results -----------------------------------------------------------------------------

    def record(self, result: Result) -> Result:
        """Attach where the guide states the fact, redact, and keep the result for the reports."""
        if not result.steps:
            uses = fact_usage(result.id)
            result.steps = [Step(u.page, u.line, u.where) for u in uses]
        if not result.pages:
            result.pages = list(dict.fromkeys(step.page for step in result.steps))
        redacted = Result.from_dict(current_redactor().data(result.as_dict()))
        self.results[result.id] = redacted
        return redacted

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results.values():
            counts[result.status.value] += 1
        return counts

    def report_data(self) -> dict[str, Any]:
        return {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "started_at": self.started.isoformat(timespec="seconds"),
            "target": self.target,
            "summary": self.counts(),
            "results": [r.as_dict() for r in self.results.values()],
        }

    # -- pytest reporting --------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report: pytest.TestReport = yield
        redact = current_redactor()
        if isinstance(report.longrepr, tuple):
            path, line, reason = report.longrepr
            report.longrepr = (path, line, redact(reason))
        elif report.longrepr is not None:
            report.longrepr = redact(str(report.longrepr))
        report.sections = [(title, redact(content)) for title, content in report.sections]
        return report

    def pytest_report_teststatus(
        self, report: pytest.TestReport
    ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
        if report.skipped and isinstance(report.longrepr, tuple) and INCONCLUSIVE_PREFIX in report.longrepr[2]:
            return "inconclusive", "I", ("INCONCLUSIVE", {"yellow": True})
        return None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.results:
            return
        counts = self.counts()
        tr = terminalreporter
        tr.section(f"drift summary · target {self.target}")
        tr.write_line(" · ".join(f"{n} {status}" for status, n in counts.items()))
        for line in summary_table(list(self.results.values())):
            tr.write_line(line)


def summary_table(results: list[Result]) -> list[str]:
    """One line per result that is not ok: status, kind, id, and the step or reason."""
    rows = [r for r in results if r.status is not Status.OK]
    if not rows:
        return ["every check is ok"]
    rows.sort(key=lambda r: (r.status is not Status.DRIFT, r.kind, r.id))
    width = max(len(r.id) for r in rows)
    lines = [f"{'STATUS':<13} {'KIND':<5} {'ID':<{width}}  DETAIL"]
    for r in rows:
        if r.status is Status.DRIFT:
            where = r.steps[0] if r.steps else None
            place = f"{where.page}:{where.line} {where.where} — " if where else ""
            detail = place + (r.suggestion or f"observed {r.observed}")
        else:
            detail = r.reason or r.observed
        lines.append(f"{r.status.value.upper():<13} {r.kind:<5} {r.id:<{width}}  {detail}")
    return lines


def write_json_report(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(current_redactor().data(data), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def session_of(config: pytest.Config) -> DriftSession:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    assert isinstance(plugin, DriftSession), "the drift plugin is not registered (run pytest from the project root)"
    return plugin


def settle(session: DriftSession, result: Result) -> None:
    """Turn a result into the test's outcome: ok passes, drift fails, inconclusive skips."""
    recorded = session.record(result)
    if recorded.status is Status.DRIFT:
        pytest.fail(recorded.message(), pytrace=False)
    if recorded.status is Status.INCONCLUSIVE:
        pytest.skip(recorded.message())
