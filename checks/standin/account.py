"""The stand-in account's own data, in two data sets, and the controls a fault adds to a screen.

OpenAI's pages show the signed-in account's data: the organization and project switchers in the top
bar, the user's email, the rows of the API keys table (names, masked keys, dates, who created them),
a count, a project filter, and the projects in the key dialog's picker. Two accounts, or one account
on two days, differ in all of that, and the drift suite must not call it a change. The `data_set`
fault swaps data set "a" (the default) for "b", so a test can prove it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import NamedTuple


class KeyRow(NamedTuple):
    name: str
    masked: str
    created: str
    last_used: str
    created_by: str
    permissions: str


@dataclass(frozen=True)
class DataSet:
    organization: str
    project: str
    email: str
    projects: tuple[str, ...]  # the key dialog's project picker, after the default project
    keys: tuple[KeyRow, ...]


_A, _B = "ada@acme.example", "grace@globex.example"
DATA_SETS: dict[str, DataSet] = {
    "a": DataSet(
        organization="Acme Co",
        project="Kestrel",
        email=_A,
        projects=("Kestrel", "Data science"),
        keys=(
            KeyRow("Local development", "sk-proj-****abcd", "Nov 3, 2026", "3 days ago", _A, "All permissions"),
            KeyRow("relay-production", "sk-svcacct-****wxyz", "Oct 12, 2026", "2 hours ago", _A, "Restricted access"),
        ),
    ),
    "b": DataSet(
        organization="Globex",
        project="Osprey",
        email=_B,
        projects=("Osprey", "Support bots", "Experiments", "Archive 2025"),
        keys=(
            KeyRow("ci-runner", "sk-proj-****q1w2", "2026-09-30", "Never", _B, "Read-only access"),
            KeyRow("Staging", "sk-proj-****e3r4", "Aug 1, 2026", "yesterday", "ops@globex.example", "All permissions"),
            KeyRow("Relay", "sk-svcacct-****t5y6", "Jul 14, 2026", "5 minutes ago", _B, "Restricted access"),
        ),
    ),
}
DEFAULT = "a"


def account_bar(data: DataSet) -> str:
    """The top bar's switchers: each a button that opens a menu and shows the current choice."""
    picker = 'type="button" aria-haspopup="menu" aria-expanded="false"'
    return (
        f"<button {picker}>{escape(data.organization)}</button>"
        f"<button {picker}>{escape(data.project)}</button>"
        f'<button {picker} aria-label="{escape(data.email)}">{escape(data.email[:1].upper())}</button>'
    )


COLUMNS = ("Label", "Secret key", "Created", "Last used", "Created by", "Permissions")


def key_list(data: DataSet, canary: str | None, taken: set[str]) -> str:
    """The API keys page's list: a count, a project filter, and one row per key (plus the canary key).

    `taken` holds the ui facts' names, so no column header here shares one.
    """
    rows = list(data.keys)
    if canary is not None:
        rows.append(KeyRow("Canary", canary, "Dec 1, 2026", "Never", data.email, "All permissions"))
    shown = [i for i, header in enumerate(COLUMNS) if header.casefold() not in taken]
    head = "".join(f"<th>{escape(COLUMNS[i])}</th>" for i in shown)
    body = ""
    for row in rows:
        values = [escape(row.name), f"<code>{escape(row.masked)}</code>", *map(escape, row[2:])]
        cells = "".join(f"<td>{values[i]}</td>" for i in shown)
        body += f'<tr>{cells}<td><button type="button" aria-label="{escape(row.name)} ✎">✎</button></td></tr>'
    picker = 'type="button" aria-haspopup="listbox" aria-expanded="false"'
    return (
        f"<h2>Keys ({len(rows)})</h2>"
        f"<p><button {picker}>{escape(data.project)}</button></p>"
        f"<table><thead><tr>{head}<th></th></tr></thead><tbody>{body}</tbody></table>"
    )


def project_options(default_project: str, data: DataSet) -> str:
    """The key dialog's project picker: the default project, then the account's projects."""
    names = [default_project, *(p for p in data.projects if p != default_project)]
    return "".join(f"<option>{escape(name)}</option>" for name in names)


def extra_control(role: str, name: str, uid: str) -> str:
    """A control a `control_added` fault puts on a screen, as OpenAI would build it."""
    label = escape(name)
    if role == "combobox":
        options = "".join(f"<option>{d}</option>" for d in ("30 days", "90 days", "1 year", "Never"))
        return f'<label for="{uid}">{label}</label><select id="{uid}">{options}</select>'
    if role in ("textbox", "spinbutton"):
        kind = "number" if role == "spinbutton" else "text"
        return f'<label for="{uid}">{label}</label><input id="{uid}" type="{kind}">'
    if role in ("checkbox", "radio"):
        return f'<label><input type="{role}" id="{uid}"> {label}</label>'
    if role == "link":
        return f'<a href="#{uid}">{label}</a>'
    if role == "heading":
        return f"<h3>{label}</h3>"
    if role == "button":
        return f'<button type="button">{label}</button>'
    return f'<div role="{escape(role)}" aria-label="{label}" tabindex="0">{label}</div>'
