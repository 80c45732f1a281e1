"""What readers see of the last drift run: the stamp under each title and the notices on drifted steps.

Built from a copy of the site (keyguide.build) with the recorded fixtures/verification.json: create-key.md
drifted (the "Service account" step of "Create the key", and the admin-keys link in the "Key types"
section), sign-up.md verified, spend-limits.md partly verified, test-key.md checked but inconclusive,
every other page unchecked.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from keyguide.build import build_site, copy_project
from keyguide.facts import load_facts
from keyguide.pages import Page, PageMeta
from keyguide.usage import fact_usage
from keyguide.verification import NOTICE_BODY, SECTION_NOTICE, STEP_NOTICE, add_drift_notices

RECORDED = Path(__file__).parent / "fixtures" / "verification.json"  # == verification_data(drift-report.json)


def _fixture(tmp: Path) -> Path:
    """The recorded run, with its phone-verification drift moved to the admin-keys link: the corrected
    create-key page states the phone step inside a numbered step now, so the section notice needs a
    fact stated in a section's prose (the "Key types" paragraph)."""
    data = json.loads(RECORDED.read_text(encoding="utf-8"))
    entry = data["pages"]["create-key.md"]
    entry["facts"] = [f if f != "ui.start_verification" else "links.admin_keys" for f in entry["facts"]]
    for drifted in entry["drifted"]:
        if drifted["fact"] == "ui.start_verification":
            drifted.update(fact="links.admin_keys", kind="link")
            drifted["steps"] = [{"line": 122, "section": "Key types", "step": None, "where": "Key types"}]
    path = tmp / "verification.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


RUN_DATE = "2026-11-26"


@dataclass(frozen=True)
class Site:
    root: Path

    def page(self, name: str) -> BeautifulSoup:
        return BeautifulSoup((self.root / name / "index.html").read_text(encoding="utf-8"), "html.parser")


def _build(base: Path, verification: Path | None, notices: bool) -> Site:
    project = copy_project(base / "project")
    config = project / "mkdocs.yml"
    text, count = re.subn(r"(?m)^(\s*drift_notices:)\s*\S+", rf"\1 {str(notices).lower()}", config.read_text())
    assert count == 1, "mkdocs.yml must keep its extra.drift_notices switch"
    config.write_text(text)
    if verification is not None:
        shutil.copy(verification, project / "verification.json")
    result = build_site(project)
    assert result.ok, result.output[-3000:]
    return Site(result.site_dir)


@pytest.fixture(scope="module")
def stamped(tmp_path_factory: pytest.TempPathFactory) -> Site:
    base = tmp_path_factory.mktemp("stamped")
    return _build(base, _fixture(base), notices=True)


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Site:
    base = tmp_path_factory.mktemp("quiet")
    return _build(base, _fixture(base), notices=False)


@pytest.fixture(scope="module")
def unverified(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return _build(tmp_path_factory.mktemp("unverified"), None, notices=True)


def _stamp(soup: BeautifulSoup) -> tuple[str, str]:
    stamp = soup.select_one("[data-guide-verified]")
    assert isinstance(stamp, Tag), "every guide page carries a verification stamp"
    return str(stamp["data-guide-verified"]), " ".join(stamp.get_text(" ").split())


# -- the stamp --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "state", "words"),
    [
        ("sign-up", "yes", f"Verified against OpenAI on {RUN_DATE}"),
        ("spend-limits", "partial", f"Partly verified against OpenAI on {RUN_DATE}"),
        ("create-key", "drift", f"Checked against OpenAI on {RUN_DATE} : 2 steps may be out of date"),
        ("test-key", "no", "Not yet verified against OpenAI"),
        ("billing", "no", "Not yet verified against OpenAI"),
    ],
)
def test_stamp_follows_the_last_live_run(stamped: Site, page: str, state: str, words: str) -> None:
    assert _stamp(stamped.page(page)) == (state, words)


def test_stamp_dates_are_machine_readable(stamped: Site) -> None:
    stamp = stamped.page("sign-up").select_one("[data-guide-verified] time")
    assert stamp is not None and stamp["datetime"] == RUN_DATE


def test_without_a_verification_file_no_page_claims_verification(unverified: Site) -> None:
    pages = sorted(p.parent.name for p in unverified.root.glob("*/index.html") if p.parent.name != "404")
    assert "create-key" in pages
    for page in pages:
        assert _stamp(unverified.page(page)) == ("no", "Not yet verified against OpenAI"), page
    assert not unverified.page("create-key").select(".guide-drift-notice")


# -- notices on drifted steps ---------------------------------------------------------------------


def _section_list(soup: BeautifulSoup, heading_id: str) -> Tag:
    heading = soup.find(id=heading_id)
    assert isinstance(heading, Tag)
    listing = heading.find_next_sibling("ol")
    assert isinstance(listing, Tag)
    return listing


