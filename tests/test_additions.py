"""Drift by addition, on the stand-in: record baselines once, then inject what OpenAI might add.

The checks run in-process with one shared browser (each screen a page load, each page one read of
a shared batch), as `pytest checks -m "screens or pages or watch"` runs them:

- a control added inside the dialog a step opens ⇒ exactly one drift, on the step that opens it;
- a new paragraph, a new changelog entry, a control added outside the dialog ⇒ one review each;
- the account's data swapped, or the same run repeated ⇒ nothing at all;
- a page without a baseline ⇒ a "no baseline" note, and no other outcome changes;
- a cookie banner, an app that renders late, a sign-in redirect, a 429 burst ⇒ no review, no drift.

One subprocess run (the last test) proves the real command: its terminal, JSON, Markdown and JUnit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from playwright.sync_api import Browser

from checks.drift.baselines import BaselineStore
from checks.drift.http import RetryPolicy
from checks.drift.links import LinkSettings
from checks.drift.outcomes import Result, Status
from checks.drift.reading import check_page, check_watch, read_batch
from checks.drift.remap import Remapper
from checks.drift.sentences import PageCase
from checks.drift.ui import Guard, UiOptions, session_problem
from checks.drift.ui.observe import check_screen
from checks.drift.watch import WatchCase
from checks.standin import Fault, StandIn, standin_storage_state
from checks.standin.sitemap import page_key
from keyguide.baselines import Screen, pages, read_baseline, screens
from keyguide.facts import ROOT, load_facts
from keyguide.usage import fact_usage

pytestmark = pytest.mark.browser

FACTS = load_facts()
SCREENS = screens(FACTS)
PAGES = [PageCase.of(page) for page in pages(FACTS)]
WATCHED = [WatchCase.of(watch_id, page) for watch_id, page in FACTS.watch.items()]
ALL = [s.id for s in SCREENS] + [p.id for p in PAGES] + [w.id for w in WATCHED]
API_KEYS = "https://platform.openai.com/settings/organization/api-keys"
GENERAL = "https://platform.openai.com/settings/organization/general"
LIMITS = "https://platform.openai.com/settings/organization/limits"
CHANGELOG = "https://developers.openai.com/api/docs/changelog"
DIALOG = "screens.dialog.create_key_button"
KEYS_PAGE = "screens.platform.openai.com/settings/organization/api-keys"
PARAGRAPH_FACT = "ui.create_key_button"  # quoted from help 8867743
HELP_PAGE = "pages.help.openai.com/en/articles/8867743"
FAST = RetryPolicy(attempts=3, backoff=0.05, retry_after_cap=2.0, timeout=5.0)
STABLE_PAUSE = 0.1  # test-only: the stand-in renders at once (late rendering is a fault, and is waited for)
SETTINGS = LinkSettings(browser=False, recheck_delay=0.2)

Outcomes = dict[str, "Result | str"]


class Survey:
    """Runs the screen, page and watch checks against the stand-in, in-process."""

    def __init__(self, browser: Browser, standin: StandIn, state: Path) -> None:
        self.browser, self.standin, self.state = browser, standin, state
        self.remapper = Remapper.parse(standin.remaps)

    def __call__(
        self,
        store: BaselineStore,
        only: set[str] | None = None,
        timeout: float = 3.0,
    ) -> Outcomes:
        wanted = set(ALL) if only is None else only
        options = UiOptions(
            timeout=timeout,
            settle=1.0,
            storage_state=self.state,
            session_problem=session_problem(self.state),
            stable_pause=STABLE_PAUSE,
        )
        out: Outcomes = {}
        chosen = [s for s in SCREENS if s.id in wanted]
        if chosen:
            out |= self.screens(store, chosen, options)
        documents = [c for c in [*PAGES, *WATCHED] if c.id in wanted]
        batch = read_batch([], [c.url for c in documents], self.remapper, FAST, SETTINGS)
        for case in documents:
            check = check_page if isinstance(case, PageCase) else check_watch
            out[case.id] = check(case, batch, store)  # type: ignore[arg-type]
        return out

    def screens(self, store: BaselineStore, chosen: list[Screen], options: UiOptions) -> Outcomes:
        context = self.browser.new_context(storage_state=str(self.state), service_workers="block")
        guard = Guard(self.remapper, FACTS)
        guard.install(context)
        page = context.new_page()
        try:
            return {screen.id: check_screen(page, screen, FACTS, options, store) for screen in chosen}
        finally:
            context.close()
            assert guard.blocked == [], f"looking at a screen sent a write: {guard.blocked}"


def statuses(outcomes: Outcomes) -> dict[str, str]:
    return {key: "no baseline" if isinstance(value, str) else value.status.value for key, value in outcomes.items()}


def of_status(outcomes: Outcomes, status: str) -> set[str]:
    return {key for key, value in statuses(outcomes).items() if value == status}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("additions") / "state.json"
    standin_storage_state(path)
    return path


@pytest.fixture(scope="module")
def recorded(browser: Browser, standin_server: StandIn, state: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Baselines recorded on the clean stand-in (module-wide: every test compares with them)."""
    standin_server.faults.clear()
    folder = tmp_path_factory.mktemp("baselines")
    store = BaselineStore(None, "recording", out_dir=folder)
    outcomes = Survey(browser, standin_server, state)(store)
    assert set(outcomes) == set(ALL) and of_status(outcomes, "no baseline") == set(ALL)
    return folder


