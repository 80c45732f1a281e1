"""Link drift: every external link a reader can click, checked politely and classified without false alarms.

Three parts. *Collect*: the `<a href>` of the built site (not code, not URLs quoted inside error
messages) plus every `links.*` fact, deduplicated, each with the pages and link texts that use it.
*Check*: one shared `httpx.AsyncClient` through the session's remapper, HEAD first (GET where HEAD is
refused or a body is needed), redirects followed one hop at a time in original URLs, a global and a
per-host concurrency limit with a small per-host spacing, the shared retry policy (Retry-After
honoured, capped, and pausing the whole host), and one more pass at the end for what stayed
inconclusive. *Classify* with the shared outcomes: 404/410, an unexpected permanent redirect and a
missing `#fragment` are drift; bot walls and 403s are re-checked in real Chromium (routed like the UI
checks' browser: the same remapper, the same write guard, see checks/drift/routing.py) before anything
is said; unreachable, 5xx, 429 and sign-in walls are inconclusive.

pytest runs items one at a time, so `check_links()` checks the whole selected batch concurrently
once; each item then settles its precomputed Result (checks/test_links.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from checks.drift.http import Fetched, RetryPolicy, afetch, async_client, retry_delay
from checks.drift.outcomes import (
    Result,
    Status,
    Step,
    bot_wall_reason,
    sign_in_reason,
    status_reason,
    transport_reason,
)
from checks.drift.ratelimit import HostGate, HostStats, pushes_back
from checks.drift.remap import Remapper
from checks.drift.routing import (
    ABORT_BLOCKED,
    ABORT_FAILED,
    MAX_REDIRECTS,
    Router,
    forwarded_headers,
    redirect_location,
    redirect_stub,
    same_document,
    stub_location,
)

if TYPE_CHECKING:
    import pytest

    from checks.drift.passages import TextDirective
    from keyguide.facts import Facts

# Checking needs only httpx: BeautifulSoup, pytest and the guide's own modules (jinja2, pydantic) are
# imported where collection or fragments need them, so a bare check starts fast (benchmarks/links.py).
ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = ROOT / "docs"

# ==============================================================================================
# Options
# ==============================================================================================


def parse_duration(text: str) -> float:
    """Seconds from "90", "90s", "15m", "12h" or "7d" (cache ages are easier to say in days)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 3600, 90m, 12h, 7d)")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def add_options(group: pytest.OptionGroup) -> None:
    """Command-line options of the links checks; called by the drift plugin."""
    defaults = LinkSettings()
    group.addoption(
        "--link-cache",
        metavar="PATH",
        help="JSON cache of link results (ok and drift only, never inconclusive); off by default",
    )
    group.addoption(
        "--link-cache-max-age",
        type=parse_duration,
        default=parse_duration("1d"),
        metavar="AGE",
        help="reuse cached link results younger than AGE (seconds, or 90m, 12h, 7d; default 1d)",
    )
    group.addoption(
        "--link-concurrency",
        type=int,
        default=defaults.concurrency,
        help=f"link requests in flight at once, all hosts together (default {defaults.concurrency})",
    )
    group.addoption(
        "--per-host-concurrency",
        type=int,
        default=defaults.per_host,
        help=f"link requests in flight at once to one host at the start; the window widens while the host "
        f"answers cleanly and narrows on a 429, 503, Retry-After or bot challenge (default {defaults.per_host})",
    )
    group.addoption(
        "--per-host-max",
        type=int,
        default=defaults.per_host_max,
        help=f"the widest the per-host window may grow (default {defaults.per_host_max})",
    )
    group.addoption(
        "--per-host-delay",
        type=float,
        default=defaults.per_host_delay,
        metavar="SECONDS",
        help=f"least time between two request starts to one host (default {defaults.per_host_delay})",
    )
    group.addoption(
        "--link-browser",
        choices=("on", "off"),
        default="on",
        help="re-check bot walls, 403s and JavaScript-built fragments in Chromium (default on; off: inconclusive)",
    )
    group.addoption(
        "--link-site",
        metavar="DIR",
        help="collect links from this already built site instead of building the guide into a temp dir",
    )


@dataclass(frozen=True)
class LinkSettings:
    """How hard and how politely to check. Defaults: polite to one host, fast across many."""

    # Tuned with benchmarks/links.py (200 links, 20 hosts, 300 ms): what a host sees is bounded by
    # `per_host` and `per_host_delay`; `concurrency` only bounds our own sockets.
    concurrency: int = 256
    per_host: int = 4  # in flight at once to one host at the start (checks/drift/ratelimit.py adapts it)
    per_host_max: int = 10  # the widest a host that answers cleanly gets (lychee's fixed default)
    per_host_delay: float = 0.01  # least time between two request starts to one host
    max_redirects: int = 10
    browser: bool = True
    browser_timeout: float = 20.0
    challenge_wait: float = 10.0  # how long Chromium may sit on a challenge page before we give up
    fragment_wait: float = 3.0  # how long a JavaScript-built page may take to add its headings
    browser_pages: int = 4
    recheck: bool = True
    recheck_delay: float = 2.0  # pause before the final pass over what stayed inconclusive
    body_limit: int = 5_000_000

    @classmethod
    def from_config(cls, config: pytest.Config) -> LinkSettings:
        return cls(
            concurrency=max(1, config.getoption("link_concurrency")),
            per_host=max(1, config.getoption("per_host_concurrency")),
            per_host_max=max(1, config.getoption("per_host_max")),
            per_host_delay=max(0.0, config.getoption("per_host_delay")),
            browser=config.getoption("link_browser") == "on",
        )


