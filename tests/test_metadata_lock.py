"""The metadata honesty guard: a page body may not change while its version stays put.

The first test is the guard itself, on the real docs. The others run the mechanism on fixture pages,
so each way of getting it wrong is shown to fail with a message that names the page and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from keyguide.metadata_lock import (
    LOCK_NAME,
    LockError,
    Project,
    body_sha256,
    check_lock,
    read_lock,
    record,
    record_trivial,
)

PAGE = """\
---
title: How to do a thing
description: A fixture page for the tests of the metadata lock and the writers' CLI.
updated: 2026-01-10
version: 2
changelog:
  - version: 2
    date: 2026-01-10
    summary: Second version, rewritten.
  - version: 1
    date: 2025-07-15
    summary: First version.
---

1. Select **Save**.
2. Select **Done**.
"""


def test_real_pages_match_the_lock() -> None:
    """Every page of the guide is in pages.lock.json at its current version and body."""
    problems = check_lock(Project())
    assert not problems, "\n".join(problems)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "docs" / "other.md").write_text(PAGE.replace("do a thing", "do another thing"), encoding="utf-8")
    fixture = Project(tmp_path)
    record(fixture)
    assert check_lock(fixture) == []
    return fixture


def edit_body(project: Project, name: str = "page.md") -> Path:
    path = project.docs_dir / name
    path.write_text(path.read_text(encoding="utf-8").replace("Select **Done**", "Select **Close**"), encoding="utf-8")
    return path


def test_missing_lock_is_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    assert check_lock(Project(tmp_path)) == [f"{LOCK_NAME}: missing; create it with `python -m keyguide lock`"]


def test_body_changed_without_new_version_fails(project: Project) -> None:
    edit_body(project)
    [problem] = check_lock(project)
    assert problem.startswith("docs/page.md: body changed but version (2) and updated (2026-01-10) did not")
    assert 'python -m keyguide bump docs/page.md "what changed"' in problem
    assert "python -m keyguide trivial docs/page.md" in problem


def test_trivial_change_refreshes_the_lock_without_a_version(project: Project) -> None:
    path = edit_body(project)
    assert record_trivial(project, path) == "docs/page.md: recorded a trivial change under version 2"
    assert check_lock(project) == []
    assert read_lock(project.lock_path)["page.md"].version == 2


def test_only_the_body_counts(project: Project) -> None:
    """A front-matter-only edit (the description) and a change of line endings are not body changes."""
    path = project.docs_dir / "page.md"
    text = path.read_text(encoding="utf-8").replace("A fixture page", "One fixture page")
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert check_lock(project) == []
    assert body_sha256("a\r\nb\r\n\r\n") == body_sha256("a\nb")


def test_lock_refuses_an_undated_body_change_unless_forced(project: Project) -> None:
    edit_body(project)
    with pytest.raises(LockError, match="body changed but version"):
        record(project)
    assert record(project, force=True) == ["docs/page.md: recorded version 2 (2026-01-10)"]
    assert check_lock(project) == []


def test_new_page_must_be_added(project: Project) -> None:
    new = project.docs_dir / "guides" / "new.md"
    new.parent.mkdir()
    new.write_text(PAGE, encoding="utf-8")
    assert check_lock(project) == [
        f"docs/guides/new.md: new page, not in {LOCK_NAME}; record it with `python -m keyguide lock docs/guides/new.md`"
    ]
    assert record(project, [new]) == ["docs/guides/new.md: recorded version 2 (2026-01-10), new page"]
    assert check_lock(project) == []


def test_deleted_page_is_dropped(project: Project) -> None:
    (project.docs_dir / "other.md").unlink()
    assert check_lock(project) == [
        f"{LOCK_NAME}: docs/other.md no longer exists; drop it with `python -m keyguide lock`"
    ]
    record(project)
    assert check_lock(project) == []


def test_hand_bump_must_be_recorded(project: Project) -> None:
    """A version bumped by hand is honest, but the lock must follow it, or the guard would go blind."""
    path = edit_body(project)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "updated: 2026-01-10\nversion: 2\nchangelog:\n", "updated: 2026-02-01\nversion: 3\nchangelog:\n"
    )
    text = text.replace(
        "changelog:\n", "changelog:\n  - version: 3\n    date: 2026-02-01\n    summary: Closes instead.\n"
    )
    path.write_text(text, encoding="utf-8")
    [problem] = check_lock(project)
    assert (
        problem
        == f"docs/page.md: version 3 is not recorded ({LOCK_NAME} has 2); run `python -m keyguide lock docs/page.md`"
    )
    record(project, [path])
    assert check_lock(project) == []


def test_trivial_refuses_a_page_bumped_by_hand_or_unknown(project: Project) -> None:
    path = project.docs_dir / "page.md"
    path.write_text(
        PAGE.replace("version: 2\nchangelog", "version: 3\nchangelog").replace(
            "  - version: 2\n", "  - version: 3\n    date: 2026-01-10\n    summary: Hand bump.\n  - version: 2\n"
        ),
        encoding="utf-8",
    )
    with pytest.raises(LockError, match="front matter says version 3"):
        record_trivial(project, path)
    new = project.docs_dir / "new.md"
    new.write_text(PAGE, encoding="utf-8")
    with pytest.raises(LockError, match=re.escape(f"not in {LOCK_NAME} yet")):
        record_trivial(project, new)


def test_broken_lock_file_names_itself(project: Project) -> None:
    project.lock_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(LockError, match=rf"^{LOCK_NAME}:1: not valid JSON"):
        check_lock(project)
