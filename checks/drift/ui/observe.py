"""One screen's inventory, taken the way the UI checks look at a page: through walls and redirect stubs,
with a cookie banner rejected (never accepted), the dialog opened by its safe opener, and only once
what the guide names has rendered and the accessibility tree has stopped changing (an app that
renders late must not look like one that lost its controls). checks/drift/inventory.py says what is
kept and judges the change; this module only drives the browser.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from checks.drift.baselines import BaselineStore
from checks.drift.inventory import PICKERS_JS, Inventory, judge, steps_of
from checks.drift.outcomes import Result, Status
from checks.drift.ui.cases import describe
from checks.drift.ui.check import open_first
from checks.drift.ui.consent import dismiss_consent
from checks.drift.ui.locate import find, load, wall_reason
from checks.drift.ui.options import UiOptions
from keyguide.baselines import BaselineError, Screen
from keyguide.facts import Facts

STABLE_TRIES = 6  # snapshots, UiOptions.stable_pause apart (0.4 s), until two in a row agree


@dataclass
class Observed:
    """A screen's controls and headings, or why they could not be seen."""

    controls: list[str] | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)


def precheck(screen: Screen, facts: Facts, options: UiOptions) -> str | None:
    """Why the screen cannot be looked at without a browser (no session), or None."""
    if screen.signed_in and options.session_problem:
        return options.session_problem
    return None


def observe(page: Page, screen: Screen, facts: Facts, options: UiOptions) -> Observed:
    """Load the screen and take its inventory; every failure is a reason, never an exception."""
    seen = Observed()
    notes = Result(screen.id, "screen", Status.OK, screen.url, "", "")
    loaded = load(page, screen.url, options, idle=True)
    if loaded.inconclusive or loaded.drift:
        seen.problem = loaded.inconclusive or f"{loaded.drift} (the UI checks of its elements report it)"
        return seen
    seen.problem = dismiss_consent(page, options, notes)
    if seen.problem is None and screen.opener is not None:
        seen.problem = _open(page, facts, screen.opener, options, notes)
    seen.notes = notes.notes
    if seen.problem is not None:
        return seen
    root = _dialog(page, screen, facts) if screen.is_dialog else page.locator("body")
    missing = _wait_for_named(page, screen, facts, options)
    if missing:
        seen.notes.append(f"not shown after {options.timeout:g} s (their UI checks report it): {', '.join(missing)}")
    previous: list[str] | None = None
    try:
        for _ in range(STABLE_TRIES):
            inventory = Inventory(facts, frozenset(str(name) for name in page.evaluate(PICKERS_JS)))
            take = inventory.of_dialog if screen.is_dialog else inventory.of_page
            current = take(root.aria_snapshot(timeout=options.timeout_ms))
            if current == previous:
                break
            previous = current
            page.wait_for_timeout(options.stable_pause * 1000)
        else:
            seen.notes.append(
                f"the screen kept changing for {STABLE_TRIES * options.stable_pause:g} s; the last look is kept"
            )
    except PlaywrightError as exc:
        seen.problem = f"could not read the screen's accessibility tree ({exc.message.splitlines()[0]})"
        return seen
    wall = wall_reason(page, None)
    if wall:
        seen.problem = wall
        return seen
    seen.controls = previous
    return seen


def _open(page: Page, facts: Facts, opener_id: str, options: UiOptions, notes: Result) -> str | None:
    opener = facts.ui[opener_id]
    if not find(page, opener.role, opener.name, options.timeout_ms):
        wall = wall_reason(page, None)
        return wall or f"could not open {describe(opener.role, opener.name)} (ui.{opener_id} reports why)"
    return open_first(page, opener, options, notes)


def _dialog(page: Page, screen: Screen, facts: Facts) -> Locator:
    """The open dialog that holds the screen's first element (a consent dialog is never it)."""
    first = facts.ui[screen.facts[0]]
    inner = page.get_by_role(first.role, name=first.name, exact=True)  # type: ignore[arg-type]
    return page.get_by_role("dialog").or_(page.get_by_role("alertdialog")).filter(has=inner).last


def _wait_for_named(page: Page, screen: Screen, facts: Facts, options: UiOptions) -> list[str]:
    """Wait (one timeout for all) until the elements the guide names on the screen are visible."""
    deadline = time.monotonic() + options.timeout
    missing = []
    for fact_id in screen.facts:
        fact = facts.ui[fact_id]
        left = max(deadline - time.monotonic(), 0.05)
        if not find(page, fact.role, fact.name, left * 1000):
            missing.append(f"ui.{fact_id}")
    return missing


def check_screen(page: Page, screen: Screen, facts: Facts, options: UiOptions, store: BaselineStore) -> Result | str:
    """The screen's Result against its baseline, or the "no baseline" message when there is none.

    What it saw is recorded with --baseline-out; a screen it could not see records nothing.
    """
    try:
        baseline = store.baseline("screen", screen.id)
    except BaselineError as exc:
        return _inconclusive(screen, store.unreadable(exc))
    if baseline is None and not store.recording:
        return store.no_baseline("screen", screen.id, screen.url)
    problem = precheck(screen, facts, options)
    seen = Observed(problem=problem) if problem else observe(page, screen, facts, options)
    if seen.controls is not None:
        store.record("screen", screen.id, screen.url, screen.title, seen.controls)
    if baseline is None:
        why = f"; this run could not record it: {seen.problem}" if seen.problem else ""
        return store.no_baseline("screen", screen.id, screen.url) + why
    if seen.controls is None:
        result = _inconclusive(screen, seen.problem or "the screen could not be read")
    else:
        store.compared += 1
        result = judge(screen, baseline, seen.controls, facts)
    result.notes += seen.notes
    return result


def _inconclusive(screen: Screen, reason: str) -> Result:
    result = Result(
        screen.id, "screen", Status.INCONCLUSIVE, screen.url, "the screen's controls", reason, reason=reason
    )
    result.steps = steps_of(screen)
    result.pages = list(dict.fromkeys(step.page for step in result.steps))
    return result