@pytest.fixture
def survey(browser: Browser, standin: StandIn, state: Path) -> Survey:
    return Survey(browser, standin, state)


def comparing(folder: Path) -> BaselineStore:
    return BaselineStore(folder, f"compared with {folder}")


# -- what a recording holds ------------------------------------------------------------------------


def test_recording_writes_a_baseline_per_screen_page_and_watched_page(recorded: Path) -> None:
    files = sorted(recorded.rglob("*.yml"))
    assert len(files) == len(ALL)
    dialog = read_baseline(recorded / "screens" / "dialog.create_key_button.yml")
    assert dialog.live is False and dialog.run_id and dialog.recorded_at.startswith("20")
    assert dialog.items[:4] == (
        'dialog "Create new secret key"',
        'radiogroup "Owned by"',
        'radio "You"',
        'radio "Service account"',
    )
    text = "\n".join(path.read_text(encoding="utf-8") for path in files)
    # The account's data never reaches a baseline: names, emails, key rows, the projects in the picker.
    for data in ("Acme Co", "Kestrel", "ada@acme.example", "Local development", "Data science", "sk-proj-"):
        assert data not in text, data
    # Nor does the site's chrome: "Updated 3 days ago", related articles, the cookie banner, the footer.
    for chrome in ("days ago", "Related Articles", "cookies", "© 2026", "All Collections"):
        assert chrome not in text, chrome
    changelog = read_baseline(recorded / "watch" / "api_changelog.yml")
    # The stand-in's own entries, newest first, then one older entry per passage facts quote from it.
    quoted = {s.quote for _, s in FACTS.sources() if s.url and page_key(str(s.url)) == page_key(CHANGELOG)}
    dates = [entry["date"] for entry in changelog.items]
    assert dates[:3] == ["2026-11-18", "2026-10-02", "2026-09-03"] and len(dates) == 3 + len(quoted), dates
    assert dates == sorted(dates, reverse=True)


# -- nothing changed: nothing to say -----------------------------------------------------------------


def test_the_same_run_repeated_finds_nothing(survey: Survey, recorded: Path) -> None:
    outcomes = survey(comparing(recorded))
    assert set(statuses(outcomes).values()) == {"ok"}, {k: v for k, v in statuses(outcomes).items() if v != "ok"}


def test_the_accounts_data_swapped_finds_nothing(survey: Survey, standin: StandIn, recorded: Path, state: Path) -> None:
    standin.faults.inject(Fault(kind="data_set", name="b"))
    cookies = {"standin_session": "x"}
    shown = httpx.get(standin.url(API_KEYS), cookies=cookies).text
    assert "Globex" in shown and "Osprey" in shown and "Acme Co" not in shown  # the swap is real
    outcomes = survey(comparing(recorded))
    reviews = of_status(outcomes, "review") | of_status(outcomes, "drift")
    assert reviews == set(), {k: outcomes[k].observed for k in reviews}  # type: ignore[union-attr]
    assert set(statuses(outcomes).values()) == {"ok"}


# -- one addition, one outcome ----------------------------------------------------------------------


