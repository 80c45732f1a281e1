"""The stand-in's ASGI app: every origin under `/{host}/…`, faults first, then the facts' answer.

A request for `{base}/platform.openai.com/x?y` is handled as `https://platform.openai.com/x?y`
(its ORIGINAL-space URL); every Location and href sent back is in original space too. Route faults
are checked in the order listed in `faults.py`, then built-in redirects, the sign-in wall, the API
and the pages. `/_standin/faults` and `/_standin/requests` are the control interface.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from checks.standin.api import injected_error, new_call, serve_api
from checks.standin.faults import FaultBook, Target, resolve_with_facts
from checks.standin.pages import (
    ElementState,
    RenderPlan,
    render_challenge,
    render_error,
    render_generic,
    render_page,
    render_signin,
    signin_location,
)
from checks.standin.requestlog import RequestLog, RequestRecord, masked_headers
from checks.standin.sitemap import SESSION_COOKIE, SIGNIN_URL, Page, SiteMap, build_sitemap, host_of, page_key
from checks.standin.sources import serve_source, with_quotes
from checks.standin.watched import serve_watched
from keyguide.facts import Facts, load_facts

CONTROL_PREFIX = "/_standin"
CALLBACK_PATH = "/auth/callback"
CLEARANCE_COOKIE = "cf_clearance"
CLEARANCE_TOKEN = "standin-clearance"
EXPIRED_SESSION = "expired"
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass
class StandInState:
    """What the app reads at each request; shared with the StandIn object in the test thread."""

    facts: Facts | None = None  # None: load_facts() at each request (cached), so edits show up
    generic_pages: bool = False
    canary: str | None = None
    requests: RequestLog = field(default_factory=RequestLog)
    in_flight: dict[str, int] = field(default_factory=dict)  # requests being answered, per host
    open_requests: int = 0  # requests not yet logged and answered (StandIn.settle waits for 0)
    closing: threading.Event = field(default_factory=threading.Event)
    faults: FaultBook = field(init=False)
    _site: SiteMap | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.faults = FaultBook(resolve=lambda fault: resolve_with_facts(fault, self.site()))

    def site(self) -> SiteMap:
        facts = self.facts or load_facts()
        site = self._site
        if site is None or site.facts is not facts:
            site = self._site = build_sitemap(facts)
        return site

    async def sleep(self, seconds: float) -> None:
        """Wait, but give up as soon as the server is stopping (so stop() stays fast)."""
        deadline = time.monotonic() + seconds
        while not self.closing.is_set() and (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.05))


def split_original(scope: Scope) -> tuple[str, str]:
    """(host, original URL) for a request to `/{host}/{path}`; the path stays percent-encoded."""
    raw = scope.get("raw_path") or scope["path"].encode()
    host, _, rest = raw.decode("latin-1").lstrip("/").partition("/")
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"https://{unquote(host)}/{rest}"
    return unquote(host), f"{url}?{query}" if query else url


class _Dropped(Response):
    """No response at all: the connection is aborted, so the client sees a protocol error."""

    def __init__(self, abort: Callable[[], None] | None) -> None:
        super().__init__()
        self.abort = abort

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.get("standin.record", lambda _status: None)(None)
        if self.abort is None:
            raise ConnectionAbortedError("drop fault: server gives no transport to abort")
        self.abort()
        for _ in range(3):  # let the loop run connection_lost, so uvicorn logs no error
            await asyncio.sleep(0)


class RecordingMiddleware:
    """Outermost layer: logs each served request and exposes the transport for `drop`."""

    def __init__(self, app: ASGIApp, state: StandInState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        scope["standin.abort"] = transport.abort if transport is not None else None
        if scope["path"].startswith(CONTROL_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        started, wall = time.monotonic(), time.time()
        recorded = False

        def record(status: int | None) -> None:
            """Log the request once, before its answer leaves (so a client never outruns the log)."""
            nonlocal recorded
            if recorded:
                return
            recorded = True
            self.state.requests.add(
                RequestRecord(
                    method=scope["method"],
                    url=split_original(scope)[1],
                    headers=masked_headers(scope["headers"]),
                    status=status,
                    time=wall,
                    duration=time.monotonic() - started,
                )
            )

        async def recording_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])
            await send(message)

        scope["standin.record"] = record
        self.state.open_requests += 1
        try:
            await self.app(scope, receive, recording_send)
        finally:
            record(None)
            self.state.open_requests -= 1


def _html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store", **(headers or {})})


def _redirect(location: str, status: int) -> Response:
    return RedirectResponse(location, status_code=status)


def _valid_session(request: Request) -> bool:
    return request.cookies.get(SESSION_COOKIE) not in (None, "", EXPIRED_SESSION)


def _error_answer(request: Request, site: SiteMap, host: str, url: str, status: int) -> Response:
    if host in site.api_hosts:
        return injected_error(new_call(request, site.facts), status)
    return _html(render_error(status, url), status)


async def _route_faults(request: Request, state: StandInState, site: SiteMap, host: str, url: str) -> Response | None:
    """The first route fault that answers this request, or None (latency only delays)."""
    faults = state.faults
    for fault in faults.take_url("crowd_limit", url, every=True):
        if state.in_flight.get(host, 0) > (fault.limit or 4):
            answer = _error_answer(request, site, host, url, 429)
            answer.headers["retry-after"] = f"{fault.seconds or 0:g}"
            return answer
    delay = sum(f.seconds or 0 for f in faults.take_url("latency", url, every=True))
    if delay:
        await state.sleep(delay)
    if faults.take_url("drop", url):
        return _Dropped(request.scope.get("standin.abort"))
    cleared = request.cookies.get(CLEARANCE_COOKIE) == CLEARANCE_TOKEN
    challenge = faults.take("bot_challenge", lambda f, t: t.matches(url) and not (cleared and f.passes_browser))
    if challenge:
        headers = {"cf-mitigated": "challenge", "server": "cloudflare", "cf-ray": secrets.token_hex(8) + "-AMS"}
        body = render_challenge(host, passes_browser=challenge[0].passes_browser, token=CLEARANCE_TOKEN)
        return _html(body, challenge[0].status or 403, headers)
    for kind in ("retry_after", "server_error"):
        for fault in faults.take_url(kind, url):
            answer = _error_answer(request, site, host, url, fault.status or 500)
            if kind == "retry_after":
                answer.headers["retry-after"] = f"{fault.seconds or 0:g}"
            return answer
    for fault in faults.take_url("status", url):
        if (fault.status or 0) >= 400:
            return _error_answer(request, site, host, url, fault.status or 500)
        request.state.status_override = fault.status
    for fault in faults.take_url("redirect", url):
        return _redirect(urljoin(url, fault.location or "/"), fault.status or 301)
    if faults.take_url("signin_wall", url):
        return _redirect(signin_location(url), 302)
    if request.method == "HEAD" and faults.take_url("head_refused", url):
        return Response(status_code=405, headers={"allow": "GET"})
    return None


def _plan(site: SiteMap, page: Page, faults: FaultBook) -> RenderPlan:
    """Element faults for one render of `page`, used up as they apply."""
    facts = site.facts
    plan = RenderPlan()
    for fault in faults.peek("move", lambda f, _t: page_key(f.to_url or "") == page.url):
        moved = fault.fact.rpartition(".")[2] if fault.fact else ""
        plan.moved_in += [moved, *(fid for fid, ui in facts.ui.items() if ui.inside == moved)]
    for fid in [*page.ui_ids, *plan.moved_in]:
        ui = facts.ui[fid]

        def on(_f: Any, t: Target, fid: str = fid) -> bool:
            return t.ui_id == fid

        if faults.take("remove", on) or (fid in page.ui_ids and faults.take("move", on)):
            continue
        state = ElementState(ui.name, ui.role)
        for fault in faults.take("rename", on):
            state.name = fault.name or state.name
        for fault in faults.take("role", on):
            state.role = fault.role or state.role
        for fault in faults.take("slow_render", on):
            state.delay = fault.seconds
        for fault in faults.take("plant", on):
            state.planted += fault.texts or []
        for fault in faults.take("control_added", on):
            state.added.append((fault.role or "button", fault.name or "New control"))
        plan.states[fid] = state
    for fault in faults.peek("data_set", lambda _f, _t: True):
        plan.data_set = fault.name or plan.data_set
    plan.js_fragment = bool(faults.take_url("js_fragment", page.url))
    for fault in faults.take_url("consent", page.url):
        plan.consent_reject = bool(fault.reject)
    fragments: list[str | None] = []

    def stripped(_f: Any, t: Target) -> bool:
        if t.matches(page.url):
            fragments.append(t.fragment)
            return True
        return False

    faults.take("missing_fragment", stripped, every=True)
    plan.strip_ids.update(f for f in fragments if f)
    plan.strip_all_ids = None in fragments
    return plan


async def serve(request: Request) -> Response:
    state: StandInState = request.app.state.standin
    site = state.site()
    host, url = split_original(request.scope)
    state.in_flight[host] = state.in_flight.get(host, 0) + 1  # this request included (crowd_limit)
    try:
        answer = await _route_faults(request, state, site, host, url)
        if answer is None:
            answer = _serve_normally(request, state, site, host, url)
    finally:
        state.in_flight[host] -= 1
    override = getattr(request.state, "status_override", None)
    if override is not None:
        answer.status_code = override
    return answer


def _serve_normally(request: Request, state: StandInState, site: SiteMap, host: str, url: str) -> Response:
    key = page_key(url)
    if host in site.api_hosts:
        return serve_api(request, request.url.path.removeprefix(f"/{host}"), site, state.faults, url)
    sourced = serve_watched(site, state.faults, url)  # a changelog or release notes facts.yml watches
    if sourced is None:
        sourced = serve_source(site, state.faults, url)  # a page only a fact's source cites, a .md twin, a raw file
    if sourced is not None:
        return sourced
    if host not in site.known_hosts:
        return _html(render_generic(url)) if state.generic_pages else _html(render_error(404, url), 404)
    if key == SIGNIN_URL:
        return _html(render_signin(_callback_url(site), request.query_params.get("return_to", "")))
    if host in site.signin_hosts and key == f"https://{host}{CALLBACK_PATH}":
        return _sign_in(request, site)
    redirect = site.redirects.get(key)
    if redirect is not None:
        return _redirect(redirect.location, redirect.status)
    page = site.page(url)
    if page is None:
        return _html(render_generic(url)) if state.generic_pages else _html(render_error(404, url), 404)
    signed_in = _valid_session(request)
    if page.signed_in and not signed_in:
        return _redirect(signin_location(url), 302)
    if request.method not in ("GET", "HEAD"):
        return Response(status_code=405, headers={"allow": "GET, HEAD"})
    plan = _plan(site, page, state.faults)
    html = render_page(site, page, plan, signed_in=signed_in, canary=state.canary)
    return _html(with_quotes(html, site, page.url, state.faults))


def _callback_url(site: SiteMap) -> str:
    host = sorted(site.signin_hosts)[0] if site.signin_hosts else host_of(SIGNIN_URL)
    return f"https://{host}{CALLBACK_PATH}"


def _sign_in(request: Request, site: SiteMap) -> Response:
    """The end of the sign-in form: set a session cookie and go back where the user came from."""
    return_to = request.query_params.get("return_to", "")
    if host_of(return_to) not in site.known_hosts:
        return_to = _callback_url(site).removesuffix(CALLBACK_PATH) + "/"
    response = _redirect(return_to, 302)
    response.set_cookie(SESSION_COOKIE, "signed-in", path="/", httponly=True, samesite="lax")
    return response


async def control_faults(request: Request) -> Response:
    state: StandInState = request.app.state.standin
    if request.method == "DELETE":
        count = len(state.faults)
        state.faults.clear()
        return JSONResponse({"cleared": count})
    if request.method == "POST":
        try:
            payload = await request.json()
            for item in payload if isinstance(payload, list) else [payload]:
                state.faults.inject(item)
        except (ValueError, ValidationError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse(state.faults.snapshot(), status_code=201)
    return JSONResponse(state.faults.snapshot())


async def control_requests(request: Request) -> Response:
    state: StandInState = request.app.state.standin
    if request.method == "DELETE":
        state.requests.clear()
        return JSONResponse({"cleared": True})
    return JSONResponse([r.to_json() for r in state.requests])


def build_app(state: StandInState) -> ASGIApp:
    app = Starlette(
        routes=[
            Route(f"{CONTROL_PREFIX}/faults", control_faults, methods=["GET", "POST", "DELETE"]),
            Route(f"{CONTROL_PREFIX}/requests", control_requests, methods=["GET", "DELETE"]),
            Route("/{host}", serve, methods=_METHODS),
            Route("/{host}/{path:path}", serve, methods=_METHODS),
        ]
    )
    app.state.standin = state
    return RecordingMiddleware(app, state)
