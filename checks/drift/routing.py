"""Routing one browser request: the write guard, the remapping, and the redirect workaround.

Two browsers route every request they make through here: the UI checks' contexts (`ui.Guard`,
Playwright's sync API) and the link checker's re-check of bot walls and JavaScript-built fragments
(`links.ChromiumProbe`, the async API). This module holds everything that does not depend on which
API asked, so both give the same guarantees; the adapters only do the I/O with their route object.

* **Nothing is changed at OpenAI.** Every request with a method other than GET, HEAD or OPTIONS
  (the safe methods of RFC 9110 §9.2.1: they cannot create, save, delete or revoke) to an OpenAI
  host is aborted before it leaves the browser, and recorded.
* **Same code path live and offline.** Requests go through `Remapper.apply`, the suite's one
  remapping function; the browser keeps believing it is on the original URL. In a remapped run,
  requests outside OpenAI are aborted quietly: there is no network offline, and they are not the
  check's business either way.
* **A remapped redirect ends where a live one would.** A fulfilled 3xx is not routed again when
  Chromium follows it: the browser sends it to the real network (offline it fails; online it
  leaves the stand-in). So a navigation's redirect is answered with a small page that sets the
  redirect's cookies and moves on to the Location (`redirect_stub`; the loaders wait through it,
  see REDIRECT_HEADER), and a subresource's redirects are followed inside the route handler (a
  script's fetch has no page to move on). Locations are mapped back to original URLs first.
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin

from checks.drift.remap import Remapper

if TYPE_CHECKING:
    from keyguide.facts import Facts

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# OpenAI's own registrable domains: a write to any host under them is blocked, listed or not.
OPENAI_DOMAINS = ("openai.com", "chatgpt.com", "oaistatic.com", "oaiusercontent.com")
# Cloudflare's challenge endpoints on OpenAI's hosts: solving a bot challenge posts there. Those
# writes are blocked too (the check then ends as a bot wall, inconclusive) but are not the
# check's own doing, so they do not fail it.
CHALLENGE_PATH = "/cdn-cgi/"
# The header that marks a redirect stub, carrying the original-space Location: loaders wait until
# the browser is there, and judge the document they end up on, not the stub.
REDIRECT_HEADER = "x-keyguide-redirect"
MAX_REDIRECTS = 10
# Playwright's abort error codes: what the page sees for a refused request and a failed fetch.
ABORT_BLOCKED = "blockedbyclient"
ABORT_FAILED = "connectionfailed"


def url_host(url: str) -> str:
    """The host of an absolute URL, lower-case, without userinfo or port."""
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0].lower()


def is_openai_host(host: str, facts: Facts) -> bool:
    """OpenAI's hosts: the origins the facts list, and any host under OpenAI's domains."""
    host = host.lower()
    return any(host == d or host.endswith("." + d) for d in OPENAI_DOMAINS) or any(
        url_host(o) == host for o in facts.origins
    )


def same_document(a: str, b: str) -> bool:
    """Two URLs of one document (they differ at most in the #fragment)."""
    return a.split("#", 1)[0] == b.split("#", 1)[0]


# -- what to do with one request ------------------------------------------------------------------

DecisionKind = Literal["block_write", "block_challenge", "abort_quiet", "continue", "fetch"]


@dataclass(frozen=True)
class Decision:
    """What to do with one request. `target` is the URL to request (the remapped one for fetch).

    block_write / block_challenge / abort_quiet: abort it (ABORT_BLOCKED); continue: let the
    browser send it as it is; fetch: fetch `target` from the handler and fulfil with the answer
    (Playwright's `route.continue_` cannot change https to http, so remapped requests take this way).
    """

    kind: DecisionKind
    target: str

    @property
    def aborts(self) -> bool:
        return self.kind in ("block_write", "block_challenge", "abort_quiet")


def decide(method: str, url: str, remapper: Remapper, facts: Facts, block_writes: bool = True) -> Decision:
    """What to do with `method url` (an original-space URL); pure, so both adapters agree."""
    openai = is_openai_host(url_host(url), facts)
    target = remapper.apply(url)
    if openai and block_writes and method.upper() not in SAFE_METHODS:
        path = "/" + url.split("://", 1)[-1].partition("/")[2]
        return Decision("block_challenge" if path.startswith(CHALLENGE_PATH) else "block_write", target)
    if target != url:
        return Decision("fetch", target)
    if remapper and not openai:
        return Decision("abort_quiet", target)
    return Decision("continue", target)


def forwarded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request's headers for `route.fetch`: without Host (the remapped URL's own is used) and
    without HTTP/2 pseudo-headers (`:authority`, …), which are not headers a request may set."""
    return {k: v for k, v in headers.items() if k.lower() != "host" and not k.startswith(":")}


def next_hop_headers(headers: Mapping[str, str], url: str, location: str) -> dict[str, str]:
    """Headers for following a redirect from `url` to `location`: cookies stay on their own host."""
    if url_host(location) == url_host(url):
        return dict(headers)
    return {k: v for k, v in headers.items() if k.lower() != "cookie"}


def redirect_location(status: int, headers: Mapping[str, str], url: str, remapper: Remapper) -> str | None:
    """The original-space URL a 3xx answer to `url` sends the browser to, or None.

    `headers` are the answer's (lower-case names, as Playwright gives them). A relative Location,
    or one in remapped space (a stand-in that knows its own address), is resolved and mapped back.
    """
    location = headers.get("location")
    if not 300 <= status < 400 or not location:
        return None
    return remapper.original(urljoin(url, location.strip()))


def stub_location(headers: Mapping[str, str]) -> str | None:
    """Where a document answered with a redirect stub moves on to; None for any other document."""
    return headers.get(REDIRECT_HEADER)


@dataclass(frozen=True)
class Stub:
    """A page to fulfil a navigation's redirect with: `route.fulfill(status=…, headers=…, …)`."""

    location: str
    headers: dict[str, str]
    body: str
    status: int = 200
    content_type: str = "text/html"


