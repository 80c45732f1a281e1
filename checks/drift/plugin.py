"""The drift suite's pytest plugin: options, the run's shared state, outcomes, redaction, reports.

Each check builds a `Result` and hands it to `settle()`: ok passes, drift fails with a message a
writer can act on, inconclusive skips with a reason starting "inconclusive:", review skips with one
starting "review:" (it never fails a run; pytest shows it as REVIEW, JUnit as a skip with the
property drift_status=review). An item with no baseline to compare with skips with "no baseline:",
and is listed in the reports, never counted as an outcome. Every report pytest makes is passed
through the redactor before terminal, JUnit XML or JSON report see it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from checks.drift.baselines import NO_BASELINE, BaselineStore
from checks.drift.http import RetryPolicy
from checks.drift.outcomes import Kind, Result, Status, Step
from checks.drift.redact import RedactingFilter, current_redactor
from checks.drift.remap import RemapError, Remapper
from checks.drift.report import (
    append_step_summary,
    baseline_lines,
    could_not_verify,
    ratio,
    summary_table,
    write_json_report,
    write_markdown_report,
    write_verification,
)
from keyguide.coverage import run_coverage
from keyguide.facts import Facts, load_facts
from keyguide.usage import fact_usage

PLUGIN_NAME = "keyguide-drift"
INCONCLUSIVE_PREFIX = "inconclusive:"
REVIEW_PREFIX = "review:"
NO_BASELINE_PREFIX = f"{NO_BASELINE}:"


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
    group.addoption(
        "--markdown-report",
        metavar="PATH",
        help="write the run's results as Markdown to PATH, grouped by page and step (for writers)",
    )
    group.addoption(
        "--verification-file",
        metavar="PATH",
        help="write verification.json (per page: facts checked, ok/drift/inconclusive) for the site build; "
        "the build shows it to readers only when the run was live and not remapped",
    )
    group.addoption(
        "--max-inconclusive",
        type=ratio,
        default=None,
        metavar="RATIO",
        help="fail the run, even without drift, when more than RATIO (0..1) of the checks are inconclusive",
    )
    group.addoption("--http-timeout", type=float, default=15.0, help="seconds per HTTP request (default 15)")
    group.addoption("--retries", type=int, default=3, help="attempts per request on 429, 5xx or a network error")
    group.addoption(
        "--retry-after-cap", type=float, default=30.0, help="longest Retry-After to honour, in seconds (default 30)"
    )
    from checks.drift import baselines, links, ui

    links.add_options(group)
    ui.add_options(group)
    baselines.add_options(group)


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
        self.max_inconclusive: float | None = config.getoption("max_inconclusive")
        self.blocked: str | None = None
        self.written: list[str] = []
        self._log_filter = RedactingFilter()
        # Only a run against OpenAI itself compares with (and records) live baselines.
        live = self.target == "live" and not config.getoption("remap")
        self.baselines = BaselineStore.from_config(config, live=live)
        self._item: pytest.Item | None = None

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
        self.blocked = could_not_verify(self.counts(), self.max_inconclusive)
        if self.blocked and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.write_reports()
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
        if self._item is not None:  # JUnit: every drift item says its outcome as a property
            props = [p for p in self._item.user_properties if p[0] != "drift_status"]
            self._item.user_properties[:] = [*props, ("drift_status", redacted.status.value)]
        return redacted

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results.values():
            counts[result.status.value] += 1
        return counts

    def report_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "started_at": self.started.isoformat(timespec="seconds"),
            "target": self.target,
            "remapped": bool(self.remapper) and self.target == "live",
            "summary": self.counts(),
            "max_inconclusive": self.max_inconclusive,
            "could_not_verify": could_not_verify(self.counts(), self.max_inconclusive),
            "results": [r.as_dict() for r in self.results.values()],
            "coverage": run_coverage(self.facts, self.results.values()),
            "baselines": self.baselines.report(),
        }
        # In a workflow, the Markdown report links each drifted line to the page source on GitHub.
        for key, variable in (("repository", "GITHUB_REPOSITORY"), ("commit", "GITHUB_SHA")):
            if os.environ.get(variable):
                data[key] = os.environ[variable]
        if os.environ.get("GITHUB_SERVER_URL"):
            data["server_url"] = os.environ["GITHUB_SERVER_URL"]
        return data

    def write_reports(self) -> None:
        """Every file the run was asked for, and the GitHub job summary — all from one report dict."""
        data = self.report_data()
        writers = (
            ("drift_report", write_json_report),
            ("markdown_report", write_markdown_report),
            ("verification_file", write_verification),
        )
        for option, write in writers:
            if path := self.config.getoption(option):
                write(Path(path), data)
                self.written.append(str(path))
        if self.results and (summary := append_step_summary(data)):
            self.written.append(f"{summary} (GitHub step summary)")

    # -- no item may crash -------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        """A fixture of a check that raises (a batch checker, the browser) ends the item inconclusive."""
        return (yield from self._guarded(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        """A check that raises ends inconclusive with a one-line reason, and is in every report."""
        return (yield from self._guarded(item))

    def _guarded(self, item: pytest.Item) -> Generator[None, None, None]:
        if check_kind(item) is None:
            return (yield)
        self._item = item
        try:
            return (yield)
        except Exception as exc:  # pytest's own outcomes (skip, fail, exit) are BaseExceptions: untouched
            recorded = self.record(crash_result(item, exc))
            pytest.skip(recorded.message())
        finally:
            self._item = None

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
        if not (report.skipped and isinstance(report.longrepr, tuple)):
            return None
        reason = report.longrepr[2]
        if INCONCLUSIVE_PREFIX in reason:
            return "inconclusive", "I", ("INCONCLUSIVE", {"yellow": True})
        if REVIEW_PREFIX in reason:
            return "review", "R", ("REVIEW", {"cyan": True})
        if NO_BASELINE_PREFIX in reason:
            return "no baseline", "b", ("NO BASELINE", {})
        return None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.results:
            return
        counts = self.counts()
        tr = terminalreporter
        tr.section(f"drift summary · target {self.target}")
        tr.write_line(" · ".join(f"{n} {status}" for status, n in counts.items()))
        coverage = run_coverage(self.facts, self.results.values())
        tr.write_line(f"coverage: {coverage['line']}; {coverage['verified_in_run']} verified in this run")
        for line in summary_table(list(self.results.values())):
            tr.write_line(line)
        for line in baseline_lines(self.baselines.report(), counts.get(Status.REVIEW.value, 0)):
            tr.write_line(line)
        if self.written:
            tr.write_line("reports: " + ", ".join(self.written))
        if self.blocked:
            tr.write_line(f"{self.blocked}: the run fails so a blocked CI does not look green", red=True, bold=True)


# The markers of drift check items, and the Result kind each records.
CHECK_MARKERS: dict[str, Kind] = {
    "api": "api",
    "links": "link",
    "ui": "ui",
    "sources": "source",
    "screens": "screen",
    "pages": "page",
    "watch": "watch",
}
REASON_MAX = 200


def check_kind(item: pytest.Item) -> Kind | None:
    """The kind of drift check `item` is, from its marker; None for any other test."""
    return next((kind for marker, kind in CHECK_MARKERS.items() if item.get_closest_marker(marker)), None)


def crash_result(item: pytest.Item, exc: BaseException) -> Result:
    """An unexpected exception as an outcome: inconclusive (a crash proves nothing about OpenAI)."""
    case = _parametrized_case(item)
    fact_id = str(getattr(case, "id", "") or _callspec_id(item) or item.name)
    url = getattr(case, "url", None) or getattr(getattr(case, "fact", None), "url", None) or ""
    # The first line: Playwright's messages go on with a call log, httpx's with a URL dump.
    text = next((" ".join(line.split()) for line in str(exc).splitlines() if line.strip()), "no message")
    where = _innermost_frame(exc)
    reason = f"the check crashed ({type(exc).__name__}: {text}"
    if len(reason) > REASON_MAX:
        reason = reason[: REASON_MAX - 1] + "…"
    reason += ")" + (f" at {where}" if where else "") + ": not a verdict on the guide"
    kind = check_kind(item) or "api"
    result = Result(fact_id, kind, Status.INCONCLUSIVE, str(url), "a verdict: ok or drift", reason, reason=reason)
    result.notes.append(f"suite error in {item.nodeid}: fix the check; the full traceback is in pytest's log")
    return result


def _parametrized_case(item: pytest.Item) -> object | None:
    """The first parameter with an `id`: ApiCase, UiCase, LinkTarget, SourceCase."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    return next((value for value in callspec.params.values() if isinstance(getattr(value, "id", None), str)), None)