# ==============================================================================================
# Collect
# ==============================================================================================


@dataclass(frozen=True)
class LinkUse:
    """One place a reader can click the link."""

    page: str  # the guide page's source ("create-key.md"), or the built file for theme pages
    text: str
    line: int
    where: str


@dataclass
class LinkTarget:
    """One URL to check, once, with everything that uses it. `id` is the fact id or the URL."""

    id: str
    url: str
    expect_redirect_to: str | None = None
    uses: list[LinkUse] = field(default_factory=list)

    @property
    def page_url(self) -> str:
        return self.url.split("#", 1)[0]

    @property
    def fragment(self) -> str:
        """The element id to look for: the fragment before any `:~:` directive; empty for none or `#top`.

        Browsers read `#a-word:~:text=Word` as the id `a-word` plus a text directive, so the id is
        never the whole string (the directive is `text_directives`).
        """
        from checks.drift.passages import split_fragment

        element = split_fragment(self.url.partition("#")[2])[0]
        return "" if element.lower() == "top" else element

    @property
    def text_directives(self) -> list[TextDirective]:
        """The passages a `#…:~:text=` fragment names; a browser scrolls to and highlights them."""
        from checks.drift.passages import split_fragment

        return split_fragment(self.url.partition("#")[2])[1]

    def __repr__(self) -> str:  # pytest shows this in -v for failing parametrized items
        return f"LinkTarget({self.id!r})"


class SiteBuildError(RuntimeError):
    """The guide did not build, so its links could not be collected."""


SKIP_CLASS = "link-check-skip"  # `[text](url){ .link-check-skip }` opts a link out
CODE_TAGS = ("code", "pre", "kbd", "samp")


def build_site(dest: Path, root: Path = ROOT) -> Path:
    """`mkdocs build --strict` into `dest`, in a subprocess so its plugins and logging stay out of pytest."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(dest)]
    proc = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise SiteBuildError(f"`mkdocs build --strict` failed, so the site's links were not collected:\n{tail}")
    return dest


def site_url(root: Path = ROOT) -> str:
    """The guide's own address (links under it are internal)."""

    from keyguide.platform import read_site_config

    return str(read_site_config(root / "mkdocs.yml").get("site_url") or "")


def is_external(href: str) -> bool:
    return href.startswith(("http://", "https://"))


def quoted_in(href: str, text: str, quotes: Iterable[str]) -> bool:
    """An autolinked URL that is part of a quoted error message (OpenAI's old URLs live there)."""
    return text.strip().rstrip(".") == href.rstrip(".") and any(href in quote for quote in quotes)


