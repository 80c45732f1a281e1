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
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from checks.drift.markdown import append_step_summary, render_markdown, write_markdown_report
from checks.drift.outcomes import Result, Status, Step
from checks.drift.redact import current_redactor
from checks.drift.results import (
    NO_PAGE,
    STATUS_ORDER,
    could_not_verify,
    counts,
    pages_of,
    ratio,
    results_of,
    write_redacted,
)

# GitHub refuses an issue or comment body over 65,536 characters.
ISSUE_BODY_LIMIT = 60_000
VERIFICATION_SCHEMA = 1
UNSTAMPED_KINDS = ("page", "watch")  # what a cited or watched page says besides the quotes: review only
STEP_WHERE = re.compile(r"^(?P<section>.*?)(?: › step (?P<step>\d+))?$")

__all__ = [
    "ISSUE_BODY_LIMIT",
    "NO_PAGE",
    "STATUS_ORDER",
    "append_step_summary",
    "baseline_lines",
    "could_not_verify",
    "counts",
    "main",
    "ratio",
    "render_markdown",
    "results_of",
    "summary_table",
    "verification_data",
    "write_json_report",
    "write_markdown_report",
    "write_verification",
]


# -- the JSON report ---------------------------------------------------------------------------


def write_json_report(path: Path, data: Mapping[str, Any]) -> None:
    write_redacted(path, json.dumps(current_redactor().data(dict(data)), indent=2, ensure_ascii=False) + "\n")


# -- the terminal ------------------------------------------------------------------------------


def summary_table(results: list[Result]) -> list[str]:
    """One line per result that is not ok: status, kind, id, and the step or reason."""
    rows = [r for r in results if r.status is not Status.OK]
    if not rows:
        return ["every check is ok"]
    rows.sort(key=lambda r: (STATUS_ORDER.index(r.status), r.kind, r.id))
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


def baseline_lines(block: Mapping[str, Any] | None, reviews: int) -> list[str]:
    """The terminal's lines about baselines: what changed at OpenAI, what was compared, what had none."""
    lines = []
    if reviews:
        lines.append(
            f"changed at OpenAI since the last review: {reviews} (REVIEW: read them, then merge the fix pull "
            "request's baselines; never a failure)"
        )
    if not block:
        return lines
    compared, missing = block.get("compared", 0), block.get("missing", [])
    line = f"baselines: {compared} compared" + (f" ({block['why']})" if compared else "")
    if missing:
        line += f"; {len(missing)} without a baseline, nothing compared"
        if not compared:
            line += f" ({block['why']})"
    if block.get("recorded_to"):
        line += f"; {block.get('recorded', 0)} recorded in {block['recorded_to']}"
    if compared or missing or block.get("recorded"):
        lines.append(line)
    return lines


# -- verification.json: what the build shows readers -------------------------------------------


def verification_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Per page: the facts checked, ok / drift / inconclusive, and the drifted facts with their steps.

    `target` says what was checked: only "live" (OpenAI itself, nothing remapped) stamps pages as
    verified; the build ignores any other file (keyguide/verification.py). The stamp counts what the
    guide states and the screens it walks through; a review item (OpenAI changed a page the guide
    cites or watches) is for a writer to read and never changes it.
    """
    results = [r for r in results_of(data) if r.status is not Status.REVIEW and r.kind not in UNSTAMPED_KINDS]
    pages: dict[str, dict[str, Any]] = {}
    for result in sorted(results, key=lambda r: r.id):
        for page in pages_of(result):
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
        "summary": {k: v for k, v in counts(results).items() if k != Status.REVIEW.value},
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
    write_redacted(path, json.dumps(current_redactor().data(verification), indent=2, ensure_ascii=False) + "\n")
    return verification


# -- files and the command line ----------------------------------------------------------------


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
        write_redacted(args.output, text)
    else:
        sys.stdout.write(current_redactor()(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