def test_each_addition_is_exactly_one_outcome(survey: Survey, standin: StandIn, recorded: Path) -> None:
    standin.faults.inject(Fault(kind="control_added", fact="ui.key_project", role="combobox", name="Expires"))
    standin.faults.inject(Fault(kind="control_added", fact="ui.create_key_button", role="button", name="Import key"))
    standin.faults.inject(Fault(kind="paragraph_added", fact=f"{PARAGRAPH_FACT}"))
    standin.faults.inject(Fault(kind="changelog_entry", route=CHANGELOG, entry_date="2026-12-01"))
    outcomes = survey(comparing(recorded))
    assert of_status(outcomes, "drift") == {DIALOG}
    assert of_status(outcomes, "review") == {KEYS_PAGE, HELP_PAGE, "watch.api_changelog"}
    assert of_status(outcomes, "ok") == set(ALL) - {DIALOG, KEYS_PAGE, HELP_PAGE, "watch.api_changelog"}

    dialog = outcomes[DIALOG]
    assert isinstance(dialog, Result)
    assert (
        dialog.observed
        == "OpenAI added Expires (combobox) to the Create new secret key dialog; the guide doesn't mention it"
    )
    opens = list(dict.fromkeys((u.page, u.where) for u in fact_usage("ui.create_key_button")))
    assert [(s.page, s.where) for s in dialog.steps] == opens and opens[0][0] == "create-key.md"
    before, after = dialog.evidence
    assert before.startswith("controls at the last review (stand-in or remapped run") and "Expires" not in before
    assert after.startswith("controls now: ") and 'combobox "Expires"' in after
    assert dialog.changes == [
        {
            "change": "added",
            "role": "combobox",
            "name": "Expires",
            "inside": "yes",
            "screen": "Create new secret key",
            "screen_kind": "dialog",
        }
    ]

    page = outcomes[KEYS_PAGE]
    assert isinstance(page, Result)
    assert page.observed == "OpenAI added Import key (button) to the API keys page"

    help_page = outcomes[HELP_PAGE]
    assert isinstance(help_page, Result) and [c["change"] for c in help_page.changes] == ["added"]
    assert help_page.changes[0]["text"].startswith("You can now set an expiry date")
    assert "#:~:text=You%20can%20now" in help_page.changes[0]["link"]
    assert help_page.changes[0]["link"].startswith("https://help.openai.com/en/articles/8867743-")

    changelog = outcomes["watch.api_changelog"]
    assert isinstance(changelog, Result) and len(changelog.changes) == 1
    entry = changelog.changes[0]
    assert entry["date"] == "2026-12-01" and entry["title"].startswith("You can now set an expiry date")
    assert {"key", "project"} <= set(entry["keywords"].split(", ")) and "#:~:text=" in entry["link"]


def test_a_changelog_entry_about_nothing_the_guide_covers_is_not_review(
    survey: Survey, standin: StandIn, recorded: Path
) -> None:
    quiet = "Added two more voices to the Realtime API for speech output."
    standin.faults.inject(Fault(kind="changelog_entry", route=CHANGELOG, message=quiet, entry_date="2026-12-01"))
    outcome = survey(comparing(recorded), only={"watch.api_changelog"})["watch.api_changelog"]
    assert isinstance(outcome, Result) and outcome.status is Status.OK
    assert outcome.notes == [f"new on 2026-12-01, names no keyword: “{quiet}”"]


def test_a_page_without_a_baseline_is_a_note_and_changes_no_outcome(
    survey: Survey, recorded: Path, tmp_path: Path
) -> None:
    partial = tmp_path / "baselines"
    shutil.copytree(recorded, partial)
    (partial / "pages" / "help.openai.com_en_articles_8867743.yml").unlink()
    store = comparing(partial)
    page_ids = {p.id for p in PAGES}
    outcomes = survey(store, only=page_ids)
    assert of_status(outcomes, "no baseline") == {HELP_PAGE}
    assert of_status(outcomes, "ok") == page_ids - {HELP_PAGE}
    note = outcomes[HELP_PAGE]
    assert isinstance(note, str) and note.startswith("no baseline: nothing compared: no baselines/pages/")
    assert store.report()["missing"] == [
        {
            "id": HELP_PAGE,
            "kind": "page",
            "url": "https://help.openai.com/en/articles/8867743",
            "reason": note.removeprefix("no baseline: "),
        }
    ]


# -- the real world's noise is never review --------------------------------------------------------


def test_walls_late_rendering_and_429_bursts_are_never_review_or_drift(
    survey: Survey, standin: StandIn, recorded: Path
) -> None:
    standin.faults.inject(Fault(kind="consent", route=API_KEYS))  # a cookie banner over the keys page
    standin.faults.inject(Fault(kind="slow_render", fact="ui.create_key_button", seconds=1.5))  # renders late
    standin.faults.inject(Fault(kind="signin_wall", route=GENERAL))  # sent to sign in
    standin.faults.inject(Fault(kind="retry_after", route=LIMITS, status=429, seconds=0))  # the app's 429
    standin.faults.inject(Fault(kind="retry_after", route="https://help.openai.com/en/articles", times=4, seconds=0))
    standin.faults.inject(Fault(kind="retry_after", route=CHANGELOG, times=2, seconds=0))
    outcomes = survey(comparing(recorded), timeout=4.0)
    assert of_status(outcomes, "review") == set() and of_status(outcomes, "drift") == set(), statuses(outcomes)
    found = statuses(outcomes)
    assert found[KEYS_PAGE] == found[DIALOG] == "ok"  # banner rejected, late button waited for
    assert any("dismissed a consent banner" in n for n in outcomes[KEYS_PAGE].notes)  # type: ignore[union-attr]
    assert found["screens.platform.openai.com/settings/organization/general"] == "inconclusive"
    assert found["screens.platform.openai.com/settings/organization/limits"] == "inconclusive"
    assert found[HELP_PAGE] == found["watch.api_changelog"] == "ok"  # retried after the burst


