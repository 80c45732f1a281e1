"""Locating: load the page (through walls, redirect stubs and slow scripts), open a dialog's opener, and
find the element by role and accessible name, as a person following the step would."""

from __future__ import annotations

import contextlib
import difflib
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import Response as PageResponse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from checks.drift.outcomes import bot_wall_reason, sign_in_reason, status_reason
from checks.drift.routing import (
    MAX_REDIRECTS,
    same_document,
    stub_location,
)
from checks.drift.ui.options import UiOptions

ARIA_LINE = re.compile(r'^\s*- ([a-z]+)(?: "((?:[^"\\]|\\.)*)")?')


def parse_aria_snapshot(snapshot: str) -> list[tuple[str, str]]:
    """(role, accessible name) of every node in a Playwright aria snapshot."""
    nodes = []
    for line in snapshot.splitlines():
        match = ARIA_LINE.match(line)
        if not match or match.group(1) in ("text", "url"):
            continue
        name = json.loads(f'"{match.group(2)}"') if match.group(2) is not None else ""
        nodes.append((match.group(1), " ".join(name.split())))
    return nodes


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate a writer most likely means: same text ignoring case, else difflib's closest."""
    pool = [c for c in dict.fromkeys(candidates) if c]
    for candidate in pool:
        if candidate.casefold() == name.casefold():
            return candidate
    folded = {c.casefold(): c for c in pool}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.5)
    return folded[close[0]] if close else None


def only_near(name: str, candidates: Iterable[str]) -> str | None:
    """The one candidate close to `name`, or None when none or several are: a fix may not guess."""
    pool = [c for c in dict.fromkeys(candidates) if c]
    same = [c for c in pool if c.casefold() == name.casefold()]
    if same:
        return same[0] if len(same) == 1 else None
    folded = {c.casefold(): c for c in pool}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=2, cutoff=0.5)
    return folded[close[0]] if len(close) == 1 else None


@dataclass
class Loaded:
    """A page after navigation and settling: its main response, or why it cannot be judged."""

    response: PageResponse | None
    inconclusive: str | None = None
    drift: str | None = None


def wall_reason(page: Page, response: PageResponse | None, status: int = 200) -> str | None:
    """A sign-in or bot wall where the page should be: from the URL, the title, the response.

    Without a response, the page's own markup stands in for the body (`status` is the status
    the document came with, since challenge scripts only count on a 403, 429 or 503).
    """
    signin = sign_in_reason(page.url)
    if signin:
        return signin
    try:
        title = page.title()
        markup = "" if response is not None else page.content()
    except PlaywrightError:
        title, markup = "", ""
    bot = bot_wall_reason(status, {}, f"<title>{title}</title>{markup}")
    if bot:
        return bot
    if response is not None and same_document(response.url, page.url):
        try:
            headers = response.all_headers()
            body = response.text() if response.status >= 400 else ""
        except PlaywrightError:
            headers, body = {}, ""
        return bot_wall_reason(response.status, headers, body)
    return None


def load(page: Page, url: str, options: UiOptions, *, idle: bool = False) -> Loaded:
    """Navigate and wait for the page to settle; say if what came back cannot be judged.

    Settled means the load event (the app's scripts ran), not network idle: the element wait
    that follows auto-waits for late rendering anyway, and idle costs 500 ms on every page.
    `idle` is for callers that judge from one snapshot instead of waiting for an element.
    """
    documents: list[PageResponse] = []

    def on_response(answer: PageResponse) -> None:
        if answer.request.is_navigation_request() and answer.frame == page.main_frame:
            documents.append(answer)

    page.on("response", on_response)
    try:
        response = page.goto(url, wait_until="domcontentloaded", timeout=max(options.timeout_ms, 30_000))
        response = _follow_redirect_pages(page, response, documents, options)
    except PlaywrightTimeout:
        return Loaded(None, inconclusive=f"timeout loading {url}")
    except PlaywrightError as exc:
        if sign_in_reason(page.url):
            return Loaded(None, inconclusive=sign_in_reason(page.url))
        return Loaded(None, inconclusive=f"could not load the page ({exc.message.splitlines()[0]})")
    finally:
        page.remove_listener("response", on_response)
    # Long-polling apps never go idle: settling is bounded, and a timeout here is not an error.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle" if idle else "load", timeout=options.settle * 1000)
    wall = wall_reason(page, response)
    if wall and wall.startswith("bot wall"):
        # A challenge a real browser passes reloads into the page: give it the element timeout,
        # judging from what is on screen now (the first response stays the challenge's).
        deadline = time.monotonic() + options.timeout
        while wall and wall.startswith("bot wall") and time.monotonic() < deadline:
            page.wait_for_timeout(250)
            wall = wall_reason(page, None, status=response.status if response else 200)
        if wall is None:
            response = None  # the page we judge is the one after the challenge
            with contextlib.suppress(PlaywrightTimeout):
                page.wait_for_load_state("load", timeout=options.settle * 1000)
    if wall:
        return Loaded(response, inconclusive=wall)
    if response is not None and same_document(response.url, page.url):
        busy = status_reason(response.status)
        if busy:
            return Loaded(response, inconclusive=busy.replace(" after retries", ""))
        if response.status >= 400:
            return Loaded(response, drift=f"the page answered HTTP {response.status}")
    return Loaded(response)


def _follow_redirect_pages(
    page: Page, response: PageResponse | None, documents: list[PageResponse], options: UiOptions
) -> PageResponse | None:
    """Wait through the Guard's redirect pages; the response of the document we end up on."""
    for _ in range(MAX_REDIRECTS):
        location = stub_location(response.headers) if response is not None else None
        if location is None:
            return response
        page.wait_for_url(
            lambda now, target=location: same_document(now, target),
            wait_until="domcontentloaded",
            timeout=options.timeout_ms,
        )
        after = [d for d in documents if same_document(d.url, location)]
        response = after[-1] if after else None
    return response


def _visible(locator: Locator, timeout_ms: float) -> bool:
    try:
        locator.first.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True


def find(page: Page, role: str, name: str, timeout_ms: float) -> bool:
    return _visible(page.get_by_role(role, name=name, exact=True), timeout_ms)  # type: ignore[arg-type]


def accessible_nodes(page: Page) -> list[tuple[str, str]]:
    try:
        return parse_aria_snapshot(page.locator("body").aria_snapshot(timeout=10_000))
    except PlaywrightError:
        return []
