"""The verdict of a UI check: what is decided before a browser starts, the diagnosis of a missing
element (what is there instead, so a writer can fix the step), and the outcome with its evidence."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from playwright.sync_api import Page

from checks.drift.outcomes import Result, Status
from checks.drift.ui.cases import UiCase, describe, related_roles
from checks.drift.ui.guard import Guard
from checks.drift.ui.locate import accessible_nodes, load, nearest, only_near
from checks.drift.ui.masking import safe_screenshot
from checks.drift.ui.options import UiOptions
from keyguide.facts import Facts


def precheck(case: UiCase, options: UiOptions, known: Mapping[str, Result] | None = None) -> Result | None:
    """What can be decided without a browser: manual facts, unsafe openers, no session.

    `known` holds this run's results so far: when a dialog's opener already failed, the fields
    inside it are inconclusive at once instead of each waiting the full timeout for the opener.
    """
    fact = case.fact
    result = Result(case.id, "ui", Status.OK, fact.url, f"{case.described} visible", "")
    if fact.check == "manual":
        return inconclusive(result, f"checked by hand: {fact.why_manual}")
    if case.opener is not None and not case.opener.safe_to_open:
        return inconclusive(
            result,
            f"inside {describe(case.opener.role, case.opener.name)}, which is not marked safe_to_open: "
            "the suite does not click it",
        )
    if (fact.signed_in or (case.opener is not None and case.opener.signed_in)) and options.session_problem:
        return inconclusive(result, options.session_problem)
    opener = (known or {}).get(f"ui.{case.opener_id}") if case.opener is not None else None
    if case.opener is not None and opener is not None and opener.status is not Status.OK:
        return inconclusive(
            result,
            f"could not open {describe(case.opener.role, case.opener.name)} first "
            f"(ui.{case.opener_id} is {opener.status.value} in this run: see its result)",
        )
    return None


def inconclusive(result: Result, reason: str) -> Result:
    result.status = Status.INCONCLUSIVE
    result.reason = result.observed = reason
    return result


def attach_screenshot(page: Page, result: Result, artifacts: Path) -> None:
    path = artifacts / f"{result.id}.png"
    problem = safe_screenshot(page, path)
    result.evidence.append(problem or f"screenshot: {_display(path)}")


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def diagnose(page: Page, case: UiCase, facts: Facts, options: UiOptions, result: Result, artifacts: Path) -> Result:
    """The element is missing: say what is there instead, so a writer can fix the step."""
    fact = case.fact
    result.status = Status.DRIFT
    attach_screenshot(page, result, artifacts)
    nodes = accessible_nodes(page)
    same_role = [name for role, name in nodes if role == fact.role and name]
    wanted = " ".join(fact.name.split()).casefold()
    related = related_roles(fact.role)
    other_roles = list(dict.fromkeys(role for role, name in nodes if name.casefold() == wanted and role in related))
    listing = ", ".join(repr(n) for n in dict.fromkeys(same_role)) or "none"
    result.evidence.append(f"{fact.role}s on the page: {listing}")
    hidden = page.get_by_role(fact.role, name=fact.name, exact=True, include_hidden=True).count()  # type: ignore[arg-type]
    where = f"ui.{case.fact_id}"
    if other_roles:
        new_role = other_roles[0]
        result.observed = f"{case.described} not found; now a {new_role} ({describe(new_role, fact.name)} is there)"
        result.suggestion = f"set {where}.role to {new_role} in facts.yml, and reword the step if it says {fact.role}"
        return result
    if hidden:
        result.observed = f"{case.described} is on the page but hidden"
        result.suggestion = "the element is no longer shown where the step says: re-check the step's path"
        return result
    close = nearest(fact.name, same_role)
    if close is None and options.look_elsewhere and case.opener is None:
        moved = look_elsewhere(page, case, facts, options)
        if moved:
            url, role = moved
            now = "" if role == fact.role else f", now a {role}"
            result.observed = f"{case.described} not found; moved to {url}{now}"
            result.suggestion = f"update {where}.url to {url} in facts.yml and the step that says where to go"
            return result
    if close is not None:
        result.observed = f"{case.described} not found; nearest: {close!r}"
        result.suggestion = f"if {close!r} is the same control, set {where}.name to {close!r} and update the step"
        if only_near(fact.name, same_role) == close:
            result.fix = {"field": f"{where}.name", "old": fact.name, "new": close}
    else:
        result.observed = f"{case.described} not found"
        result.suggestion = f"the step that names {fact.name!r} needs a new path: re-check {fact.url} by hand"
    return result


def look_elsewhere(page: Page, case: UiCase, facts: Facts, options: UiOptions) -> tuple[str, str] | None:
    """The first other page named by a ui fact that has the element, and its role there.

    Each page is judged once it has settled, from one accessibility snapshot: a moved element is
    rare, and waiting the full timeout on every other page would make each drift cost a minute.
    """
    fact = case.fact
    urls = [u.url for u in facts.ui.values() if u.check == "auto" and u.url != fact.url]
    wanted = " ".join(fact.name.split()).casefold()
    quick = UiOptions(timeout=min(options.timeout, 3.0), settle=min(options.settle, 2.0), session_problem=None)
    for url in dict.fromkeys(urls):
        loaded = load(page, url, quick, idle=True)
        if loaded.inconclusive or loaded.drift:
            continue
        nodes = accessible_nodes(page)
        if any(role == fact.role and name.casefold() == wanted for role, name in nodes):
            return url, fact.role
        for role, name in nodes:
            if name.casefold() == wanted and role in related_roles(fact.role):
                return url, role
    return None


def blocked_failure(case: UiCase, blocked: list[str]) -> tuple[Result, str]:
    """The result and message for a check whose browser tried to change something at OpenAI."""
    fact = case.fact
    writes = "; ".join(blocked)
    result = Result(
        case.id,
        "ui",
        Status.INCONCLUSIVE,
        fact.url,
        f"{case.described} visible, without changing anything",
        f"the page sent {len(blocked)} write request(s) to OpenAI, blocked by the suite: {writes}",
        reason=f"suite stopped a write to OpenAI: {writes}",
    )
    result.notes.append(
        "not drift: the check itself tried to change something (a non-GET request), and the suite aborted it"
    )
    opener = f"ui.{case.opener_id}" if case.opener_id else None
    advice = (
        f"{opener} is marked safe_to_open but opening it sent a write: set safe_to_open: false in facts.yml"
        if opener
        else "a page load sent it: find which script writes, and keep the suite from triggering it"
    )
    message = (
        f"{case.id}: the check tried to change something at OpenAI; the suite blocked it and fails the check.\n"
        f"blocked: {writes}\n{advice}"
    )
    return result, message


def conclude(
    case: UiCase,
    result: Result,
    guard: Guard,
    record: Callable[[Result], Result],
    settle: Callable[[Result], None],
    trace: Path | None = None,
) -> None:
    """The test's outcome: a blocked write fails the check (suite error, not drift); else settle.

    `trace` is where pytest-playwright keeps this test's trace if it fails (--tracing).
    """
    if trace is not None and (guard.blocked or result.status is Status.DRIFT):
        result.evidence.append(f"trace: {_display(trace)}")
    if guard.blocked:
        recorded, message = blocked_failure(case, guard.blocked)
        recorded.evidence = result.evidence + recorded.evidence
        record(recorded)
        pytest.fail(message, pytrace=False)
    result.notes += guard.notes()
    settle(result)
