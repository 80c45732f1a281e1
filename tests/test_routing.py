"""Routing a browser request (checks/drift/routing.py) and its two adapters.

`decide` is pure, so every kind is tested directly; the redirect Location and the redirect stub too.
Both adapters (ui.Guard on Playwright's sync API, links.ProbeGuard on the async one) are driven
with the same fake route to show they do the same thing; then real Chromium shows the link
checker's browser loads a page behind a redirect in a remapped run and stops a page's own write.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from checks.drift.links import ChromiumProbe, LinkChecker, LinkSettings, LinkTarget, ProbeGuard, run_sync
from checks.drift.outcomes import Status
from checks.drift.remap import Remapper
from checks.drift.routing import (
    ABORT_BLOCKED,
    ABORT_FAILED,
    REDIRECT_HEADER,
    SAFE_METHODS,
    Router,
    decide,
    forwarded_headers,
    is_openai_host,
    next_hop_headers,
    redirect_location,
    redirect_stub,
    url_host,
)
from checks.drift.ui import Guard
from checks.standin import Fault, StandIn, remap_pairs
from keyguide.facts import load_facts

FACTS = load_facts()
BASE = "http://127.0.0.1:8700"
REMAPPED = Remapper(tuple(remap_pairs(BASE, list(FACTS.origins))))
LIVE = Remapper()
API_KEYS_POST = "https://platform.openai.com/v1/dashboard/api_keys"
SLUGGED = FACTS.links["find_api_key_help"]  # the stand-in answers 301 to number + slug
SLUG = "https://help.openai.com/en/articles/4936850-where-do-i-find-my-openai-api-key"
SETTINGS = LinkSettings(recheck_delay=0.05, challenge_wait=6.0, browser_timeout=10.0, fragment_wait=2.0)


# -- decide: one request, one decision --------------------------------------------------------------


@pytest.mark.parametrize("remapper", [REMAPPED, LIVE], ids=["remapped", "live"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "post"])
def test_a_write_to_an_openai_origin_is_blocked(remapper: Remapper, method: str) -> None:
    assert decide(method, API_KEYS_POST, remapper, FACTS).kind == "block_write"


@pytest.mark.parametrize(
    "url",
    [
        "https://chatgpt.com/backend-api/conversation",
        "https://chat.openai.com/backend-api/x",  # under openai.com, not an origin the facts list
        "https://cdn.oaistatic.com/upload",
        "https://files.oaiusercontent.com/f",
    ],
)
def test_a_write_to_any_host_under_openai_domains_is_blocked(url: str) -> None:
    assert url_host(url) not in {url_host(origin) for origin in FACTS.origins}
    assert decide("POST", url, REMAPPED, FACTS).kind == "block_write"
    assert decide("POST", url, LIVE, FACTS).kind == "block_write"


def test_a_bot_challenge_post_is_blocked_apart() -> None:
    url = "https://platform.openai.com/cdn-cgi/challenge-platform/h/b/flow"
    assert decide("POST", url, REMAPPED, FACTS).kind == "block_challenge"
    assert decide("POST", url, LIVE, FACTS).kind == "block_challenge"


@pytest.mark.parametrize("method", sorted(SAFE_METHODS))
def test_safe_methods_to_openai_are_let_through(method: str) -> None:
    remapped = decide(method, API_KEYS_POST, REMAPPED, FACTS)
    assert remapped.kind == "fetch" and remapped.target == f"{BASE}/platform.openai.com/v1/dashboard/api_keys"
    assert decide(method, API_KEYS_POST, LIVE, FACTS).kind == "continue"


def test_remapped_get_is_fetched_from_the_remapped_url() -> None:
    decision = decide("GET", "https://help.openai.com/en/articles/4936850?x=1#top", REMAPPED, FACTS)
    assert decision.kind == "fetch" and not decision.aborts
    assert decision.target == f"{BASE}/help.openai.com/en/articles/4936850?x=1#top"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_requests_outside_openai_are_aborted_quietly_offline_and_let_through_live(method: str) -> None:
    for url in ("https://telemetry.example.com/t", "https://openai.com.evil.example/x", "https://notopenai.com/"):
        assert decide(method, url, REMAPPED, FACTS).kind == "abort_quiet"
        assert decide(method, url, LIVE, FACTS).kind == "continue"


def test_writes_are_let_through_when_not_guarded() -> None:
    """`block_writes=False` is for `python -m checks.login`: a person signing in posts forms."""
    assert decide("POST", API_KEYS_POST, REMAPPED, FACTS, block_writes=False).kind == "fetch"
    assert decide("POST", API_KEYS_POST, LIVE, FACTS, block_writes=False).kind == "continue"


def test_openai_hosts() -> None:
    assert is_openai_host("API.OpenAI.com", FACTS) and is_openai_host("chatgpt.com", FACTS)
    assert not is_openai_host("openai.com.evil.example", FACTS) and not is_openai_host("notopenai.com", FACTS)
    assert url_host("https://user:pw@Platform.OpenAI.com:443/a?b#c") == "platform.openai.com"
    assert url_host("https://help.openai.com?x") == "help.openai.com"


def test_the_router_records_what_it_aborts() -> None:
    router = Router(REMAPPED, FACTS)
    router.decide("POST", API_KEYS_POST)
    router.decide("POST", "https://platform.openai.com/cdn-cgi/challenge-platform/h/b/flow")
    router.decide("GET", "https://telemetry.example.com/t")
    router.decide("GET", "https://platform.openai.com/")
    assert router.blocked == [f"POST {API_KEYS_POST}"]
    assert router.challenge == ["POST https://platform.openai.com/cdn-cgi/challenge-platform/h/b/flow"]
    assert router.quiet == ["GET https://telemetry.example.com/t"]
    assert router.notes() == [
        "aborted outside OpenAI (offline run): GET https://telemetry.example.com/t",
        "blocked a bot-challenge post: POST https://platform.openai.com/cdn-cgi/challenge-platform/h/b/flow",
    ]


# -- headers, redirects and the redirect stub -----------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (SLUG, SLUG),  # already in original space (what the stand-in sends)
        ("/en/articles/4936850-slug", "https://help.openai.com/en/articles/4936850-slug"),  # relative
        (f"{BASE}/help.openai.com/en/articles/1", "https://help.openai.com/en/articles/1"),  # remapped space
        (f"{BASE}/auth.openai.com/log-in?x=1", "https://auth.openai.com/log-in?x=1"),  # another origin
    ],
)
def test_a_redirect_location_is_given_in_original_space(location: str, expected: str) -> None:
    url = "https://help.openai.com/en/articles/4936850"
    assert redirect_location(301, {"location": location}, url, REMAPPED) == expected


def test_only_a_3xx_with_a_location_is_a_redirect() -> None:
    url = "https://help.openai.com/en/articles/4936850"
    assert redirect_location(200, {"location": SLUG}, url, REMAPPED) is None
    assert redirect_location(304, {}, url, REMAPPED) is None


def test_forwarded_headers_leave_host_and_pseudo_headers_out() -> None:
    headers = {"host": "platform.openai.com", ":authority": "platform.openai.com", "cookie": "a=1", "accept": "*/*"}
    assert forwarded_headers(headers) == {"cookie": "a=1", "accept": "*/*"}


def test_cookies_do_not_follow_a_redirect_to_another_host() -> None:
    headers = {"cookie": "session=1", "accept": "*/*"}
    url = "https://platform.openai.com/a"
    assert next_hop_headers(headers, url, "https://platform.openai.com/b") == headers
    assert next_hop_headers(headers, url, "https://auth.openai.com/log-in") == {"accept": "*/*"}


def test_the_redirect_stub_moves_on_with_the_cookies() -> None:
    location = "https://auth.openai.com/log-in?next=</script><b>"
    cookies = [{"name": "Set-Cookie", "value": "a=1; Path=/"}, {"name": "set-cookie", "value": "b=2"}]
    stub = redirect_stub(location, [*cookies, {"name": "content-type", "value": "text/html"}])
    assert stub.status == 200 and stub.content_type == "text/html"
    assert stub.headers == {REDIRECT_HEADER: location, "cache-control": "no-store", "set-cookie": "a=1; Path=/\nb=2"}
    assert 'location.replace("https://auth.openai.com/log-in?next=<\\/script><b>")' in stub.body
    assert "</script><b>" not in stub.body  # the Location cannot end the script or add markup
    assert redirect_stub(SLUG).headers == {REDIRECT_HEADER: SLUG, "cache-control": "no-store"}


# -- the adapters: the same fake route, the same calls ---------------------------------------------


class FakeAnswer:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.headers = headers or {}
        self.headers_array = [{"name": k, "value": v} for k, v in self.headers.items()]


class FakeRoute:
    """A route whose fetches are answered from `answers` (by URL); it records every call."""

    def __init__(self, method: str, url: str, answers: dict[str, FakeAnswer], navigation: bool = False) -> None:
        self.answers = answers
        self.calls: list[tuple[str, Any]] = []
        self.request = self
        self.method, self.url, self.navigation = method, url, navigation

    def is_navigation_request(self) -> bool:
        return self.navigation

    def all_headers(self) -> dict[str, str]:
        return {"host": url_host(self.url), "cookie": "session=1"}

    def fetch(self, *, url: str, headers: dict[str, str], max_redirects: int, timeout: float) -> FakeAnswer:
        assert max_redirects == 0  # the adapter follows, in original space
        self.calls.append(("fetch", (url, sorted(headers))))
        return self.answers[url]

    def abort(self, code: str) -> None:
        self.calls.append(("abort", code))

    def continue_(self) -> None:
        self.calls.append(("continue", None))

    def fulfill(self, **kwargs: Any) -> None:
        self.calls.append(("fulfill", kwargs.get("response") or kwargs["headers"]))


class AsyncFakeRoute(FakeRoute):
    """The same route on the async API: every call is awaited."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("all_headers", "fetch", "abort", "continue_", "fulfill"):
            setattr(self, name, self._awaitable(getattr(super(), name)))

    @staticmethod
    def _awaitable(call: Any) -> Any:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return call(*args, **kwargs)

        return wrapper


