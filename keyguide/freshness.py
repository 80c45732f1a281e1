"""Which pages are due for review: not updated, or not verified against OpenAI, within the interval.

OpenAI changes its platform every few weeks, so a page nobody touched or checked for a quarter is a
page to reread. The interval is `extra.review_interval_days` in mkdocs.yml (90 by default); the last
verification is the drift run's `run_date` in verification.json, for the pages that run verified
(fully or partly). A page whose facts drifted is always due; a missing file (or one from a stand-in
run, which load_verification ignores) means "no verification run on file" — never counted as a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from keyguide.facts import FactsError
from keyguide.metadata_lock import Project, read_meta
from keyguide.pages import PageError
from keyguide.platform import site_extra
from keyguide.verification import load_verification, page_state

DEFAULT_INTERVAL_DAYS = 90


@dataclass(frozen=True)
class Due:
    """A page due for review, and why."""

    page: str  # "docs/create-key.md"
    updated: date
    verified: date | None
    reasons: tuple[str, ...]

    def line(self) -> str:
        return f"{self.page}: {'; '.join(self.reasons)}"


def review_interval(extra: dict[str, Any]) -> int:
    value = extra.get("review_interval_days", DEFAULT_INTERVAL_DAYS)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise FactsError(f"mkdocs.yml: extra.review_interval_days must be a positive whole number, not {value!r}")
    return value


def last_verified(verification: dict[str, Any] | None) -> tuple[date | None, dict[str, Any]]:
    """The last run's date and its per-page verdicts (keyed by path under docs/)."""
    if not verification:
        return None, {}
    raw = str(verification.get("run_date", ""))
    try:
        run_date = date.fromisoformat(raw[:10])
    except ValueError:
        raise FactsError(f"verification.json: run_date {raw!r} is not an ISO date") from None
    return run_date, verification.get("pages") or {}


def _state(entry: Any) -> str:
    """One page's verdict in the last run: verified, partial, drift or unverified."""
    if isinstance(entry, dict) and isinstance(entry.get("state"), str):
        return entry["state"]
    return page_state(entry if isinstance(entry, dict) else None)


def due_pages(
    project: Project,
    today: date,
    days: int,
    verification: dict[str, Any] | None,
) -> list[Due]:
    """Pages whose last update or last verification is more than `days` before `today`, oldest first."""
    run_date, verdicts = last_verified(verification)
    due = []
    for path in project.pages():
        key = project.key(path)
        shown = project.shown(key)
        try:
            meta, _ = read_meta(path, shown)
        except PageError as exc:
            raise FactsError(str(exc).splitlines()[0]) from None
        # The page's stamp says the same (keyguide.verification.page_state, read by page-meta.html).
        state = _state(verdicts.get(key))
        verified = run_date if state in {"verified", "partial"} else None
        reasons = []
        age = (today - meta.updated).days
        if age > days:
            reasons.append(f"last updated {meta.updated} ({age} days ago)")
        if state == "drift":
            reasons.append(f"the run of {run_date} found steps that OpenAI may have changed")
        elif verified is None:
            reasons.append(f"not verified by the run of {run_date}" if run_date else "no verification run on file")
        elif (today - verified).days > days:
            reasons.append(f"last verified {verified} ({(today - verified).days} days ago)")
        if reasons:
            due.append(Due(shown, meta.updated, verified, tuple(reasons)))
    return sorted(due, key=lambda d: (d.verified or date.min, d.updated, d.page))


def freshness_report(
    project: Project,
    today: date,
    days: int | None = None,
    verification_file: Path | None = None,
) -> tuple[list[Due], int, str]:
    """What the `freshness` command prints: the due pages, the interval used, and a summary line."""
    extra = site_extra(project.root / "mkdocs.yml")
    interval = days if days is not None else review_interval(extra)
    if interval < 1:
        raise FactsError(f"--days must be at least 1, not {interval}")
    file = verification_file or Path(extra.get("verification_file") or "verification.json")
    if not file.is_absolute():
        file = project.root / file
    due = due_pages(project, today, interval, load_verification(file))
    total = len(project.pages())
    summary = (
        f"{len(due)} of {total} pages due for review (not updated or verified in the last {interval} days)"
        if due
        else f"all {total} pages updated and verified in the last {interval} days"
    )
    return due, interval, summary
