"""The UI drift checks against the stand-in: each kind of drift is caught, walls are never drift.

Per-case tests call the library (`check_ui`) directly with one shared browser and a fresh
context per case, so a case costs a page load, not a pytest run. Two subprocess runs prove the
real command: a clean `pytest checks -m ui` passes, an injected rename fails exactly its item.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from checks.drift.outcomes import Result, Status
from checks.drift.plugin import write_json_report
from checks.drift.redact import current_redactor
from checks.drift.remap import Remapper
from checks.drift.routing import SAFE_METHODS
from checks.drift.ui import (
    Guard,
    UiCase,
    UiOptions,
    check_ui,
    conclude,
    mask_script,
    nearest,
    page_text,
    parse_aria_snapshot,
    precheck,
    redact_bytes,
    redact_trace,
    safe_screenshot,
    session_problem,
    ui_cases,
)
from checks.login import login
from checks.standin import Fault, StandIn, standin_storage_state
from keyguide.facts import ROOT, Facts, load_facts

pytestmark = pytest.mark.browser

# Key-shaped, so every layer must mask it: the DOM script, the trace rewrite, the report redactor.
CANARY = "sk-proj-uiCanary" + "Q7" * 16
API_KEYS = "https://platform.openai.com/settings/organization/api-keys"
GENERAL = "https://platform.openai.com/settings/organization/general"
LIMITS = "https://platform.openai.com/settings/organization/limits"
DRIFT_TIMEOUT = 1.0  # the stand-in renders at once; a missing element needs no longer to be missing

FACTS: Facts = load_facts()
CASES = {case.fact_id: case for case in ui_cases(FACTS)}


@pytest.fixture(scope="module")
def remapper(standin_server: StandIn) -> Remapper:
    return Remapper.parse(standin_server.remaps)


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("states")
    standin_storage_state(folder / "good.json")
    standin_storage_state(folder / "expired.json", expired=True)
    return {"good": folder / "good.json", "expired": folder / "expired.json"}


@pytest.fixture(autouse=True)
def no_writes_reach_openai(standin: StandIn) -> Iterator[None]:
    """Every test: the canary on the API keys page, and afterwards not one non-GET request."""
    standin.canary = CANARY
    yield
    writes = [f"{r.method} {r.url}" for r in standin.requests.all() if r.method not in SAFE_METHODS]
    assert writes == [], f"write requests reached the stand-in: {writes}"


class Run:
    """One check in a fresh context of the shared browser; keeps the guard and page for asserts."""

    def __init__(self, browser: Browser, remapper: Remapper, states: dict[str, Path], artifacts: Path) -> None:
        self.browser, self.remapper, self.states, self.artifacts = browser, remapper, states, artifacts
        self.guard: Guard | None = None
        self.page: Page | None = None

    def __call__(
        self,
        fact_id: str,
        *,
        state: str | None = "good",
        timeout: float = DRIFT_TIMEOUT,
        init_script: str | None = None,
        trace: Path | None = None,
        case: UiCase | None = None,
        on_page: Callable[[Page], None] | None = None,
    ) -> Result:
        path = self.states.get(state or "")
        context = self.browser.new_context(storage_state=str(path) if path else None, service_workers="block")
        if trace is not None:
            context.tracing.start(screenshots=True, snapshots=True)
        self.guard = Guard(self.remapper, FACTS)
        self.guard.install(context)
        if init_script:
            context.add_init_script(script=init_script)
        self.page = context.new_page()
        options = UiOptions(timeout=timeout, settle=1.0, storage_state=path, session_problem=session_problem(path))
        try:
            result = check_ui(self.page, case or CASES[fact_id], FACTS, options, self.artifacts)
            if on_page is not None:
                on_page(self.page)
        finally:
            if trace is not None:
                context.tracing.stop(path=str(trace))
            context.close()
        return result


@pytest.fixture
def run(browser: Browser, remapper: Remapper, states: dict[str, Path], tmp_path: Path) -> Run:
    return Run(browser, remapper, states, tmp_path)


# -- ok ------------------------------------------------------------------------------------------


def test_button_heading_and_dialog_field_are_ok(run: Run) -> None:
    for fact_id in ("create_key_button", "api_keys_heading", "key_project", "enforce_hard_limit"):
        result = run(fact_id)
        assert result.status is Status.OK, result.message()
    assert run.guard is not None and run.guard.blocked == []


def test_heading_on_a_docs_page_is_ok_without_a_session(run: Run) -> None:
    result = run("quickstart_key_heading", state=None)
    assert result.status is Status.OK, result.message()


def test_slow_page_that_renders_after_3_s_is_ok(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="slow_render", fact="ui.create_key_button", seconds=3))
    started = time.monotonic()
    result = run("create_key_button", timeout=10)
    assert result.status is Status.OK, result.message()
    assert time.monotonic() - started >= 3


def test_bot_challenge_that_a_browser_passes_is_ok(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", fact="ui.api_keys_heading", passes_browser=True))
    assert run("api_keys_heading").status is Status.OK


# -- drift ---------------------------------------------------------------------------------------


def test_renamed_button_is_drift_with_the_nearest_name(run: Run, standin: StandIn, tmp_path: Path) -> None:
    standin.faults.inject(Fault(kind="rename", fact="ui.create_key_button", name="Create secret key"))
    result = run("create_key_button")
    assert result.status is Status.DRIFT
    assert result.observed == "button 'Create new secret key' not found; nearest: 'Create secret key'"
    assert "set ui.create_key_button.name to 'Create secret key'" in result.suggestion
    # The page's other buttons (the account's switchers, its key rows) are listed too.
    listing = next(e for e in result.evidence if e.startswith("buttons on the page: "))
    assert "'Create secret key'" in listing and "'Create new secret key'" not in listing
    screenshot = tmp_path / "ui.create_key_button.png"
    assert f"screenshot: {screenshot}" in result.evidence and screenshot.stat().st_size > 1000


def test_removed_button_is_drift(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="remove", fact="ui.add_payment_details"))
    result = run("add_payment_details")
    assert result.status is Status.DRIFT
    assert result.observed == "button 'Add payment details' not found"
    assert "re-check https://platform.openai.com/settings/organization/billing/overview" in result.suggestion


def test_element_moved_to_another_page_says_where(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="move", fact="ui.verify_organization", to_url=LIMITS))
    result = run("verify_organization")
    assert result.status is Status.DRIFT
    assert result.observed == f"button 'Verify Organization' not found; moved to {LIMITS}"
    assert f"update ui.verify_organization.url to {LIMITS}" in result.suggestion


def test_dialog_field_renamed_is_drift(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="rename", fact="ui.key_name", name="Key name"))
    result = run("key_name")
    assert result.status is Status.DRIFT
    assert result.observed == "textbox 'Name' not found; nearest: 'Key name'"
    assert "opened button 'Create new secret key' first" in result.notes


def test_nav_link_renamed_is_drift(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="rename", fact="ui.api_keys_nav", name="API Keys"))
    result = run("api_keys_nav")
    assert result.status is Status.DRIFT
    assert result.observed == "link 'API keys' not found; nearest: 'API Keys'"


def test_menu_item_renamed_is_drift(run: Run, standin: StandIn) -> None:
    # No fact is a menuitem yet: the same check, with the Limits link served as a menu item.
    standin.faults.inject(Fault(kind="role", fact="ui.project_limits", role="menuitem"))
    standin.faults.inject(Fault(kind="rename", fact="ui.project_limits", name="Usage limits"))
    fact = FACTS.ui["project_limits"].model_copy(update={"role": "menuitem"})
    result = run("project_limits", case=UiCase("ui.project_limits", "project_limits", fact))
    assert result.status is Status.DRIFT
    assert result.observed == "menuitem 'Limits' not found; nearest: 'Usage limits'"


def test_role_changed_link_to_button_says_so(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="role", fact="ui.api_keys_nav", role="button"))
    result = run("api_keys_nav")
    assert result.status is Status.DRIFT
    assert result.observed == "link 'API keys' not found; now a button (button 'API keys' is there)"
    assert "set ui.api_keys_nav.role to button" in result.suggestion


def test_renamed_heading_on_a_docs_page_is_drift(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="rename", fact="ui.reference_auth_heading", name="Authenticating"))
    result = run("reference_auth_heading", state=None)
    assert result.status is Status.DRIFT
    assert result.observed == "heading 'Authentication' not found; nearest: 'Authenticating'"


# -- inconclusive, never drift -------------------------------------------------------------------


def test_sign_in_wall_is_inconclusive(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="signin_wall", fact="ui.api_keys_heading"))
    result = run("api_keys_heading")
    assert result.status is Status.INCONCLUSIVE
    assert result.reason.startswith("needs a signed-in session")


def test_expired_state_is_inconclusive(run: Run) -> None:
    result = run("create_key_button", state="expired")
    assert result.status is Status.INCONCLUSIVE
    assert result.reason.startswith("needs a signed-in session")


def test_no_state_is_inconclusive_without_a_browser(tmp_path: Path) -> None:
    assert session_problem(None) is not None
    assert "not found" in (session_problem(tmp_path / "missing.json") or "")
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({"cookies": [{"domain": ".openai.com", "expires": 1000.0}], "origins": []}))
    assert "expired" in (session_problem(stale) or "")
    result = precheck(CASES["create_key_button"], UiOptions())
    assert result is not None and result.status is Status.INCONCLUSIVE
    assert result.reason.startswith("needs a signed-in session")


def test_bot_challenge_is_inconclusive(run: Run, standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", fact="ui.api_keys_heading", passes_browser=False))
    result = run("api_keys_heading")
    assert result.status is Status.INCONCLUSIVE
    assert result.reason.startswith("bot wall")


def test_manual_unsafe_and_failed_openers_are_inconclusive() -> None:
    options = UiOptions(session_problem=None)
    manual = precheck(CASES["copy_key"], options)
    assert manual is not None and manual.reason == f"checked by hand: {FACTS.ui['copy_key'].why_manual}"
    opener = FACTS.ui["create_key_button"].model_copy(update={"safe_to_open": False})
    unsafe = UiCase("ui.key_name", "key_name", FACTS.ui["key_name"], "create_key_button", opener)
    result = precheck(unsafe, options)
    assert result is not None and "not marked safe_to_open" in result.reason
    failed = Result("ui.create_key_button", "ui", Status.DRIFT, API_KEYS, "", "")
    result = precheck(CASES["key_name"], options, {"ui.create_key_button": failed})
    assert result is not None and "ui.create_key_button is drift in this run" in result.reason


# -- nothing is ever changed ---------------------------------------------------------------------

# What OpenAI could ship one day: the dialog's opener also saves something when clicked.
POSTING_OPENER = """
document.addEventListener("click", (e) => {
  if (e.target.closest("[data-opens]")) {
    fetch("https://platform.openai.com/v1/dashboard/api_keys", {method: "POST", body: "{}"}).catch(() => {});
  }
}, true);
"""


def test_a_check_that_triggers_a_post_is_stopped_and_fails(run: Run, standin: StandIn) -> None:
    result = run("key_name", init_script=POSTING_OPENER, on_page=lambda page: page.wait_for_timeout(300))
    assert run.guard is not None
    assert run.guard.blocked == ["POST https://platform.openai.com/v1/dashboard/api_keys"]
    assert [r.method for r in standin.requests.all()] and all(r.method == "GET" for r in standin.requests.all())
    recorded: list[Result] = []
    with pytest.raises(pytest.fail.Exception) as failure:
        conclude(CASES["key_name"], result, run.guard, lambda r: recorded.append(r) or r, lambda r: None)
    assert "the suite blocked it and fails the check" in str(failure.value)
    assert "set safe_to_open: false" in str(failure.value)
    assert recorded[0].status is Status.INCONCLUSIVE and recorded[0].notes[0].startswith("not drift")


def test_a_bot_challenge_post_is_blocked_without_failing_the_check(run: Run) -> None:
    script = (
        'fetch("https://platform.openai.com/cdn-cgi/challenge-platform/h/b/flow", {method: "POST"}).catch(() => {});'
    )
    result = run("api_keys_heading", init_script=script, on_page=lambda page: page.wait_for_timeout(300))
    assert result.status is Status.OK
    assert run.guard is not None and run.guard.blocked == []
    assert set(run.guard.challenge) == {"POST https://platform.openai.com/cdn-cgi/challenge-platform/h/b/flow"}


def test_requests_outside_openai_are_aborted_quietly_offline(run: Run) -> None:
    script = 'addEventListener("DOMContentLoaded", () => fetch("https://telemetry.example.com/t").catch(() => {}));'
    result = run("api_keys_heading", init_script=script, on_page=lambda page: page.wait_for_timeout(300))
    assert result.status is Status.OK
    assert run.guard is not None and run.guard.quiet == ["GET https://telemetry.example.com/t"]


# -- no key in any artifact ----------------------------------------------------------------------


def test_canary_is_in_no_screenshot_trace_or_report(run: Run, standin: StandIn, tmp_path: Path) -> None:
    standin.faults.inject(Fault(kind="rename", fact="ui.create_key_button", name="Create secret key"))
    seen: dict[str, str] = {}

    def at_screenshot_time(page: Page) -> None:
        seen["text"], seen["html"] = page_text(page), page.content()

    trace = tmp_path / "trace.zip"
    result = run("create_key_button", trace=trace, on_page=at_screenshot_time)
    assert result.status is Status.DRIFT
    # safe_screenshot refuses when key-shaped text is on screen: a screenshot proves it was masked.
    assert any(e.startswith("screenshot: ") for e in result.evidence), result.evidence
    assert CANARY not in seen["text"] and CANARY not in seen["html"]
    assert "sk-proj-[REDACTED]" in seen["text"]
    with zipfile.ZipFile(trace) as raw:
        assert any(CANARY.encode() in raw.read(name) for name in raw.namelist())  # the page's HTML
    assert redact_trace(trace)
    with zipfile.ZipFile(trace) as clean:
        assert clean.testzip() is None
        assert not any(CANARY.encode() in clean.read(name) for name in clean.namelist())
    report = tmp_path / "report.json"
    result.evidence.append(f"page text: {CANARY}")  # even if a check copied it somewhere
    write_json_report(report, {"results": [current_redactor().data(result.as_dict())]})
    assert CANARY not in report.read_text()


def test_screenshot_is_withheld_when_a_key_is_on_screen(browser: Browser, tmp_path: Path) -> None:
    page = browser.new_page()  # no guard, no masking script
    page.set_content(f"<p>{CANARY}</p>")
    shot = tmp_path / "shot.png"
    assert safe_screenshot(page, shot) == "screenshot withheld: key-shaped text was on the page"
    assert not shot.exists()
    page.close()


_SHADOW_COMPONENT = """
<key-card></key-card>
<script>
  customElements.define("key-card", class extends HTMLElement {
    connectedCallback() {
      window.cardRoot = this.attachShadow({ mode: "closed" });  // closed: invisible to the page's walkers
      setTimeout(() => { window.cardRoot.innerHTML = "<p>Your key</p><p>__KEY__</p><input value='__KEY__'>"; }, 50);
    }
  });