# -- the real command -------------------------------------------------------------------------------


@pytest.fixture
def own_standin(tmp_path: Path) -> Iterator[tuple[StandIn, list[str]]]:
    with StandIn() as standin:
        state = tmp_path / "state.json"
        standin_storage_state(state)
        yield standin, [f"--remap={remap}" for remap in standin.remaps] + [f"--storage-state={state}"]


def test_the_suite_reports_a_control_and_a_paragraph_everywhere(
    own_standin: tuple[StandIn, list[str]], recorded: Path, tmp_path: Path
) -> None:
    standin, args = own_standin
    standin.faults.inject(Fault(kind="control_added", fact="ui.key_project", role="combobox", name="Expires"))
    standin.faults.inject(Fault(kind="paragraph_added", fact=PARAGRAPH_FACT))
    report, markdown, junit = tmp_path / "drift.json", tmp_path / "drift.md", tmp_path / "junit.xml"
    command = [
        sys.executable, "-m", "pytest", "checks", "-m", "not links", "-p", "no:cacheprovider", "-rA", *args,
        f"--baseline={recorded}", f"--baseline-out={tmp_path / 'out'}", f"--drift-report={report}",
        f"--markdown-report={markdown}", f"--junitxml={junit}", f"--output={tmp_path / 'pw'}", "--ui-timeout=3",
        f"--ui-stable-pause={STABLE_PAUSE}",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GITHUB_", "PYTEST_"))}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]  # the drift fails the run; the review alone would not
    data = json.loads(report.read_text(encoding="utf-8"))
    by_status: dict[str, set[str]] = {}
    for result in data["results"]:
        by_status.setdefault(result["status"], set()).add(result["id"])
    assert by_status["drift"] == {DIALOG}, output[-3000:]
    assert by_status["review"] == {HELP_PAGE}
    assert data["summary"]["review"] == 1 and data["baselines"]["compared"] == len(ALL)
    # The terminal: the drift on its step, the review as REVIEW, and what changed.
    assert "FAILED checks/test_screens.py::test_screen[screens.dialog.create_key_button]" in output
    assert f"REVIEW        page  {HELP_PAGE}  1 sentence added on the page since the last review" in output
    assert "changed at OpenAI since the last review: 1" in output
    assert "1 failed" in output.splitlines()[-1] and "1 review" in output.splitlines()[-1]
    # Markdown: the drift with what changed, and the review section with a diff and a link.
    text = markdown.read_text(encoding="utf-8")
    assert "**1 drift · 1 review ·" in text
    assert (
        "  - **What changed:** OpenAI added **Expires** (combobox) to the **Create new secret key** dialog; "
        "the guide doesn't mention it"
    ) in text
    section = text.split("## Changed at OpenAI since the last review (1)", 1)[1].split("\n## ", 1)[0]
    assert "help.openai.com/en/articles/8867743 · cited page" in section
    assert (
        "  + You can now set an expiry date when you create a project API key, and admins can require one." in section
    )
    assert "#:~:text=You%20can%20now" in section
    (tmp_path / "section.md").write_text(section, encoding="utf-8")
    # JUnit: the drift a failure, the review a skip that says so, each with its drift_status.
    cases = {case.get("name"): case for case in ElementTree.parse(junit).getroot().iter("testcase")}
    review = cases[f"test_page[{HELP_PAGE}]"]
    skipped = review.find("skipped")
    assert skipped is not None and (skipped.get("message") or "").startswith("review: ")
    assert {(p.get("name"), p.get("value")) for p in review.iter("property")} == {("drift_status", "review")}
    assert cases[f"test_screen[{DIALOG}]"].find("failure") is not None
    # What the run saw is recorded, provenance and all (not live: a stand-in run).
    written = read_baseline(tmp_path / "out" / "screens" / "dialog.create_key_button.yml")
    assert 'combobox "Expires"' in written.items and written.live is False
