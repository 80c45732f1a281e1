"""Screen inventories: the controls and headings of a screen a step walks through, as a person who
uses a screen reader meets them (role and accessible name, from Playwright's aria snapshot), with
the account's own data left out, and their comparison with the baseline.

Two runs, or two accounts, differ in their data: key rows, organization and project names, emails,
dates, counts, the projects in a picker. None of that is a change at OpenAI, and none of it may
reach a committed baseline. What counts as the screen, and what is data (in this order):

1. What the guide names is UI: a ui fact's role and name are kept as written, always.
2. Landmarks: a page is its `main` landmark plus any navigation that holds a control the guide
   names; the top bar (banner, where the account switcher lives), footers, asides, the site's other
   menus, toasts and dialogs are not the page (a dialog the guide opens is a screen of its own).
3. Rows: a table or grid row of cells is a record (a key, a member, an invoice); header rows stay.
4. Choices: the options of a combobox or listbox and the items of an open menu are the account's
   list (its projects, its organizations); the picker itself stays.
5. Pickers: a button that opens a menu or list (aria-haspopup, aria-expanded) shows its current
   choice (an organization, a project) as its name: it is kept as `button "(menu)"`, without that
   name. The snapshot does not say which buttons those are, so the browser lists them (`PICKERS_JS`).
6. Shapes: emails, key-shaped text, ids, dates, times, "3 days ago", amounts and numbers in a name are
   replaced by placeholders (<email>, <date>, #…); a name that is nothing but data is left out.
7. Cookie banners are never part of a screen.

Compared with the baseline: a control added inside a dialog (or a form) the guide walks through is
drift on the step that opens it; a control added elsewhere, a heading, or the loss of a control the
guide doesn't name is review. A control the guide names that is gone or renamed is the UI check's
drift (checks/drift/ui), so it is only noted here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml

from checks.drift.outcomes import Result, Status, Step
from checks.drift.quirks import CONSENT_ACCEPT_LABELS, CONSENT_REJECT_LABELS, CONSENT_WORDS, button_name_pattern
from checks.drift.ui.cases import ROLE_FAMILIES
from checks.drift.ui.locate import only_near
from keyguide.baselines import Baseline, Screen
from keyguide.facts import Facts
from keyguide.usage import fact_usage

CONTROL_ROLES = frozenset(
    {
        "button",
        "link",
        "textbox",
        "searchbox",
        "combobox",
        "listbox",
        "checkbox",
        "radio",
        "radiogroup",
        "switch",
        "slider",
        "spinbutton",
        "tab",
        "menuitem",
        "menuitemcheckbox",
        "menuitemradio",
    }
)
RECORDED_ROLES = CONTROL_ROLES | {"heading"}
CHROME_LANDMARKS = frozenset({"banner", "contentinfo", "complementary", "dialog", "alertdialog", "alert", "status"})
CHOICE_LISTS = frozenset({"combobox", "listbox", "menu", "tree"})
PICKER = "(menu)"
# The names of the buttons that open a menu or list (a closed one shows no [expanded] in the snapshot).
PICKERS_JS = """
() => [...document.querySelectorAll(
    '[aria-haspopup]:not([aria-haspopup="false"]):not([aria-haspopup="dialog"]), [aria-expanded]')]
  .map((e) => (e.getAttribute("aria-label") || e.innerText || e.textContent || "").replace(/\\s+/g, " ").trim())
  .filter(Boolean)
