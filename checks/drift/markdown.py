"""The Markdown report for writers: counts and coverage, drift by page and step with evidence, what
changed at OpenAI since the last review (checks/drift/review.py), what could not be verified and
why, and what is ok; also GitHub's job summary."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from checks.drift.mdtext import cell as _cell
from checks.drift.mdtext import code as _code
from checks.drift.mdtext import escape as _escape
from checks.drift.mdtext import flat as _flat
from checks.drift.mdtext import prose as _prose
from checks.drift.outcomes import Result, Status, Step
from checks.drift.redact import current_redactor
from checks.drift.results import NO_PAGE, counts, pages_of, results_of, write_redacted
from checks.drift.review import render_review, screen_lines

# -- the Markdown report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One step (or section) of one page, and the source lines in it that state a fact."""

    page: str
    where: str
    lines: tuple[int, ...]

    @property
    def title(self) -> str:
        return f"{self.page} › {self.where}" if self.where else self.page


def render_markdown(
    data: Mapping[str, Any],
    *,
    report_dir: Path | None = None,
    link_evidence: bool = True,
    max_chars: int | None = None,
) -> str:
    """The run as Markdown for a writer: counts, then drift by page and step, then what could not be
    verified and why, then what is ok. `report_dir` makes evidence links relative to the report."""
    results = results_of(data)
    tally = counts(results)
    total = sum(tally.values())
    out: list[str] = ["# Guide drift report", ""]
    run = _run_line(data, total)
    review = f" · {tally['review']} review" if tally["review"] else ""
    out += [
        f"**{tally['drift']} drift{review} · {tally['inconclusive']} inconclusive · {tally['ok']} ok** — {run}",
        "",
    ]
    if coverage := data.get("coverage"):
        out += [
            f"Coverage: {coverage['line']}; {coverage['verified_in_run']} verified in this run "
            "(`python -m keyguide coverage` lists what checks each fact).",
            "",
        ]
    blocked = data.get("could_not_verify")
    if blocked:
        out += [
            f"> [!CAUTION]\n> **{_capitalise(blocked)}.** The run fails even where it found no drift: too many "
            "checks could not reach OpenAI or were blocked, so the guide was not really checked. "
            "See *Could not verify* for the reasons.",
            "",
        ]
    if not results:
        out += ["No check ran.", ""]
        return _finish(out, max_chars)

    by_page = _page_rows(results)
    if tally["review"]:
        out += ["| Page | Drift | Review | Inconclusive | OK |", "| --- | ---: | ---: | ---: | ---: |"]
    else:
        out += ["| Page | Drift | Inconclusive | OK |", "| --- | ---: | ---: | ---: |"]
    for page, t in by_page.items():
        reviewed = f" {t['review']} |" if tally["review"] else ""
        out.append(f"| {_cell(page)} | {t['drift']} |{reviewed} {t['inconclusive']} | {t['ok']} |")
    out.append("")

    drifted = [r for r in results if r.status is Status.DRIFT]
    out += [f"## Drift by page and step ({len(drifted)})", ""]
    if not drifted:
        out += ["No drift: every check that could run still matches the guide.", ""]
    for page, places in _drift_places(drifted).items():
        out += [f"### {_escape(page)}", ""]
        for place, items in places:
            if place.where:  # results with no step sit right under their page
                out += [f"#### {_escape(place.title)}", ""]
            for result, lines in items.values():
                out += _drift_item(result, page, lines, data, report_dir, link_evidence)

    out += render_review(results, data)

    inconclusive = [r for r in results if r.status is Status.INCONCLUSIVE]
    out += [f"## Could not verify ({len(inconclusive)})", ""]
    if inconclusive:
        out += ["| Check | Kind | Reason | Pages |", "| --- | --- | --- | --- |"]
        for r in sorted(inconclusive, key=lambda r: (r.kind, r.id)):
            reason = r.reason or r.observed
            out.append(
                f"| `{r.id}` | {r.kind} | {_cell(reason)}{_highlight(r)} | {_cell(', '.join(pages_of(r)) or NO_PAGE)} |"
            )
        out.append("")
    else:
        out += ["Every check reached OpenAI.", ""]

    ok = [r for r in results if r.status is Status.OK]
    out += [f"## OK ({len(ok)})", ""]
    if ok:
        out += ["<details><summary>Checks that still match the guide</summary>", ""]
        for r in sorted(ok, key=lambda r: (r.kind, r.id)):
            out.append(f"- `{r.id}` ({r.kind}) — {_escape(', '.join(pages_of(r)) or NO_PAGE)}{_highlight(r)}")
        out += ["", "</details>", ""]

    out += [
        "---",
        "",
        "Written by `pytest checks`: this Markdown (`--markdown-report`), the same results as JSON "
        "(`--drift-report`), and pytest's JUnit XML (`--junitxml`, drift as failures, inconclusive and review "
        "as skips, each with the property `drift_status`). Screenshots and traces are the run's evidence files.",
        "",
    ]
    return _finish(out, max_chars)


