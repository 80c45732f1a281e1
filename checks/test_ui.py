"""UI drift: one item per ui fact (`-m ui`, `-k create_key_button`), found by role and accessible name."""

from collections.abc import Callable
from pathlib import Path

import pytest

from checks.drift.outcomes import Result
from checks.drift.plugin import DriftSession
from checks.drift.ui import UiCase, UiOptions, check_ui, conclude, precheck, ui_cases
from keyguide.facts import load_facts

CASES = ui_cases(load_facts())


@pytest.mark.ui
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_ui(
    case: UiCase,
    request: pytest.FixtureRequest,
    drift: DriftSession,
    ui_options: UiOptions,
    settle: Callable[[Result], None],
) -> None:
    early = precheck(case, ui_options, drift.results)
    if early is not None:
        settle(early)  # manual, unsafe or failed opener, no session: decided without a browser
        return
    # Asked for only now, so the items above never launch Chromium.
    page = request.getfixturevalue("page")
    guard = request.getfixturevalue("ui_guard")
    artifacts = Path(request.getfixturevalue("output_path"))
    result = check_ui(page, case, drift.facts, ui_options, artifacts, drift.results)
    tracing = request.config.getoption("--tracing") != "off"
    conclude(case, result, guard, drift.record, settle, artifacts / "trace.zip" if tracing else None)
