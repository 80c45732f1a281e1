"""The writers' command line: `python -m keyguide <command>` (or `keyguide <command>`).

    bump PAGE "what changed"   new version dated today, changelog entry first, lock refreshed
    trivial PAGE…              a typo-level fix: the lock takes the new body, the version stays
    lock [PAGE…]               record new pages and versions bumped by hand (--check: only compare)
    check                      everything a build refuses (facts, coverage, mkdocs.yml, every page), for any builder
    facts                      validate facts.yml: OK and counts, or each error
    fix DRIFT_JSON [--dry-run] apply a drift run's mechanical fixes (renames, moved links), bump, build
    coverage [--json|--screens] what verifies each fact (link, ui, api, source, manual) and the totals,
                               and how many screens and pages have a baseline
    screens update DIR         copy a live run's changed screenshots into docs/assets/screens/
    baselines update DIR       copy a live run's changed baselines into baselines/, with their diff
    freshness [--days N]       pages not updated or verified within the review interval
    lint                       the style lint (keyguide/lint.py)

Every failure is one line per problem naming the file, never a traceback: writers are not expected
to read Python.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from keyguide import baselines, coverage
from keyguide.facts import ROOT, SECTIONS, FactsError, facts_path_default, parse_facts
from keyguide.fix import FixError, describe, pr_body, run_fix
from keyguide.freshness import freshness_report
from keyguide.metadata_lock import (
    LOCK_NAME,
    LockError,
    Project,
    bump_text,
    check_lock,
    current_entry,
    read_lock,
    record,
    record_bumped,
    record_trivial,
)
from keyguide.pages import PageError
from keyguide.platform import platform_config, site_extra
from keyguide.screens import ScreensError, update_screens
from keyguide.validate import check_project

PROG = "python -m keyguide"


class UsageError(Exception):
    """Bad input on the command line (a missing page, a malformed date)."""


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root", type=Path, default=ROOT, help="the project (mkdocs.yml, docs/, pages.lock.json); default: this one"
    )
    parser = argparse.ArgumentParser(prog=PROG, description="Writers' tools for the OpenAI key guide.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    bump = commands.add_parser(
        "bump", parents=[common], help="record a substantive change: new version, today's date, changelog entry"
    )
    bump.add_argument("page", help="the page, e.g. docs/create-key.md")
    bump.add_argument("summary", nargs="?", help='one line saying what changed, e.g. "Adds the expiry choice"')
    bump.add_argument("--trivial", action="store_true", help="a typo-level change: same as the `trivial` command")
    bump.add_argument("--date", type=_iso_date, help="the change's date (default: today)")

    trivial = commands.add_parser(
        "trivial", parents=[common], help="record a typo-level change: the lock takes the new body, no new version"
    )
    trivial.add_argument("pages", nargs="+", metavar="page")

    lock = commands.add_parser(
        "lock", parents=[common], help=f"bring {LOCK_NAME} in step: new pages, versions bumped by hand"
    )
    lock.add_argument("pages", nargs="*", metavar="page", help="only these pages (default: every page)")
    lock.add_argument("--check", action="store_true", help="only compare the pages with the lock; exit 1 on a problem")
    lock.add_argument(
        "--force", action="store_true", help="record the pages as they are, even bodies changed without a version"
    )

    commands.add_parser(
        "check",
        parents=[common],
        help="what a build would refuse, one line each: run before any builder (MkDocs or Zensical)",
    )

    facts = commands.add_parser("facts", parents=[common], help="validate facts.yml and print its counts")
    facts.add_argument("--file", type=Path, help="the facts file (default: facts.yml, or $KEYGUIDE_FACTS)")

    fix = commands.add_parser(
        "fix", parents=[common], help="apply a drift report's mechanical fixes to facts.yml, bump pages, build"
    )
    fix.add_argument("report", type=Path, help="the JSON that `pytest checks --drift-report` wrote")
    fix.add_argument("--dry-run", action="store_true", help="print the unified diff and change nothing")
    fix.add_argument("--date", type=_iso_date, help="the changelog date (default: today)")
    fix.add_argument("--pr-body", type=Path, help="also write a pull request description (Markdown) here")
    fix.add_argument("--run-url", default="", help="the drift run's address, for the pull request description")

    cover = commands.add_parser(
        "coverage", parents=[common], help="what verifies each fact, and the totals (exit 1 if a fact is unchecked)"
    )
    cover.add_argument("--file", type=Path, help="the facts file (default: facts.yml, or $KEYGUIDE_FACTS)")
    cover.add_argument("--json", action="store_true", help="print the totals and the per-fact checks as JSON")
    cover.add_argument(
        "--screens", action="store_true", help="list the steps that name a ui fact but have no screenshot on file"
    )

    fresh = commands.add_parser(
        "freshness", parents=[common], help="list the pages not updated or verified within the review interval"
    )
    fresh.add_argument("--days", type=int, help="the review interval (default: extra.review_interval_days, 90)")
    fresh.add_argument("--strict", action="store_true", help="exit 1 when a page is due (default: warn, exit 0)")
    fresh.add_argument("--today", type=_iso_date, help=argparse.SUPPRESS)
    fresh.add_argument("--verification", type=Path, help="the drift run's file (default: extra.verification_file)")

    shots = commands.add_parser("screens", parents=[common], help="the guide's screenshots (docs/assets/screens/)")
    shot_commands = shots.add_subparsers(dest="screens_command", required=True, metavar="ACTION")
    update = shot_commands.add_parser(
        "update",
        parents=[common],
        help="copy a live run's shots whose pixels changed into docs/assets/screens/; refuse non-live ones",
    )
    update.add_argument("source", type=Path, help="the folder `pytest checks -m ui --screenshots DIR` wrote")

    base = commands.add_parser(
        "baselines", parents=[common], help="what the screens and pages the guide relies on looked like (baselines/)"
    )
    base_commands = base.add_subparsers(dest="baselines_command", required=True, metavar="ACTION")
    base_update = base_commands.add_parser(
        "update",
        parents=[common],
        help="copy a live run's changed baselines into baselines/ and print their diff; refuse non-live ones",
    )
    base_update.add_argument("source", type=Path, help="the folder `pytest checks --baseline-out DIR` wrote")
    base_update.add_argument(
        "--markdown", type=Path, help="also write the changes as a Markdown section (the fix pull request's body)"
    )

    lint = commands.add_parser("lint", parents=[common], help="the style lint, with file:line messages")
    lint.add_argument("args", nargs=argparse.REMAINDER, help="passed to the lint")
    return parser


def _page(arg: str, project: Project) -> Path:
    """A page named on the command line: as typed (from the current directory), else from the project root."""
    path = Path(arg)
    candidates = [path] if path.is_absolute() else [path, project.root / path]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise UsageError(f"{arg}: no such file")
    if found.suffix != ".md":
        raise UsageError(f"{arg}: not a Markdown page")
    project.key(found)  # under docs/, or LockError
    return found


def cmd_bump(args: argparse.Namespace, project: Project) -> int:
    if args.trivial:
        return cmd_trivial(argparse.Namespace(pages=[args.page]), project)
    if not args.summary:
        raise UsageError('bump needs a summary of the change: bump PAGE "what changed" (or --trivial)')
    path = _page(args.page, project)
    shown = project.shown(project.key(path))
    day = args.date or date.today()
    text = path.read_bytes().decode("utf-8")  # bytes: keep the file's own line endings
    new_text, meta = bump_text(text, args.summary, day, shown)
    locked = read_lock(project.lock_path).get(project.key(path))
    unchanged = locked is not None and locked.body_sha256 == current_entry(path, shown).body_sha256
    path.write_bytes(new_text.encode("utf-8"))
    record_bumped(project, path)
    print(f"{shown}: version {meta.version}, updated {meta.updated}: {meta.changelog[0].summary}")
    print(f"{LOCK_NAME}: recorded version {meta.version}")
    if unchanged:
        print("note: the body is the same as the previous version's; run bump after editing, not before")
    return 0


def cmd_trivial(args: argparse.Namespace, project: Project) -> int:
    for arg in args.pages:
        print(record_trivial(project, _page(arg, project)))
    return 0


def cmd_lock(args: argparse.Namespace, project: Project) -> int:
    if args.check:
        problems = check_lock(project)
        for problem in problems:
            print(problem)
        if not problems:
            print(f"{LOCK_NAME}: OK, {len(project.pages())} pages recorded at their current version")
        return 1 if problems else 0
    paths = [_page(arg, project) for arg in args.pages] if args.pages else None
    changes = record(project, paths, force=args.force)
    for change in changes:
        print(change)
    print(f"{LOCK_NAME}: {len(changes)} change(s)" if changes else f"{LOCK_NAME}: already up to date")
    return 0


def _facts_file(args: argparse.Namespace, project: Project) -> Path:
    default = facts_path_default() if project.root == ROOT else project.root / "facts.yml"
    return Path(args.file or default)


def cmd_facts(args: argparse.Namespace, project: Project) -> int:
    path = _facts_file(args, project)
    facts = parse_facts(path)
    unchecked = coverage.unchecked_problems(facts, path.name)
    if unchecked:
        raise FactsError("\n".join(unchecked))
    counts = {kind: len(facts.section(kind)) for kind in SECTIONS}
    detail = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    print(f"{path.name}: OK, {sum(counts.values())} facts ({detail}), reviewed {facts.reviewed}")
    platform = platform_config(site_extra(project.root / "mkdocs.yml"), "mkdocs.yml")
    print(f"mkdocs.yml: extra.platform OK, {platform.name} with {len(platform.labels)} labels")
    return 0


def cmd_check(args: argparse.Namespace, project: Project) -> int:
    if project.root != ROOT:  # a copy of the project builds with its own facts
        os.environ.setdefault("KEYGUIDE_FACTS", str(project.root / "facts.yml"))
    problems = check_project(project.root)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        pages = len(project.pages())
        print(f"{project.root.name}: OK, ready for any builder (facts, coverage, mkdocs.yml, {pages} pages)")
    return 1 if problems else 0


def cmd_fix(args: argparse.Namespace, project: Project) -> int:
    outcome = run_fix(args.report, project.root, dry_run=args.dry_run, day=args.date)
    for line in describe(outcome, args.dry_run):
        print(line)
    if args.pr_body:
        args.pr_body.write_text(pr_body(outcome, args.run_url), encoding="utf-8")
    return 0


def cmd_coverage(args: argparse.Namespace, project: Project) -> int:
    facts = parse_facts(_facts_file(args, project))
    data = coverage.summary(facts)
    docs_dir = project.root / "docs"
    with_baseline = baselines.coverage(facts, project.root)
    if args.json:
        print(json.dumps({**data, "screens": coverage.screens(facts, docs_dir), "baselines": with_baseline}, indent=1))
    elif args.screens:
        for line in coverage.screens_lines(coverage.screens(facts, docs_dir)):
            print(line)
    else:
        lines = coverage.table(facts)
        lines.insert(-1, baselines.coverage_line(with_baseline))  # the totals stay last
        for line in lines:
            print(line)
    return 1 if data["unchecked"] else 0


def cmd_screens(args: argparse.Namespace, project: Project) -> int:
    outcome = update_screens(args.source, project.root / "docs")
    for line in outcome.lines():
        print(line)
    print(f"screens: {len(outcome.copied)} copied, {len(outcome.unchanged)} unchanged, {len(outcome.refused)} refused")
    return 1 if outcome.refused else 0


def cmd_baselines(args: argparse.Namespace, project: Project) -> int:
    update = baselines.update_baselines(args.source, project.root)
    for line in update.lines():
        print(line)
    for baseline_id, diff in update.diffs.items():
        print(f"\n{baseline_id}:\n{diff}")
    if args.markdown:
        args.markdown.write_text(update.markdown(), encoding="utf-8")
    print(f"baselines: {len(update.copied)} copied, {len(update.unchanged)} unchanged, {len(update.refused)} refused")
    return 1 if update.refused else 0


def cmd_freshness(args: argparse.Namespace, project: Project) -> int:
    today = args.today or date.today()
    due, _, summary = freshness_report(project, today, args.days, args.verification)
    for page in due:
        print(f"warning: {page.line()}")
    print(summary)
    return 1 if due and args.strict else 0


def cmd_lint(args: argparse.Namespace, project: Project) -> int:
    try:
        lint = importlib.import_module("keyguide.lint")
    except ModuleNotFoundError as exc:
        if exc.name != "keyguide.lint":
            raise
        raise UsageError("the style lint (keyguide/lint.py) is not in this checkout yet") from None
    entry = getattr(lint, "main", None)
    if not callable(entry):
        raise UsageError("keyguide/lint.py has no main(argv) to call")
    status = int(entry(list(args.args)) or 0)
    if status == 0:
        print("style lint: no problems")
    return status


COMMANDS = {
    "bump": cmd_bump,
    "trivial": cmd_trivial,
    "lock": cmd_lock,
    "check": cmd_check,
    "facts": cmd_facts,
    "coverage": cmd_coverage,
    "fix": cmd_fix,
    "freshness": cmd_freshness,
    "screens": cmd_screens,
    "baselines": cmd_baselines,
    "lint": cmd_lint,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    project = Project(args.root.resolve())
    try:
        return COMMANDS[args.command](args, project)
    except (UsageError, PageError, FactsError, LockError, FixError, ScreensError, baselines.BaselineError) as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
