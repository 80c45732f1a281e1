"""The writers' CLI: `bump` edits three places of the front matter and nothing else; bad input is one line.

Most tests call `main()` in-process on a fixture copy (fast); one runs `python -m keyguide` for real,
so the entry point and the no-traceback promise are checked as a writer meets them.
"""

from __future__ import annotations

import subprocess
import sys
import types
from datetime import date
from pathlib import Path

import pytest

from keyguide.cli import main
from keyguide.facts import ROOT
from keyguide.metadata_lock import LOCK_NAME, Project, check_lock, read_lock, record

# Comments, a quoted date, a plain and a quoted summary, a blank line: all must survive a bump.
PAGE = """\
---
title: How to do a thing
# Shown in search results.
description: A fixture page for the tests of the metadata lock and the writers' CLI.
updated: "2026-01-10"   # the last substantive change
version: 2
changelog:
  # newest first
  - version: 2
    date: 2026-01-10
    summary: 'Second version: rewritten.'

  - version: 1
    date: 2025-07-15
    summary: First version.
hide: [feedback]
---

1. Select **Save**.
"""

BUMPED = """\
---
title: How to do a thing
# Shown in search results.
description: A fixture page for the tests of the metadata lock and the writers' CLI.
updated: "2026-02-01"   # the last substantive change
version: 3
changelog:
  # newest first
  - version: 3
    date: 2026-02-01
    summary: "Adds the expiry step: optional."
  - version: 2
    date: 2026-01-10
    summary: 'Second version: rewritten.'

  - version: 1
    date: 2025-07-15
    summary: First version.
hide: [feedback]
---

1. Select **Save**.
"""