def _callspec_id(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return str(callspec.id) if callspec is not None else None


def _innermost_frame(exc: BaseException) -> str | None:
    """`path:line` of the deepest frame in this project (not Playwright's or httpx's)."""
    import traceback

    root = Path(__file__).resolve().parents[2]
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(root) and ".venv" not in path.parts and path.name != "plugin.py":
            found = f"{path.relative_to(root).as_posix()}:{frame.lineno}"
    return found


def session_of(config: pytest.Config) -> DriftSession:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    assert isinstance(plugin, DriftSession), "the drift plugin is not registered (run pytest from the project root)"
    return plugin


def settle(session: DriftSession, result: Result) -> None:
    """Turn a result into the test's outcome: ok passes, drift fails, inconclusive and review skip."""
    recorded = session.record(result)
    if recorded.status is Status.DRIFT:
        pytest.fail(recorded.message(), pytrace=False)
    if recorded.status in (Status.INCONCLUSIVE, Status.REVIEW):
        pytest.skip(recorded.message())


def settle_compared(session: DriftSession, outcome: Result | str) -> None:
    """An item compared with a baseline: its Result, or the "no baseline" message (a skip, no outcome)."""
    if isinstance(outcome, str):
        pytest.skip(current_redactor()(outcome))
    settle(session, outcome)
