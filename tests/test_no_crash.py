"""No drift check item may crash: an unexpected exception, or a cookie-consent modal over a dialog's
opener, ends as an outcome (ok or inconclusive with a one-line reason) that every report lists.

The consent tests drive Chromium against the stand-in (`consent` fault, with and without a reject
button); the crash tests run the real command with a plugin that makes one function raise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from xml.etree import ElementTree

import pytest
from playwright.sync_api import Browser

from checks.drift.outcomes import Result, Status
from checks.drift.plugin import crash_result
from checks.drift.remap import Remapper
from checks.drift.ui import CONSENT_NO_REJECT, Guard, UiOptions, check_ui, session_problem, ui_cases
from checks.standin import Fault, StandIn, standin_storage_state
from keyguide.facts import ROOT, load_facts

FACTS = load_facts()
UI_CASES = {case.fact_id: case for case in ui_cases(FACTS)}
OPENER = "create_key_button"
# The dialog's fields the suite can check (auto, behind a safe opener).
FIELDS = [c.fact_id for c in UI_CASES.values() if c.opener_id == OPENER and c.fact.check == "auto"]


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("consent") / "state.json"
    standin_storage_state(path)
    return path


def run_ui(
    browser: Browser, standin: StandIn, state: Path, fact_id: str, tmp_path: Path
) -> tuple[Result, str, list[str]]:
    """One check_ui in a fresh routed context; the result, the consent choice left on the page, and
    the writes the guard blocked as not the check's doing (the banner saving its choice)."""
    context = browser.new_context(storage_state=str(state), service_workers="block")
    guard = Guard(Remapper.parse(standin.remaps), FACTS)
    guard.install(context)
    page = context.new_page()
    options = UiOptions(timeout=1.5, settle=1.0, storage_state=state, session_problem=session_problem(state))
    try:
        result = check_ui(page, UI_CASES[fact_id], FACTS, options, tmp_path)
        choice = str(page.evaluate("() => document.body ? (document.body.dataset.consent || '') : ''"))
    finally:
        context.close()
    assert guard.blocked == [], guard.blocked
    return result, choice, list(guard.excused)


@pytest.mark.browser
def test_consent_modal_with_a_reject_button_is_rejected_and_the_dialog_fields_are_ok(
    browser: Browser, standin: StandIn, state: Path, tmp_path: Path
) -> None:
    assert FIELDS, "the API keys dialog has fields to check"
    standin.faults.inject(Fault(kind="consent", fact=f"ui.{OPENER}"))
    for fact_id in (OPENER, FIELDS[0]):
        result, choice, excused = run_ui(browser, standin, state, fact_id, tmp_path)
        assert result.status is Status.OK, result.message()
        assert choice == "rejected", "the banner is dismissed with its reject button, never accepted"
        # The banner saved the choice with a POST to OpenAI: blocked, and not held against the check.
        assert any(w.startswith("POST https://platform.openai.com/api/consent") for w in excused), excused
        assert any("dismissed a consent banner with 'Reject non-essential'" in n for n in result.notes)


@pytest.mark.browser
def test_consent_modal_without_a_reject_button_is_inconclusive_never_accepted(
    browser: Browser, standin: StandIn, state: Path, tmp_path: Path
) -> None:
    standin.faults.inject(Fault(kind="consent", fact=f"ui.{OPENER}", reject=False))
    result, choice, _ = run_ui(browser, standin, state, FIELDS[0], tmp_path)
    assert result.status is Status.INCONCLUSIVE and result.reason == CONSENT_NO_REJECT, result.message()
    assert choice == "", "nothing was accepted"
    # The opener itself is visible under the banner: that is still a verdict.
    result, _, _ = run_ui(browser, standin, state, OPENER, tmp_path)
    assert result.status is Status.OK, result.message()


# -- the real command ----------------------------------------------------------------------------

CRASH_PLUGIN = """
    \"\"\"Test plugin: makes one function of the checks raise, as an unforeseen bug would.\"\"\"
    import os

    import checks.drift.{module} as target

    _original = target.{function}


    def _raising(*args, **kwargs):
        if {condition}:
            raise RuntimeError("injected failure\\nsecond line that must not reach the reason")
        return _original(*args, **kwargs)


    target.{function} = _raising
"""


def crash_plugin(tmp_path: Path, module: str, function: str, condition: str = "True") -> dict[str, str]:
    """Write the plugin; the environment that loads it (`-p keyguide_crash`)."""
    folder = tmp_path / "plugin"
    folder.mkdir(exist_ok=True)
    code = CRASH_PLUGIN.format(module=module, function=function, condition=condition)
    (folder / "keyguide_crash.py").write_text(textwrap.dedent(code), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GITHUB_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(folder), str(ROOT)])
    return env