def handle(adapter: str, route_args: tuple[Any, ...], **kwargs: Any) -> tuple[list[tuple[str, Any]], Router]:
    """Route one request through the named adapter; the route's calls and the adapter's record."""
    if adapter == "sync":
        guard: Router = Guard(REMAPPED, FACTS)
        route: FakeRoute = FakeRoute(*route_args, **kwargs)
        guard._handle(route, route)  # type: ignore[attr-defined]
    else:
        guard = ProbeGuard(REMAPPED, FACTS)
        route = AsyncFakeRoute(*route_args, **kwargs)
        # On a worker thread's loop: Playwright's sync API (test_ui.py) may hold this thread's.
        run_sync(guard._handle(route))  # type: ignore[attr-defined]
    return route.calls, guard


ADAPTERS = pytest.mark.parametrize("adapter", ["sync", "async"])
ARTICLE = SLUGGED.url
REMAPPED_ARTICLE = f"{BASE}/help.openai.com/en/articles/4936850"
REMAPPED_SLUG = f"{BASE}/help.openai.com/en/articles/4936850-where-do-i-find-my-openai-api-key"


@ADAPTERS
def test_adapters_block_a_write_without_fetching(adapter: str) -> None:
    calls, guard = handle(adapter, ("POST", API_KEYS_POST, {}))
    assert calls == [("abort", ABORT_BLOCKED)] and guard.blocked == [f"POST {API_KEYS_POST}"]


