"""A run's baselines: what it compares with, what it records, and what it could not compare.

- `--baseline DIR` compares with DIR. Without it, a live run (OpenAI itself, nothing remapped)
  compares with the committed `baselines/`; a stand-in or remapped run compares with nothing, since
  the committed baselines describe OpenAI, not the stand-in.
- `--baseline-out DIR` writes what this run saw (only what it could see: a walled screen records
  nothing), with its provenance: live or not, the run id, the date. The fix pull request proposes
  them (`python -m keyguide baselines update DIR`); the first live run proposes the first ones.
- Where there is no baseline, nothing is compared: the item is skipped with "no baseline", listed in
  every report, and never drift.

The file format, and what the build refuses, are keyguide/baselines.py's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from checks.drift.redact import current_redactor
from keyguide.baselines import BASELINES_DIR, Baseline, BaselineError, load, path_of, write_baseline
from keyguide.facts import ROOT

NO_BASELINE = "no baseline"


def run_id() -> str:
    """The workflow run's id, or a local timestamp: what a baseline or a screenshot says it came from."""
    return os.environ.get("GITHUB_RUN_ID") or datetime.now(UTC).strftime("local-%Y%m%dT%H%M%SZ")


def add_options(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--baseline",
        metavar="DIR",
        help=f"compare screens, cited pages and watched pages with the baselines in DIR (default: the committed "
        f"{BASELINES_DIR}/ in a live run, none against the stand-in or a remap)",
    )
    group.addoption(
        "--baseline-out",
        metavar="DIR",
        help="write what this run saw as baselines to DIR (the fix pull request proposes them: "
        "`python -m keyguide baselines update DIR`)",
    )


@dataclass
class BaselineStore:
    """This run's baselines: where comparisons come from, where observations go, what was missing."""

    compare_dir: Path | None
    why: str  # where the comparisons come from, or why there are none
    out_dir: Path | None = None
    live: bool = False
    run: str = field(default_factory=run_id)
    missing: list[dict[str, str]] = field(default_factory=list)
    compared: int = 0
    recorded: int = 0

    @classmethod
    def from_config(cls, config: pytest.Config, *, live: bool) -> BaselineStore:
        chosen, out = config.getoption("baseline"), config.getoption("baseline_out")
        out_dir = Path(out) if out else None
        if chosen:
            return cls(Path(chosen), f"compared with {chosen}", out_dir, live)
        if live:
            return cls(ROOT / BASELINES_DIR, f"compared with the committed {BASELINES_DIR}/", out_dir, live)
        why = (
            "a stand-in or remapped run compares with nothing unless given --baseline DIR "
            f"(the committed {BASELINES_DIR}/ describe OpenAI itself)"
        )
        return cls(None, why, out_dir, live)

    @property
    def recording(self) -> bool:
        return self.out_dir is not None

    def has(self, kind: str, item_id: str) -> bool:
        """Whether there is a baseline file to compare `item_id` with (read or not)."""
        return self.compare_dir is not None and path_of(self.compare_dir, kind, item_id).is_file()

    def needed(self, kind: str, item_id: str) -> bool:
        """Whether the item must look at OpenAI at all: to compare, or to record."""
        return self.recording or self.has(kind, item_id)

    def baseline(self, kind: str, item_id: str) -> Baseline | None:
        """The baseline to compare `item_id` with, or None. Raises BaselineError for an unreadable one."""
        if self.compare_dir is None:
            return None
        return load(self.compare_dir, kind, item_id)

    def record(self, kind: str, item_id: str, url: str, title: str, items: Sequence[Any]) -> Path | None:
        """Write what this run saw for `item_id` to --baseline-out (redacted: no key ever reaches a file)."""
        if self.out_dir is None:
            return None
        clean = tuple(current_redactor().data(list(items)))
        baseline = Baseline(
            id=item_id,
            kind=kind,
            url=url,
            title=title,
            live=self.live,
            run_id=self.run,
            recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            items=clean,
        )
        self.recorded += 1
        return write_baseline(self.out_dir, baseline)

    def no_baseline(self, kind: str, item_id: str, url: str, why: str = "") -> str:
        """Note an item with nothing to compare with; the skip message (never an outcome)."""
        recorded = self.out_dir is not None and path_of(self.out_dir, kind, item_id).is_file()
        reason = why or (
            f"nothing compared: no {path_of(Path(BASELINES_DIR), kind, item_id).as_posix()} yet"
            if self.compare_dir is not None
            else f"nothing compared: {self.why}"
        )
        if recorded:
            reason += f"; recorded what this run saw in {self.out_dir}"
        self.missing.append({"id": item_id, "kind": kind, "url": url, "reason": reason})
        return f"{NO_BASELINE}: {reason}"

    def unreadable(self, exc: BaselineError) -> str:
        return f"the baseline cannot be read: {exc}"

    def report(self) -> dict[str, Any]:
        """The report's `baselines` block."""
        return {
            "compared_with": str(self.compare_dir) if self.compare_dir is not None else None,
            "why": self.why,
            "recorded_to": str(self.out_dir) if self.out_dir is not None else None,
            "live": self.live,
            "run_id": self.run,
            "compared": self.compared,
            "recorded": self.recorded,
            "missing": list(self.missing),
        }