def test_notice_sits_in_the_drifted_step(stamped: Site) -> None:
    soup = stamped.page("create-key")
    notices = soup.select(".guide-drift-notice")
    assert len(notices) == 2
    step_notices = [n for n in notices if n.find_parent("li")]
    assert len(step_notices) == 1
    item = step_notices[0].find_parent("li")
    steps = _section_list(soup, "create-the-key").find_all("li", recursive=False)
    step = next(use.step for use in fact_usage("ui.owner_service_account") if use.page == "create-key.md")
    assert step is not None, "create-key.md names the 'Service account' option in a step"
    assert steps.index(item) == step - 1, f"step {step} states the drifted 'Service account' option"
    assert load_facts().ui["owner_service_account"].name in item.get_text()
    title = step_notices[0].select_one(".admonition-title")
    assert title is not None and title.get_text() == STEP_NOTICE
    assert f"{NOTICE_BODY} Checked against OpenAI on {RUN_DATE}." in step_notices[0].get_text()


def test_notice_outside_a_step_opens_its_section(stamped: Site) -> None:
    soup = stamped.page("create-key")
    section_notice = next(n for n in soup.select(".guide-drift-notice") if not n.find_parent("li"))
    heading = section_notice.find_previous_sibling()
    assert heading is not None and heading.name == "h2" and heading.get("id") == "key-types"
    assert SECTION_NOTICE in section_notice.get_text() and NOTICE_BODY in section_notice.get_text()


def test_notice_keeps_the_numbering(stamped: Site, quiet: Site) -> None:
    with_notice = _section_list(stamped.page("create-key"), "create-the-key").find_all("li", recursive=False)
    without = _section_list(quiet.page("create-key"), "create-the-key").find_all("li", recursive=False)
    assert len(with_notice) == len(without) >= 2
    assert not _section_list(stamped.page("create-key"), "create-the-key").has_attr("start")


def test_notices_are_off_with_the_switch(quiet: Site) -> None:
    soup = quiet.page("create-key")
    assert not soup.select(".guide-drift-notice")
    assert _stamp(soup)[0] == "drift", "the switch hides the notices, never the stamp"


def test_pages_without_drift_get_no_notice(stamped: Site) -> None:
    for page in ("sign-up", "spend-limits", "test-key", "billing"):
        assert not stamped.page(page).select(".guide-drift-notice"), page


# -- placing notices in Markdown (unit) -----------------------------------------------------------

META = PageMeta.model_validate(
    {
        "title": "A test page",
        "description": "A page made up for the drift notice tests, long enough.",
        "updated": "2026-11-26",
        "version": 1,
        "changelog": [{"version": 1, "date": "2026-11-26", "summary": "First version"}],
    }
)
BODY = """Intro with {{ ui("create_key_button") }}.

## First

```bash
# not a heading {{ ui("copy_key") }}
```

1. Open the page.
2. Select {{ ui("owned_by") }} and
   then {{ ui("owner_you") }}.

       an indented code line

3. Last step.

## Second

Text.
"""


def _notices(drifted: list[str], *, markdown: str | None = None, on: bool = True) -> str:
    page = Page(Path("t.md"), META, BODY, body_line=10)
    verification = {"run_date": RUN_DATE, "pages": {"t.md": {"drifted": [{"fact": f} for f in drifted]}}}
    extra = {"drift_notices": on, "verification": verification}
    return add_drift_notices(BODY if markdown is None else markdown, page, "t.md", extra)


def test_unit_a_step_notice_follows_the_whole_item_indented() -> None:
    out = _notices(["ui.owner_you"]).splitlines()
    at = out.index(f'    !!! warning guide-drift-notice "{STEP_NOTICE}"')
    assert out[at - 2 : at] == ["       an indented code line", ""]
    assert out[at + 1] == f"        {NOTICE_BODY} Checked against OpenAI on {RUN_DATE}."
    assert not "".join(out[at + 2 : out.index("3. Last step.")]).strip(), "the next step follows the notice"


def test_unit_two_facts_in_one_step_give_one_notice() -> None:
    assert _notices(["ui.owned_by", "ui.owner_you"]).count("guide-drift-notice") == 1


def test_unit_a_fact_in_code_is_noticed_under_its_real_heading() -> None:
    out = _notices(["ui.copy_key"]).splitlines()
    notice = f'!!! warning guide-drift-notice "{SECTION_NOTICE}"'
    assert out[out.index("## First") + 2] == notice
    assert "# not a heading" in BODY and out.count(notice) == 1


def test_unit_a_fact_before_any_heading_is_noticed_at_the_top() -> None:
    assert _notices(["ui.create_key_button"]).startswith(f'\n!!! warning guide-drift-notice "{SECTION_NOTICE}"')


def test_unit_nothing_changes_without_drift_switch_or_matching_source() -> None:
    assert _notices([]) == BODY
    assert _notices(["ui.owner_you"], on=False) == BODY
    edited = BODY.replace("Open the page.", "Open the page first.")
    assert _notices(["ui.owner_you"], markdown=edited) == edited, "an unexpected source is left alone"
