"""The browser re-check: real Chromium for what a plain HTTP client cannot judge (bot walls, 403s,
fragments and text built by JavaScript, pages behind sign-in with a session), routed like the UI
checks' browser: the same remapper and the same write guard (checks/drift/routing.py).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from checks.drift.links.options import LinkSettings
from checks.drift.outcomes import (
    bot_wall_reason,
)
from checks.drift.remap import Remapper
from checks.drift.rendering_browser import CLOSED_ROOTS_JS, RENDERED_TEXT_JS, rendering_of
from checks.drift.routing import (
    MAX_REDIRECTS,
    Router,
    drive_async,
    same_document,
    stub_location,
)

if TYPE_CHECKING:
    from checks.drift.rendering import Rendering
    from keyguide.facts import Facts


@dataclass
class Visit:
    """What real Chromium saw at a URL."""

    status: int | None  # the main document's last HTTP status
    final_url: str
    wall: str | None = None  # still a bot wall (or a sign-in page) after waiting
    error: str | None = None  # could not load at all (or no browser)
    fragment_found: bool | None = None  # None: no fragment asked for, or not looked at
    notes: list[str] = field(default_factory=list)  # what the routing did: blocked writes, aborts
    redirects: list[str] = field(default_factory=list)  # "301 url → location", in original URLs
    text: str | None = None  # the visible text, one block per line, when asked for
    rendering: Rendering | None = None  # the same, as blocks a text fragment searches (frames apart)

    @property
    def served(self) -> bool:
        return self.error is None and self.wall is None and self.status is not None and self.status < 400


class BrowserProbe(Protocol):
    async def visit(self, url: str, fragment: str = "", *, text: bool = False) -> Visit: ...

    async def aclose(self) -> None: ...


# An id as written, then percent-decoded (`#Upper-%C3%84` lands on id "Upper-Ä"), as browsers do.
FRAGMENT_JS = (
    "f => { const found = x => !!(document.getElementById(x) || document.getElementsByName(x).length);"
    " if (found(f)) return true; try { return found(decodeURIComponent(f)); } catch (e) { return false; } }"
)


@dataclass
class ProbeGuard(Router):
    """Routes one context of the link checker's browser: `routing.Router` on Playwright's async API.

    The same decisions and record as the UI checks' `ui.Guard`: remapped requests are fetched with
    `route.fetch` and fulfilled, writes to OpenAI are aborted, requests outside OpenAI are aborted
    quietly in a remapped run, a navigation's redirect is answered with a redirect stub and a
    subresource's redirects are followed here.
    """

    fetch_timeout_ms: float = 30_000

    async def install(self, context: Any) -> None:
        await context.route("**/*", self._handle)

    async def _handle(self, route: Any) -> None:
        request = route.request
        steps = self.handling(request.method, request.url, request.is_navigation_request())
        await drive_async(steps, route, self.fetch_timeout_ms)


class ChromiumProbe:
    """Real Chromium via Playwright, each visit in a fresh context routed by a `ProbeGuard`.

    So the re-check is held to the suite's rules like the UI checks: every request goes through
    `Remapper.apply`, and no write reaches OpenAI (a page's own script may try one; it is aborted
    and noted, and is no drift). `facts` (for OpenAI's origins) are loaded when the browser starts.
    """

    def __init__(
        self,
        remapper: Remapper,
        settings: LinkSettings | None = None,
        facts: Facts | None = None,
        storage_state: Path | None = None,
    ) -> None:
        self.remapper = remapper
        self.settings = settings or LinkSettings()
        self.facts = facts
        # A signed-in session (--storage-state): pages behind sign-in are then seen as a user sees them.
        self.storage_state = storage_state
        self.slots = asyncio.Semaphore(settings.browser_pages)
        self._lock = asyncio.Lock()
        self._playwright: Any = None
        self._browser: Any = None
        self._failed: str | None = None

    async def _start(self) -> Any:
        async with self._lock:
            if self._browser is None and self._failed is None:
                from playwright.async_api import async_playwright

                from checks.drift.browser import launch_options

                if self.facts is None:
                    from keyguide.facts import load_facts

                    self.facts = load_facts()
                try:
                    self._playwright = await async_playwright().start()
                    self._browser = await self._playwright.chromium.launch(**launch_options())
                except Exception as exc:
                    self._failed = f"Chromium could not start ({type(exc).__name__}: {str(exc).splitlines()[0]})"
            return self._browser

    async def visit(self, url: str, fragment: str = "", *, text: bool = False) -> Visit:
        """Load `url` as a reader would; look for `fragment`, and with `text` keep the visible text."""
        browser = await self._start()
        if browser is None:
            return Visit(None, url, error=self._failed or "Chromium is not available")
        assert self.facts is not None
        guard = ProbeGuard(self.remapper, self.facts, fetch_timeout_ms=self.settings.browser_timeout * 1000)
        async with self.slots:
            # Requests made by service workers bypass routing, and with it the write guard.
            state = {"storage_state": str(self.storage_state)} if self.storage_state else {}
            context = await browser.new_context(service_workers="block", **state)
            try:
                await guard.install(context)
                if text:
                    await context.add_init_script(CLOSED_ROOTS_JS)  # closed shadow roots are text a reader sees
                page = await context.new_page()
                visit = await self._look(page, url, fragment, text)
            finally:
                await context.unroute_all(behavior="ignoreErrors")  # a handler still running may not raise
                await context.close()
        visit.notes += [
            f"Chromium: the page tried to change something at OpenAI; the suite blocked it (not drift): {request}"
            for request in guard.blocked[:5]
        ]
        visit.notes += guard.notes()
        visit.redirects = list(guard.redirects)
        return visit

    async def _look(self, page: Any, url: str, fragment: str, text: bool = False) -> Visit:
        navigations: list[Any] = []

        def on_response(response: Any) -> None:
            if response.request.is_navigation_request() and response.frame == page.main_frame:
                navigations.append(response)

        page.on("response", on_response)
        timeout = self.settings.browser_timeout * 1000
        try:
            await page.goto(url, wait_until="load", timeout=timeout)
        except Exception as exc:
            # A challenge page that reloads itself, or a redirect stub moving on, interrupts goto: fine.
            if not navigations:
                return Visit(None, url, error=f"Chromium could not load it ({str(exc).splitlines()[0]})")
        wall = await self._settle(page, navigations)
        last = navigations[-1] if navigations else None
        final_url = self.remapper.original(page.url)
        moving = None if last is None else stub_location(last.headers)
        if moving is not None:
            return Visit(None, final_url, error=f"Chromium did not get past a redirect to {moving}")
        visit = Visit(None if last is None else last.status, final_url, wall=wall)
        if fragment and visit.served:
            visit.fragment_found = await self._has_fragment(page, fragment)
        if text and visit.served:
            try:
                visit.rendering = rendering_of(await page.evaluate(RENDERED_TEXT_JS))
                visit.text = visit.rendering.text
            except Exception as exc:
                visit.error = f"Chromium could not read the page's text ({str(exc).splitlines()[0]})"
        return visit

    async def _settle(self, page: Any, navigations: list[Any]) -> str | None:
        """Wait until the page stays put; the bot wall still shown, if any.

        Through the routing's redirect stubs (each moves on to its Location), and through a
        challenge page, for the time its script needs to reload into the real page.
        """
        deadline = time.monotonic() + self.settings.challenge_wait
        stubs = 0
        while True:
            last = navigations[-1] if navigations else None
            location = None if last is None else stub_location(last.headers)
            if location is not None:
                stubs += 1
                if stubs > MAX_REDIRECTS or not await self._reach(page, navigations, location):
                    return None  # still on a stub: the caller says so
                continue
            try:
                await page.wait_for_load_state("load")
                html = await page.content()
            except Exception:  # navigating right now
                html = "<title>Just a moment...</title>"
            last = navigations[-1] if navigations else None
            if last is not None and stub_location(last.headers) is not None:
                continue  # the page moved on to a redirect stub meanwhile (a passed challenge can)
            headers = {} if last is None else await last.all_headers()
            wall = bot_wall_reason(0 if last is None else last.status, headers, html)
            if wall is None or time.monotonic() > deadline:
                return wall
            await asyncio.sleep(0.25)

    async def _reach(self, page: Any, navigations: list[Any], location: str) -> bool:
        """Wait for a redirect stub to move the page on to `location`; False if it did not."""
        stub = navigations[-1]
        try:
            await page.wait_for_url(
                lambda now: same_document(now, location),
                wait_until="load",
                timeout=self.settings.browser_timeout * 1000,
            )
        except Exception:
            return False
        return navigations[-1] is not stub  # a stub sending the page to itself makes no progress

    async def _has_fragment(self, page: Any, fragment: str) -> bool:
        try:
            await page.wait_for_function(FRAGMENT_JS, arg=fragment, timeout=self.settings.fragment_wait * 1000)
        except Exception:
            return False
        return True

    async def aclose(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self._browser = self._playwright = None


class NoBrowser:
    """`--link-browser off`: every re-check is inconclusive instead."""

    async def visit(self, url: str, fragment: str = "", *, text: bool = False) -> Visit:
        return Visit(None, url, error="the browser re-check is off (--link-browser off)")

    async def aclose(self) -> None:
        return None


def default_browser(remapper: Remapper, settings: LinkSettings) -> BrowserProbe:
    """Chromium for the re-checks, or `NoBrowser` with `--link-browser off`."""
    return ChromiumProbe(remapper, settings) if settings.browser else NoBrowser()
