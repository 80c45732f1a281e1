"""Screen drift by addition: one item per screen a step walks through (`-m screens`), a page or a dialog
the guide opens, its controls and headings compared with the baseline (checks/drift/inventory.py).

A control added inside the dialog fails the step that opens it; one added elsewhere, or a lost
control the guide doesn't name, is review; no baseline is a "no baseline" skip, never an outcome.
"""

from collections.abc import Callable

import pytest

from checks.drift.outcomes import Result, Status
from checks.drift.plugin import DriftSession, settle_compared
from checks.drift.ui import UiOptions
from keyguide.baselines import Screen, screens
from keyguide.facts import load_facts

SCREENS = screens(load_facts())


@pytest.mark.screens
@pytest.mark.parametrize("screen", SCREENS, ids=[screen.id for screen in SCREENS])
def test_screen(
    screen: Screen,
    request: pytest.FixtureRequest,
    drift: DriftSession,
    ui_options: UiOptions,
    settle: Callable[[Result], None],
) -> None:
    from checks.drift.ui.observe import check_screen

    store = drift.baselines
    if not store.needed("screen", screen.id):
        settle_compared(drift, store.no_baseline("screen", screen.id, screen.url))  # no browser needed
    page = request.getfixturevalue("page")
    guard = request.getfixturevalue("ui_guard")
    outcome = check_screen(page, screen, drift.facts, ui_options, store)
    if guard.blocked:  # looking must change nothing at OpenAI: a blocked write fails the item, as in test_ui
        writes = "; ".join(guard.blocked)
        reason = f"suite stopped a write to OpenAI while looking at the screen: {writes}"
        drift.record(
            Result(screen.id, "screen", Status.INCONCLUSIVE, screen.url, "nothing changed", reason, reason=reason)
        )
        pytest.fail(
            f"{screen.id}: the check tried to change something at OpenAI; the suite blocked it: {writes}", pytrace=False
        )
    if isinstance(outcome, Result):
        outcome.notes += guard.notes()
    settle_compared(drift, outcome)