def run_suite(args: list[str], tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], dict]:
    report, junit = tmp_path / "drift.json", tmp_path / "junit.xml"
    command = [
        sys.executable, "-m", "pytest", "checks", "-p", "no:cacheprovider", "-p", "keyguide_crash", "-rA",
        f"--drift-report={report}", f"--junitxml={junit}", f"--output={tmp_path / 'playwright'}", *args,
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert report.exists(), f"no report (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
    errors = sum(int(s.get("errors", 0)) for s in ElementTree.parse(junit).getroot().iter("testsuite"))
    assert errors == 0, f"{errors} item(s) errored:\n{done.stdout[-4000:]}"
    return done, json.loads(report.read_text(encoding="utf-8"))


def test_an_exception_in_an_api_check_is_inconclusive_with_a_one_line_reason(tmp_path: Path) -> None:
    env = crash_plugin(tmp_path, "api", "compare_error")
    done, report = run_suite(["-m", "api", "--target", "standin"], tmp_path, env)
    assert done.returncode == 0, done.stdout[-3000:]
    by_id = {r["id"]: r for r in report["results"]}
    crashed = by_id["errors.invalid_api_key"]
    assert crashed["status"] == "inconclusive"
    reason = crashed["reason"]
    assert reason.startswith("the check crashed (RuntimeError: injected failure) at checks/drift/api.py:")
    assert "\n" not in reason and "checks/drift/api.py:" in reason and "not a verdict on the guide" in reason
    assert crashed["url"] == "https://api.openai.com/v1/models"
    assert "Traceback" not in done.stdout and "second line" not in done.stdout
    assert "the check crashed (RuntimeError: injected failure)" in done.stdout
    # Every api item reached the report, none as drift.
    assert {r["kind"] for r in report["results"]} == {"api"}
    assert report["summary"]["drift"] == 0


@pytest.mark.browser
def test_consent_modal_and_a_crashing_ui_check_never_error_and_every_ui_item_is_reported(
    tmp_path: Path,
) -> None:
    """As the issue tried it: a consent modal with no reject button over the API keys page, plus a
    check that raises on one heading. No item errors; the report lists every ui item."""
    env = crash_plugin(tmp_path, "ui.check", "find", "len(args) > 2 and args[2] == 'Spend'")
    with StandIn() as standin:
        standin.faults.inject(Fault(kind="consent", fact=f"ui.{OPENER}", reject=False))
        state = tmp_path / "state.json"
        standin_storage_state(state)
        args = ["-m", "ui", f"--storage-state={state}", "--ui-timeout=2", "--ui-settle=1", "--ui-look-elsewhere=off"]
        done, report = run_suite([*args, *(f"--remap={r}" for r in standin.remaps)], tmp_path, env)
    assert done.returncode == 0, done.stdout[-4000:]
    by_id = {r["id"]: r for r in report["results"]}
    assert set(by_id) == {f"ui.{k}" for k in FACTS.ui}, "every ui item is in the report"
    assert by_id[f"ui.{OPENER}"]["status"] == "ok"
    for fact_id in FIELDS:
        assert by_id[f"ui.{fact_id}"]["status"] == "inconclusive"
        assert by_id[f"ui.{fact_id}"]["reason"] == CONSENT_NO_REJECT
    spend = [r for r in report["results"] if r["reason"].startswith("the check crashed (RuntimeError")]
    assert spend and all("\n" not in r["reason"] for r in spend)
    assert "Traceback" not in done.stdout and "TimeoutError" not in done.stdout


def test_crash_result_takes_the_fact_id_from_the_parametrization() -> None:
    class Item:
        nodeid = "checks/test_api.py::test_api[errors.x]"
        name = "test_api[errors.x]"

        class callspec:
            id = "errors.x"
            params: ClassVar[dict[str, object]] = {
                "case": type("Case", (), {"id": "errors.x", "url": "https://api.openai.com/v1/models"})()
            }

        def get_closest_marker(self, name: str) -> object | None:
            return object() if name == "api" else None

    try:
        raise ValueError("boom " * 100)
    except ValueError as exc:
        result = crash_result(Item(), exc)  # type: ignore[arg-type]
    assert result.id == "errors.x" and result.kind == "api" and result.status is Status.INCONCLUSIVE
    assert result.url == "https://api.openai.com/v1/models"
    assert len(result.reason) < 300 and "\n" not in result.reason and "tests/test_no_crash.py:" in result.reason


@pytest.fixture(autouse=True)
def _no_leftover_faults(standin_server: StandIn) -> Iterator[None]:
    yield
    standin_server.faults.clear()
