"""`python -m keyguide fix DRIFT_JSON [--dry-run]`: apply a drift run's mechanical fixes.

Most drift is one edit of `facts.yml`: a permanent redirect names the new URL, a renamed button has
exactly one near name of the same role on the same page. The checks record such a fix on the result
(`Result.fix`); this command applies those and nothing else, edits the scalar in place (comments,
order and formatting kept), bumps every page that renders a changed fact with a changelog line a
reader understands, refreshes `pages.lock.json`, and builds strictly. A changed quote, a removed
element or an ambiguous suggestion is listed for a writer, never guessed.

Bad input (not a drift report, an unknown fact, a fact edited since the report) is one error line,
and nothing is written. A build that fails after the edits puts every file back.
"""

from __future__ import annotations

import difflib
import json
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from keyguide.build import build_site
from keyguide.facts import Facts, FactsError, LinkFact, UiFact, parse_facts
from keyguide.metadata_lock import Project, bump_text, record_bumped
from keyguide.pages import all_pages
from keyguide.usage import fact_uses

# The fields a fix may change, by section: nothing else is mechanical.
FIXABLE = {"ui": "name", "links": "url"}


class FixError(Exception):
    """Input `fix` refuses: the message names the file and the entry."""


@dataclass(frozen=True)
class Fix:
    fact: str  # "ui.create_key_button"
    attr: str  # "name"
    old: str
    new: str
    evidence: tuple[str, ...] = ()
    observed: str = ""

    def changelog(self, facts: Facts) -> str:
        """The line readers see on What's new."""
        fact = facts.fact(self.fact)
        if isinstance(fact, UiFact):
            return f"OpenAI renamed **{self.old}** to **{self.new}**"
        if isinstance(fact, LinkFact):
            return f"OpenAI moved the {fact.title} to {self.new}"
        return f"Updated {self.fact}.{self.attr}"


@dataclass
class Plan:
    fixes: list[Fix] = field(default_factory=list)
    for_writer: list[dict[str, str]] = field(default_factory=list)  # drift no machine should fix


def read_report(path: Path) -> list[dict[str, Any]]:
    """The results of a `--drift-report` file, or FixError saying why it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FixError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FixError(f"{path}: not a drift report (not JSON: {exc})") from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or not all(
        isinstance(r, dict) and isinstance(r.get("id"), str) and isinstance(r.get("status"), str) for r in results
    ):
        raise FixError(f"{path}: not a drift report (expected the JSON that `pytest checks --drift-report` writes)")
    return results


def plan_fixes(results: list[dict[str, Any]], facts: Facts, report: Path) -> Plan:
    """Split the drift into fixes to apply and items for a writer; refuse a report facts.yml outgrew."""
    plan = Plan()
    for result in results:
        if result["status"] != "drift":
            continue
        fix = result.get("fix")
        if not isinstance(fix, dict):
            plan.for_writer.append(
                {"id": result["id"], "observed": str(result.get("observed", "")), "do": str(result.get("suggestion"))}
            )
            continue
        target = str(fix.get("field", ""))
        kind, _, rest = target.partition(".")
        fact_id, _, attr = rest.rpartition(".")
        if FIXABLE.get(kind) != attr or not fact_id:
            raise FixError(f"{report}: {result['id']}: {target!r} is not a field a fix may change")
        try:
            fact = facts.get(kind, fact_id)
        except FactsError as exc:
            raise FixError(f"{report}: {result['id']}: {exc}") from None
        current, old, new = str(getattr(fact, attr)), str(fix.get("old", "")), str(fix.get("new", ""))
        if current != old:
            raise FixError(
                f"{report}: {kind}.{fact_id}.{attr} is {current!r} in facts.yml, but the report saw {old!r}: "
                "the fact was edited since the run; run the checks again"
            )
        if not new or new == old:
            raise FixError(f"{report}: {result['id']}: the fix names no new value")
        evidence = tuple(str(e) for e in result.get("evidence", []))
        observed = str(result.get("observed", ""))
        plan.fixes.append(Fix(f"{kind}.{fact_id}", attr, old, new, evidence, observed))
    return plan


def edit_facts_text(text: str, fixes: list[Fix], where: str = "facts.yml") -> str:
    """`text` with each fixed scalar replaced in place; every other byte is kept."""
    root = yaml.compose(text)
    spans = []
    for fix in fixes:
        kind, fact_id = fix.fact.split(".", 1)
        node = _child(_child(_child(root, kind, where), fact_id, where), fix.attr, where)
        if not isinstance(node, yaml.ScalarNode):
            raise FixError(f"{where}: {fix.fact}.{fix.attr} is not a plain value")
        spans.append((node.start_mark.index, node.end_mark.index, _scalar(fix.new, node.style)))
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _child(node: yaml.Node | None, key: str, where: str) -> yaml.Node:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if key_node.value == key:
                return value
    raise FixError(f"{where}: no entry {key!r} where the fix expected it")


def _scalar(value: str, style: str | None) -> str:
    """`value` as YAML, in the original quoting where that stays exact."""
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style is None and yaml.safe_load(value) == value and "#" not in value and ": " not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Outcome:
    """What `fix` did (or, in a dry run, would do)."""

    diffs: list[str]
    bumped: list[str]
    plan: Plan


def run_fix(report: Path, root: Path, *, dry_run: bool, day: date | None = None, build: bool = True) -> Outcome:
    """Apply the report's fixes to the project at `root`; on any failure nothing stays written."""
    facts_path = root / "facts.yml"
    facts = parse_facts(facts_path)
    plan = plan_fixes(read_report(report), facts, report)
    if not plan.fixes:
        return Outcome([], [], plan)
    old_facts = facts_path.read_text(encoding="utf-8")
    new_facts = edit_facts_text(old_facts, plan.fixes)
    changes = {facts_path: (old_facts, new_facts)}
    project = Project(root)
    summaries = _page_summaries(root, facts, plan.fixes)
    for path, summary in summaries.items():
        old = path.read_text(encoding="utf-8")
        new, _ = bump_text(old, summary, day or date.today(), project.shown(project.key(path)))
        changes[path] = (old, new)
    diffs = [_diff(path, root, old, new) for path, (old, new) in changes.items()]
    bumped = [path.relative_to(root).as_posix() for path in summaries]
    if dry_run:
        return Outcome(diffs, bumped, plan)
    lock_before = project.lock_path.read_bytes() if project.lock_path.exists() else None
    try:
        for path, (_, new) in changes.items():
            path.write_text(new, encoding="utf-8")
        parse_facts(facts_path)  # the edited file still validates
        for path in summaries:
            record_bumped(project, path)
        if build:
            _build_strict(root)
    except BaseException:
        for path, (old, _) in changes.items():
            path.write_text(old, encoding="utf-8")
        if lock_before is not None:
            project.lock_path.write_bytes(lock_before)
        raise
    return Outcome(diffs, bumped, plan)


