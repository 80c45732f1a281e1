"""UI drift checks: every button, field and heading the guide names, found by role and accessible name.

A person following "select **Create new secret key**" looks for a button with that label; so does
the check (`get_by_role(role, name=…, exact=True)`, visible, with Playwright's auto-wait). When it
is missing, the evidence says what to write instead: a screenshot, the names of the other elements
of that role, the nearest one, a role that changed, or the other page the element moved to.

Three guarantees hold for every browser context the suite opens (`Guard.install`); the first two
are checks/drift/routing.py's, shared with the link checker's browser:

* **Nothing is changed at OpenAI.** Every request with a method other than GET, HEAD or OPTIONS
  to an OpenAI host is aborted before it leaves the browser, and recorded so the check that
  caused it fails.
* **Same code path live and offline.** Requests go through `Remapper.apply`, the suite's one
  remapping function; the browser keeps believing it is on https://platform.openai.com. (A
  fulfilled 3xx is not routed again when Chromium follows it, so a remapped redirect is answered
  with a small page that sets its cookies and moves on: the browser still ends up on the
  original-space URL a live redirect would show, sign-in page included; `load` waits through it.)
* **No key on screen.** An init script masks key-shaped text in the DOM before it is painted, so
  no screenshot or trace frame shows one; traces are also rewritten through the redactor.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIResponse, BrowserContext, Locator, Page, Request, Route
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response as PageResponse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from checks.drift.outcomes import Result, Status, bot_wall_reason, sign_in_reason, status_reason
from checks.drift.quirks import (
    CONSENT_ACCEPT_LABELS,
    CONSENT_CONTAINERS,
    CONSENT_REJECT_LABELS,
    CONSENT_WORDS,
    button_name_pattern,
)
from checks.drift.redact import KEY_SHAPE, SECRET_ENV_VARS, Redactor, current_redactor
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
from keyguide.facts import Facts, UiFact

DEFAULT_STORAGE_STATE = Path(".auth/openai.storage-state.json")
STORAGE_STATE_ENV = "KEYGUIDE_STORAGE_STATE"
NEEDS_SESSION = "needs a signed-in session"
# Roles one control can swap between in a redesign ("link → button"); a table's column header
# that happens to say "Name" is not the Name field with a new role.
ROLE_FAMILIES = (
    frozenset({"button", "link", "menuitem", "menuitemcheckbox", "menuitemradio", "tab", "option", "switch"}),
    frozenset({"checkbox", "radio", "switch", "menuitemcheckbox", "menuitemradio", "option"}),
    frozenset({"textbox", "searchbox", "combobox", "spinbutton", "slider"}),
    frozenset({"heading"}),
    frozenset({"dialog", "alertdialog", "navigation", "radiogroup", "listbox", "menu", "menubar", "tablist", "group"}),
    frozenset({"img"}),
)


def related_roles(role: str) -> frozenset[str]:
    """The roles `role` may have turned into."""
    return frozenset().union(*(family for family in ROLE_FAMILIES if role in family)) - {role}


def add_options(group: pytest.OptionGroup) -> None:
    """Command-line options of the ui checks; called by the drift plugin."""
    group.addoption(
        "--storage-state",
        metavar="PATH",
        default=os.environ.get(STORAGE_STATE_ENV) or None,
        help=(
            "Playwright storage state of a signed-in OpenAI session, for the signed-in pages "
            f"(default: ${STORAGE_STATE_ENV}, else {DEFAULT_STORAGE_STATE} if it exists; "
            "make one with `python -m checks.login`)"
        ),
    )
    group.addoption(
        "--ui-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a UI element may take to appear after the page loaded (default 10)",
    )
    group.addoption(
        "--ui-settle",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="longest wait for a page's load event before looking for elements (default 5)",
    )
    group.addoption(
        "--ui-look-elsewhere",
        choices=("on", "off"),
        default="on",
        help="on drift, look for a missing element on the other pages the facts name (default on)",
    )


# -- the cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UiCase:
    """One UI check: the fact, and the fact that must be opened first (a dialog's opener)."""

    id: str  # "ui.create_key_button"
    fact_id: str  # "create_key_button"
    fact: UiFact
    opener_id: str | None = None
    opener: UiFact | None = None

    @property
    def described(self) -> str:
        return describe(self.fact.role, self.fact.name)


def describe(role: str, name: str) -> str:
    return f"{role} {name!r}"


def ui_cases(facts: Facts) -> list[UiCase]:
    cases = []
    for fact_id, fact in facts.ui.items():
        opener = facts.ui[fact.inside] if fact.inside else None
        cases.append(UiCase(f"ui.{fact_id}", fact_id, fact, fact.inside, opener))
    return cases


# -- options -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UiOptions:
    timeout: float = 10.0  # seconds an element may take to appear
    settle: float = 5.0  # longest wait for the load event (network idle when judging from a snapshot)
    storage_state: Path | None = None
    # Why signed-in pages cannot be checked (no state, unreadable, expired); None when they can.
    session_problem: str | None = f"{NEEDS_SESSION}: no storage state (run `python -m checks.login`)"
    look_elsewhere: bool = True

    @property
    def timeout_ms(self) -> float:
        return self.timeout * 1000


def resolve_storage_state(option: str | None, standin: Any = None, workdir: Path | None = None) -> Path | None:
    """The state to use: the option, else the stand-in's own session, else the login default."""
    if option:
        return Path(option)
    if standin is not None:
        from checks.standin import standin_storage_state

        path = Path(tempfile.mkdtemp(prefix="keyguide-ui-")) / "standin.storage-state.json"
        standin_storage_state(path)
        return path
    default = (workdir or Path.cwd()) / DEFAULT_STORAGE_STATE
    return default if default.exists() else None


def session_problem(path: Path | None, now: float | None = None) -> str | None:
    """Why the storage state cannot sign us in, without asking OpenAI; None if it may."""
    if path is None:
        return f"{NEEDS_SESSION}: no storage state (run `python -m checks.login`, then pass --storage-state)"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"{NEEDS_SESSION}: storage state {path} not found (run `python -m checks.login`)"
    except (OSError, ValueError) as exc:
        return f"{NEEDS_SESSION}: storage state {path} is unreadable ({type(exc).__name__})"
    cookies = state.get("cookies") if isinstance(state, dict) else None
    if not isinstance(cookies, list):
        return f"{NEEDS_SESSION}: {path} is not a Playwright storage state"
    now = time.time() if now is None else now
    ours = [c for c in cookies if isinstance(c, dict) and str(c.get("domain", "")).endswith("openai.com")]
    if ours and all(0 < float(c.get("expires", -1)) < now for c in ours):
        return f"{NEEDS_SESSION}: every OpenAI cookie in {path} has expired (run `python -m checks.login` again)"
    return None


def options_from_config(config: pytest.Config, standin: Any = None) -> UiOptions:
    state = resolve_storage_state(config.getoption("storage_state"), standin, config.invocation_params.dir)
    return UiOptions(
        timeout=config.getoption("ui_timeout"),
        settle=config.getoption("ui_settle"),
        storage_state=state,
        session_problem=session_problem(state),
        look_elsewhere=config.getoption("ui_look_elsewhere") == "on",
    )


# -- the browser context: routing (checks/drift/routing.py) and key masking ----------------------


@dataclass
class Guard(Router):
    """Routes one browser context of the UI checks: `routing.Router` on Playwright's sync API.

    `routing` decides (remap, block writes to OpenAI, abort quietly outside OpenAI offline) and
    keeps the record (`blocked`, `challenge`, `quiet`, `failed`, `redirects`); this class does the
    I/O. Install it on a context created with `service_workers="block"` (see Router).
    """

    fetch_timeout_ms: float = 30_000

    def install(self, context: BrowserContext, *, mask_keys: bool = True) -> None:
        if mask_keys:
            context.add_init_script(script=mask_script())
        context.route("**/*", self._handle)

    def _handle(self, route: Route, request: Request) -> None:
        method, url = request.method, request.url
        decision = self.decide(method, url)
        if decision.aborts:
            route.abort(ABORT_BLOCKED)
            return
        if decision.kind == "continue":
            route.continue_()
            return
        headers = forwarded_headers(request.all_headers())
        try:
            answer: APIResponse | str = self._fetch(route, decision.target, headers)
            location = redirect_location(answer.status, answer.headers, url, self.remapper)
            if location is not None and not request.is_navigation_request():
                answer = self._follow(route, method, answer, url, location, headers)
                location = None
        except PlaywrightError as exc:
            self.failure(method, url, exc.message)
            answer = ABORT_FAILED
        if isinstance(answer, str):
            route.abort(answer)
        elif location is None:
            route.fulfill(response=answer)
        else:
            self.redirected(answer.status, url, location)
            stub = redirect_stub(location, answer.headers_array)
            route.fulfill(status=stub.status, headers=stub.headers, content_type=stub.content_type, body=stub.body)

    def _fetch(self, route: Route, target: str, headers: dict[str, str]) -> APIResponse:
        return route.fetch(url=target, headers=headers, max_redirects=0, timeout=self.fetch_timeout_ms)

    def _follow(
        self, route: Route, method: str, answer: APIResponse, url: str, location: str, headers: dict[str, str]
    ) -> APIResponse | str:
        """Follow a subresource's redirects here (a script's fetch has no page to move on): the
        last answer, or the abort code to end the request with."""
        for _ in range(MAX_REDIRECTS):
            decision, headers = self.hop(method, answer.status, url, location, headers)
            if decision.aborts:
                return ABORT_BLOCKED
            url, answer = location, self._fetch(route, decision.target, headers)
            next_location = redirect_location(answer.status, answer.headers, url, self.remapper)
            if next_location is None:
                return answer
            location = next_location
        self.failure(method, url, f"more than {MAX_REDIRECTS} redirects")
        return ABORT_FAILED


def mask_patterns(facts: Facts | None = None, secrets: Iterable[str] | None = None) -> list[str]:
    """JavaScript regex sources for key-shaped text: KEY_SHAPE, the facts' patterns, the configured keys."""
    if facts is None:
        from keyguide.facts import load_facts

        facts = load_facts()
    patterns = [KEY_SHAPE.pattern, *(p.pattern for p in facts.secret_patterns.values())]
    if secrets is None:
        secrets = (os.environ.get(name, "") for name in SECRET_ENV_VARS)
    patterns += [re.escape(s) for s in secrets if s and len(s) >= 8]
    return patterns


_MASK_JS = r"""
(() => {
  const SOURCES = __PATTERNS__;
  const regexes = [];
  for (const source of SOURCES) {
    try { regexes.push(new RegExp(source, "g")); } catch (e) { /* Python-only syntax: KEY_SHAPE still covers */ }
  }
  const mask = (text) => {
    if (typeof text !== "string" || text.length < 8) return text;
    let out = text;
    for (const re of regexes) {
      re.lastIndex = 0;
      out = out.replace(re, (m) => { const p = m.match(/^sk-(?:[a-z]+-)?/); return (p ? p[0] : "") + "[REDACTED]"; });
    }
    return out;
  };
  const ATTRS = ["value", "title", "aria-label", "aria-description", "placeholder", "alt", "data-value", "content"];
  const scrubOne = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const masked = mask(node.data);
      if (masked !== node.data) node.data = masked;
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    for (const name of ATTRS) {
      const value = node.getAttribute(name);
      if (value) { const masked = mask(value); if (masked !== value) node.setAttribute(name, masked); }
    }
    if ((node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement) && node.value) {
      const masked = mask(node.value); if (masked !== node.value) node.value = masked;
    }
  };
  const scrub = (root) => {
    if (!root) return;
    scrubOne(root);
    if (root.nodeType !== Node.ELEMENT_NODE && root.nodeType !== Node.DOCUMENT_NODE
        && root.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) scrubOne(node);
  };
  // Values set from JavaScript (a key shown in a read-only input) never become attributes.
  for (const proto of [HTMLInputElement.prototype, HTMLTextAreaElement.prototype]) {
    const d = Object.getOwnPropertyDescriptor(proto, "value");
    if (d && d.set) {
      Object.defineProperty(proto, "value", {
        configurable: true, enumerable: d.enumerable, get: d.get,
        set(v) { d.set.call(this, mask(String(v))); },
      });
    }
  }
  // Mutation records are delivered as microtasks, before the next paint.
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "childList") for (const n of r.addedNodes) scrub(n);
      else scrubOne(r.target);
    }
  });
  observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true,
                              attributeFilter: ATTRS });
  Object.defineProperty(window, "__keyguideMask", { value: () => scrub(document), configurable: false });
})();
"""


def mask_script(facts: Facts | None = None, secrets: Iterable[str] | None = None) -> str:
    """The init script that keeps key-shaped text out of the painted page."""
    return _MASK_JS.replace("__PATTERNS__", json.dumps(mask_patterns(facts, secrets)))


def page_text(page: Page) -> str:
    """What a screenshot could show: the visible text, form values and the title."""
    return str(
        page.evaluate(
            """() => [document.title, document.body ? document.body.innerText : "",
                 ...Array.from(document.querySelectorAll("input, textarea")).map((e) => e.value)].join("\\n")"""
        )
    )


def safe_screenshot(page: Page, path: Path, redactor: Redactor | None = None) -> str | None:
    """Screenshot `page` to `path` unless key-shaped text is on screen; None, or why it was withheld."""
    redactor = redactor or current_redactor()
    try:
        page.evaluate("() => window.__keyguideMask && window.__keyguideMask()")
        text = page_text(page)
    except PlaywrightError as exc:
        return f"screenshot not taken: {exc.message.splitlines()[0]}"
    if redactor(text) != text:
        return "screenshot withheld: key-shaped text was on the page"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(path), full_page=True, timeout=10_000)
    except PlaywrightError as exc:
        return f"screenshot not taken: {exc.message.splitlines()[0]}"
    return None