"""
NODE = re.compile(r'^(?P<role>[a-z]+)(?: "(?P<name>(?:[^"\\]|\\.)*)")?(?P<attrs>(?: \[[^\]]*\])*)$')
ATTR = re.compile(r"\[([a-z-]+)(?:=([^\]]*))?\]")
LINE = re.compile(r'^(?:form "(?P<form>(?:[^"\\]|\\.)*)" › )?(?P<role>[a-z]+) "(?P<name>(?:[^"\\]|\\.)*)"$')
_CONSENT_BUTTON = button_name_pattern(CONSENT_REJECT_LABELS + CONSENT_ACCEPT_LABELS)

_MONTHS = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
# Data shapes, most specific first: what two accounts (or two days) show differently.
DATA_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"\bsk-[\w*\[\].-]{3,}|\*{4,}\w*"), "<key>"),
    (re.compile(r"\b(?:org|proj|user|key|sess|svcacct|sa|asst|file|batch)[-_][A-Za-z0-9]{6,}\b"), "<id>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?\S*)?\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"), "<date>"),
    (
        re.compile(
            rf"\b{_MONTHS}[a-z]*\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?\b"
            rf"|\b\d{{1,2}} {_MONTHS}[a-z]*\.?(?:,? \d{{4}})?\b",
            re.IGNORECASE,
        ),
        "<date>",
    ),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AP]M)?\b", re.IGNORECASE), "<time>"),
    (
        re.compile(
            r"\b(?:\d+|an?|one) (?:second|minute|hour|day|week|month|year)s? ago\b|\bjust now\b|\byesterday\b",
            re.IGNORECASE,
        ),
        "<when>",
    ),
    (re.compile(r"[$€£]\s?\d[\d,]*(?:\.\d+)?"), "<amount>"),
    (re.compile(r"\d[\d,]*(?:\.\d+)?%?"), "#"),
)
PLACEHOLDERS = re.compile(r"<(?:email|key|id|date|time|when|amount)>|#")


@dataclass
class Node:
    """One node of an aria snapshot: role, accessible name, [attributes], children."""

    role: str
    name: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    text: str = ""  # "paragraph: text" and "text: …" content


def parse_snapshot(snapshot: str) -> list[Node]:
    """The nodes of a Playwright aria snapshot (YAML), as a tree."""
    try:
        data = yaml.safe_load(snapshot) or []
    except yaml.YAMLError:
        return []
    return [node for item in (data if isinstance(data, list) else [data]) if (node := _node(item)) is not None]


def _node(item: Any) -> Node | None:
    if isinstance(item, str):
        return _head(item)
    if isinstance(item, dict) and len(item) == 1:
        key, value = next(iter(item.items()))
        node = _head(str(key))
        if node is None:
            return None
        if isinstance(value, list):
            node.children = [child for sub in value if (child := _node(sub)) is not None]
        elif value is not None:
            node.text = str(value)
        return node
    return None


def _head(text: str) -> Node | None:
    if text.startswith("/"):  # /url: …, /placeholder: …
        return None
    match = NODE.match(text.strip())
    if match is None:
        return None
    name = json.loads(f'"{match.group("name")}"') if match.group("name") is not None else ""
    attrs = {m.group(1): m.group(2) or "true" for m in ATTR.finditer(match.group("attrs") or "")}
    return Node(match.group("role"), " ".join(name.split()), attrs)


# -- from snapshot to inventory ----------------------------------------------------------------


def line(role: str, name: str, form: str | None = None) -> str:
    """A control as the baseline keeps it: `combobox "Project"` (inside a form: `form "X" › …`)."""
    shown = f"{role} {json.dumps(name, ensure_ascii=False)}"
    return f"form {json.dumps(form, ensure_ascii=False)} › {shown}" if form else shown


def parse_line(text: str) -> tuple[str, str, str | None]:
    """(role, name, form) of a baseline line."""
    match = LINE.match(text)
    if match is None:
        return "", text, None
    form = json.loads(f'"{match.group("form")}"') if match.group("form") is not None else None
    return match.group("role"), json.loads(f'"{match.group("name")}"'), form


def data_free(name: str) -> str:
    """`name` with its data shapes replaced by placeholders ("API keys (3)" → "API keys (#)")."""
    for pattern, placeholder in DATA_SHAPES:
        name = pattern.sub(placeholder, name)
    return name


def only_data(name: str) -> bool:
    """Whether nothing of `name` is left once its data is taken out (an email, a date, "3")."""
    return not re.sub(r"[\W_]+", "", PLACEHOLDERS.sub("", data_free(name)))


class Inventory:
    """Builds one screen's inventory from its snapshot, knowing what the guide names."""

    def __init__(self, facts: Facts, pickers: frozenset[str] = frozenset()) -> None:
        self.named = {(ui.role, " ".join(ui.name.split())) for ui in facts.ui.values()}
        self.pickers = pickers

    def of_page(self, snapshot: str) -> list[str]:
        """A page: its main landmark and the navigations that hold a control the guide names."""
        nodes = parse_snapshot(snapshot)
        mains = [n for n in _walk(nodes, stop="main") if n.role == "main"]
        if not mains:
            roots = [n for n in nodes if self._part_of_page(n)]
        else:
            navs = [n for n in _walk(nodes, stop="main") if n.role == "navigation" and self._names_guide(n)]
            roots = [*mains, *navs]
        found: list[str] = []
        for root in roots:
            found += self._collect(root, None, top=True)
        return found

    def of_dialog(self, snapshot: str) -> list[str]:
        """A dialog: its own name, then everything in it."""
        found: list[str] = []
        for root in parse_snapshot(snapshot):
            if root.role in ("dialog", "alertdialog") and root.name and not only_data(root.name):
                found.append(line(root.role, data_free(root.name)))
            for child in root.children:
                found += self._collect(child, None)
        return found

    def _part_of_page(self, node: Node) -> bool:
        if node.role == "navigation":
            return self._names_guide(node)
        return node.role not in CHROME_LANDMARKS

    def _names_guide(self, node: Node) -> bool:
        return any((n.role, n.name) in self.named for n in _walk([node]))

    def _collect(self, node: Node, form: str | None, top: bool = False) -> list[str]:
        if self._skipped(node, top):
            return []
        found: list[str] = []
        if node.role in RECORDED_ROLES:
            kept = self._kept(node)
            if kept is not None:
                found.append(line(node.role, kept, form))
        if node.role == "form" and node.name and self._names_guide(node):
            form = data_free(node.name)
        if node.role in CHOICE_LISTS:
            return found  # its options and items are the account's list
        for child in node.children:
            found += self._collect(child, form)
        return found

    def _skipped(self, node: Node, top: bool) -> bool:
        if not top and node.role in CHROME_LANDMARKS - {"banner", "contentinfo"}:
            return True  # a toast, or a dialog over the page: not the page
        if node.role in ("row",) and _is_record(node):
            return True
        if node.role in ("option", "treeitem"):
            return True
        return self._consent(node)

    def _consent(self, node: Node) -> bool:
        if node.role not in ("dialog", "alertdialog", "region", "complementary", "contentinfo", "group", "banner"):
            return False
        if CONSENT_WORDS.search(node.name):
            return True
        buttons = [n.name for n in _walk(node.children) if n.role == "button"]
        return any(_CONSENT_BUTTON.match(name) for name in buttons) and not self._names_guide(node)

    def _kept(self, node: Node) -> str | None:
        """The name to keep for a control or heading, or None when it is the account's data."""
        if (node.role, node.name) in self.named:
            return node.name
        if node.role == "button" and ("expanded" in node.attrs or node.name in self.pickers):
            return PICKER
        if not node.name:
            return "" if node.role in CONTROL_ROLES else None  # an unlabelled icon button is still a control
        return None if only_data(node.name) else data_free(node.name)


