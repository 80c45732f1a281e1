"""What verifies each fact: the coverage a writer and the drift report can see.

Derived from `facts.yml` alone, by the same rules the drift suite uses to make its items (one item per
`links.*` fact, per automatic `ui.*` fact, per error with a `trigger`, per source with a `quote`), so
the totals cannot disagree with what a run checks. A fact nothing verifies fails the build: a claim
that no check guards is exactly how the guide went wrong before.

`unattended` counts facts an unattended run can verify when every documented secret is set
(`OPENAI_API_KEY`, the optional keys in `TRIGGERS`, and a signed-in storage state); `manual` counts
facts that only a person can verify, each with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from keyguide.facts import TRIGGERS, ApiEndpoint, ErrorFact, Facts, LinkFact, UiFact
from keyguide.pages import DOCS_DIR
from keyguide.screens import live_shot
from keyguide.usage import fact_usage

CheckKind = Literal["link", "ui", "api", "source", "manual"]
STORAGE_STATE_SECRET = "OPENAI_STORAGE_STATE"
# The API endpoints the suite calls with the configured key (checks/drift/api.py).
CALLED_ENDPOINTS = ("models", "me")


@dataclass(frozen=True)
class Verifier:
    """One way a fact is verified: by which check, and what that check needs."""

    kind: CheckKind
    detail: str
    needs: str | None = None  # the secret an unattended run needs for it, if any

    @property
    def unattended(self) -> bool:
        return self.kind != "manual"


def verifiers(facts: Facts) -> dict[str, list[Verifier]]:
    """Every fact (`kind.id`, file order) → the checks that verify it (empty: nothing does)."""
    found: dict[str, list[Verifier]] = {}
    for qualified in facts.all_ids():
        fact = facts.fact(qualified)
        checks: list[Verifier] = []
        if isinstance(fact, LinkFact):
            checks.append(Verifier("link", "link check (status, redirects, fragment)"))
        elif isinstance(fact, UiFact):
            if fact.check == "manual":
                checks.append(Verifier("manual", fact.why_manual or "manual"))
            else:
                needs = STORAGE_STATE_SECRET if fact.signed_in else None
                checks.append(Verifier("ui", f"{fact.role} “{fact.name}” on {fact.url}", needs))
        elif isinstance(fact, ErrorFact) and fact.trigger is not None:
            checks.append(Verifier("api", f"provoked: {fact.trigger}", TRIGGERS[fact.trigger]))
        elif isinstance(fact, ApiEndpoint) and qualified.removeprefix("api.") in CALLED_ENDPOINTS:
            checks.append(Verifier("api", f"{fact.method} {fact.url}", "OPENAI_API_KEY"))
        source = fact.source  # type: ignore[attr-defined]
        if source.quote is not None:
            checks.append(Verifier("source", f"quote on {source.url}"))
        if source.manual is not None and not any(c.unattended for c in checks):
            checks.append(Verifier("manual", source.manual))
        found[qualified] = checks
    return found


def summary(facts: Facts) -> dict[str, Any]:
    """`{"facts", "unattended", "manual", "unchecked", "by_fact"}` (what `keyguide coverage --json` prints)."""
    by_fact = verifiers(facts)
    unattended = [f for f, checks in by_fact.items() if any(c.unattended for c in checks)]
    manual = [f for f, checks in by_fact.items() if checks and not any(c.unattended for c in checks)]
    unchecked = [f for f, checks in by_fact.items() if not checks]
    return {
        "facts": len(by_fact),
        "unattended": len(unattended),
        "manual": len(manual),
        "unchecked": len(unchecked),
        "by_fact": {fact: [asdict(check) for check in checks] for fact, checks in by_fact.items()},
    }


def totals_line(data: dict[str, Any]) -> str:
    """The totals in one line, e.g. 97 facts: 90 verified unattended (93%), 7 manual, 0 unchecked."""
    share = data["unattended"] / data["facts"] if data["facts"] else 0.0
    return (
        f"{data['facts']} facts: {data['unattended']} verified unattended ({share:.0%}), "
        f"{data['manual']} manual, {data['unchecked']} unchecked"
    )


def unchecked_problems(facts: Facts, file_name: str = "facts.yml") -> list[str]:
    """One line per fact nothing verifies (the build refuses them)."""
    return [
        f"{file_name}: {fact}: nothing verifies this fact; add source.url and source.quote "
        "(OpenAI's words), or source.manual with the reason only a person can check it"
        for fact, checks in verifiers(facts).items()
        if not checks
    ]


def table(facts: Facts) -> list[str]:
    """The human listing: one line per fact with what verifies it, then the totals."""
    lines = []
    for fact, checks in verifiers(facts).items():
        if not checks:
            lines.append(f"{fact}: UNCHECKED")
            continue
        described = []
        for check in checks:
            needs = f" [needs {check.needs}]" if check.needs else ""
            described.append(f"{check.kind}: {check.detail}{needs}")
        lines.append(f"{fact}: " + "; ".join(described))
    lines.append(totals_line(summary(facts)))
    return lines


class _Outcome(Protocol):
    id: str

    @property
    def status(self) -> Any: ...


def run_coverage(facts: Facts, results: Iterable[_Outcome]) -> dict[str, Any]:
    """The drift report's coverage block: the static totals, and what this run verified.

    A fact counts as verified in the run when some item for it (its own id, or an id ending in
    `.<fact id>` such as a source item's) ended ok and none ended in drift.
    """
    data = summary(facts)
    statuses: dict[str, set[str]] = {}
    for result in results:
        status = str(getattr(result.status, "value", result.status))
        for fact in data["by_fact"]:
            if result.id == fact or result.id.endswith("." + fact):
                statuses.setdefault(fact, set()).add(status)
    verified = [fact for fact, seen in statuses.items() if "ok" in seen and "drift" not in seen]
    totals = {key: data[key] for key in ("facts", "unattended", "manual", "unchecked")}
    return {**totals, "verified_in_run": len(verified), "line": totals_line(data)}


def screens(facts: Facts, docs_dir: Path = DOCS_DIR) -> dict[str, Any]:
    """The steps that name a ui fact a run can shoot (check: auto), and which have no live shot on file."""
    steps, missing = 0, []
    for fact_id, fact in facts.ui.items():
        if fact.check != "auto":
            continue
        uses = [use for use in fact_usage(f"ui.{fact_id}", docs_dir) if use.step]
        steps += len(uses)
        if uses and live_shot(docs_dir, f"ui.{fact_id}") is None:
            missing += [{"fact": use.fact, "page": use.page, "line": use.line, "where": use.where} for use in uses]
    return {"steps": steps, "without_shot": len(missing), "missing": missing}


def screens_lines(data: dict[str, Any]) -> list[str]:
    """The listing of `coverage --screens`: one line per step without a screenshot, then the count."""
    lines = [
        f"docs/{m['page']}:{m['line']}: {m['where']}: {m['fact']} has no screenshot on file" for m in data["missing"]
    ]
    shot = data["steps"] - data["without_shot"]
    lines.append(f"screenshots: {shot} of {data['steps']} steps that name a ui fact show one")
    return lines
