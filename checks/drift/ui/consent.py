"""Cookie consent: a banner over the page is dismissed with its reject button, never accepted
(the labels are OpenAI-specific and live in checks/drift/quirks.py); without one, inconclusive."""

from __future__ import annotations

import contextlib
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from checks.drift.outcomes import Result
from checks.drift.quirks import (
    CONSENT_ACCEPT_LABELS,
    CONSENT_CONTAINERS,
    CONSENT_REJECT_LABELS,
    CONSENT_WORDS,
    button_name_pattern,
)
from checks.drift.routing import SAFE_METHODS
from checks.drift.ui.guard import guard_of
from checks.drift.ui.options import UiOptions

CONSENT_NO_REJECT = "a consent banner covers the page and has no reject button"
_REJECT_NAME = button_name_pattern(CONSENT_REJECT_LABELS)
_ACCEPT_NAME = button_name_pattern(CONSENT_ACCEPT_LABELS)
SAVE_WAIT_S = 2.0  # longest wait for a banner's save request to reach the router, once it was sent


def consent_banner(page: Page) -> Locator | None:
    """The visible consent banner or modal on `page`, if any: a container that speaks of cookies or
    consent and offers a reject or accept button. No waiting: called once the page has loaded."""
    try:
        candidates = page.locator(CONSENT_CONTAINERS).filter(has_text=CONSENT_WORDS)
        for index in range(min(candidates.count(), 12)):
            candidate = candidates.nth(index)
            if not candidate.is_visible():
                continue
            choices = candidate.get_by_role("button", name=_REJECT_NAME).or_(
                candidate.get_by_role("button", name=_ACCEPT_NAME)
            )
            if choices.count():
                return candidate
    except PlaywrightError:
        return None
    return None


def dismiss_consent(page: Page, options: UiOptions, result: Result) -> str | None:
    """Reject a consent banner if one is shown, noting it; None when none is left, else why it stays."""
    banner = consent_banner(page)
    if banner is None:
        return None
    reject = banner.get_by_role("button", name=_REJECT_NAME)
    try:
        if not reject.count():
            return CONSENT_NO_REJECT
        button = reject.first
        label = " ".join((button.inner_text(timeout=options.timeout_ms) or "").split()) or "reject"
        # Saving the choice may POST to OpenAI: still blocked, but the check did not ask for it.
        guard = guard_of(page.context)
        with guard.excusing("rejecting a cookie banner") if guard else contextlib.nullcontext():
            excused = len(guard.excused) if guard else 0
            saving = _click_and_catch_a_write(page, button, options.timeout_ms)
            banner.wait_for(state="hidden", timeout=options.timeout_ms)
            # The click only starts that POST, and it is routed while Playwright waits: on a busy
            # machine, after the click returned. Keep the excuse until the router has seen it.
            deadline = time.monotonic() + SAVE_WAIT_S
            while saving and guard and len(guard.excused) == excused and time.monotonic() < deadline:
                page.wait_for_timeout(25)
    except PlaywrightTimeout:
        return "a consent banner covers the page and did not close when rejected"
    except PlaywrightError as exc:
        return f"a consent banner covers the page and could not be rejected ({exc.message.splitlines()[0]})"
    result.notes.append(f"dismissed a consent banner with {label!r} (never accepted)")
    return None


def _click_and_catch_a_write(page: Page, button: Locator, timeout_ms: float) -> bool:
    """Click the reject button; True if the page then sent a write within a second (the banner saving
    the choice). A banner that saves nothing costs that second, once per page that shows one."""
    clicked = False
    try:
        with page.expect_request(lambda request: request.method not in SAFE_METHODS, timeout=1000):
            button.click(timeout=timeout_ms)
            clicked = True
    except PlaywrightTimeout:
        if not clicked:
            raise  # the click itself timed out: the caller says the banner did not close
        return False
    return True