def _walk(nodes: list[Node], stop: str | None = None) -> list[Node]:
    """Every node, depth first; not into the children of a `stop` node (a navigation inside main is main's)."""
    out: list[Node] = []
    for node in nodes:
        out.append(node)
        if node.role != stop:
            out += _walk(node.children, stop)
    return out


def _is_record(row: Node) -> bool:
    """A table or grid row of data cells (a header row has column headers only)."""
    roles = {child.role for child in row.children}
    return bool(roles & {"cell", "gridcell", "rowheader"})


# -- comparison -------------------------------------------------------------------------------


@dataclass
class Comparison:
    """What changed on one screen since its baseline."""

    added: list[str] = field(default_factory=list)  # drift when inside the dialog or form
    added_elsewhere: list[str] = field(default_factory=list)  # review
    removed: list[str] = field(default_factory=list)  # controls the guide doesn't name: review
    notes: list[str] = field(default_factory=list)  # renames and losses the UI checks report

    @property
    def drift(self) -> bool:
        return bool(self.added)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.added_elsewhere or self.removed)


def _family(role: str) -> frozenset[str]:
    return frozenset().union(*(f for f in ROLE_FAMILIES if role in f)) | {role}


def compare(screen: Screen, before: list[str], after: list[str], named: set[tuple[str, str]]) -> Comparison:
    """Added and removed controls, as a multiset (two "Edit" buttons are two), renames paired off."""
    gained = list((Counter(after) - Counter(before)).elements())
    lost = list((Counter(before) - Counter(after)).elements())
    result = Comparison()
    for text in list(lost):
        role, name, form = parse_line(text)
        if (role, name) not in named:
            continue
        lost.remove(text)  # a control the guide names: the UI check says it is gone or renamed
        same_family = {parse_line(g)[1]: g for g in gained if parse_line(g)[0] in _family(role)}
        near = only_near(name, list(same_family))
        if near is not None:
            gained.remove(same_family[near])
            result.notes.append(f"{role} {name!r} is now {near!r} (ui fact, reported by its UI check)")
        else:
            result.notes.append(f"{role} {name!r}, which the guide names, is gone (reported by its UI check)")
    for text in gained:
        role, _, form = parse_line(text)
        inside = (screen.is_dialog or form is not None) and role in CONTROL_ROLES
        (result.added if inside else result.added_elsewhere).append(text)
    result.removed = lost
    return result


