"""The report's "Changed at OpenAI since the last review" section: what OpenAI added to, removed from or
reworded on the screens and pages the guide relies on, and the new entries of the pages it watches.

Review never fails a run and is not ok either: each item says what changed, with the controls
before and after, a diff of the sentences with a `#:~:text=` link per added one, or the new entry's
date and link, so a writer can read it and decide. Merging the fix pull request, which carries the
new baselines, records it as reviewed. The same lines describe a screen's drift (a control added
inside a dialog the guide walks through) in the drift section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checks.drift.mdtext import code, escape, flat
from checks.drift.outcomes import Result, Status
from checks.drift.results import NO_PAGE, pages_of

SECTION = "Changed at OpenAI since the last review"
KIND_NAMES = {"screen": "screen", "page": "cited page", "watch": "watched page"}
SHOWN_CHANGES = 40


def control(change: Mapping[str, str]) -> str:
    return f"**{escape(change.get('name') or '(no name)')}** ({escape(change.get('role', ''))})"


def screen_place(result: Result, change: Mapping[str, str]) -> str:
    """ "the **Create new secret key** dialog", "the **API keys page**"."""
    title = change.get("screen") or result.id
    if change.get("screen_kind") == "dialog":
        return f"the **{escape(title)}** dialog"
    return f"the **{escape(title)}**"


def screen_lines(result: Result) -> list[str]:
    """One line per change of a screen, as a writer says it."""
    lines = []
    added_inside = [c for c in result.changes if c["change"] == "added" and c.get("inside")]
    added_other = [c for c in result.changes if c["change"] == "added" and not c.get("inside")]
    removed = [c for c in result.changes if c["change"] == "removed"]
    if added_inside:
        names = ", ".join(control(c) for c in added_inside)
        lines.append(f"OpenAI added {names} to {screen_place(result, added_inside[0])}; the guide doesn't mention it")
    if added_other:
        names = ", ".join(control(c) for c in added_other)
        lines.append(f"OpenAI added {names} to {screen_place(result, added_other[0])}")
    if removed:
        names = ", ".join(control(c) for c in removed)
        lines.append(f"{names} no longer on {screen_place(result, removed[0])} (the guide doesn't name it)")
    return lines


def before_after(result: Result) -> list[str]:
    """The controls at the last review and now, folded: what the screen evidence says."""
    found = []
    for item in result.evidence:
        label, sep, rest = item.partition(": ")
        if sep and label.startswith(("controls at the last review", "controls now")):
            found.append(f"  - {escape(label)}: {code(rest)}")
    if not found:
        return []
    return ["  <details><summary>Controls before and after</summary>", "", *found, "", "  </details>"]


def page_lines(result: Result) -> list[str]:
    """The sentences' diff, then a link per added or reworded sentence."""
    diff, links = [], []
    for change in result.changes[:SHOWN_CHANGES]:
        text = flat(change.get("text", ""))
        if change["change"] == "removed":
            diff.append(f"- {text}")
        elif change["change"] == "reworded":
            diff += [f"- {flat(change.get('before', ''))}", f"+ {text}"]
        else:
            diff.append(f"+ {text}")
        if change.get("link"):
            links.append(f"  - {change['change'].capitalize()}: [“{escape(_short(text))}”]({change['link']})")
    fence = "~~~~" if any("```" in line for line in diff) else "```"
    out = ["", f"  {fence}diff", *(f"  {line}" for line in diff), f"  {fence}", ""]
    if len(result.changes) > SHOWN_CHANGES:
        out.append(f"  … and {len(result.changes) - SHOWN_CHANGES} more (the JSON report has them all)")
    return out + links


def watch_lines(result: Result) -> list[str]:
    out = []
    for change in result.changes:
        title = escape(change.get("title") or "(untitled)")
        link = change.get("link")
        head = f"[{title}]({link})" if link else title
        out.append(f"  - **{escape(change.get('date', ''))}** {head} — names {escape(change.get('keywords', ''))}")
        if change.get("text"):
            out.append(f"    > {escape(_short(flat(change['text']), 300))}")
    return out


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def where_lines(result: Result) -> list[str]:
    steps = list(dict.fromkeys(f"{s.page} › {s.where}" for s in result.steps))[:6]  # two facts, one step
    where = "; ".join(steps) or ", ".join(pages_of(result)) or NO_PAGE
    return [f"  - The guide relies on it in: {escape(where)}"]


def render_review(results: list[Result], data: Mapping[str, Any]) -> list[str]:
    """The section's lines (empty when no item is review and every item had a baseline)."""
    reviews = sorted((r for r in results if r.status is Status.REVIEW), key=lambda r: (r.kind, r.id))
    block = data.get("baselines") or {}
    missing = block.get("missing", [])
    if not reviews and not missing:
        return []
    out = [f"## {SECTION} ({len(reviews)})", ""]
    if reviews:
        out += [
            "Not drift, and not verified either: OpenAI changed a screen or page the guide relies on. Read "
            "each change and decide whether the guide should say more; merging the fix pull request, which "
            "carries the new baselines, records it as reviewed.",
            "",
        ]
    else:
        out += ["Nothing changed at OpenAI where a baseline could compare.", ""]
    for result in reviews:
        kind = KIND_NAMES.get(result.kind, result.kind)
        out.append(f"### {escape(result.id.split('.', 1)[-1])} · {kind}")
        out.append("")
        out.append(f"<{result.url}>" if result.url else "")
        out.append("")
        if result.kind == "screen":
            out += [f"- {line}" for line in screen_lines(result)]
            out += before_after(result)
        elif result.kind == "page":
            out.append(f"- {escape(result.observed.split(':', 1)[0])}:")
            out += page_lines(result)
        elif result.kind == "watch":
            out.append(f"- New entries since the last review (of {len(result.changes)}):")
            out += watch_lines(result)
        out += where_lines(result)
        out.append("")
    if missing:
        shown = ", ".join(f"`{m['id']}`" for m in missing[:12]) + (" …" if len(missing) > 12 else "")
        out += [
            f"> [!NOTE]\n> **No baseline for {len(missing)} item{'s' * (len(missing) != 1)}: nothing compared** "
            f"({escape(block.get('why', ''))}). Not drift, and not a failure: the first live run proposes the "
            f"baselines in the fix pull request. {shown}",
            "",
        ]
    return out