def _highlight(result: Result) -> str:
    """A link that opens the source with its quote highlighted (`#:~:text=`), for a writer to look
    at what could not be verified, or at what still matches; empty for checks without one."""
    for item in result.evidence:
        label, sep, url = item.partition(": ")
        if sep and "#:~:text=" in url and not any(c.isspace() for c in url.strip()):
            return f" · [{_escape(label)}]({url.strip()})"
    return ""


def _run_line(data: Mapping[str, Any], total: int) -> str:
    target = data.get("target", "live")
    if data.get("remapped") and target == "live":
        target = "live, remapped"
    when = str(data.get("generated_at", ""))
    try:
        stamp = datetime.fromisoformat(when).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        stamp = when or "unknown time"
    against = "OpenAI" if target == "live" else f"OpenAI ({target})"
    return f"{total} checks against {against}, {stamp}"


def _page_rows(results: list[Result]) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for result in results:
        for page in pages_of(result) or [NO_PAGE]:
            rows.setdefault(page, {status.value: 0 for status in Status})[result.status.value] += 1
    return dict(sorted(rows.items(), key=lambda item: (item[0] == NO_PAGE, item[0])))


def _drift_places(results: list[Result]) -> dict[str, list[tuple[Place, dict[str, tuple[Result, tuple[int, ...]]]]]]:
    """Drifted results grouped by page, then by step in page order; results with no page last.

    Each step keeps, per result, the lines where that result's fact is stated in it.
    """
    grouped: dict[str, dict[str, dict[str, tuple[Result, list[int]]]]] = {}
    for result in sorted(results, key=lambda r: r.id):
        steps = result.steps or [Step(page, 0, "") for page in result.pages] or [Step(NO_PAGE, 0, "")]
        for step in steps:
            items = grouped.setdefault(step.page, {}).setdefault(step.where, {})
            _, lines = items.setdefault(result.id, (result, []))
            if step.line:
                lines.append(step.line)
    ordered: dict[str, list[tuple[Place, dict[str, tuple[Result, tuple[int, ...]]]]]] = {}
    for page in sorted(grouped, key=lambda p: (p == NO_PAGE, p)):
        places = []
        for where, items in grouped[page].items():
            per_result = {key: (result, tuple(sorted(set(lines)))) for key, (result, lines) in items.items()}
            every_line = tuple(sorted({line for _, lines in per_result.values() for line in lines}))
            places.append((Place(page, where, every_line), per_result))
        places.sort(key=lambda pair: (min(pair[0].lines, default=0), pair[0].where))
        ordered[page] = places
    return ordered