def redirect_stub(location: str, headers_array: Iterable[Mapping[str, str]] = ()) -> Stub:
    """The page that stands in for a redirect to `location` (original space).

    It carries the redirect's cookies (each Set-Cookie of `headers_array`, the answer's headers as
    Playwright lists them) and replaces itself with the Location, so the browser ends up on the
    same URL, with the same cookies, as it would live. It is never cached, and its REDIRECT_HEADER
    tells loaders to wait until the browser is there.
    """
    headers = {REDIRECT_HEADER: location, "cache-control": "no-store"}
    cookies = [h["value"] for h in headers_array if h["name"].lower() == "set-cookie"]
    if cookies:
        headers["set-cookie"] = "\n".join(cookies)  # Playwright sends each line as its own header
    target = json.dumps(location).replace("</", "<\\/")
    body = (
        "<!doctype html><title>Redirecting…</title>"
        f"<script>location.replace({target})</script>"
        f'<noscript><a href="{html.escape(location)}">continue</a></noscript>'
    )
    return Stub(location, headers, body)


# -- one context's routing and what it did --------------------------------------------------------


@dataclass
class Router:
    """One browser context's routing: the decisions, and a record of what they did.

    `blocked` is the run's proof that nothing was changed: each entry is a write the browser tried
    and that never left it. `challenge` are blocked bot-challenge posts (not the check's doing),
    `quiet` requests outside OpenAI aborted in a remapped run, `failed` remapped requests that got
    no answer, `redirects` the redirects answered with a stub or followed in the handler.

    The adapters subclass it with their `install`/handler (ui.Guard, links.ProbeGuard). Install
    one on a context created with `service_workers="block"`: requests a service worker makes are
    not routed, so a worker could otherwise send what the guard would have stopped.
    """

    remapper: Remapper
    facts: Facts
    block_writes: bool = True
    blocked: list[str] = field(default_factory=list)
    challenge: list[str] = field(default_factory=list)
    quiet: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)
    # Writes blocked while the suite did something a person would do that is no check of the
    # guide (rejecting a cookie banner): still blocked, but not the check's doing.
    excused: list[str] = field(default_factory=list)
    _excuse: str | None = field(default=None, repr=False)

    @contextlib.contextmanager
    def excusing(self, why: str) -> Iterator[None]:
        """Within this block, a blocked write is noted as `excused` (with `why`), not as `blocked`."""
        self._excuse = why
        try:
            yield
        finally:
            self._excuse = None

    def decide(self, method: str, url: str) -> Decision:
        """`decide` for this context, recording the requests it aborts."""
        decision = decide(method, url, self.remapper, self.facts, self.block_writes)
        record = {"block_write": self.blocked, "block_challenge": self.challenge, "abort_quiet": self.quiet}
        if decision.kind == "block_write" and self._excuse:
            self.excused.append(f"{method} {url} ({self._excuse})")
        elif decision.kind in record:
            record[decision.kind].append(f"{method} {url}")
        return decision

    def redirected(self, status: int, url: str, location: str) -> None:
        self.redirects.append(f"{status} {url} → {location}")

    def hop(
        self, method: str, status: int, url: str, location: str, headers: Mapping[str, str]
    ) -> tuple[Decision, dict[str, str]]:
        """One redirect a handler follows itself (a subresource's): recorded, and decided like a
        request of its own, so a redirect cannot lead a request past the guard; its headers."""
        self.redirected(status, url, location)
        return self.decide(method, location), next_hop_headers(headers, url, location)

    def failure(self, method: str, url: str, message: str) -> None:
        self.failed.append(f"{method} {url}: {message.splitlines()[0] if message else 'failed'}")

    def notes(self, limit: int = 5) -> list[str]:
        """What the routing did that a reader of a result may want to know, but that is no failure."""
        return (
            [f"aborted outside OpenAI (offline run): {request}" for request in self.quiet[:limit]]
            + [f"blocked a bot-challenge post: {request}" for request in self.challenge[:limit]]
            + [f"blocked a write, not the check's doing: {request}" for request in self.excused[:limit]]
        )

    def handling(self, method: str, url: str, navigation: bool) -> Generator[Op, Any, None]:
        """How one request is handled, as the I/O steps it needs: the one route handler shape.

        Both Playwright APIs run the same steps: `drive_sync` (the UI checks) and `drive_async` (the
        link checker's browser) perform each `Op` on their route and send back its result; a failed
        fetch comes back as the exception, thrown in here.
        """
        from playwright.sync_api import Error as PlaywrightError  # one class for both APIs

        decision = self.decide(method, url)
        if decision.aborts:
            yield Op("abort", ABORT_BLOCKED)
            return
        if decision.kind == "continue":
            yield Op("continue")
            return
        headers = forwarded_headers((yield Op("headers")))
        answer: Any
        try:
            answer = yield Op("fetch", decision.target, headers)
            location = redirect_location(answer.status, answer.headers, url, self.remapper)
            if location is not None and not navigation:
                # A subresource's redirects are followed here: a script's fetch has no page to move on.
                hop_url = url
                for _ in range(MAX_REDIRECTS):
                    decision, headers = self.hop(method, answer.status, hop_url, location, headers)
                    if decision.aborts:
                        yield Op("abort", ABORT_BLOCKED)
                        return
                    hop_url, answer = location, (yield Op("fetch", decision.target, headers))
                    location = redirect_location(answer.status, answer.headers, hop_url, self.remapper)
                    if location is None:
                        break
                else:
                    self.failure(method, hop_url, f"more than {MAX_REDIRECTS} redirects")
                    yield Op("abort", ABORT_FAILED)
                    return
        except PlaywrightError as exc:
            self.failure(method, url, exc.message)
            yield Op("abort", ABORT_FAILED)
            return
        if location is None:
            yield Op("fulfill", answer)
            return
        self.redirected(answer.status, url, location)
        yield Op("stub", redirect_stub(location, answer.headers_array))


