"""The local OpenAI stand-in: agrees with the facts by default, and each fault does what it says."""

from __future__ import annotations

import json
import re
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urljoin

import httpx
import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from checks.standin import (
    SESSION_COOKIE,
    SIGNIN_URL,
    STANDIN_ORG_ID,
    STANDIN_PROJECT_ID,
    TEST_KEYS,
    Fault,
    StandIn,
    mask_key,
    standin_storage_state,
)
from checks.standin.__main__ import run as run_cli
from keyguide.facts import ErrorFact, Facts, Role, Source, UiFact, load_facts

FACTS = load_facts()
MODELS = FACTS.url("models")
ME = FACTS.url("me")
API_KEYS = FACTS.url("api_keys")
QUICKSTART = FACTS.url("quickstart")
REFERENCE = FACTS.url("api_reference_auth").split("#")[0]
SESSION = {SESSION_COOKIE: "test"}
LONG_KEY = "sk-proj-" + "A1b2C3d4" * 8 + "T3BlbkFJ" + "x9Y8z7W6" * 8 + "MxYA"


# -- clients that remap original URLs to the stand-in, as the drift suite's clients do ----------


class RemapTransport(httpx.BaseTransport):
    """Sends https://host/path to {base}/host/path; redirects stay in original space."""

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        remapped = httpx.Request(
            request.method,
            self.standin.url(str(request.url)),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return self.inner.handle_request(remapped)


@contextmanager
def client_for(standin: StandIn, **kwargs: Any) -> Iterator[httpx.Client]:
    with httpx.Client(transport=RemapTransport(standin), timeout=5, **kwargs) as client:
        yield client


@pytest.fixture
def http(standin: StandIn) -> Iterator[httpx.Client]:
    with client_for(standin) as client:
        yield client


@pytest.fixture
def signed_in(standin: StandIn) -> Iterator[httpx.Client]:
    """A client with a valid stand-in session cookie."""
    with client_for(standin, cookies=SESSION) as client:
        yield client


def soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def named(page: BeautifulSoup, tag: str, name: str) -> list[Any]:
    """Elements `tag` whose visible text is `name` (outside hidden sections)."""
    return [e for e in page.find_all(tag) if e.get_text(strip=True) == name and not e.find_parent(hidden=True)]


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


def assert_matches_fact(response: httpx.Response, fact: ErrorFact) -> None:
    error = error_of(response)
    assert response.status_code == fact.status
    assert fact.type_pattern().match(error["type"]), error
    assert error["code"] == fact.code
    assert fact.message_pattern().match(error["message"]), error["message"]
    assert "{" not in error["message"], "a placeholder was left unfilled"
    assert response.headers["x-request-id"].startswith("req_")


# -- API ---------------------------------------------------------------------------------------


def test_no_key_serves_missing_api_key(http: httpx.Client) -> None:
    assert_matches_fact(http.get(MODELS), FACTS.errors["missing_api_key"])


@pytest.mark.parametrize(("key", "error_id"), sorted(TEST_KEYS.items()))
def test_test_keys_serve_their_error_fact(http: httpx.Client, key: str, error_id: str) -> None:
    for url in (MODELS, ME):
        response = http.get(url, headers={"Authorization": f"Bearer {key}"})
        assert_matches_fact(response, FACTS.errors[error_id])
        assert response.headers["openai-organization"] == STANDIN_ORG_ID


def test_every_error_fact_is_served_by_fact_key(http: httpx.Client) -> None:
    for error_id, fact in FACTS.errors.items():
        response = http.get(MODELS, headers={"Authorization": f"Bearer sk-standin-fact-{error_id}"})
        assert_matches_fact(response, fact)


def test_rate_limit_key_sends_retry_after_and_ratelimit_headers(http: httpx.Client) -> None:
    response = http.get(MODELS, headers={"Authorization": "Bearer sk-standin-ratelimit"})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-ratelimit-remaining-tokens"] == "0"
    assert error_of(response)["type"] in ("tokens", "requests")


def test_invalid_key_is_masked_like_openai(http: httpx.Client) -> None:
    response = http.get(MODELS, headers={"Authorization": f"Bearer {LONG_KEY}"})
    assert_matches_fact(response, FACTS.errors["invalid_api_key"])
    message = error_of(response)["message"]
    assert LONG_KEY not in message and "T3BlbkFJ" not in message
    assert f"sk-proj-{'*' * (len(LONG_KEY) - 12)}MxYA." in message


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("sk-proj-abcdefghijklmnopMxYA", "sk-proj-****************MxYA"),
        ("sk-svcacct-abcdefghijklWXYZ", "sk-svcacct-************WXYZ"),
        ("sk-abcdefghijklmnopqrstuvwx", "sk-" + "*" * 20 + "uvwx"),
        ("not-a-key-at-all-1234", "*" * 17 + "1234"),
        ("sk-proj-short", "sk-proj-short"),
        ("hello", "hello"),
    ],
)
def test_mask_key(key: str, masked: str) -> None:
    assert mask_key(key) == masked


