"""Screen inventories: what is a screen's UI and what is the account's data, rule by rule, and how a
change is judged (checks/drift/inventory.py). Snapshots are written as Playwright writes them."""

from __future__ import annotations

import pytest

from checks.drift.inventory import Inventory, compare, data_free, judge, line, only_data, parse_line, parse_snapshot
from checks.drift.outcomes import Status
from keyguide.baselines import Baseline, screens
from keyguide.facts import load_facts
from keyguide.usage import fact_usage

FACTS = load_facts()
DIALOG = next(s for s in screens(FACTS) if s.id == "screens.dialog.create_key_button")
KEYS_PAGE = next(s for s in screens(FACTS) if s.id.endswith("/api-keys"))
NAMED = {(ui.role, ui.name) for ui in FACTS.ui.values()}

PAGE = """
- banner:
  - link "platform.openai.com":
    - /url: https://platform.openai.com/
  - button "Acme Co"
- navigation "Settings":
  - link "Admin keys":
    - /url: https://platform.openai.com/settings/organization/admin-keys
- navigation "Docs":
  - link "API keys":
    - /url: https://platform.openai.com/settings/organization/api-keys
- main:
  - heading "API keys" [level=1]
  - button "Create new secret key"
  - heading "Keys (3)" [level=2]
  - button "Kestrel"
  - 'button "Last used: 3 days ago"'
  - link "ada@acme.example":
    - /url: mailto:ada@acme.example
  - table:
    - rowgroup:
      - row "Label Secret key":
        - columnheader "Label"
        - columnheader "Secret key"
    - rowgroup:
      - row "Local development sk-proj-****abcd":
        - cell "Local development"
        - cell "sk-proj-****abcd":
          - button "Edit"
  - dialog "Cookie preferences":
    - button "Reject non-essential"
- contentinfo:
  - link "Terms"
"""


def test_a_page_is_its_main_and_the_navigation_the_guide_points_into() -> None:
    found = Inventory(FACTS, pickers=frozenset({"Kestrel"})).of_page(PAGE)
    assert found == [
        'heading "API keys"',
        'button "Create new secret key"',
        'heading "Keys (#)"',  # a count is data; the heading is UI
        'button "(menu)"',  # a picker shows the current project: kept without it
        'button "Last used: <when>"',
        'link "API keys"',  # a navigation holding a control the guide names
    ]


def test_each_data_rule_can_fail() -> None:
    # Without the picker list, the project's name would be taken for UI.
    assert 'button "Kestrel"' in Inventory(FACTS).of_page(PAGE)
    # The top bar, a footer, other menus, cookie banners and rows are never the page.
    for absent in ("Acme Co", "Terms", "Admin keys", "Reject non-essential", "Edit", "Local development"):
        assert not any(absent in item for item in Inventory(FACTS).of_page(PAGE)), absent


def test_without_a_main_landmark_the_page_is_everything_but_its_chrome() -> None:
    snapshot = """
- banner:
  - button "Acme Co"
- heading "Organization limits" [level=1]
- button "Edit spend limit"
- complementary:
  - link "Related"
- alert: Saved
"""
    assert Inventory(FACTS).of_page(snapshot) == ['heading "Organization limits"', 'button "Edit spend limit"']


def test_a_dialog_keeps_its_name_and_controls_but_not_its_choices() -> None:
    snapshot = """
- dialog "Create new secret key":
  - radiogroup "Owned by":
    - radio "You"
  - textbox "Name"
  - combobox "Project":
    - option "Default project" [selected]
    - 'option "Kestrel: main"'
  - button "Create secret key"
"""
    assert Inventory(FACTS).of_dialog(snapshot) == [
        'dialog "Create new secret key"',
        'radiogroup "Owned by"',
        'radio "You"',
        'textbox "Name"',
        'combobox "Project"',
        'button "Create secret key"',
    ]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("ada@acme.example", None),
        ("sk-proj-****abcd", None),
        ("org-AbCdEf123456", None),
        ("Dec 2, 2026", None),
        ("2026-12-02", None),
        ("3 days ago", None),
        ("$12.50", None),
        ("42", None),
        ("Created Dec 2, 2026", "Created <date>"),
        ("API keys (3)", "API keys (#)"),
        ("Expires", "Expires"),
        ("Create new secret key", "Create new secret key"),
    ],
)
def test_data_shapes(name: str, shown: str | None) -> None:
    assert (None if only_data(name) else data_free(name)) == shown


def test_lines_round_trip_with_quotes_and_forms() -> None:
    text = line("button", 'Say "hi"', form="Spend limit")
    assert text == 'form "Spend limit" › button "Say \\"hi\\""'
    assert parse_line(text) == ("button", 'Say "hi"', "Spend limit")
    assert parse_snapshot("- 'button \"a: b\"': x")[0].name == "a: b"


BEFORE = Inventory(FACTS).of_dialog(
    '- dialog "Create new secret key":\n  - textbox "Name"\n  - combobox "Project"\n  - button "Create secret key"\n'
)


def _baseline(items: list[str]) -> Baseline:
    return Baseline("x", "screen", "https://x", "x", True, "7", "2026-12-01T00:00:00+00:00", tuple(items))


def test_an_added_control_in_the_dialog_is_drift_on_the_step_that_opens_it() -> None:
    now = [*BEFORE[:3], 'combobox "Expires"', BEFORE[3]]
    result = judge(DIALOG, _baseline(BEFORE), now, FACTS)
    assert result.status is Status.DRIFT
    assert (
        result.observed
        == "OpenAI added Expires (combobox) to the Create new secret key dialog; the guide doesn't mention it"
    )
    # The step that opens the dialog: where the guide names its button.
    assert [s.where for s in result.steps] == list(dict.fromkeys(u.where for u in fact_usage("ui.create_key_button")))
    assert result.steps and "Create the key › step" in result.steps[0].where


def test_a_control_added_elsewhere_or_lost_is_review_and_a_renamed_named_one_is_the_ui_checks() -> None:
    before = ['heading "API keys"', 'button "Create new secret key"', 'link "Docs"']
    added = judge(KEYS_PAGE, _baseline(before), [*before, 'button "Import key"'], FACTS)
    assert added.status is Status.REVIEW and added.observed == "OpenAI added Import key (button) to the API keys page"
    lost = judge(KEYS_PAGE, _baseline(before), before[:2], FACTS)
    assert lost.status is Status.REVIEW and lost.observed == "Docs (link) no longer on the API keys page"
    renamed = compare(KEYS_PAGE, before, ['heading "API keys"', 'button "Create secret key"', 'link "Docs"'], NAMED)
    assert not renamed.changed and renamed.notes == [
        "button 'Create new secret key' is now 'Create secret key' (ui fact, reported by its UI check)"
    ]
    assert judge(KEYS_PAGE, _baseline(before), list(before), FACTS).status is Status.OK


def test_two_of_a_control_are_two() -> None:
    before = ['button "Edit"']
    assert compare(KEYS_PAGE, before, ['button "Edit"', 'button "Edit"'], NAMED).added_elsewhere == ['button "Edit"']