def _named_list(lines: list[str]) -> str:
    parts = []
    for text in lines:
        role, name, _ = parse_line(text)
        parts.append(f"{name or '(no name)'} ({role})")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""


def judge(screen: Screen, baseline: Baseline, now: list[str], facts: Facts) -> Result:
    """The screen's outcome against its baseline: ok, drift (added inside the dialog) or review."""
    named = {(ui.role, " ".join(ui.name.split())) for ui in facts.ui.values()}
    before = [str(item) for item in baseline.items]
    diff = compare(screen, before, now, named)
    where = f"the {screen.title}"
    screen_named = {
        "screen": screen.title.removesuffix(" dialog") if screen.is_dialog else screen.title,
        "screen_kind": "dialog" if screen.is_dialog else "page",
    }
    result = Result(
        screen.id,
        "screen",
        Status.OK,
        screen.url,
        f"the controls of {where} at the last review ({baseline.describe()})",
        f"the same {len(now)} controls and headings",
    )
    result.notes += diff.notes
    result.steps = steps_of(screen)
    result.pages = list(dict.fromkeys(step.page for step in result.steps))
    if not diff.changed:
        return result
    result.evidence = [
        f"controls at the last review ({baseline.describe()}): " + "; ".join(before),
        "controls now: " + "; ".join(now),
    ]
    for kind, lines, inside in (
        ("added", diff.added, "yes"),
        ("added", diff.added_elsewhere, ""),
        ("removed", diff.removed, ""),
    ):
        for text in lines:
            role, name, form = parse_line(text)
            entry = {"change": kind, "role": role, "name": name, "inside": inside, **screen_named}
            result.changes.append(entry | ({"form": form} if form else {}))
    said = []
    if diff.added:
        said.append(f"OpenAI added {_named_list(diff.added)} to {where}; the guide doesn't mention it")
    if diff.added_elsewhere:
        said.append(f"OpenAI added {_named_list(diff.added_elsewhere)} to {where}")
    if diff.removed:
        said.append(f"{_named_list(diff.removed)} no longer on {where}")
    result.observed = "; ".join(said)
    if diff.drift:
        result.status = Status.DRIFT
        step = result.steps[0].where if result.steps else where
        result.suggestion = (
            f"say in {step} what to do with {_named_list(diff.added)} (a ui fact and a step, or why to skip it); "
            "then merge the fix pull request's baseline for this screen"
        )
    else:
        result.status = Status.REVIEW
        result.suggestion = (
            "check whether the guide should say more; merging the fix pull request's baseline records it as reviewed"
        )
    return result


def steps_of(screen: Screen) -> list[Step]:
    """Where the guide walks through the screen: a dialog's drift goes on the step that opens it."""
    facts = [screen.opener] if screen.opener else list(screen.facts)
    steps: list[Step] = []
    for fact_id in facts:
        uses = [use for use in fact_usage(f"ui.{fact_id}") if use.step] or list(fact_usage(f"ui.{fact_id}"))
        steps += [Step(use.page, use.line, use.where) for use in uses]
    unique = {(s.page, s.line, s.where): s for s in steps}
    return list(unique.values())