def test_ok_key_lists_models_with_openai_headers(http: httpx.Client) -> None:
    response = http.get(MODELS, headers={"Authorization": "Bearer sk-standin-ok-123"})
    assert response.status_code == 200
    body = response.json()
    endpoint = FACTS.api["models"]
    assert body["object"] == endpoint.object  # type: ignore[union-attr]
    assert body["data"], "the list must not be empty"
    for item in body["data"]:
        assert set(endpoint.item_fields) <= set(item)  # type: ignore[union-attr]
        assert item["object"] == "model" and item["shutdown_date"] is None
    for header in ("openai-organization", "openai-project", "openai-processing-ms", "openai-version", "x-request-id"):
        assert response.headers[header]
    assert response.headers["x-ratelimit-limit-requests"].isdigit()


def test_ok_key_on_me_returns_the_user(http: httpx.Client) -> None:
    body = http.get(ME, headers={"Authorization": "Bearer sk-standin-ok"}).json()
    assert body["object"] == "user" and body["id"]
    assert body["orgs"]["object"] == "list"
    assert body["orgs"]["data"][0]["id"] == STANDIN_ORG_ID


def test_organization_and_project_headers_are_honoured(http: httpx.Client) -> None:
    good = {"Authorization": "Bearer sk-standin-ok", "OpenAI-Organization": STANDIN_ORG_ID}
    assert http.get(MODELS, headers={**good, "OpenAI-Project": STANDIN_PROJECT_ID}).status_code == 200
    wrong_org = http.get(MODELS, headers={**good, "OpenAI-Organization": "org-someoneelse"})
    assert_matches_fact(wrong_org, FACTS.errors["mismatched_organization"])
    wrong_project = http.get(MODELS, headers={**good, "OpenAI-Project": "proj_other"})
    assert wrong_project.status_code == 401 and error_of(wrong_project)["code"] == "mismatched_project"


def test_unknown_api_path_is_invalid_url(http: httpx.Client) -> None:
    response = http.get("https://api.openai.com/v1/nothing-here")
    assert response.status_code == 404
    assert error_of(response)["message"] == "Invalid URL (GET /v1/nothing-here)"


def test_error_code_fault_overrides_the_fact_n_times(standin: StandIn, http: httpx.Client) -> None:
    standin.faults.inject(Fault(kind="error_code", fact="errors.missing_api_key", code="missing_key", times=2))
    for _ in range(2):
        assert error_of(http.get(MODELS))["code"] == "missing_key"
    assert error_of(http.get(MODELS))["code"] is None
    assert standin.faults.active() == []
    standin.faults.inject(Fault(kind="error_code", fact="invalid_api_key", status=403, message="Gone: {masked_key}"))
    response = http.get(MODELS, headers={"Authorization": "Bearer sk-whatever-1234567890"})
    assert response.status_code == 403
    assert error_of(response)["message"] == f"Gone: {mask_key('sk-whatever-1234567890')}"


