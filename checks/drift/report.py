"""Everything a drift run writes for people: the JSON report, the Markdown report, the terminal
table, the GitHub step summary and `verification.json` — from one dict, the run's report data.

One place per concern: the plugin collects results; this module renders them. Every text it writes
passes through the redactor last, so a key that reached a result never reaches a file.

`python -m checks.drift.report markdown drift.json` re-renders a recorded JSON report (the drift
workflow uses it for the tracking issue's body).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from checks.drift.outcomes import Result, Status, Step
from checks.drift.redact import current_redactor

STATUS_ORDER = (Status.DRIFT, Status.INCONCLUSIVE, Status.OK)
NO_PAGE = "Not stated on any page"
# GitHub refuses an issue or comment body over 65,536 characters.
ISSUE_BODY_LIMIT = 60_000
VERIFICATION_SCHEMA = 1
STEP_WHERE = re.compile(r"^(?P<section>.*?)(?: › step (?P<step>\d+))?$")


# -- counts and the inconclusive budget --------------------------------------------------------


def counts(results: Iterable[Result]) -> dict[str, int]:
    tally = {status.value: 0 for status in Status}
    for result in results:
        tally[result.status.value] += 1
    return tally


def could_not_verify(tally: Mapping[str, int], max_ratio: float | None) -> str | None:
    """The "could not verify" message when more than `max_ratio` of the checks were inconclusive.

    A network-blocked run is all inconclusive and exits 0; with a budget it fails instead, so a
    CI that cannot reach OpenAI any more does not look green forever.
    """
    if max_ratio is None:
        return None
    total = sum(tally.values())
    inconclusive = tally.get(Status.INCONCLUSIVE.value, 0)
    if total == 0 or inconclusive / total <= max_ratio:
        return None
    return f"could not verify: {inconclusive} of {total} checks inconclusive (> {max_ratio:g})"


def ratio(text: str) -> float:
    """argparse type of --max-inconclusive: a share between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 1 (a share of the checks, e.g. 0.5)")
    return value


def results_of(data: Mapping[str, Any]) -> list[Result]:
    return [Result.from_dict(item) for item in data.get("results", [])]


# -- the JSON report ---------------------------------------------------------------------------


def write_json_report(path: Path, data: Mapping[str, Any]) -> None:
    _write(path, json.dumps(current_redactor().data(dict(data)), indent=2, ensure_ascii=False) + "\n")


# -- the terminal ------------------------------------------------------------------------------


