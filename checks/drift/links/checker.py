"""The batch: one client, one browser and one set of limits for every selected link, then one more
pass for what stayed inconclusive. pytest runs items one at a time, so `check_links()` checks the
whole selected batch concurrently once; each item then settles its precomputed Result.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from checks.drift.http import RetryPolicy
from checks.drift.links.collect import LinkTarget
from checks.drift.links.fetch import Fetcher, Probe, link_client
from checks.drift.links.judge import NEEDS_SIGN_IN, Pending, after_browser, after_sign_in, finish, judge
from checks.drift.links.options import LinkSettings
from checks.drift.outcomes import (
    Result,
    Status,
)
from checks.drift.ratelimit import HostStats
from checks.drift.remap import Remapper

if TYPE_CHECKING:  # the browser module (and Playwright's routing) loads only when a link needs Chromium
    from checks.drift.links.browser import BrowserProbe, Visit
    from checks.drift.links.cache import LinkCache


class LinkChecker:
    """Checks a batch of targets concurrently with one client, one browser and one set of limits."""

    def __init__(
        self,
        remapper: Remapper,
        policy: RetryPolicy | None = None,
        settings: LinkSettings | None = None,
        client: httpx.AsyncClient | None = None,
        browser: BrowserProbe | None = None,
        session: Path | None = None,
        signed_in: BrowserProbe | None = None,
    ) -> None:
        self.remapper = remapper
        self.policy = policy or RetryPolicy()
        self.settings = settings or LinkSettings()
        self._client = client
        self._browser = browser
        # A signed-in storage state (--storage-state): links behind sign-in are re-checked with it.
        self.session = session
        self._signed_in = signed_in
        self.fetcher: Fetcher | None = None
        self.wall_time = 0.0

    async def run(self, targets: list[LinkTarget]) -> dict[str, Result]:
        started = time.monotonic()
        client = self._client or link_client(self.remapper, self.policy, self.settings)
        self.fetcher = Fetcher(client, self.remapper, self.policy, self.settings)
        browser: BrowserProbe | None = None
        try:
            results = await self._pass(targets)
            results = await self._final_pass(targets, results) if self.settings.recheck else results
            if any(pending is not None for _, pending, _ in results.values()):
                browser = self._browser or self._default_browser()
                results = await self._browser_pass(targets, results, browser)
            results = await self._session_pass(targets, results)
        finally:
            if self._client is None:
                await client.aclose()
            if self._browser is None and browser is not None:
                await browser.aclose()
        self.wall_time = time.monotonic() - started
        return {target.id: finish(target, results[target.id][0]) for target in targets}

    def _default_browser(self) -> BrowserProbe:
        from checks.drift.links.browser import default_browser

        return default_browser(self.remapper, self.settings)

    async def _pass(self, targets: list[LinkTarget]) -> dict[str, tuple[Result, Pending, Probe]]:
        assert self.fetcher is not None
        fetcher = self.fetcher
        # One probe per page: a GET (with its body) if any target needs to look for a fragment in it.
        needs_body = {t.page_url for t in targets if t.fragment or t.text_directives}
        probes = await asyncio.gather(*(fetcher.probe(t.page_url, t.page_url in needs_body) for t in targets))
        out = {}
        for target, probe in zip(targets, probes, strict=True):
            result, pending = judge(target, probe)
            out[target.id] = (result, pending, probe)
        return out

    async def _final_pass(
        self, targets: list[LinkTarget], results: dict[str, tuple[Result, Pending, Probe]]
    ) -> dict[str, tuple[Result, Pending, Probe]]:
        """One more pass for what stayed inconclusive over HTTP (not walls: the browser settles those)."""
        again = [t for t in targets if results[t.id][0].status is Status.INCONCLUSIVE and results[t.id][1] is None]
        again = [t for t in again if not results[t.id][0].reason.startswith("needs a signed-in")]
        if not again:
            return results
        assert self.fetcher is not None
        await asyncio.sleep(self.settings.recheck_delay)
        for target in again:
            self.fetcher.forget(target.page_url)
        second = await self._pass(again)
        for target in again:
            result, pending, probe = second[target.id]
            settled = result.status is not Status.INCONCLUSIVE or pending is not None
            results[target.id] = (result.after_final_pass(results[target.id][0], settled=settled), pending, probe)
        return results

    async def _browser_pass(
        self, targets: list[LinkTarget], results: dict[str, tuple[Result, Pending, Probe]], browser: BrowserProbe
    ) -> dict[str, tuple[Result, Pending, Probe]]:
        waiting = [t for t in targets if results[t.id][1] is not None]
        visits: dict[tuple[str, str, bool], asyncio.Future[Visit]] = {}

        def key(target: LinkTarget, probe: Probe) -> tuple[str, str, bool]:
            return (probe.final_url, *_looks_for(target))

        for target in waiting:
            probe = results[target.id][2]
            if key(target, probe) not in visits:
                fragment, text = _looks_for(target)
                visits[key(target, probe)] = asyncio.ensure_future(browser.visit(probe.final_url, fragment, text=text))
        for target in waiting:
            result, pending, probe = results[target.id]
            visit = await visits[key(target, probe)]
            results[target.id] = (after_browser(target, probe, result, pending, visit), None, probe)
        return results

    async def _session_pass(
        self, targets: list[LinkTarget], results: dict[str, tuple[Result, Pending, Probe]]
    ) -> dict[str, tuple[Result, Pending, Probe]]:
        """Links an anonymous client only sees behind sign-in, visited in a browser signed in with the
        session's storage state: served is ok (a link that works for a signed-in reader), still sent
        to sign in stays inconclusive (the session is expired or lacks access)."""
        waiting = [
            t
            for t in targets
            if results[t.id][0].status is Status.INCONCLUSIVE and results[t.id][0].reason.startswith(NEEDS_SIGN_IN)
        ]
        if not waiting or (self.session is None and self._signed_in is None):
            return results
        browser = self._signed_in
        if browser is None:
            if not self.settings.browser:
                return results
            from checks.drift.links.browser import ChromiumProbe

            browser = ChromiumProbe(self.remapper, self.settings, storage_state=self.session)
        visits: dict[tuple[str, str, bool], asyncio.Future[Visit]] = {}
        try:
            for target in waiting:
                key = (target.page_url, *_looks_for(target))
                if key not in visits:
                    fragment, text = _looks_for(target)
                    visits[key] = asyncio.ensure_future(browser.visit(target.page_url, fragment, text=text))
            for target in waiting:
                result, _, probe = results[target.id]
                visit = await visits[(target.page_url, *_looks_for(target))]
                results[target.id] = (after_sign_in(target, probe, result, visit), None, probe)
        finally:
            if self._signed_in is None:
                await browser.aclose()
        return results

    def host_stats(self) -> dict[str, HostStats]:
        return {} if self.fetcher is None else self.fetcher.host_stats()


def _looks_for(target: LinkTarget) -> tuple[str, bool]:
    """What Chromium must look for: the id (not when a passage decides), and whether to read the text."""
    return ("" if target.names_passage else target.fragment, target.names_passage)


# Entry points


def check_links(
    targets: list[LinkTarget],
    remapper: Remapper,
    policy: RetryPolicy | None = None,
    settings: LinkSettings | None = None,
    cache: LinkCache | None = None,
    checker: LinkChecker | None = None,
    session: Path | None = None,
) -> dict[str, Result]:
    """Check a batch (cached results first) and return a Result per target id.

    Runs its own event loop in a worker thread, so it works wherever pytest calls it from (Playwright's
    sync API, used by the UI checks, keeps a loop on the main thread).
    """
    cached = {t.id: finish(t, hit) for t in targets if cache is not None and (hit := cache.get(t)) is not None}
    todo = [t for t in targets if t.id not in cached]
    checker = checker or LinkChecker(remapper, policy, settings, session=session)
    results = run_sync(checker.run(todo)) if todo else {}
    if cache is not None:
        for target in todo:
            cache.put(target, results[target.id])
        cache.save()
    results.update(cached)
    return {t.id: results[t.id] for t in targets}


def run_sync(coroutine: Awaitable[Any]) -> Any:
    """Run a coroutine to the end on a fresh event loop in a worker thread."""
    box: dict[str, Any] = {}

    def main() -> None:
        try:
            box["value"] = asyncio.run(coroutine)  # type: ignore[arg-type]
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=main, name="link-checks", daemon=True)  # Ctrl-C must not wait for it
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