def test_edited_facts_change_what_is_served() -> None:
    edited = FACTS.errors["missing_api_key"].model_copy(update={"code": "no_key", "status": 400})
    facts = FACTS.model_copy(update={"errors": {**FACTS.errors, "missing_api_key": edited}})
    with StandIn(facts=facts) as standin, client_for(standin) as client:
        response = client.get(MODELS)
    assert response.status_code == 400 and error_of(response)["code"] == "no_key"


# -- pages, redirects, the sign-in wall ------------------------------------------------------------


def test_every_link_fact_serves_its_page_and_fragments(standin: StandIn) -> None:
    with client_for(standin, cookies=SESSION, follow_redirects=True) as client:
        for fact_id, link in FACTS.links.items():
            response = client.get(link.url)
            assert response.status_code == 200, fact_id
            assert str(response.url).startswith("https://"), "the stand-in must answer in original space"
            page = soup(response)
            if link.expect_redirect_to is None:
                assert page.title is not None and page.title.string == link.title, fact_id
            fragment = link.url.partition("#")[2]
            if fragment:
                assert page.find(id=fragment) is not None, f"{fact_id}: no #{fragment}"
            for anchor in page.find_all("a", href=True):
                assert anchor["href"].startswith("https://"), anchor


def test_heading_facts_on_docs_pages_have_ids(http: httpx.Client) -> None:
    for fact_id, ui in FACTS.ui.items():
        if ui.role == "heading" and not ui.signed_in:
            heading = named(soup(http.get(ui.url)), "h2", ui.name)
            assert heading and heading[0].get("id"), fact_id


@pytest.mark.parametrize("fact_id", [k for k, v in FACTS.links.items() if v.expect_redirect_to])
def test_redirect_facts_answer_a_permanent_redirect(http: httpx.Client, signed_in: httpx.Client, fact_id: str) -> None:
    link = FACTS.links[fact_id]
    response = http.get(link.url)
    assert response.status_code in (301, 308)
    location = response.headers["location"]
    assert location.startswith(link.expect_redirect_to or "") and location != link.url
    assert signed_in.head(location).status_code == 200


def test_head_is_get_without_body(http: httpx.Client) -> None:
    get, head = http.get(QUICKSTART), http.head(QUICKSTART)
    assert head.status_code == get.status_code == 200
    assert head.content == b"" and head.headers["content-length"] == get.headers["content-length"]


def test_unknown_paths_are_404_unless_generic_pages(http: httpx.Client) -> None:
    assert http.get("https://developers.openai.com/api/docs/no-such-page").status_code == 404
    assert http.get("https://bench-07.example/a/b").status_code == 404
    with StandIn(generic_pages=True) as standin, client_for(standin) as client:
        response = client.get("https://bench-07.example/a/b?x=1")
        assert response.status_code == 200 and "<title>" in response.text
        assert client.get(QUICKSTART).status_code == 200


def test_signed_in_pages_need_a_session(standin: StandIn, http: httpx.Client, signed_in: httpx.Client) -> None:
    with client_for(standin, cookies={SESSION_COOKIE: "expired"}) as expired:
        for client in (http, expired):
            response = client.get(API_KEYS)
            assert response.status_code == 302
            assert response.headers["location"].startswith(f"{SIGNIN_URL}?return_to=https%3A%2F%2Fplatform.openai.com")
    assert signed_in.get(API_KEYS).status_code == 200
    assert http.get(FACTS.url("platform_home")).status_code == 200, "the platform home is public"


