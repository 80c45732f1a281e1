"""The skip guard: on CI a skip not on tests/allowed-skips.txt fails the run; listed skips need a reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.skips import ALLOWED_FILE, allowed_skips

SAMPLE = """
import pytest

def test_runs():
    assert 1 + 1 == 2

def test_skipped():
    pytest.skip("no tool here")
"""
CONFTEST = """
from tests.skips import SkipGuard

def pytest_configure(config):
    config.pluginmanager.register(SkipGuard(), "guard")
"""


def run_sample(tmp_path: Path, ci: str, allowed: str = "") -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    allowed_file = tmp_path / "allowed.txt"
    allowed_file.write_text(allowed, encoding="utf-8")
    code = (
        "import sys, pytest, tests.skips as s; "
        f"s.ALLOWED_FILE = s.Path({str(allowed_file)!r}); "
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-p', 'no:xdist', sys.argv[1]]))"
    )
    env = {"PATH": "/usr/bin:/bin", "CI": ci, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )


def test_an_unlisted_skip_fails_on_ci(tmp_path: Path) -> None:
    done = run_sample(tmp_path, ci="true")
    assert done.returncode == 1, done.stdout
    assert "test_sample.py::test_skipped: skipped; fails the run on CI" in done.stdout


def test_an_unlisted_skip_is_only_named_off_ci(tmp_path: Path) -> None:
    done = run_sample(tmp_path, ci="")
    assert done.returncode == 0, done.stdout
    assert "would fail the run on CI" in done.stdout


def test_a_listed_skip_passes_on_ci(tmp_path: Path) -> None:
    done = run_sample(tmp_path, ci="true", allowed="test_sample.py::test_skipped # needs a GPU\n")
    assert done.returncode == 0, done.stdout
    assert "allowed-skips" not in done.stdout


def test_a_listed_skip_without_a_reason_is_refused(tmp_path: Path) -> None:
    listed = tmp_path / "allowed.txt"
    listed.write_text("# comment\ntests/test_x.py::test_y\n", encoding="utf-8")
    with pytest.raises(pytest.UsageError, match=r"allowed.txt:2: 'tests/test_x.py::test_y' needs ' # ' and why"):
        allowed_skips(listed)


def test_the_projects_list_is_empty() -> None:
    """Every test runs on a new machine: nothing is excused."""
    assert allowed_skips(ALLOWED_FILE) == {}
