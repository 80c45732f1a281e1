"""A run's results counted: the tallies, the inconclusive budget, and the redacted file writer that
every report uses (so a key that reached a result never reaches a file)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from checks.drift.outcomes import Result, Status
from checks.drift.redact import current_redactor

STATUS_ORDER = (Status.DRIFT, Status.REVIEW, Status.INCONCLUSIVE, Status.OK)
NO_PAGE = "Not stated on any page"


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


def write_redacted(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(current_redactor()(text), encoding="utf-8")


def pages_of(result: Result) -> list[str]:
    return list(dict.fromkeys([*result.pages, *(s.page for s in result.steps)]))