</script>
"""


def test_a_key_in_a_closed_shadow_root_is_masked_before_the_screenshot(browser: Browser, tmp_path: Path) -> None:
    """Web components keep their text in shadow roots, outside the document's observer: masked there too."""
    page = browser.new_page()
    page.add_init_script(script=mask_script())
    html = _SHADOW_COMPONENT.replace("__KEY__", CANARY)
    page.route("http://keyguide.test/", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto("http://keyguide.test/")  # a navigation, as live: init scripts run in each new document
    page.wait_for_function("() => window.cardRoot && window.cardRoot.querySelector('input')")
    shown = page.evaluate("() => window.cardRoot.textContent + ' ' + window.cardRoot.querySelector('input').value")
    assert CANARY not in shown and "sk-proj-[REDACTED]" in shown
    assert "sk-proj-[REDACTED]" in page_text(page) and CANARY not in page_text(page)
    shot = tmp_path / "shot.png"
    assert safe_screenshot(page, shot) is None and shot.exists()
    page.close()


@pytest.mark.parametrize("where", ["open shadow root", "frame"])
def test_screenshot_is_withheld_when_a_key_hides_in_a_shadow_root_or_frame(
    browser: Browser, tmp_path: Path, where: str
) -> None:
    page = browser.new_page()  # no masking script: page_text alone must still see the key
    if where == "frame":
        page.set_content(f"<p>Settings</p><iframe srcdoc='<p>{CANARY}</p>'></iframe>")
        page.wait_for_function("() => document.querySelector('iframe').contentDocument?.body?.innerText")
    else:
        page.set_content(
            f"<div id=host></div><script>document.getElementById('host').attachShadow({{mode: 'open'}})"
            f".innerHTML = '<p>{CANARY}</p>';</script>"
        )
    shot = tmp_path / "shot.png"
    assert safe_screenshot(page, shot) == "screenshot withheld: key-shaped text was on the page"
    assert not shot.exists()
    page.close()


def test_trace_rewrite_masks_session_cookies_and_tokens() -> None:
    raw = (
        b'{"name":"Cookie","value":"__Secure-next-auth.session-token=abc"},'
        b'{"name":"authorization","value":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlAAAA"}'
    )
    clean = redact_bytes(raw, current_redactor())
    assert b"session-token=abc" not in clean and b"eyJhbGci" not in clean
    assert clean.count(b"[REDACTED]") == 2


# -- helpers -------------------------------------------------------------------------------------


def test_aria_snapshot_names_and_nearest() -> None:
    snapshot = '- navigation "Settings":\n  - link "API keys":\n    - /url: /a\n- button "Close \\"x\\""\n- text: hi'
    assert parse_aria_snapshot(snapshot) == [("navigation", "Settings"), ("link", "API keys"), ("button", 'Close "x"')]
    assert nearest("Create new secret key", ["Cancel", "Create secret key"]) == "Create secret key"
    assert nearest("API keys", ["API Keys", "API keys overview"]) == "API Keys"
    assert nearest("Save", ["Organization", "Billing"]) is None


# -- the login command ---------------------------------------------------------------------------


def test_login_saves_the_session_with_mode_0600(run: Run, standin: StandIn, remapper: Remapper, tmp_path: Path) -> None:
    out = tmp_path / ".auth" / "openai.storage-state.json"

    def person(page: Page) -> None:  # what the human does in the real window
        page.get_by_role("textbox", name="Email").fill("writer@example.com")
        page.get_by_role("button", name="Continue").click()

    status = login(out, API_KEYS, 20, remapper=remapper, human=person, settle=0.5, browser=run.browser)
    assert status == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    state = json.loads(out.read_text())
    assert any(c["name"] == "standin_session" and c["domain"] == "platform.openai.com" for c in state["cookies"])
    run.states["login"] = out
    assert run("create_key_button", state="login").status is Status.OK


def test_login_gives_up_after_the_timeout(browser: Browser, remapper: Remapper, tmp_path: Path) -> None:
    out = tmp_path / "state.json"
    assert login(out, API_KEYS, 1, remapper=remapper, settle=0.1, browser=browser) == 1
    assert not out.exists()


# -- the real command ----------------------------------------------------------------------------


def _pytest_ui(standin: StandIn, tmp_path: Path, state: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / "report.json"
    args = [sys.executable, "-m", "pytest", "checks", "-m", "ui", "-p", "no:cacheprovider", "-q"]
    args += ["--storage-state", str(state), "--drift-report", str(report), "--output", str(tmp_path / "out")]
    args += [arg for remap in standin.remaps for arg in ("--remap", remap)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run([*args, *extra], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    return done.returncode, json.loads(report.read_text()), done.stdout + done.stderr


def test_clean_ui_run_passes(standin: StandIn, states: dict[str, Path], tmp_path: Path) -> None:
    code, report, output = _pytest_ui(standin, tmp_path, states["good"])
    assert code == 0, output
    statuses = {r["id"]: r["status"] for r in report["results"]}
    auto = [f"ui.{k}" for k, v in FACTS.ui.items() if v.check == "auto"]
    assert {statuses[i] for i in auto} == {"ok"}, output
    assert set(statuses) == {f"ui.{k}" for k in FACTS.ui}
    methods = {r.method for r in standin.requests.all()}
    assert methods and methods <= {"GET"}, methods


def test_injected_rename_fails_exactly_that_item(standin: StandIn, states: dict[str, Path], tmp_path: Path) -> None:
    standin.faults.inject(Fault(kind="rename", fact="ui.create_key_button", name="Create secret key"))
    code, report, output = _pytest_ui(
        standin, tmp_path, states["good"], "--ui-timeout", "3", "--tracing", "retain-on-failure"
    )
    assert code == 1, output
    drifted = [r for r in report["results"] if r["status"] == "drift"]
    assert [r["id"] for r in drifted] == ["ui.create_key_button"], output
    assert "FAILED checks/test_ui.py::test_ui[ui.create_key_button]" in output
    assert "nearest: 'Create secret key'" in output
    traces = list((tmp_path / "out").rglob("trace.zip"))
    assert len(traces) == 1 and "create-key-button" in str(traces[0])
    with zipfile.ZipFile(traces[0]) as trace:
        assert not any(CANARY.encode() in trace.read(name) for name in trace.namelist())
    assert CANARY not in (tmp_path / "report.json").read_text() and CANARY not in output