def summary_table(results: list[Result]) -> list[str]:
    """One line per result that is not ok: status, kind, id, and the step or reason."""
    rows = [r for r in results if r.status is not Status.OK]
    if not rows:
        return ["every check is ok"]
    rows.sort(key=lambda r: (r.status is not Status.DRIFT, r.kind, r.id))
    width = max(len(r.id) for r in rows)
    lines = [f"{'STATUS':<13} {'KIND':<5} {'ID':<{width}}  DETAIL"]
    for r in rows:
        if r.status is Status.DRIFT:
            where = r.steps[0] if r.steps else None
            place = f"{where.page}:{where.line} {where.where} — " if where else ""
            detail = place + (r.suggestion or f"observed {r.observed}")
        else:
            detail = r.reason or r.observed
        lines.append(f"{r.status.value.upper():<13} {r.kind:<5} {r.id:<{width}}  {detail}")
    return [current_redactor()(line) for line in lines]


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
    out += [
        f"**{tally['drift']} drift · {tally['inconclusive']} inconclusive · {tally['ok']} ok** — {run}",
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
    out += ["| Page | Drift | Inconclusive | OK |", "| --- | ---: | ---: | ---: |"]
    for page, tallies in by_page.items():
        out.append(f"| {_cell(page)} | {tallies['drift']} | {tallies['inconclusive']} | {tallies['ok']} |")
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

    inconclusive = [r for r in results if r.status is Status.INCONCLUSIVE]
    out += [f"## Could not verify ({len(inconclusive)})", ""]
    if inconclusive:
        out += ["| Check | Kind | Reason | Pages |", "| --- | --- | --- | --- |"]
        for r in sorted(inconclusive, key=lambda r: (r.kind, r.id)):
            reason = r.reason or r.observed
            out.append(
                f"| `{r.id}` | {r.kind} | {_cell(reason)}{_highlight(r)} | {_cell(', '.join(_pages(r)) or NO_PAGE)} |"
            )
        out.append("")
    else:
        out += ["Every check reached OpenAI.", ""]

    ok = [r for r in results if r.status is Status.OK]
    out += [f"## OK ({len(ok)})", ""]
    if ok:
        out += ["<details><summary>Checks that still match the guide</summary>", ""]
        for r in sorted(ok, key=lambda r: (r.kind, r.id)):
            out.append(f"- `{r.id}` ({r.kind}) — {_escape(', '.join(_pages(r)) or NO_PAGE)}{_highlight(r)}")
        out += ["", "</details>", ""]

    out += [
        "---",
        "",
        "Written by `pytest checks`: this Markdown (`--markdown-report`), the same results as JSON "
        "(`--drift-report`), and pytest's JUnit XML (`--junitxml`, drift as failures and inconclusive as "
        "skips). Screenshots and traces are the run's evidence files.",
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


def _pages(result: Result) -> list[str]:
    return list(dict.fromkeys([*result.pages, *(s.page for s in result.steps)]))


def _page_rows(results: list[Result]) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for result in results:
        for page in _pages(result) or [NO_PAGE]:
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


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def _prose(text: str) -> str:
    """Escaped text whose URLs stay clickable (a `#:~:text=` link escaped would be unreadable)."""
    parts = re.split(r"(https?://[^\s)>]+)", _flat(text))
    return "".join(f"<{part}>" if i % 2 else _escape(part) for i, part in enumerate(parts))


def _code(text: str) -> str:
    """An inline code span that survives backticks and newlines in the text."""
    flat = _flat(text)
    if not flat:
        return "(nothing)"
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _escape(text: str) -> str:
    """Text that Markdown shows as written: no stray emphasis, links or HTML."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", str(text))


def _cell(text: str) -> str:
    return _escape(_flat(text))


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _finish(lines: list[str], max_chars: int | None) -> str:
    text = current_redactor()("\n".join(lines).rstrip() + "\n")
    if max_chars is not None and len(text) > max_chars:
        cut = text.rfind("\n", 0, max_chars - 200)
        text = text[: max(cut, 0)] + "\n\n… (cut to fit; the full report is in the run's artifacts)\n"
    return text


def write_markdown_report(path: Path, data: Mapping[str, Any]) -> None:
    _write(path, render_markdown(data, report_dir=path.parent))


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


# -- verification.json: what the build shows readers -------------------------------------------


def verification_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Per page: the facts checked, ok / drift / inconclusive, and the drifted facts with their steps.

    `target` says what was checked: only "live" (OpenAI itself, nothing remapped) stamps pages as
    verified; the build ignores any other file (keyguide/verification.py).
    """
    results = results_of(data)
    pages: dict[str, dict[str, Any]] = {}
    for result in sorted(results, key=lambda r: r.id):
        for page in _pages(result):
            entry = pages.setdefault(
                page, {"checked": 0, "ok": 0, "drift": 0, "inconclusive": 0, "facts": [], "drifted": []}
            )
            entry["checked"] += 1
            entry[result.status.value] += 1
            entry["facts"].append(result.id)
            if result.status is Status.DRIFT:
                steps = [_step_record(s) for s in result.steps if s.page == page]
                entry["drifted"].append({"fact": result.id, "kind": result.kind, "steps": steps})
    for entry in pages.values():
        # A drifted fact outside any numbered step counts its section once.
        places = {(s["section"], s["step"]) for d in entry["drifted"] for s in d["steps"]}
        entry["stale_steps"] = len(places) or len(entry["drifted"])
    generated = str(data.get("generated_at") or datetime.now(UTC).isoformat(timespec="seconds"))
    return {
        "schema": VERIFICATION_SCHEMA,
        "run_date": datetime.fromisoformat(generated).astimezone(UTC).date().isoformat(),
        "generated_at": generated,
        "target": verification_target(data),
        "summary": counts(results),
        "pages": dict(sorted(pages.items())),
    }


def verification_target(data: Mapping[str, Any]) -> str:
    """Only a run against OpenAI itself is "live"; a remapped live run checked something else."""
    target = str(data.get("target", "live"))
    if target == "live" and data.get("remapped"):
        return "remapped"
    return target


def _step_record(step: Step) -> dict[str, Any]:
    match = STEP_WHERE.match(step.where)
    section, number = (match.group("section"), match.group("step")) if match else (step.where, None)
    return {"line": step.line, "section": section, "step": int(number) if number else None, "where": step.where}


def write_verification(path: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    verification = verification_data(data)
    _write(path, json.dumps(current_redactor().data(verification), indent=2, ensure_ascii=False) + "\n")
    return verification


# -- files and the command line ----------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(current_redactor()(text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Re-render a recorded JSON report: `markdown`, `issue` (cut to an issue body) or `verification`."""
    parser = argparse.ArgumentParser(prog="python -m checks.drift.report", description=main.__doc__)
    parser.add_argument("format", choices=("markdown", "issue", "verification"))
    parser.add_argument("report", type=Path, help="a JSON report written by --drift-report")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    data = json.loads(args.report.read_text(encoding="utf-8"))
    report_dir = (args.output or args.report).parent
    if args.format == "markdown":
        text = render_markdown(data, report_dir=report_dir)
    elif args.format == "issue":
        text = render_markdown(data, link_evidence=False, max_chars=ISSUE_BODY_LIMIT)
    else:
        text = json.dumps(current_redactor().data(verification_data(data)), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        _write(args.output, text)
    else:
        sys.stdout.write(current_redactor()(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