@ADAPTERS
def test_adapters_answer_a_navigation_redirect_with_a_stub(adapter: str) -> None:
    answers = {REMAPPED_ARTICLE: FakeAnswer(301, {"location": SLUG, "set-cookie": "a=1"})}
    calls, guard = handle(adapter, ("GET", ARTICLE, answers), navigation=True)
    assert calls == [
        ("fetch", (REMAPPED_ARTICLE, ["cookie"])),
        ("fulfill", {REDIRECT_HEADER: SLUG, "cache-control": "no-store", "set-cookie": "a=1"}),
    ]
    assert guard.redirects == [f"301 {ARTICLE} → {SLUG}"]


@ADAPTERS
def test_adapters_follow_a_subresource_redirect_themselves(adapter: str) -> None:
    final = FakeAnswer(200)
    answers = {REMAPPED_ARTICLE: FakeAnswer(301, {"location": SLUG}), REMAPPED_SLUG: final}
    calls, guard = handle(adapter, ("GET", ARTICLE, answers))
    assert calls == [
        ("fetch", (REMAPPED_ARTICLE, ["cookie"])),
        ("fetch", (REMAPPED_SLUG, ["cookie"])),
        ("fulfill", final),
    ]
    assert guard.redirects == [f"301 {ARTICLE} → {SLUG}"]


@ADAPTERS
def test_adapters_do_not_let_a_redirect_lead_past_the_guard(adapter: str) -> None:
    """Offline, a redirect out of OpenAI is aborted like any request there: it has no network."""
    answers = {REMAPPED_ARTICLE: FakeAnswer(302, {"location": "https://tracker.example.com/p"})}
    calls, guard = handle(adapter, ("GET", ARTICLE, answers))
    assert calls == [("fetch", (REMAPPED_ARTICLE, ["cookie"])), ("abort", ABORT_BLOCKED)]
    assert guard.quiet == ["GET https://tracker.example.com/p"]


@ADAPTERS
def test_adapters_abort_a_redirect_loop(adapter: str) -> None:
    answers = {REMAPPED_ARTICLE: FakeAnswer(302, {"location": ARTICLE})}
    calls, guard = handle(adapter, ("GET", ARTICLE, answers))
    assert calls[-1] == ("abort", ABORT_FAILED) and [call for call, _ in calls].count("fetch") == 11
    assert guard.failed == [f"GET {ARTICLE}: more than 10 redirects"] and len(guard.redirects) == 10


