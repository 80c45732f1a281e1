"""Freshness: pages not updated or not verified within the review interval are listed, as warnings.

On fixture pages the list is exact. On the real guide the list is reported as a pytest warning and
never fails the run: an old page is a task for a writer, not a broken build.
"""

from __future__ import annotations

import json
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest

from keyguide.cli import main
from keyguide.freshness import freshness_report
from keyguide.metadata_lock import Project

TODAY = date(2026, 11, 26)


class FreshnessWarning(UserWarning):
    """Pages of the guide due for review (shown in pytest's warnings summary)."""


def page(updated: date) -> str:
    return (
        f"---\ntitle: A fixture page\ndescription: A page for the tests of the freshness command.\n"
        f"updated: {updated}\nversion: 1\nchangelog:\n  - version: 1\n    date: {updated}\n"
        f"    summary: First version.\n---\n\nBody.\n"
    )


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KEYGUIDE_VERIFICATION", raising=False)  # it would win over the fixture's file
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "old.md").write_text(page(TODAY - timedelta(days=200)), encoding="utf-8")
    (tmp_path / "docs" / "fresh.md").write_text(page(TODAY - timedelta(days=10)), encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: Fixture\nextra:\n  review_interval_days: 90\n", encoding="utf-8")
    return tmp_path


def verify(root: Path, run_date: date, pages: dict[str, object]) -> None:
    (root / "verification.json").write_text(json.dumps({"run_date": str(run_date), "pages": pages}))


def test_old_page_is_listed_and_verified_fresh_page_is_not(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    verify(root, TODAY - timedelta(days=3), {"old.md": {"ok": True}, "fresh.md": {"ok": True}})
    assert main(["freshness", "--root", str(root), "--today", str(TODAY)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "warning: docs/old.md: last updated 2026-05-10 (200 days ago)",
        "1 of 2 pages due for review (not updated or verified in the last 90 days)",
    ]
    assert main(["freshness", "--root", str(root), "--today", str(TODAY), "--strict"]) == 1


def test_verification_counts_as_much_as_an_update(root: Path) -> None:
    """A page updated recently but verified long ago, or not in the last run, is due too."""
    verify(root, TODAY - timedelta(days=120), {"fresh.md": {"ok": True}})
    due, _, _ = freshness_report(Project(root), TODAY)
    assert {d.page: d.reasons for d in due} == {
        "docs/old.md": ("last updated 2026-05-10 (200 days ago)", "not verified by the run of 2026-07-29"),
        "docs/fresh.md": ("last verified 2026-07-29 (120 days ago)",),
    }
    verify(root, TODAY, {"fresh.md": {"ok": True, "drift": ["ui.create_key_button"]}, "old.md": {"ok": True}})
    due, _, _ = freshness_report(Project(root), TODAY)
    assert {d.page: d.reasons[-1] for d in due} == {
        "docs/old.md": "last updated 2026-05-10 (200 days ago)",
        "docs/fresh.md": "the run of 2026-11-26 found steps that OpenAI may have changed",
    }
    (root / "verification.json").unlink()
    due, _, _ = freshness_report(Project(root), TODAY)
    assert [d.reasons[-1] for d in due] == ["no verification run on file"] * 2


def test_interval_comes_from_mkdocs_yml_or_days(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    verify(root, TODAY, {"old.md": {"ok": True}, "fresh.md": {"ok": True}})
    (root / "mkdocs.yml").write_text("site_name: F\nextra:\n  review_interval_days: 300\n", encoding="utf-8")
    assert main(["freshness", "--root", str(root), "--today", str(TODAY), "--strict"]) == 0
    assert capsys.readouterr().out == "all 2 pages updated and verified in the last 300 days\n"
    assert main(["freshness", "--root", str(root), "--today", str(TODAY), "--days", "7", "--strict"]) == 1
    assert "2 of 2 pages due" in capsys.readouterr().out


def test_bad_interval_is_one_line(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "mkdocs.yml").write_text("extra:\n  review_interval_days: soon\n", encoding="utf-8")
    assert main(["freshness", "--root", str(root)]) == 1
    assert capsys.readouterr().err == (
        "error: mkdocs.yml: extra.review_interval_days must be a positive whole number, not 'soon'\n"
    )


def test_real_guide_freshness_warns_but_never_fails(capsys: pytest.CaptureFixture[str]) -> None:
    """The command a writer runs: exit 0 whatever it lists; the list goes to pytest's warnings summary."""
    assert main(["freshness"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith(("all ", f"{len(out) - 1} of "))
    due = [line.removeprefix("warning: ") for line in out[:-1]]
    if due:
        warnings.warn(FreshnessWarning(f"{out[-1]}:\n  " + "\n  ".join(due)), stacklevel=1)
