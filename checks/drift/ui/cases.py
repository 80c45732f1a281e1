"""The UI cases: one per ui fact, described as a person would look for it (role and accessible name)."""

from __future__ import annotations

from dataclasses import dataclass

from keyguide.facts import Facts, UiFact

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