# -- the link checker's browser, for real ----------------------------------------------------------

PAGE_PATH = "/keyguide-routing-test"
# A page whose own script posts to OpenAI (and fetches a redirecting article as a subresource); the
# ids it adds say what happened, so the link's #fragment can only be found once both have settled.
POSTING_PAGE = f"""<!doctype html><title>Posting page</title><body><h1>Posting page</h1><script>
Promise.all([
  fetch("{API_KEYS_POST}", {{method: "POST", body: "{{}}"}}).then(() => "sent", () => "blocked"),
  fetch("{ARTICLE}").then((r) => "http-" + r.status, () => "failed"),
]).then(([post, article]) => {{
  for (const id of ["post-" + post, "article-" + article]) {{
    const p = document.createElement("p"); p.id = id; document.body.append(p);
  }}
}});
</script></body>"""


class PostingSite(ThreadingHTTPServer):
    """A tiny site outside the stand-in that serves POSTING_PAGE and records any write it gets."""

    writes: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: PostingSite

    def do_GET(self) -> None:
        body = POSTING_PAGE.encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        self.server.writes.append(f"POST {self.path}")
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def posting_site() -> Iterator[PostingSite]:
    server = PostingSite(("127.0.0.1", 0), _Handler)
    server.writes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def posting_remapper(standin: StandIn, site: PostingSite) -> Remapper:
    """The stand-in's remaps, and the posting page in place of one path of help.openai.com."""
    page = f"http://127.0.0.1:{site.server_address[1]}{PAGE_PATH}"
    return Remapper.parse([f"https://help.openai.com{PAGE_PATH}={page}", *standin.remaps])


def visit(remapper: Remapper, url: str, fragment: str = "") -> Any:
    async def main() -> Any:
        probe = ChromiumProbe(remapper, SETTINGS, FACTS)
        try:
            return await probe.visit(url, fragment)
        finally:
            await probe.aclose()

    return run_sync(main())


@pytest.mark.browser
def test_the_link_browser_loads_a_page_behind_a_redirect_offline(standin: StandIn) -> None:
    """A fulfilled 301 is not routed again: without the stub, Chromium left for the real network."""
    seen = visit(Remapper.parse(standin.remaps), ARTICLE)
    assert seen.error is None and seen.wall is None, seen
    assert seen.status == 200 and seen.final_url == SLUG
    assert seen.redirects == [f"301 {ARTICLE} → {SLUG}"]
    assert SLUG in [r.url for r in standin.requests.all()]  # the slug page came from the stand-in


@pytest.mark.browser
def test_a_bot_wall_that_passes_into_a_redirect_is_ok(standin: StandIn) -> None:
    """The browser re-check's job end to end: past the challenge, through the redirect, to the page."""
    standin.faults.inject(Fault(kind="bot_challenge", route=ARTICLE, passes_browser=True))
    target = LinkTarget("links.under_test", ARTICLE, SLUGGED.expect_redirect_to)
    result = run_sync(LinkChecker(Remapper.parse(standin.remaps), settings=SETTINGS).run([target]))[target.id]
    assert result.status is Status.OK, result.message()
    assert f"Chromium followed a redirect: 301 {ARTICLE} → {SLUG}" in result.evidence
    assert result.evidence[-1] == f"Chromium {ARTICLE} → HTTP 200 at {SLUG}"


@pytest.mark.browser
def test_the_link_browser_blocks_a_pages_own_write_and_it_is_no_drift(
    standin: StandIn, posting_site: PostingSite
) -> None:
    remapper = posting_remapper(standin, posting_site)
    url = f"https://help.openai.com{PAGE_PATH}"
    seen = visit(remapper, url, "post-blocked")
    assert seen.fragment_found is True, seen  # the POST failed in the page: it never left the browser
    assert seen.notes == [
        "Chromium: the page tried to change something at OpenAI; the suite blocked it (not drift): "
        f"POST {API_KEYS_POST}"
    ]
    assert visit(remapper, url, "article-http-200").fragment_found is True  # a redirected fetch, followed

    # Through the checker: the #fragment is built by the page's script, so the browser settles it.
    target = LinkTarget("links.under_test", f"{url}#post-blocked")
    result = run_sync(LinkChecker(remapper, settings=SETTINGS).run([target]))[target.id]
    assert result.status is Status.OK, result.message()
    assert any(note.endswith(f"blocked it (not drift): POST {API_KEYS_POST}") for note in result.notes)
    assert posting_site.writes == []
    assert [f"{r.method} {r.url}" for r in standin.requests.all() if r.method not in SAFE_METHODS] == []