def test_sign_in_page_and_its_form_set_a_session(standin: StandIn) -> None:
    with client_for(standin, follow_redirects=True) as client:
        response = client.get(API_KEYS)
        assert str(response.url).startswith(SIGNIN_URL)
        page = soup(response)
        assert named(page, "h1", "Welcome back") and named(page, "button", "Continue")
        assert page.find("label", string="Email") is not None
        form = page.find("form")
        assert form is not None and form["method"] == "get"
        fields = {i["name"]: i.get("value", "") for i in form.find_all("input")}
        after = client.get(form["action"], params={**fields, "email": "a@example.com"})
        assert str(after.url) == API_KEYS and after.status_code == 200


def test_canary_key_is_shown_on_the_api_keys_page(standin: StandIn, signed_in: httpx.Client) -> None:
    assert "canary-123" not in signed_in.get(API_KEYS).text
    standin.canary = "canary-123"
    assert "canary-123" in signed_in.get(API_KEYS).text


def test_storage_state_files(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    standin_storage_state(path, expired=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cookie = json.loads(path.read_text())["cookies"][0]
    assert (cookie["name"], cookie["value"], cookie["domain"]) == (SESSION_COOKIE, "expired", "platform.openai.com")
    assert standin_storage_state()["cookies"][0]["value"] != "expired"


# -- faults, over HTTP ----------------------------------------------------------------------------


def test_element_faults_change_the_static_html(standin: StandIn, signed_in: httpx.Client) -> None:
    standin.faults.inject(Fault(kind="rename", fact="ui.create_key_button", name="Create API key"))
    standin.faults.inject(Fault(kind="role", fact="ui.api_keys_nav", role="button"))
    standin.faults.inject(Fault(kind="remove", fact="ui.verify_organization"))
    keys = soup(signed_in.get(API_KEYS))
    assert named(keys, "button", "Create API key") and not named(keys, "button", "Create new secret key")
    general = soup(signed_in.get(FACTS.url("organization_settings")))
    assert named(general, "button", "API keys") and not named(general, "a", "API keys")
    assert not named(general, "button", "Verify Organization")
    standin.faults.clear()
    general = soup(signed_in.get(FACTS.url("organization_settings")))
    assert named(general, "a", "API keys") and named(general, "button", "Verify Organization")


def test_move_fault_moves_the_element_to_another_page(standin: StandIn, signed_in: httpx.Client) -> None:
    limits = FACTS.url("limits")
    standin.faults.inject(Fault(kind="move", fact="ui.create_key_button", to_url=limits))
    assert not named(soup(signed_in.get(API_KEYS)), "button", "Create new secret key")
    moved = soup(signed_in.get(limits))
    assert named(moved, "button", "Create new secret key")
    assert moved.find("dialog", attrs={"aria-label": "Create new secret key"}) is not None, "its dialog moves too"
    with pytest.raises(ValueError, match="not a page the facts name"):
        standin.faults.inject(Fault(kind="move", fact="ui.create_key_button", to_url="https://openai.com/nowhere"))


@pytest.mark.parametrize("status", [404, 410, 500])
def test_status_fault(standin: StandIn, http: httpx.Client, status: int) -> None:
    standin.faults.inject(Fault(kind="status", fact="links.quickstart", status=status))
    assert http.get(QUICKSTART).status_code == status
    assert http.get(FACTS.url("rate_limits")).status_code == 200, "a fact fault targets that page only"


def test_redirect_fault_sends_an_original_space_location(standin: StandIn, http: httpx.Client) -> None:
    standin.faults.inject(Fault(kind="redirect", route=QUICKSTART, location="/api/docs/start", status=308))
    response = http.get(QUICKSTART)
    assert response.status_code == 308
    assert response.headers["location"] == "https://developers.openai.com/api/docs/start"


def test_latency_fault_delays_a_whole_host(standin: StandIn, http: httpx.Client) -> None:
    standin.faults.inject(Fault(kind="latency", route="https://developers.openai.com", seconds=0.3))
    started = time.monotonic()
    assert http.get(QUICKSTART).status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("route", "url", "matches"),
    [
        ("https://bench-07.example", "https://bench-07.example/a?b=1", True),
        ("https://bench-07.example", "https://bench-07.example", True),
        ("https://bench-07.example", "https://bench-07.examples/a", False),
        ("https://developers.openai.com/api/docs", "https://developers.openai.com/api/docs/quickstart", True),
        ("https://developers.openai.com/api/docs", "https://developers.openai.com/api/docs-old", False),
        ("https://openai.com/api/pricing/#x", "https://openai.com/api/pricing/?ref=1", True),
        ("https://openai.com", "https://platform.openai.com/", False),
    ],
)
def test_routes_match_whole_path_segments(standin: StandIn, route: str, url: str, matches: bool) -> None:
    standin.faults.inject(Fault(kind="head_refused", route=route))
    assert bool(standin.faults.take_url("head_refused", url)) is matches


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_n_times_then_success(standin: StandIn, http: httpx.Client, status: int) -> None:
    standin.faults.inject(Fault(kind="retry_after", route=QUICKSTART, times=3, seconds=2, status=status))
    for _ in range(3):
        response = http.get(QUICKSTART)
        assert (response.status_code, response.headers["retry-after"]) == (status, "2")
    assert http.get(QUICKSTART).status_code == 200
    assert [r.status for r in standin.requests] == [status, status, status, 200]


def test_server_error_on_the_api_is_an_openai_body(standin: StandIn, http: httpx.Client) -> None:
    standin.faults.inject(Fault(kind="server_error", fact="api.models", times=2, status=502))
    for _ in range(2):
        response = http.get(MODELS)
        assert response.status_code == 502 and error_of(response)["type"] == "server_error"
    assert http.get(MODELS).status_code == 401


def test_drop_fault_closes_the_connection(standin: StandIn, http: httpx.Client) -> None:
    standin.faults.inject(Fault(kind="drop", route=QUICKSTART, times=1))
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(QUICKSTART)
    assert http.get(QUICKSTART).status_code == 200
    assert [r.status for r in standin.requests] == [None, 200]


def test_bot_challenge_stops_scripted_clients(standin: StandIn, http: httpx.Client) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", route="https://help.openai.com"))
    response = http.get(FACTS.url("help_center"))
    assert response.status_code == 403
    assert response.headers["cf-mitigated"] == "challenge"
    assert soup(response).title.string == "Just a moment..."  # type: ignore[union-attr]


def test_head_refused_fault(standin: StandIn, http: httpx.Client) -> None:
    standin.faults.inject(Fault(kind="head_refused", route=QUICKSTART))
    assert http.head(QUICKSTART).status_code == 405
    assert http.get(QUICKSTART).status_code == 200


def test_signin_wall_fault_applies_even_with_a_session(standin: StandIn, signed_in: httpx.Client) -> None:
    standin.faults.inject(Fault(kind="signin_wall", route="https://developers.openai.com/api"))
    response = signed_in.get(QUICKSTART)
    assert response.status_code == 302 and response.headers["location"].startswith(SIGNIN_URL)


def test_fragment_faults(standin: StandIn, http: httpx.Client) -> None:
    assert soup(http.get(REFERENCE)).find(id="authentication") is not None
    standin.faults.inject(Fault(kind="missing_fragment", fact="links.api_reference_auth", times=1))
    page = soup(http.get(REFERENCE))
    assert page.find(id="authentication") is None and named(page, "h2", "Authentication")
    standin.faults.inject(Fault(kind="js_fragment", route=REFERENCE))
    raw = http.get(REFERENCE).text
    assert 'id="authentication"' not in raw and ">Authentication<" not in raw


def test_invalid_faults_are_refused(standin: StandIn) -> None:
    with pytest.raises(ValueError, match="needs name"):
        Fault(kind="rename", fact="ui.create_key_button")
    with pytest.raises(ValueError, match="exactly one of route or fact"):
        Fault(kind="status", status=404)
    with pytest.raises(ValueError, match=r"no fact ui\.create_key_buton"):
        standin.faults.inject(Fault(kind="remove", fact="ui.create_key_buton"))


def test_control_interface(standin: StandIn, http: httpx.Client) -> None:
    with httpx.Client(base_url=standin.base_url) as control:
        fault = {"kind": "status", "fact": "links.quickstart", "status": 410, "times": 2}
        created = control.post("/_standin/faults", json=fault)
        assert created.status_code == 201
        assert control.get("/_standin/faults").json()[0]["remaining"] == 2
        assert http.get(QUICKSTART, headers={"User-Agent": "drift-check/1"}).status_code == 410
        assert control.get("/_standin/faults").json()[0]["remaining"] == 1
        assert control.post("/_standin/faults", json={"kind": "nope"}).status_code == 422
        assert control.delete("/_standin/faults").json() == {"cleared": 1}
        assert http.get(QUICKSTART, headers={"Authorization": f"Bearer {LONG_KEY}"}).status_code == 200
        log = control.get("/_standin/requests").json()
    assert (log[0]["url"], log[0]["status"], log[0]["user_agent"]) == (QUICKSTART, 410, "drift-check/1")
    assert LONG_KEY not in json.dumps(log) and log[1]["headers"]["authorization"] == f"Bearer {mask_key(LONG_KEY)}"


# -- lifecycle and command ------------------------------------------------------------------------


def test_start_and_stop_twice_quickly() -> None:
    started = time.monotonic()
    standin = StandIn()
    for _ in range(2):
        with standin, client_for(standin) as client:
            assert client.get(QUICKSTART).status_code == 200
        with pytest.raises(RuntimeError):
            _ = standin.base_url
    with StandIn() as other:
        assert other.remap_pairs[0] == ("https://platform.openai.com", f"{other.base_url}/platform.openai.com")
        # Every origin, plus the hosts only sources cite (raw.githubusercontent.com): checks/standin/sources.py.
        assert [src for src, _ in other.remap_pairs][: len(FACTS.origins)] == [o.rstrip("/") for o in FACTS.origins]
        assert all(src.startswith("https://") for src, _ in other.remap_pairs[len(FACTS.origins) :])
    assert time.monotonic() - started < 3


def test_stop_does_not_wait_for_slow_responses() -> None:
    standin = StandIn().start()
    standin.faults.inject(Fault(kind="latency", route="https://developers.openai.com", seconds=30))
    with client_for(standin) as client, pytest.raises(httpx.ReadTimeout):
        client.get(QUICKSTART, timeout=0.2)
    started = time.monotonic()
    standin.stop()
    assert time.monotonic() - started < 2


def test_settle_waits_for_a_request_still_being_answered(standin: StandIn) -> None:
    """Tests share one stand-in: a slow answer (one a client gave up on, say) is logged only when it is
    done, so the fixture settles first (else it lands in the next test's log)."""
    standin.faults.inject(Fault(kind="latency", route="https://developers.openai.com", seconds=0.5))
    with client_for(standin) as client:
        answer = threading.Thread(target=lambda: client.get(QUICKSTART, timeout=10), daemon=True)
        answer.start()
        deadline = time.monotonic() + 5
        while standin.settle(timeout=0) and time.monotonic() < deadline:  # until the server has it
            time.sleep(0.01)
        assert not standin.settle(timeout=0.05), "the slow request is being answered"
        assert standin.requests.find(url_prefix="https://developers.openai.com") == []  # not logged yet
        assert standin.settle(timeout=3)
        assert [r.status for r in standin.requests.find(url_prefix="https://developers.openai.com")] == [200]
        answer.join(timeout=5)


def test_command_prints_remaps_and_injects_faults(capsys: pytest.CaptureFixture[str]) -> None:
    fault = json.dumps({"kind": "status", "fact": "links.quickstart", "status": 404})
    assert run_cli(["--port", "0", "--fault", fault], wait=lambda: None) == 0
    out = capsys.readouterr().out
    assert "--remap https://platform.openai.com=http://127.0.0.1:" in out
    assert run_cli(["--port", "0", "--fault", '{"kind": "rename"}'], wait=lambda: None) == 2


# -- in Chromium ---------------------------------------------------------------------------------


@contextmanager
def browser_context(browser: Browser, standin: StandIn, *, expired: bool | None = False) -> Iterator[BrowserContext]:
    """A context whose requests go to the stand-in (None: no session cookie at all).

    Playwright does not route the next hop of a redirect it was given by `route.fulfill`
    (microsoft/playwright#39480), so the handler follows redirects itself and fulfills the last
    answer; the hops are kept on `context.hops`.
    """
    state = None if expired is None else standin_storage_state(expired=expired)
    context = browser.new_context(storage_state=state)  # type: ignore[arg-type]
    hops: list[tuple[int, str]] = []

    def remap(route: Route) -> None:
        url = route.request.url
        if not url.startswith("https://"):
            route.continue_()
            return
        for _ in range(10):
            response = route.fetch(url=standin.url(url), max_redirects=0)
            location = response.headers.get("location")
            if not (300 <= response.status < 400 and location):
                break
            url = urljoin(url, location)
            hops.append((response.status, url))
        route.fulfill(response=response)

    context.hops = hops  # type: ignore[attr-defined]
    context.route("**/*", remap)
    context.set_default_timeout(5000)
    try:
        yield context
    finally:
        context.close()


def aria_names(snapshot: str) -> list[str]:
    """Accessible names in a Playwright ARIA snapshot (`- role "name"` lines)."""
    return re.findall(r'^\s*- \w+ "((?:[^"\\]|\\.)*)"', snapshot, re.MULTILINE)


@pytest.mark.browser
def test_every_ui_fact_is_found_by_role_and_name(browser: Browser, standin: StandIn) -> None:
    """Each auto ui fact is visible by role and exact name, and its name is on no other element."""
    standin.canary = "canary-not-a-key"  # the key table must not add look-alike names either
    auto = {k: v for k, v in FACTS.ui.items() if v.check == "auto"}
    with browser_context(browser, standin) as context:
        page = context.new_page()
        for url in dict.fromkeys(ui.url for ui in auto.values()):
            page.goto(url)
            names = aria_names(page.locator("body").aria_snapshot())
            for fact_id, ui in auto.items():
                if ui.url == url and ui.inside is None:
                    expect(page.get_by_role(ui.role, name=ui.name, exact=True), fact_id).to_be_visible()
                    assert names.count(ui.name) == 1, f"{fact_id}: {ui.name!r} is on {names.count(ui.name)} elements"
            for opener_id in dict.fromkeys(ui.inside for ui in auto.values() if ui.url == url and ui.inside):
                opener = FACTS.ui[opener_id]
                page.get_by_role(opener.role, name=opener.name, exact=True).click()
                dialog_names = aria_names(page.get_by_role("dialog").aria_snapshot())
                for fact_id, ui in auto.items():
                    if ui.inside == opener_id:
                        expect(page.get_by_role(ui.role, name=ui.name, exact=True), fact_id).to_be_visible()
                        assert dialog_names.count(ui.name) == 1, fact_id
                        assert ui.name not in names, f"{fact_id}: {ui.name!r} is also outside its dialog"
                page.keyboard.press("Escape")
    assert all(r.method == "GET" for r in standin.requests)


@pytest.mark.browser
def test_slow_render_and_renamed_dialog_field(browser: Browser, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="slow_render", fact="ui.create_key_button", seconds=0.3))
    standin.faults.inject(Fault(kind="rename", fact="ui.key_name", name="Key name"))
    with browser_context(browser, standin) as context:
        page = context.new_page()
        served = page.goto(API_KEYS)
        button = page.get_by_role("button", name="Create new secret key", exact=True)
        expect(page.get_by_role("heading", name="API keys", exact=True)).to_be_visible()
        # Absent until its script runs: not in the page as served (a DOM check would race the timer).
        assert served is not None and "data-standin-slot" in served.text()
        as_served = BeautifulSoup(served.text(), "html.parser").find_all("button")
        assert not [b for b in as_served if b.get_text(strip=True) == "Create new secret key"]
        button.click()
        expect(page.get_by_role("textbox", name="Key name", exact=True)).to_be_visible()
        assert page.get_by_role("textbox", name="Name", exact=True).count() == 0