@dataclass(frozen=True)
class Op:
    """One I/O step of handling a request: abort(code), continue, headers, fetch(target, headers),
    fulfill(answer) or stub(Stub)."""

    kind: Literal["abort", "continue", "headers", "fetch", "fulfill", "stub"]
    arg: Any = None
    headers: Mapping[str, str] | None = None


def _perform(op: Op, route: Any, timeout_ms: float) -> Any:
    """Start `op` on `route`: the call's result (a coroutine on the async API)."""
    if op.kind == "abort":
        return route.abort(op.arg)
    if op.kind == "continue":
        return route.continue_()
    if op.kind == "headers":
        return route.request.all_headers()
    if op.kind == "fetch":
        return route.fetch(url=op.arg, headers=dict(op.headers or {}), max_redirects=0, timeout=timeout_ms)
    if op.kind == "fulfill":
        return route.fulfill(response=op.arg)
    stub: Stub = op.arg
    return route.fulfill(status=stub.status, headers=stub.headers, content_type=stub.content_type, body=stub.body)


def drive_sync(steps: Generator[Op, Any, None], route: Any, timeout_ms: float) -> None:
    """Run a handling on Playwright's sync API."""
    from playwright.sync_api import Error as PlaywrightError

    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = steps.throw(error) if error is not None else steps.send(reply)
        except StopIteration:
            return
        reply, error = None, None
        try:
            reply = _perform(op, route, timeout_ms)
        except PlaywrightError as exc:
            if op.kind != "fetch":
                raise
            error = exc


async def drive_async(steps: Generator[Op, Any, None], route: Any, timeout_ms: float) -> None:
    """Run a handling on Playwright's async API: the same steps, each awaited."""
    from playwright.async_api import Error as PlaywrightError

    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = steps.throw(error) if error is not None else steps.send(reply)
        except StopIteration:
            return
        reply, error = None, None
        try:
            reply = await _perform(op, route, timeout_ms)
        except PlaywrightError as exc:
            if op.kind != "fetch":
                raise
            error = exc