def _drift_item(
    result: Result,
    page: str,
    lines: tuple[int, ...],
    data: Mapping[str, Any],
    report_dir: Path | None,
    link_evidence: bool,
) -> list[str]:
    lines_here = ", ".join(_source_link(page, line, data) for line in lines)
    head = f"- **DRIFT** `{result.id}` ({result.kind})"
    if lines_here:
        head += f" · line {lines_here}" if len(lines) == 1 else f" · lines {lines_here}"
    if result.url:
        head += f" · <{result.url}>"
    out = [
        head,
        f"  - **Expected:** {_code(result.expected)}",
        f"  - **Observed:** {_code(result.observed)}",
    ]
    if result.kind == "screen" and result.changes:
        out += [f"  - **What changed:** {line}" for line in screen_lines(result)]
    if result.suggestion:
        out.append(f"  - **Suggestion:** {_prose(result.suggestion)}")
    for note in result.notes:
        out.append(f"  - Note: {_prose(note)}")
    if result.evidence:
        links = [_evidence(item, report_dir, link_evidence) for item in result.evidence]
        out.append(f"  - **Evidence:** {' · '.join(links)}")
    out.append("")
    return out


def _source_link(page: str, line: int, data: Mapping[str, Any]) -> str:
    """A link to the page's source line on GitHub when the run knows its repository, else the number."""
    repo, sha = data.get("repository"), data.get("commit")
    server = data.get("server_url") or "https://github.com"
    if repo and sha and page != NO_PAGE:
        return f"[{line}]({server}/{repo}/blob/{sha}/docs/{page}#L{line})"
    return str(line)


def _evidence(item: str, report_dir: Path | None, link: bool) -> str:
    """One evidence entry: a file ("trace: /path/trace.zip" or a bare path), a URL, or a line of text.

    Files are linked relative to the report, so the links work inside the downloaded artifact.
    """
    label, sep, rest = item.partition(": ")
    if sep and _looks_like_file(rest.strip()):
        name, target = label.strip(), rest.strip()
    elif _looks_like_file(item.strip()):
        name, target = item.strip().rstrip("/").rsplit("/", 1)[-1], item.strip()
    elif re.fullmatch(r"https?://\S+", item.strip()):
        return f"<{item.strip()}>"
    elif sep and re.fullmatch(r"https?://\S+", rest.strip()):
        # "the quote on the page: https://…#:~:text=…": a link a writer clicks to see the passage.
        return f"{_escape(_flat(label))}: <{rest.strip()}>"
    else:
        return _escape(_flat(item))
    if report_dir is not None:
        try:
            target = Path(os.path.relpath(Path(target).resolve(), report_dir.resolve())).as_posix()
        except ValueError:  # another drive (Windows)
            target = Path(target).as_posix()
    elif Path(target).resolve().is_relative_to(Path.cwd().resolve()):
        # No report file (step summary, issue): name the file as it sits in the artifacts folder.
        target = Path(target).resolve().relative_to(Path.cwd().resolve()).as_posix()
    if not link:
        return f"{_escape(name)} {_code(target)}" if sep else _code(target)
    return f"[{_escape(name)}]({target.replace(' ', '%20').replace('(', '%28').replace(')', '%29')})"


def _looks_like_file(text: str) -> bool:
    """A path the run wrote (screenshot, trace), not prose and not a URL."""
    if not text or any(c.isspace() for c in text) or "://" in text:
        return False
    return "/" in text or bool(re.search(r"\.[A-Za-z0-9]{1,5}$", text))


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _finish(lines: list[str], max_chars: int | None) -> str:
    text = current_redactor()("\n".join(lines).rstrip() + "\n")
    if max_chars is not None and len(text) > max_chars:
        cut = text.rfind("\n", 0, max_chars - 200)
        text = text[: max(cut, 0)] + "\n\n… (cut to fit; the full report is in the run's artifacts)\n"
    return text


def write_markdown_report(path: Path, data: Mapping[str, Any]) -> None:
    write_redacted(path, render_markdown(data, report_dir=path.parent))


def append_step_summary(data: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> Path | None:
    """Append the report to GitHub's job summary when the run is a workflow step."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as summary:
        summary.write(render_markdown(data, link_evidence=False, max_chars=900_000) + "\n")
    return path