@pytest.mark.browser
@pytest.mark.parametrize("passes", [True, False])
def test_bot_challenge_in_a_browser(browser: Browser, standin: StandIn, passes: bool) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", route=QUICKSTART, passes_browser=passes))
    with browser_context(browser, standin) as context:
        page = context.new_page()
        page.goto(QUICKSTART)
        title = FACTS.links["quickstart"].title if passes else "Just a moment..."
        if passes:
            expect(page).to_have_title(title)
        else:
            page.wait_for_timeout(400)
            assert page.title() == title


@pytest.mark.browser
def test_js_fragment_exists_only_in_the_browser(browser: Browser, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="js_fragment", route=REFERENCE))
    with browser_context(browser, standin) as context:
        page = context.new_page()
        page.goto(FACTS.url("api_reference_auth"))
        expect(page.locator("#authentication")).to_have_text("Authentication")


@pytest.mark.browser
@pytest.mark.parametrize("expired", [True, None])
def test_expired_or_missing_session_lands_on_sign_in(browser: Browser, standin: StandIn, expired: bool | None) -> None:
    with browser_context(browser, standin, expired=expired) as context:
        page: Page = context.new_page()
        page.goto(API_KEYS)
        assert context.hops[0][0] == 302 and context.hops[0][1].startswith(SIGNIN_URL)  # type: ignore[attr-defined]
        expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
        expect(page.get_by_role("textbox", name="Email")).to_be_visible()
        expect(page.get_by_role("button", name="Continue")).to_be_visible()


