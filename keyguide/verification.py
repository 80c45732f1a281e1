"""The last drift run's verdict per page (`verification.json`), shown to readers as a stamp.

The drift suite writes the file (`pytest checks --verification-file PATH`, see checks/drift/report.py);
the build reads it. Without the file every page says "Not yet verified": a missing run is never shown
as a passed one. A file from a stand-in or remapped run is ignored for the same reason: only a run
against OpenAI itself may tell readers a page was verified against OpenAI.

Each page gets a `state` for the stamp (overrides/partials/page-meta.html):
- verified: every fact checked on the page matched OpenAI;
- partial: some matched, none drifted, some could not be checked;
- drift: at least one fact drifted ("N steps may be out of date"), and with `extra.drift_notices` the
  drifted steps carry a notice (`add_drift_notices`, called by the build hook);
- unverified: nothing on the page could be checked.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from keyguide.facts import ROOT, FactsError, load_facts
from keyguide.pages import Page
from keyguide.usage import HEADING, ITEM, fact_uses, fenced_lines

DEFAULT_PATH = ROOT / "verification.json"
TRUSTED_TARGET = "live"
STATES = ("verified", "partial", "drift", "unverified")
STEP_NOTICE = "OpenAI may have changed this step"
SECTION_NOTICE = "OpenAI may have changed part of this section"
NOTICE_BODY = "We are updating it."
NOTICE_CLASS = "guide-drift-notice"

# Info, not warning: a warning would fail `mkdocs build --strict`, and an ignored stand-in file is fine.
log = logging.getLogger("mkdocs.plugins.keyguide.verification")


def load_verification(path: str | Path | None = None) -> dict[str, Any] | None:
    """The parsed verification file with a `state` per page, or None when there is none to trust."""
    # $KEYGUIDE_VERIFICATION wins, so a test build of a fixture copy never reads the root's last run.
    override = os.environ.get("KEYGUIDE_VERIFICATION")
    file = Path(override or path or DEFAULT_PATH)
    if not file.is_absolute():
        file = ROOT / file
    if not file.exists():
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FactsError(f"{file.name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or "run_date" not in data or not isinstance(data.get("pages"), dict):
        raise FactsError(f"{file.name}: expected an object with run_date and pages")
    target = data.get("target", TRUSTED_TARGET)
    if target != TRUSTED_TARGET:
        log.info("%s is from a %s run, not from OpenAI itself: pages stay 'Not yet verified'", file.name, target)
        return None
    data["pages"] = {page: _with_state(entry) for page, entry in data["pages"].items()}
    return data


def _with_state(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        entry = {}
    entry = dict(entry)
    entry["state"] = page_state(entry)
    entry.setdefault("stale_steps", len(entry.get("drifted") or []))
    return entry


def page_state(entry: dict[str, Any] | None) -> str:
    """What the stamp says about one page (one of STATES)."""
    if not entry:
        return "unverified"
    if entry.get("drift"):
        return "drift"
    if entry.get("ok"):
        return "partial" if entry.get("inconclusive") else "verified"
    return "unverified"


def drifted_facts(verification: dict[str, Any] | None, src_uri: str) -> set[str]:
    if not verification:
        return set()
    entry = verification.get("pages", {}).get(src_uri) or {}
    return {str(item["fact"]) for item in entry.get("drifted") or [] if isinstance(item, dict) and "fact" in item}


# -- notices on drifted steps --------------------------------------------------------------------


def add_drift_notices(markdown: str, page: Page, src_uri: str, extra: dict[str, Any]) -> str:
    """Put a notice on each step (or, outside numbered steps, each section) that states a drifted fact.

    Runs in the build hook before mkdocs-macros renders the page, so the fact uses that
    `keyguide.usage` finds in the source still line up with `markdown`. The drifted facts are found
    again in the current page rather than by the run's line numbers, so a notice follows its step
    when the page was edited after the run. A notice goes at the end of the step's list item,
    indented into it: an admonition between two items would restart the list's numbering.
    """
    if not extra.get("drift_notices"):
        return markdown
    verification = extra.get("verification")
    drifted = drifted_facts(verification, src_uri)
    if not drifted:
        return markdown
    body = page.body.lstrip("\n")
    if not markdown.endswith(body) or not body:
        log.info("%s: the page changed before the drift notices could be placed; none added", src_uri)
        return markdown
    prefix, lines = markdown[: len(markdown) - len(body)], body.split("\n")
    skipped = len(page.body) - len(body)  # blank lines MkDocs dropped after the front matter
    date = verification["run_date"] if verification else ""
    items: dict[int, None] = {}  # end-of-item line index -> None, in order of discovery
    sections: dict[int, None] = {}  # heading line index (or -1: top of page)
    for use in fact_uses(page, load_facts()):
        if use.fact not in drifted:
            continue
        index = use.line - page.body_line - skipped
        if not 0 <= index < len(lines):
            continue
        end = _item_end(lines, index, use.step) if use.step else None
        if end is not None:
            items[end] = None
        else:
            sections[_heading_above(lines, index)] = None
    inserts: list[tuple[int, list[str]]] = []
    for end in items:
        inserts.append((end + 1, ["", *_notice(STEP_NOTICE, date, indent="    "), ""]))
    for heading in sections:
        inserts.append((heading + 1, ["", *_notice(SECTION_NOTICE, date, indent=""), ""]))
    for at, block in sorted(inserts, key=lambda pair: pair[0], reverse=True):
        lines[at:at] = block
    return prefix + "\n".join(lines)


def _notice(title: str, date: str, indent: str) -> list[str]:
    checked = f" Checked against OpenAI on {date}." if date else ""
    return [f'{indent}!!! warning {NOTICE_CLASS} "{title}"', f"{indent}    {NOTICE_BODY}{checked}"]


def _item_end(lines: list[str], index: int, step: int) -> int | None:
    """The last non-blank line of the top-level list item numbered `step` that holds line `index`."""
    start = index
    while start > 0 and not ITEM.match(lines[start]) and (not lines[start].strip() or lines[start][0] in " \t"):
        start -= 1
    match = ITEM.match(lines[start])
    if not match or int(match.group(1)) != step:
        return None
    end = start
    for at in range(start + 1, len(lines)):
        line = lines[at]
        if ITEM.match(line) or (line.strip() and line[0] not in " \t"):
            break
        if line.strip():
            end = at
    return end


def _heading_above(lines: list[str], index: int) -> int:
    """The heading line the line `index` sits under (-1: the top of the page); never a `#` in code."""
    fenced = fenced_lines(lines)
    for at in range(index, -1, -1):
        if at not in fenced and HEADING.match(lines[at]):
            return at
    return -1