def page_links(html: str, quotes: Iterable[str] = (), internal: str = "") -> list[tuple[str, str]]:
    """(href, link text) of every external link a reader can click on one built page."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    links = []
    for anchor in soup.find_all("a", href=True):
        assert isinstance(anchor, Tag)
        href = str(anchor["href"]).strip()
        text = " ".join(anchor.get_text(" ", strip=True).split())
        if not is_external(href) or (internal and href.startswith(internal)):
            continue
        if anchor.find_parent(CODE_TAGS) is not None or SKIP_CLASS in (anchor.get("class") or []):
            continue
        if quoted_in(href, text, quotes):
            continue
        links.append((href, text))
    return links


def source_pages(docs_dir: Path = DOCS_DIR) -> dict[str, Path]:
    """Built page path ("create-key/index.html") → its Markdown source."""
    from keyguide.pages import all_pages

    mapping = {}
    for page in all_pages(docs_dir):
        mapping[f"{page.url}index.html"] = docs_dir / page.path
    return mapping


def _use(href: str, text: str, built: str, sources: dict[str, Path], docs_dir: Path) -> LinkUse:
    """Where in the source the link sits: the line that writes the URL (or its text) and its heading."""
    source = sources.get(built)
    if source is None:
        return LinkUse(built, text, 1, f"link “{text}”")
    lines = source.read_text(encoding="utf-8").splitlines()
    number = next((i for i, line in enumerate(lines, 1) if href in line), 0)
    number = number or next((i for i, line in enumerate(lines, 1) if text and text in line), 1)
    heading = next((m.group(1) for line in reversed(lines[:number]) if (m := re.match(r"^#{1,4}\s+(.*)", line))), "")
    where = f"{heading} › link “{text}”" if heading else f"link “{text}”"
    return LinkUse(source.relative_to(docs_dir).as_posix(), text, number, where)


def collect_site_links(
    site_dir: Path, quotes: Iterable[str] = (), internal: str = "", docs_dir: Path = DOCS_DIR
) -> dict[str, list[LinkUse]]:
    """Every external URL of the built site → where readers click it."""
    quotes = list(quotes)
    sources = source_pages(docs_dir) if docs_dir.is_dir() else {}
    found: dict[str, list[LinkUse]] = {}
    for path in sorted(site_dir.rglob("*.html")):
        built = path.relative_to(site_dir).as_posix()
        for href, text in page_links(path.read_text(encoding="utf-8", errors="replace"), quotes, internal):
            use = _use(href, text, built, sources, docs_dir)
            if use not in found.setdefault(href, []):
                found[href].append(use)
    return found


def collect_targets(facts: Facts, site_links: dict[str, list[LinkUse]]) -> list[LinkTarget]:
    """Every `links.*` fact (id = fact id) and every other site URL (id = the URL), deduplicated."""
    targets: list[LinkTarget] = []
    by_url: dict[str, LinkTarget] = {}
    for fact_id, fact in facts.links.items():
        target = LinkTarget(f"links.{fact_id}", fact.url, fact.expect_redirect_to, list(site_links.get(fact.url, [])))
        targets.append(target)
        by_url.setdefault(fact.url, target)
    for url, uses in site_links.items():
        if url not in by_url:
            by_url[url] = LinkTarget(url, url, None, list(uses))
            targets.append(by_url[url])
    return targets


def error_quotes(facts: Facts) -> list[str]:
    return [error.message for error in facts.errors.values()]


# ==============================================================================================
# Check: fetching
# ==============================================================================================


@dataclass
class Hop:
    """One request of a redirect chain, in original URLs."""

    method: str
    url: str
    status: int | None
    location: str | None = None
    tries: str = ""  # the retry history when there was more than one attempt

    def describe(self) -> str:
        answer = "no answer" if self.status is None else f"HTTP {self.status}"
        moved = f" → {self.location}" if self.location else ""
        tries = f" (attempts: {self.tries})" if self.tries else ""
        return f"{self.method} {self.url} → {answer}{moved}{tries}"


@dataclass
class Probe:
    """What fetching one page (without its fragment) gave: the chain and the last answer."""

    chain: list[Hop]
    response: httpx.Response | None
    error: BaseException | None

    @property
    def final_url(self) -> str:
        return self.chain[-1].url

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status_code

    @property
    def body(self) -> str:
        return "" if self.response is None else self.response.text


HEAD_OK_BELOW = 400  # a HEAD answer >= 400 is confirmed with GET: many servers refuse or mishandle HEAD
STRIP_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class Fetcher:
    """Requests for the link checks: limits, the shared retry policy, HEAD→GET, redirects hop by hop."""

    def __init__(
        self, client: httpx.AsyncClient, remapper: Remapper, policy: RetryPolicy, settings: LinkSettings
    ) -> None:
        self.client = client
        self.remapper = remapper
        self.policy = policy
        self.settings = settings
        self.global_slots = asyncio.Semaphore(settings.concurrency)
        self.gates: dict[str, HostGate] = {}
        self._probes: dict[tuple[str, bool], asyncio.Task[Probe]] = {}

    def gate(self, url: str) -> HostGate:
        host = urlsplit(url).netloc.lower()
        if host not in self.gates:
            settings = self.settings
            self.gates[host] = HostGate(settings.per_host, settings.per_host_delay, settings.per_host_max)
        return self.gates[host]

    async def send(self, method: str, url: str) -> httpx.Response:
        """One request inside the host's and the run's limits; GET bodies read up to a cap."""
        gate = self.gate(url)
        async with gate.slot(), self.global_slots:
            with gate.in_flight():
                response = await self.client.send(self.client.build_request(method, url), stream=True)
                try:
                    body = await _read_capped(response, self.settings.body_limit) if method == "GET" else b""
                finally:
                    await response.aclose()
        if response.status_code in (429, 503) and "retry-after" in response.headers:
            gate.pause(retry_delay(response, 1, self.policy))
        challenged = bot_wall_reason(response.status_code, response.headers, body[:20000].decode("utf-8", "replace"))
        await gate.answered(pushes_back(response.status_code, response.headers, challenged is not None))
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in STRIP_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=body, request=response.request)

    async def request(self, method: str, url: str) -> Fetched:
        return await afetch(lambda: self.send(method, url), self.policy)

    async def answer(self, url: str, need_body: bool) -> tuple[str, Fetched]:
        """HEAD when a status is enough; GET when HEAD is refused, looks wrong, or a body is needed."""
        if not need_body:
            head = await self.request("HEAD", url)
            response = head.response
            if head.error is not None:
                return "HEAD", head  # no answer at all: GET would only time out again
            if (
                response is not None
                and response.status_code < HEAD_OK_BELOW
                and bot_wall_reason(response.status_code, response.headers, "") is None
            ):
                return "HEAD", head
            status = "no answer" if response is None else f"HTTP {response.status_code}"
            return f"GET (HEAD: {status})", await self.request("GET", url)
        return "GET", await self.request("GET", url)

    def probe(self, url: str, need_body: bool) -> Awaitable[Probe]:
        """The probe of `url`, shared by every target that links to it."""
        key = (url, need_body)
        if key not in self._probes:
            self._probes[key] = asyncio.ensure_future(self._probe(url, need_body))
        return self._probes[key]

    def forget(self, url: str) -> None:
        """Drop cached probes of `url` so the final pass asks again."""
        for key in [k for k in self._probes if k[0] == url]:
            del self._probes[key]

    async def _probe(self, url: str, need_body: bool) -> Probe:
        chain: list[Hop] = []
        current = url
        while True:
            try:
                method, fetched = await self.answer(current, need_body)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
                chain.append(Hop("GET", current, None))
                return Probe(chain, None, exc)
            response = fetched.response
            tries = ", ".join(fetched.history) if fetched.attempts > 1 else ""
            hop = Hop(method, current, None if response is None else response.status_code, tries=tries)
            chain.append(hop)
            if response is None or not response.is_redirect:
                return Probe(chain, response, fetched.error)
            hop.location = self.next_url(current, response.headers["location"])
            seen = {h.url for h in chain}
            if len(chain) > self.settings.max_redirects or hop.location in seen:
                return Probe(chain, response, None)
            current = hop.location

    def next_url(self, current: str, location: str) -> str:
        """Where a redirect points, in original URLs (a Location in remapped space is mapped back)."""
        return self.remapper.original(urljoin(current, location.strip())).split("#", 1)[0]

    def host_stats(self) -> dict[str, HostStats]:
        return {host: gate.stats for host, gate in self.gates.items()}


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)


# ==============================================================================================
# Check: the browser
# ==============================================================================================


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
    text: str | None = None  # document.body.innerText, when asked for (the source check reads it)

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
# What a reader sees: innerText skips hidden elements, scripts and styles, as a text fragment does.
INNER_TEXT_JS = "() => document.body ? document.body.innerText : ''"


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
        from playwright.async_api import Error as PlaywrightError

        request = route.request
        method, url = request.method, request.url
        decision = self.decide(method, url)
        if decision.aborts:
            await route.abort(ABORT_BLOCKED)
            return
        if decision.kind == "continue":
            await route.continue_()
            return
        headers = forwarded_headers(await request.all_headers())
        try:
            answer: Any = await self._fetch(route, decision.target, headers)
            location = redirect_location(answer.status, answer.headers, url, self.remapper)
            if location is not None and not request.is_navigation_request():
                answer = await self._follow(route, method, answer, url, location, headers)
                location = None
        except PlaywrightError as exc:
            self.failure(method, url, exc.message)
            answer = ABORT_FAILED
        if isinstance(answer, str):
            await route.abort(answer)
        elif location is None:
            await route.fulfill(response=answer)
        else:
            self.redirected(answer.status, url, location)
            stub = redirect_stub(location, answer.headers_array)
            await route.fulfill(
                status=stub.status, headers=stub.headers, content_type=stub.content_type, body=stub.body
            )

    async def _fetch(self, route: Any, target: str, headers: dict[str, str]) -> Any:
        return await route.fetch(url=target, headers=headers, max_redirects=0, timeout=self.fetch_timeout_ms)

    async def _follow(
        self, route: Any, method: str, answer: Any, url: str, location: str, headers: dict[str, str]
    ) -> Any:
        """Follow a subresource's redirects here (a script's fetch has no page to move on): the
        last answer, or the abort code to end the request with."""
        for _ in range(MAX_REDIRECTS):
            decision, headers = self.hop(method, answer.status, url, location, headers)
            if decision.aborts:
                return ABORT_BLOCKED
            url, answer = location, await self._fetch(route, decision.target, headers)
            next_location = redirect_location(answer.status, answer.headers, url, self.remapper)
            if next_location is None:
                return answer
            location = next_location
        self.failure(method, url, f"more than {MAX_REDIRECTS} redirects")
        return ABORT_FAILED


class ChromiumProbe:
    """Real Chromium via Playwright, each visit in a fresh context routed by a `ProbeGuard`.

    So the re-check is held to the suite's rules like the UI checks: every request goes through
    `Remapper.apply`, and no write reaches OpenAI (a page's own script may try one; it is aborted
    and noted, and is no drift). `facts` (for OpenAI's origins) are loaded when the browser starts.
    """

    def __init__(
        self,
        remapper: Remapper,
        settings: LinkSettings = LinkSettings(),
        facts: Facts | None = None,
        storage_state: Path | None = None,
    ) -> None:
        self.remapper = remapper
        self.settings = settings
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
                visit.text = await page.evaluate(INNER_TEXT_JS)
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


# ==============================================================================================
# Classify
# ==============================================================================================

PERMANENT = (301, 308)
GONE = (404, 410)
Pending = Literal["wall", "fragment"] | None


def has_id(fragment: str, ids: set[str]) -> bool:
    """Whether a fragment lands on one of `ids` as a browser finds it: as written, then percent-decoded
    (`#Upper-%C3%84%C3%96%C3%B6` lands on the id `Upper-ÄÖö`)."""
    from urllib.parse import unquote

    return fragment in ids or unquote(fragment) in ids


def fragment_ids(html: str) -> set[str]:
    """Every id and every `<a name>` of a page: what a #fragment can land on without JavaScript."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    ids = {str(tag["id"]) for tag in soup.find_all(id=True) if isinstance(tag, Tag)}
    return ids | {str(tag["name"]) for tag in soup.find_all("a", attrs={"name": True}) if isinstance(tag, Tag)}


def may_build_headings(html: str) -> bool:
    """A page with scripts may add its headings after load (SPAs, GitHub's user-content- anchors)."""
    return "<script" in html.lower()


def is_html(response: httpx.Response | None) -> bool:
    return response is not None and "html" in response.headers.get("content-type", "html").lower()


def _expected(target: LinkTarget) -> str:
    text = "the page is served (HTTP 2xx, no permanent redirect)"
    if target.expect_redirect_to:
        text = f"the page is served, after a redirect to {target.expect_redirect_to}…"
    if target.fragment:
        text += f", with an element id “{target.fragment}”"
    if target.text_directives:
        text += ", with the passage " + ", ".join(d.describe() for d in target.text_directives)
    return text


def _observed(probe: Probe) -> str:
    parts = []
    for hop in probe.chain:
        parts.append("no answer" if hop.status is None else str(hop.status))
        if hop.location:
            parts.append(hop.location)
    return " → ".join(parts)


def _fix_where(target: LinkTarget) -> str:
    if target.id.startswith("links."):
        return f"in facts.yml ({target.id})"
    pages = ", ".join(dict.fromkeys(use.page for use in target.uses)) or "the page"
    return f"in {pages}"


def _with_fragment(url: str, target: LinkTarget) -> str:
    fragment = target.url.partition("#")[2]
    return f"{url}#{fragment}" if fragment and "#" not in url else url


def _permanent_move(target: LinkTarget, probe: Probe) -> Hop | None:
    """The last unexpected permanent redirect of the chain, if any."""
    moves = [h for h in probe.chain if h.status in PERMANENT and h.location and h.location != h.url]
    if not moves:
        return None
    later = [h.url for h in probe.chain[1:]]
    if target.expect_redirect_to and any(u.startswith(target.expect_redirect_to) for u in later):
        return None
    if any(sign_in_reason(u) for u in later):
        return None  # moved to a sign-in page: a wall, not a new address
    return moves[-1]


def _sign_in(probe: Probe) -> str | None:
    """A redirect that ended on a sign-in page (linking to a sign-in page itself is fine)."""
    for hop in probe.chain[1:]:
        reason = sign_in_reason(hop.url)
        if reason:
            return reason
    return None


def judge(target: LinkTarget, probe: Probe) -> tuple[Result, Pending]:
    """Classify a probe; the second value says what only a browser can settle."""
    result = Result(
        id=target.id,
        kind="link",
        status=Status.OK,
        url=target.url,
        expected=_expected(target),
        observed=_observed(probe),
        evidence=[hop.describe() for hop in probe.chain],
    )
    response, status = probe.response, probe.status

    def inconclusive(reason: str) -> tuple[Result, Pending]:
        result.status, result.reason = Status.INCONCLUSIVE, reason
        return result, None

    if response is None:
        return inconclusive(transport_reason(probe.error) if probe.error else "no answer")
    sign_in = _sign_in(probe)
    if sign_in:
        return inconclusive(sign_in)
    wall = bot_wall_reason(status or 0, response.headers, probe.body)
    if wall:
        result.status, result.reason = Status.INCONCLUSIVE, wall
        return result, "wall"
    if status in GONE:
        return _gone(target, probe, result), None
    if status == 401:
        return inconclusive("needs a signed-in session (HTTP 401)")
    if status == 403:
        result.status, result.reason = Status.INCONCLUSIVE, "forbidden to scripted clients (HTTP 403)"
        return result, "wall"
    if status is not None and (status == 429 or status >= 500):
        return inconclusive(status_reason(status) or f"HTTP {status}")
    if response.is_redirect:
        return inconclusive(f"redirects in a loop or more than {len(probe.chain) - 1} times")
    if status is not None and status >= 400:
        return inconclusive(f"the server refused the request (HTTP {status})")
    return served(target, probe, result)


def _gone(target: LinkTarget, probe: Probe, result: Result) -> Result:
    result.status = Status.DRIFT
    moved = _permanent_move(target, probe)
    if moved is not None:
        result.suggestion = (
            f"the link redirects to {moved.location}, which answers HTTP {probe.status}: "
            f"find the page's new address and update the link {_fix_where(target)}"
        )
    else:
        result.suggestion = (
            f"the page is gone (HTTP {probe.status}): find its new address and update the link {_fix_where(target)}"
        )
    return result


def served(
    target: LinkTarget, probe: Probe, result: Result, fragment_found: bool | None = None, text: str | None = None
) -> tuple[Result, Pending]:
    """The page is served: what remains is an unexpected permanent redirect, a missing fragment id or
    a missing text passage. `fragment_found` and `text` come from Chromium when it loaded the page."""
    moved = _permanent_move(target, probe)
    if moved is not None and moved.location:
        new = _with_fragment(moved.location, target)
        result.status = Status.DRIFT
        result.suggestion = f"update the link {_fix_where(target)} to {new}"
        result.notes.append(f"permanent redirect (HTTP {moved.status}) from {moved.url}")
        if target.id.startswith("links."):
            result.fix = {"field": f"{target.id}.url", "old": target.url, "new": new}
        return result, None
    hops = [h for h in probe.chain if h.location]
    if hops:
        kind = "expected redirect" if any(h.status in PERMANENT for h in hops) else "temporary redirect"
        result.notes.append(f"{kind}: {_observed(probe)}")
    if target.fragment and fragment_found is False:
        return missing_fragment(target, result, set()), None
    if target.fragment and fragment_found is None:
        if not is_html(probe.response):
            result.notes.append(f"#{target.fragment} not checked: the target is not HTML")
            return result, None
        ids = fragment_ids(probe.body)
        if not has_id(target.fragment, ids):
            if may_build_headings(probe.body):
                result.status, result.reason = Status.INCONCLUSIVE, f"#{target.fragment} not in the static HTML"
                return result, "fragment"
            return missing_fragment(target, result, ids), None
    return passages(target, probe, result, text)


def passages(target: LinkTarget, probe: Probe, result: Result, text: str | None = None) -> tuple[Result, Pending]:
    """The link's text directives (`#:~:text=…`): each passage must be on the page, as in a browser.

    `text` is the browser's visible text when Chromium loaded the page; else the static HTML's.
    """
    from checks.drift.passages import PageText, visible_text

    directives = target.text_directives
    if not directives:
        return result, None
    static = text is None
    if text is None:
        if not is_html(probe.response):
            result.notes.append("the text fragment was not checked: the target is not HTML")
            return result, None
        text = visible_text(probe.body)
    page = PageText(text)
    missing = [d for d in directives if not d.found_in(page)]
    if not missing:
        return result, None
    if static and may_build_headings(probe.body):
        result.status, result.reason = Status.INCONCLUSIVE, f"text {missing[0].describe()} not in the static HTML"
        return result, "fragment"
    result.status, result.reason = Status.DRIFT, ""
    shown = ", ".join(d.describe() for d in missing)
    result.observed = f"{result.observed}; no passage {shown} on the page"
    near = page.closest(missing[0].start + (" " + missing[0].end if missing[0].end else ""))
    now = f"; the closest passage now is “{near.text[:200]}”" if near else ""
    result.suggestion = f"the page no longer says {shown}{now}: update the link's text fragment {_fix_where(target)}"
    return result, None


def missing_fragment(target: LinkTarget, result: Result, ids: set[str]) -> Result:
    result.status = Status.DRIFT
    result.reason = ""
    result.observed = f"{result.observed}; no element id “{target.fragment}”"
    near = difflib.get_close_matches(target.fragment, sorted(ids), n=1, cutoff=0.5)
    better = f"; the nearest id on the page is “{near[0]}”" if near else ""
    result.suggestion = f"the page has no #{target.fragment}{better}: update the link {_fix_where(target)}"
    return result


def after_browser(target: LinkTarget, probe: Probe, result: Result, pending: Pending, visit: Visit) -> Result:
    """Settle what only the browser could: a bot wall or 403, or a fragment built by JavaScript."""
    shown = "no answer" if visit.status is None else f"HTTP {visit.status}"
    result.evidence += [f"Chromium followed a redirect: {redirect}" for redirect in visit.redirects]
    result.evidence.append(f"Chromium {probe.final_url} → {visit.error or visit.wall or shown} at {visit.final_url}")
    result.notes += visit.notes  # a write the page tried is blocked and noted; it is never drift
    if visit.error or visit.status is None:
        result.reason = f"{result.reason}; {visit.error or 'Chromium got no answer'}"
        return result
    if visit.wall:
        result.reason = f"{result.reason}; Chromium did not get past it either"
        return result
    if visit.final_url != probe.final_url and sign_in_reason(visit.final_url):
        result.reason = f"{result.reason}; in Chromium the page {sign_in_reason(visit.final_url)}"
        return result
    if visit.status in GONE:
        result.status = Status.DRIFT
        result.suggestion = (
            f"Chromium also gets HTTP {visit.status}: find the page's new address and update the link "
            f"{_fix_where(target)}"
        )
        return result
    if not visit.served:
        result.reason = f"{result.reason}; Chromium got HTTP {visit.status}"
        return result
    result.status, previous = Status.OK, result.reason
    result.reason = ""
    # The static ids help suggest a near one; a wall's probe holds the challenge page, not the page.
    static = pending == "fragment" and is_html(probe.response)
    ids = fragment_ids(probe.body) if static else set()
    if pending == "wall":
        result.observed = f"{result.observed} ({previous}); in Chromium {shown}"
        result.notes.append(f"{previous}; real Chromium got the page ({shown})")
        if target.fragment and visit.fragment_found is False:
            return missing_fragment(target, result, ids)
        found = visit.fragment_found if target.fragment else None
        return served(target, probe, result, found, visit.text)[0]
    if target.fragment and not visit.fragment_found:
        return missing_fragment(target, result, ids)
    if target.fragment and not has_id(target.fragment, ids):
        result.notes.append(f"#{target.fragment} is built by JavaScript: found in Chromium")
    return passages(target, probe, result, visit.text)[0]


# ==============================================================================================
# Check: the batch
# ==============================================================================================


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
        limits = httpx.Limits(
            max_connections=self.settings.concurrency, max_keepalive_connections=self.settings.concurrency
        )
        client = self._client or async_client(self.remapper, self.policy, limits)
        browser = self._browser or (
            ChromiumProbe(self.remapper, self.settings) if self.settings.browser else NoBrowser()
        )
        self.fetcher = Fetcher(client, self.remapper, self.policy, self.settings)
        try:
            results = await self._pass(targets)
            results = await self._final_pass(targets, results) if self.settings.recheck else results
            results = await self._browser_pass(targets, results, browser)
            results = await self._session_pass(targets, results)
        finally:
            if self._client is None:
                await client.aclose()
            if self._browser is None:
                await browser.aclose()
        self.wall_time = time.monotonic() - started
        return {target.id: finish(target, results[target.id][0]) for target in targets}

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
            first = results[target.id][0]
            result.evidence = [*first.evidence, "final pass:", *result.evidence]
            if result.status is Status.INCONCLUSIVE and pending is None:
                result.notes.append("still inconclusive on the final pass")
            else:
                result.notes.append(f"inconclusive at first ({first.reason}); settled on the final pass")
            results[target.id] = (result, pending, probe)
        return results

    async def _browser_pass(
        self, targets: list[LinkTarget], results: dict[str, tuple[Result, Pending, Probe]], browser: BrowserProbe
    ) -> dict[str, tuple[Result, Pending, Probe]]:
        waiting = [t for t in targets if results[t.id][1] is not None]
        visits: dict[tuple[str, str, bool], asyncio.Future[Visit]] = {}

        def key(target: LinkTarget, probe: Probe) -> tuple[str, str, bool]:
            return (probe.final_url, target.fragment, bool(target.text_directives))

        for target in waiting:
            probe = results[target.id][2]
            if key(target, probe) not in visits:
                visit = browser.visit(probe.final_url, target.fragment, text=bool(target.text_directives))
                visits[key(target, probe)] = asyncio.ensure_future(visit)
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
            browser = ChromiumProbe(self.remapper, self.settings, storage_state=self.session)
        visits: dict[tuple[str, str, bool], asyncio.Future[Visit]] = {}
        try:
            for target in waiting:
                key = (target.page_url, target.fragment, bool(target.text_directives))
                if key not in visits:
                    visit = browser.visit(target.page_url, target.fragment, text=bool(target.text_directives))
                    visits[key] = asyncio.ensure_future(visit)
            for target in waiting:
                result, _, probe = results[target.id]
                visit = await visits[(target.page_url, target.fragment, bool(target.text_directives))]
                results[target.id] = (after_sign_in(target, probe, result, visit), None, probe)
        finally:
            if self._signed_in is None:
                await browser.aclose()
        return results

    def host_stats(self) -> dict[str, HostStats]:
        return {} if self.fetcher is None else self.fetcher.host_stats()


NEEDS_SIGN_IN = "needs a signed-in session"


def after_sign_in(target: LinkTarget, probe: Probe, result: Result, visit: Visit) -> Result:
    """Settle a link behind sign-in with what the signed-in browser saw."""
    shown = "no answer" if visit.status is None else f"HTTP {visit.status}"
    result.evidence.append(
        f"signed-in Chromium {target.page_url} → {visit.error or visit.wall or shown} at {visit.final_url}"
    )
    result.notes += visit.notes
    if visit.error or visit.status is None:
        result.reason = f"{result.reason}; signed in: {visit.error or 'Chromium got no answer'}"
        return result
    if sign_in_reason(visit.final_url):
        result.reason = f"{result.reason}; even with the session (--storage-state): expired, or no access?"
        return result
    if visit.wall:
        result.reason = f"{result.reason}; signed in: {visit.wall}"
        return result
    if visit.status in GONE:
        result.status, result.reason = Status.DRIFT, ""
        result.suggestion = (
            f"signed in, the page answers HTTP {visit.status}: find its new address and update the link "
            f"{_fix_where(target)}"
        )
        return result
    if not visit.served:
        result.reason = f"{result.reason}; signed in: Chromium got {shown}"
        return result
    result.status, previous = Status.OK, result.reason
    result.reason = ""
    result.observed = f"{result.observed} ({previous}); signed in, {shown} at {visit.final_url}"
    result.notes.append("behind sign-in: verified in a browser signed in with the session (--storage-state)")
    if target.fragment and visit.fragment_found is False:
        return missing_fragment(target, result, set())
    return passages(target, probe, result, visit.text)[0] if visit.text is not None else result


def finish(target: LinkTarget, result: Result) -> Result:
    """Name the guide pages: fact usage for facts, the pages where readers click it otherwise."""
    steps = []
    if target.id.startswith("links."):
        from keyguide.usage import fact_usage

        steps = [Step(u.page, u.line, u.where) for u in fact_usage(target.id)]
    covered = {step.page for step in steps}
    steps += [Step(u.page, u.line, u.where) for u in target.uses if u.page not in covered]
    result.steps = steps
    result.pages = list(dict.fromkeys(step.page for step in steps))
    texts = list(dict.fromkeys(f"“{u.text}” on {u.page}" for u in target.uses if u.text))
    if texts:
        result.notes.append("linked as " + "; ".join(texts))
    return result


# ==============================================================================================
# Cache
# ==============================================================================================

CACHED_FIELDS = ("status", "expected", "observed", "suggestion", "reason", "evidence", "notes")


class LinkCache:
    """Ok and drift results by URL (and expected redirect), for `max_age` seconds. Never inconclusive:
    a network error cached is a network error never retried (lychee #1783)."""

    def __init__(self, path: Path, max_age: float, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.max_age = max_age
        self.clock = clock
        self.entries: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError, AttributeError, TypeError):
            self.entries = dict(json.loads(path.read_text(encoding="utf-8")).get("entries", {}))

    @staticmethod
    def key(target: LinkTarget) -> str:
        return json.dumps([target.url, target.expect_redirect_to])

    def get(self, target: LinkTarget) -> Result | None:
        entry = self.entries.get(self.key(target))
        if not entry or self.clock() - float(entry.get("checked_at", 0)) > self.max_age:
            return None
        try:
            fields = {name: entry["result"][name] for name in CACHED_FIELDS}
            status = Status(fields.pop("status"))
        except (KeyError, ValueError, TypeError):
            return None
        if status is Status.INCONCLUSIVE:
            return None
        result = Result(id=target.id, kind="link", status=status, url=target.url, **fields)
        checked = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(entry["checked_at"])))
        result.notes = [n for n in result.notes if not n.startswith("linked as ")]
        result.notes.append(f"from the link cache (checked {checked} UTC)")
        return result

    def put(self, target: LinkTarget, result: Result) -> None:
        if result.status is Status.INCONCLUSIVE:
            self.entries.pop(self.key(target), None)
            return
        data = {name: result.as_dict()[name] for name in CACHED_FIELDS}
        data["notes"] = [n for n in data["notes"] if not n.startswith(("linked as ", "from the link cache"))]
        self.entries[self.key(target)] = {"checked_at": self.clock(), "result": data}

    def save(self) -> None:
        now = self.clock()
        fresh = {k: v for k, v in self.entries.items() if now - float(v.get("checked_at", 0)) <= self.max_age}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": 1, "entries": fresh}, indent=1, ensure_ascii=False)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(self.path)


# ==============================================================================================
# Entry points
# ==============================================================================================


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


@dataclass
class Collected:
    targets: list[LinkTarget]
    build_error: str | None = None


def collect(facts: Facts, site_dir: Path | None = None, root: Path = ROOT) -> Collected:
    """Every link of the guide: from `site_dir` if given, else from a fresh strict build in a temp dir."""
    quotes = error_quotes(facts)
    internal = site_url(root)
    if site_dir is not None:
        links = collect_site_links(site_dir, quotes, internal, root / "docs")
        return Collected(collect_targets(facts, links))
    with tempfile.TemporaryDirectory(prefix="keyguide-site-") as tmp:
        try:
            build_site(Path(tmp) / "site", root)
        except (SiteBuildError, subprocess.TimeoutExpired) as exc:
            return Collected(collect_targets(facts, {}), str(exc))
        links = collect_site_links(Path(tmp) / "site", quotes, internal, root / "docs")
    return Collected(collect_targets(facts, links))