def facts_with_every_role() -> tuple[Facts, str]:
    """The facts plus a docs page holding one ui fact per ARIA role the schema allows."""
    url = "https://developers.openai.com/api/docs/every-role"
    source = Source(ref="test fixture", confidence="Inf")
    extra = {
        f"sample_{role}": UiFact(url=url, role=role, name=f"Sample {role}", source=source) for role in get_args(Role)
    }
    extra["sample_opener"] = UiFact(url=url, role="button", name="Open sample", safe_to_open=True, source=source)
    extra["sample_field"] = UiFact(url=url, role="textbox", name="Inside", inside="sample_opener", source=source)
    return FACTS.model_copy(update={"ui": {**FACTS.ui, **extra}}), url


@pytest.mark.browser
def test_a_new_fact_of_any_role_is_served(browser: Browser) -> None:
    facts, url = facts_with_every_role()
    with StandIn(facts=facts) as standin, browser_context(browser, standin) as context:
        standin.faults.inject(Fault(kind="rename", fact="ui.sample_menuitem", name="Renamed item"))
        page = context.new_page()
        page.goto(url)
        for role in get_args(Role):
            name = "Renamed item" if role == "menuitem" else f"Sample {role}"
            expect(page.get_by_role(role, name=name, exact=True), role).to_be_visible()
        expect(page.get_by_role("textbox", name="Inside", exact=True)).to_be_hidden()
        page.get_by_role("button", name="Open sample", exact=True).click()
        expect(page.get_by_role("textbox", name="Inside", exact=True)).to_be_visible()
