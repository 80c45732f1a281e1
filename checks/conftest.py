"""The drift suite: `pytest checks [--target standin] [--remap FROM=TO] [--drift-report PATH]`.

The plugin (checks/drift/plugin.py) holds the options and the run's state; the fixtures here are
what the test modules ask for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from checks.drift.http import sync_client
from checks.drift.links import LinkSettings
from checks.drift.outcomes import Result
from checks.drift.plugin import PLUGIN_NAME, DriftSession, add_options, session_of
from checks.drift.plugin import settle as settle_result
from checks.drift.reading import Batch, read_batch
from checks.drift.sources import SourceCase


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(DriftSession(config), PLUGIN_NAME)


@pytest.fixture(scope="session")
def drift(pytestconfig: pytest.Config) -> DriftSession:
    return session_of(pytestconfig)


@pytest.fixture
def settle(drift: DriftSession) -> Callable[[Result], None]:
    return lambda result: settle_result(drift, result)


@pytest.fixture(scope="session")
def documents(request: pytest.FixtureRequest, drift: DriftSession) -> Batch:
    """Every document the selected source, page and watch items need, read in one batch (each once)."""
    sources: dict[str, SourceCase] = {}
    urls: list[str] = []
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if isinstance(case := params.get("source_case"), SourceCase):
            sources[case.id] = case
        for name, kind in (("page_case", "page"), ("watch_case", "watch")):
            other = params.get(name)
            if other is not None and drift.baselines.needed(kind, other.id):
                urls.append(other.url)
    return read_batch(
        list(sources.values()), urls, drift.remapper, drift.policy, LinkSettings.from_config(request.config)
    )


@pytest.fixture(scope="session")
def api_client(drift: DriftSession) -> Iterator[httpx.Client]:
    with sync_client(drift.remapper, drift.policy) as client:
        yield client


# ---- UI checks (checks/drift/ui.py): storage state, the routed browser context, trace redaction ----
# Added by the UI drift checks; pytest-playwright's own fixtures are overridden here so that every
# page a check opens goes through the write guard and the one remapping function.

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from playwright.sync_api import BrowserContext  # noqa: E402

from checks.drift.ui import (  # noqa: E402
    Guard,
    TraceRedactor,
    UiOptions,
    options_from_config,
    redact_traces,
    trace_redactor,
)


@pytest.fixture(scope="session")
def ui_options(drift: DriftSession, pytestconfig: pytest.Config) -> Iterator[UiOptions]:
    """--storage-state, --ui-timeout, …; with --target standin and no state, the stand-in's own session."""
    options = options_from_config(pytestconfig, drift.standin)
    yield options
    made_here = drift.standin is not None and not pytestconfig.getoption("storage_state")
    if made_here and options.storage_state is not None:
        shutil.rmtree(options.storage_state.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], ui_options: UiOptions) -> dict[str, Any]:
    """pytest-playwright's context arguments: no service workers, the signed-in session if usable."""
    # Requests made by service workers bypass routing, and with it the write guard.
    args = {**browser_context_args, "service_workers": "block"}
    if ui_options.storage_state is not None and ui_options.session_problem is None:
        args["storage_state"] = str(ui_options.storage_state)
    return args


@pytest.fixture(scope="session")
def ui_trace_redaction(pytestconfig: pytest.Config, ui_options: UiOptions) -> TraceRedactor:
    """Retained traces are redacted as soon as they are kept, and the output folder once more at exit."""
    plugin = TraceRedactor(ui_options.storage_state)
    if not pytestconfig.pluginmanager.has_plugin("keyguide-ui-traces"):
        pytestconfig.pluginmanager.register(plugin, "keyguide-ui-traces")
    output = Path(pytestconfig.getoption("--output"))
    pytestconfig.add_cleanup(lambda: redact_traces(output, trace_redactor(ui_options.storage_state)))
    return plugin


@pytest.fixture
def ui_guard(drift: DriftSession) -> Guard:
    """This test's write guard and router; `blocked` lists the writes it stopped."""
    return Guard(drift.remapper, drift.facts)


@pytest.fixture
def context(new_context: Any, ui_guard: Guard, ui_trace_redaction: TraceRedactor) -> BrowserContext:
    """pytest-playwright's context (tracing, artifacts), routed by the guard and masking keys."""
    browser_context: BrowserContext = new_context()
    ui_guard.install(browser_context)
    return browser_context


# ---- No Chromium: one line naming what to run, instead of Playwright's install box per item ----

from dataclasses import replace  # noqa: E402

from playwright.sync_api import Page  # noqa: E402

from checks.drift.browser import chromium_problem  # noqa: E402
from checks.drift.outcomes import Status  # noqa: E402


@pytest.fixture
def page(request: pytest.FixtureRequest, drift: DriftSession) -> Page:
    """pytest-playwright's page; without a launchable Chromium (probed once per run) the item is inconclusive."""
    problem = chromium_problem()
    if problem is not None:
        case = getattr(getattr(request.node, "callspec", None), "params", {}).get("case")
        if case is None:
            pytest.skip(f"inconclusive: {problem}")
        result = Result(case.id, "ui", Status.INCONCLUSIVE, case.fact.url, f"{case.described} visible", problem)
        settle_result(drift, replace(result, reason=problem))
    browser_context: BrowserContext = request.getfixturevalue("context")
    return browser_context.new_page()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if chromium_problem.cache_info().currsize and (problem := chromium_problem()) is not None:
        terminalreporter.write_line(f"UI checks inconclusive: {problem}")