def _page_summaries(root: Path, facts: Facts, fixes: list[Fix]) -> dict[Path, str]:
    """Each page that renders a changed fact → its changelog line (one line for all its fixes)."""
    changed = {fix.fact: fix for fix in fixes}
    lines: dict[Path, list[str]] = {}
    docs = root / "docs"
    for page in all_pages(docs):
        used = dict.fromkeys(use.fact for use in fact_uses(page, facts) if use.fact in changed)
        if used:
            lines[docs / page.path] = [changed[fact].changelog(facts) for fact in used]
    return {path: "; ".join(summary) for path, summary in lines.items()}


def _diff(path: Path, root: Path, old: str, new: str) -> str:
    name = path.relative_to(root).as_posix()
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{name}", f"b/{name}"))


def _build_strict(root: Path) -> None:
    """`mkdocs build --strict` of the edited project into a throwaway folder; FixError if it fails."""
    with tempfile.TemporaryDirectory(prefix="keyguide-fix-") as site:
        built = build_site(root, Path(site) / "site")
    if not built.ok:
        tail = built.output.strip().splitlines()[-3:]
        raise FixError("the strict build failed after the fixes, so nothing was kept: " + " | ".join(tail))


def describe(outcome: Outcome, dry_run: bool) -> list[str]:
    """The command's report: the diff (dry run) or what was written, and what needs a writer."""
    lines: list[str] = []
    plan = outcome.plan
    if dry_run:
        lines += [d.rstrip("\n") for d in outcome.diffs]
    for fix in plan.fixes:
        verb = "would set" if dry_run else "set"
        lines.append(f"{verb} {fix.fact}.{fix.attr}: {fix.old!r} → {fix.new!r}")
    if outcome.bumped:
        lines.append(("would bump: " if dry_run else "bumped: ") + ", ".join(outcome.bumped))
    for item in plan.for_writer:
        lines.append(f"needs a writer: {item['id']}: {item['observed']} — {item['do']}")
    if not plan.fixes:
        lines.append("nothing to fix mechanically")
    return lines


def pr_body(outcome: Outcome, run_url: str = "") -> str:
    """The fix pull request's description: each fix with its evidence, then what needs a writer."""
    run = f"[The drift run]({run_url})" if run_url else "The drift run"
    lines = [
        "## Mechanical fixes from the drift run",
        "",
        f"{run} found drift that one edit of `facts.yml` fixes. This pull request applies it "
        "(`python -m keyguide fix`), bumps every page that states a changed fact, refreshes "
        "`pages.lock.json`, and was built with `mkdocs build --strict`.",
        "",
        "| Fact | Was | Now |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{f.fact}.{f.attr}` | {_cell(f.old)} | {_cell(f.new)} |" for f in outcome.plan.fixes]
    lines += ["", f"Pages bumped: {', '.join(f'`{p}`' for p in outcome.bumped) or 'none'}.", "", "### Evidence", ""]
    for fix in outcome.plan.fixes:
        lines += [f"#### `{fix.fact}`", "", f"- observed: {_cell(fix.observed)}"]
        lines += [f"- {_cell(item)}" for item in fix.evidence]
        lines.append("")
    lines += ["Screenshots and traces are in the run's `drift-report` artifact.", ""]
    writer = outcome.plan.for_writer
    lines += [f"### Needs a writer ({len(writer)})", ""]
    lines += [f"- `{item['id']}`: {_cell(item['observed'])} — {_cell(item['do'])}" for item in writer] or ["Nothing."]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