# -- traces -------------------------------------------------------------------------------------

# A retained trace holds request headers: a signed-in session's cookies and bearer tokens.
_HEADER_VALUE = re.compile(
    rb'("name"\s*:\s*"(?:cookie|set-cookie|authorization|openai-sentinel[^"]*)"\s*,\s*"value"\s*:\s*")(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)
_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def trace_redactor(storage_state: Path | None = None) -> Redactor:
    """The run's redactor, plus the session's cookie and local-storage values as secrets."""
    base = current_redactor()
    secrets = list(base.secrets)
    if storage_state is not None:
        try:
            state = json.loads(storage_state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {}
        secrets += [str(c.get("value", "")) for c in state.get("cookies", []) if isinstance(c, dict)]
        for origin in state.get("origins", []):
            secrets += [str(item.get("value", "")) for item in origin.get("localStorage", [])]
    return Redactor([s for s in secrets if len(s) >= 12], [p.pattern for p in base.patterns if p is not KEY_SHAPE])


def redact_bytes(data: bytes, redactor: Redactor) -> bytes:
    """Mask secrets in any bytes: keys are ASCII, so latin-1 maps each byte to one character."""
    data = _HEADER_VALUE.sub(rb'\1[REDACTED]"', data)
    data = _JWT.sub(b"[REDACTED-JWT]", data)
    return redactor(data.decode("latin-1")).encode("latin-1")


def redact_trace(path: Path, redactor: Redactor | None = None) -> bool:
    """Rewrite a Playwright trace zip with every member redacted; True if anything changed."""
    redactor = redactor or trace_redactor()
    changed = False
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".zip", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                clean = redact_bytes(data, redactor)
                changed |= clean != data
                target.writestr(info, clean, compress_type=zipfile.ZIP_DEFLATED)
        if changed:
            shutil.move(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)
    return changed


def redact_traces(root: Path, redactor: Redactor | None = None) -> list[Path]:
    """Redact every trace zip under `root`; the ones that contained a secret."""
    if not root.is_dir():
        return []
    redactor = redactor or trace_redactor()
    return [p for p in sorted(root.rglob("*.zip")) if _is_zip(p) and redact_trace(p, redactor)]


def _is_zip(path: Path) -> bool:
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


class TraceRedactor:
    """A pytest plugin: redacts each retained trace as soon as pytest-playwright has moved it out."""

    def __init__(self, storage_state: Path | None) -> None:
        self.storage_state = storage_state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        for name, value in report.user_properties:
            if name == "playwright_trace" and Path(str(value)).exists():
                redact_trace(Path(str(value)), trace_redactor(self.storage_state))


# -- the check ----------------------------------------------------------------------------------

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


def _wall(page: Page, response: PageResponse | None, status: int = 200) -> str | None:
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
    wall = _wall(page, response)
    if wall and wall.startswith("bot wall"):
        # A challenge a real browser passes reloads into the page: give it the element timeout,
        # judging from what is on screen now (the first response stays the challenge's).
        deadline = time.monotonic() + options.timeout
        while wall and wall.startswith("bot wall") and time.monotonic() < deadline:
            page.wait_for_timeout(250)
            wall = _wall(page, None, status=response.status if response else 200)
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


def check_ui(
    page: Page,
    case: UiCase,
    facts: Facts,
    options: UiOptions,
    artifacts: Path,
    known: Mapping[str, Result] | None = None,
) -> Result:
    """Check one ui fact on `page` (a context routed by a Guard); the Result says ok, drift or why not."""
    fact = case.fact
    result = Result(case.id, "ui", Status.OK, fact.url, f"{case.described} visible", "")
    early = precheck(case, options, known)
    if early is not None:
        return early
    loaded = load(page, fact.url, options)
    if loaded.inconclusive:
        return _inconclusive(result, loaded.inconclusive)
    if loaded.drift:
        result.status, result.observed = Status.DRIFT, loaded.drift
        result.suggestion = f"{fact.url} no longer loads: check the page's address (ui.{case.fact_id}.url)"
        _screenshot(page, result, artifacts)
        return result
    consent = dismiss_consent(page, options, result)
    if case.opener is not None:
        opener = case.opener
        if consent is not None:
            return _inconclusive(result, consent)
        if not find(page, opener.role, opener.name, options.timeout_ms):
            wall = _wall(page, None)
            return _inconclusive(
                result,
                wall or f"could not open {describe(opener.role, opener.name)} first (ui.{case.opener_id} reports why)",
            )
        problem = open_first(page, opener, options, result)
        if problem is not None:
            return _inconclusive(result, problem)
        result.notes.append(f"opened {describe(opener.role, opener.name)} first")
    if find(page, fact.role, fact.name, options.timeout_ms):
        count = page.get_by_role(fact.role, name=fact.name, exact=True).count()  # type: ignore[arg-type]
        result.observed = f"{case.described} visible" + (f" ({count} on the page)" if count > 1 else "")
        return result
    wall = _wall(page, None) or consent or dismiss_consent(page, options, result)
    if wall:
        return _inconclusive(result, wall)
    return diagnose(page, case, facts, options, result, artifacts)


def open_first(page: Page, opener: UiFact, options: UiOptions, result: Result) -> str | None:
    """Click a dialog's opener; None when clicked, else why not (a late consent banner is rejected once)."""
    button = page.get_by_role(opener.role, name=opener.name, exact=True).first  # type: ignore[arg-type]
    with contextlib.suppress(PlaywrightTimeout):
        button.click(timeout=options.timeout_ms)
        return None
    # Something covers the opener: a consent banner that came after the page loaded?
    notes = len(result.notes)
    problem = dismiss_consent(page, options, result)
    if problem is not None:
        return problem
    if len(result.notes) > notes:
        with contextlib.suppress(PlaywrightTimeout):
            button.click(timeout=options.timeout_ms)
            return None
    return f"could not click {describe(opener.role, opener.name)}: the click timed out (something covers it)"


# -- cookie consent: dismissed with its reject button, never accepted (labels: checks/drift/quirks.py) --

CONSENT_NO_REJECT = "a consent banner covers the page and has no reject button"
_REJECT_NAME = button_name_pattern(CONSENT_REJECT_LABELS)
_ACCEPT_NAME = button_name_pattern(CONSENT_ACCEPT_LABELS)


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
        button.click(timeout=options.timeout_ms)
        banner.wait_for(state="hidden", timeout=options.timeout_ms)
    except PlaywrightTimeout:
        return "a consent banner covers the page and did not close when rejected"
    except PlaywrightError as exc:
        return f"a consent banner covers the page and could not be rejected ({exc.message.splitlines()[0]})"
    result.notes.append(f"dismissed a consent banner with {label!r} (never accepted)")
    return None


def precheck(case: UiCase, options: UiOptions, known: Mapping[str, Result] | None = None) -> Result | None:
    """What can be decided without a browser: manual facts, unsafe openers, no session.

    `known` holds this run's results so far: when a dialog's opener already failed, the fields
    inside it are inconclusive at once instead of each waiting the full timeout for the opener.
    """
    fact = case.fact
    result = Result(case.id, "ui", Status.OK, fact.url, f"{case.described} visible", "")
    if fact.check == "manual":
        return _inconclusive(result, f"checked by hand: {fact.why_manual}")
    if case.opener is not None and not case.opener.safe_to_open:
        return _inconclusive(
            result,
            f"inside {describe(case.opener.role, case.opener.name)}, which is not marked safe_to_open: "
            "the suite does not click it",
        )
    if (fact.signed_in or (case.opener is not None and case.opener.signed_in)) and options.session_problem:
        return _inconclusive(result, options.session_problem)
    opener = (known or {}).get(f"ui.{case.opener_id}") if case.opener is not None else None
    if case.opener is not None and opener is not None and opener.status is not Status.OK:
        return _inconclusive(
            result,
            f"could not open {describe(case.opener.role, case.opener.name)} first "
            f"(ui.{case.opener_id} is {opener.status.value} in this run: see its result)",
        )
    return None


def _inconclusive(result: Result, reason: str) -> Result:
    result.status = Status.INCONCLUSIVE
    result.reason = result.observed = reason
    return result


def _screenshot(page: Page, result: Result, artifacts: Path) -> None:
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
    _screenshot(page, result, artifacts)
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