MKDOCS_YML = """\
site_name: Fixture
extra:
  review_interval_days: 30
  platform:
    name: Relay
    menu_path: [Settings]
    labels: {key_field: Key, save: Save, test: Test, success: Connected}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    record(Project(tmp_path))
    return tmp_path


def run(root: Path, *args: str) -> int:
    return main([args[0], "--root", str(root), *args[1:]])


def test_bump_changes_date_version_and_changelog_only(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = root / "docs" / "page.md"
    page.write_text(PAGE.replace("Select **Save**.", "Select **Save**.\n2. Optional: set an expiry."), encoding="utf-8")
    assert check_lock(Project(root))  # the guard sees the unrecorded change
    assert run(root, "bump", "docs/page.md", "Adds the expiry step: optional.", "--date", "2026-02-01") == 0
    assert page.read_text(encoding="utf-8") == BUMPED.replace(
        "Select **Save**.", "Select **Save**.\n2. Optional: set an expiry."
    )
    assert capsys.readouterr().out.splitlines()[0] == (
        "docs/page.md: version 3, updated 2026-02-01: Adds the expiry step: optional."
    )
    assert read_lock(root / LOCK_NAME)["page.md"].version == 3
    assert check_lock(Project(root)) == []


def test_bump_twice_in_a_day_and_keeps_crlf(root: Path) -> None:
    page = root / "docs" / "page.md"
    page.write_bytes(PAGE.replace("\n", "\r\n").encode("utf-8"))
    today = date.today().isoformat()
    assert run(root, "bump", "docs/page.md", "First change today.") == 0
    assert run(root, "bump", "docs/page.md", "Second change today.") == 0
    raw = page.read_bytes().decode("utf-8")
    assert "\n" not in raw.replace("\r\n", "")
    assert f'updated: "{today}"   # the last substantive change\r\n' in raw
    assert "version: 4\r\n" in raw
    assert f"  - version: 4\r\n    date: {today}\r\n    summary: Second change today.\r\n  - version: 3\r\n" in raw


def test_bump_follows_the_writers_item_style(root: Path) -> None:
    """Flow-style items and other key orders get the same style, not ours."""
    page = root / "docs" / "page.md"
    flow = (
        "changelog:\n"
        "- {version: 2, date: 2026-01-10, summary: Second version.}\n"
        "- {version: 1, date: 2025-07-15, summary: First version.}\n"
    )
    text = PAGE.split("changelog:\n")[0] + flow + "---\n\nBody.\n"
    page.write_text(text, encoding="utf-8")
    assert run(root, "bump", "docs/page.md", "Third, with a comma, here.", "--date", "2026-03-01") == 0
    assert '- {version: 3, date: 2026-03-01, summary: "Third, with a comma, here."}\n- {version: 2' in page.read_text()

    block = "changelog:\n    -   date: 2026-01-10\n        version: 2\n        summary: Second version.\n"
    page.write_text(PAGE.split("changelog:\n")[0] + block + "---\n\nBody.\n", encoding="utf-8")
    assert run(root, "bump", "docs/page.md", "Fourth version.", "--date", "2026-03-02") == 0
    expected = (
        "    -   date: 2026-03-02\n        version: 3\n        summary: Fourth version.\n    -   date: 2026-01-10\n"
    )
    assert expected in page.read_text()


def test_trivial_records_a_typo_fix(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = root / "docs" / "page.md"
    page.write_text(PAGE.replace("1. Select", "1.  Select"), encoding="utf-8")
    assert check_lock(Project(root))
    assert run(root, "trivial", "docs/page.md") == 0
    assert check_lock(Project(root)) == []
    assert page.read_text(encoding="utf-8") == PAGE.replace("1. Select", "1.  Select")  # front matter untouched
    page.write_text(PAGE, encoding="utf-8")
    assert run(root, "bump", "--trivial", "docs/page.md") == 0
    assert "recorded a trivial change under version 2" in capsys.readouterr().out


BAD_PAGES = {
    "missing.md": (None, "error: docs/missing.md: no such file"),
    "plain.md": ("Just text.\n", "error: docs/plain.md: no front matter"),
    "yaml.md": ("---\ntitle: [oops\n---\nBody.\n", "error: docs/yaml.md:3: front matter is not valid YAML"),
    "meta.md": (PAGE.replace("version: 2\nchangelog", "version: 5\nchangelog"), "error: docs/meta.md: front matter"),
}


@pytest.mark.parametrize("name", BAD_PAGES)
def test_bad_input_is_one_line_naming_the_file(root: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    text, message = BAD_PAGES[name]
    if text is not None:
        (root / "docs" / name).write_text(text, encoding="utf-8")
    assert run(root, "bump", f"docs/{name}", "Some change here.") == 1
    out = capsys.readouterr()
    assert out.err.startswith(message), out.err
    assert len(out.err.splitlines()) == 1 and "Traceback" not in out.err


def test_bump_refuses_a_short_or_missing_summary(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (root / "docs" / "page.md").read_bytes()
    assert run(root, "bump", "docs/page.md", "typo") == 1
    assert run(root, "bump", "docs/page.md") == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: docs/page.md: summary: String should have at least 5 characters",
        'error: bump needs a summary of the change: bump PAGE "what changed" (or --trivial)',
    ]
    assert (root / "docs" / "page.md").read_bytes() == before


def test_module_entry_point_never_shows_a_traceback(root: Path) -> None:
    command = [sys.executable, "-m", "keyguide", "bump", "--root", str(root), "docs/nope.md", "Some change."]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=root)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "error: docs/nope.md: no such file\n")


def test_facts_ok_and_errors(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["facts"]) == 0
    assert capsys.readouterr().out.startswith("facts.yml: OK, ")
    broken = (ROOT / "facts.yml").read_text(encoding="utf-8").replace("    role: button\n", "    role: buton\n", 1)
    (root / "facts.yml").write_text(broken, encoding="utf-8")
    assert run(root, "facts") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: facts.yml: ui.") and ".role: Input should be " in err and "Traceback" not in err


def test_lock_check_exit_codes(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(root, "lock", "--check") == 0
    (root / "docs" / "page.md").write_text(PAGE + "More.\n", encoding="utf-8")
    assert run(root, "lock", "--check") == 1
    assert run(root, "lock") == 1  # refuses: that is a bump or a trivial change
    assert "docs/page.md: body changed" in capsys.readouterr().err


def test_lint_delegates_to_the_style_lint(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m keyguide lint ARGS` is keyguide.lint's main(ARGS), exit status included."""
    calls: list[list[str]] = []
    fake = types.ModuleType("keyguide.lint")
    fake.main = lambda argv: calls.append(argv) or 3  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyguide.lint", fake)
    assert main(["lint", "docs/index.md"]) == 3
    assert calls == [["docs/index.md"]]
