"""One UI check from start to verdict: load, open the dialog first if the element is inside one,
find the element, and on a miss, diagnose; every path ends in a Result (checks/drift/outcomes.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from checks.drift.outcomes import Result, Status
from checks.drift.ui.cases import UiCase, describe
from checks.drift.ui.consent import dismiss_consent
from checks.drift.ui.locate import find, load, wall_reason
from checks.drift.ui.options import UiOptions
from checks.drift.ui.screens import take_shot
from checks.drift.ui.verdict import attach_screenshot, diagnose, inconclusive, precheck
from keyguide.facts import Facts, UiFact


def check_ui(
    page: Page,
    case: UiCase,
    facts: Facts,
    options: UiOptions,
    artifacts: Path,
    known: Mapping[str, Result] | None = None,
) -> Result:
    """Check one ui fact on `page` (a context routed by a Guard); the Result says ok, drift or why not."""
    fact = case.fact
    result = Result(case.id, "ui", Status.OK, fact.url, f"{case.described} visible", "")
    early = precheck(case, options, known)
    if early is not None:
        return early
    loaded = load(page, fact.url, options)
    if loaded.inconclusive:
        return inconclusive(result, loaded.inconclusive)
    if loaded.drift:
        result.status, result.observed = Status.DRIFT, loaded.drift
        result.suggestion = f"{fact.url} no longer loads: check the page's address (ui.{case.fact_id}.url)"
        attach_screenshot(page, result, artifacts)
        return result
    consent = dismiss_consent(page, options, result)
    if case.opener is not None:
        opener = case.opener
        if consent is not None:
            return inconclusive(result, consent)
        if not find(page, opener.role, opener.name, options.timeout_ms):
            wall = wall_reason(page, None)
            return inconclusive(
                result,
                wall or f"could not open {describe(opener.role, opener.name)} first (ui.{case.opener_id} reports why)",
            )
        problem = open_first(page, opener, options, result)
        if problem is not None:
            return inconclusive(result, problem)
        result.notes.append(f"opened {describe(opener.role, opener.name)} first")
    if find(page, fact.role, fact.name, options.timeout_ms):
        count = page.get_by_role(fact.role, name=fact.name, exact=True).count()  # type: ignore[arg-type]
        result.observed = f"{case.described} visible" + (f" ({count} on the page)" if count > 1 else "")
        if options.screens is not None:  # --screenshots: after the verdict, never changing it
            take_shot(page, case, facts, options.screens, result)
        return result
    wall = wall_reason(page, None) or consent or dismiss_consent(page, options, result)
    if wall:
        return inconclusive(result, wall)
    return diagnose(page, case, facts, options, result, artifacts)


def open_first(page: Page, opener: UiFact, options: UiOptions, result: Result) -> str | None:
    """Click a dialog's opener; None when clicked, else why not (a late consent banner is rejected once)."""
    button = page.get_by_role(opener.role, name=opener.name, exact=True).first  # type: ignore[arg-type]
    with contextlib.suppress(PlaywrightTimeout):
        button.click(timeout=options.timeout_ms)
        return None
    # Something covers the opener: a consent banner that came after the page loaded?
    notes = len(result.notes)
    problem = dismiss_consent(page, options, result)
    if problem is not None:
        return problem
    if len(result.notes) > notes:
        with contextlib.suppress(PlaywrightTimeout):
            button.click(timeout=options.timeout_ms)
            return None
    return f"could not click {describe(opener.role, opener.name)}: the click timed out (something covers it)"
