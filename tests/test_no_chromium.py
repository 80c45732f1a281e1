"""Without a Chromium, `pytest checks` says in one line what to run, and the UI items are inconclusive.

Why: Playwright's answer to a missing browser is a 20-line "install" box, once per item. A reader of
the run needs one line naming the command (`make test` or `python -m checks.drift.browser`), and the
UI checks must be inconclusive (we could not tell), never errors or passes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from checks.drift import browser
from keyguide.facts import ROOT

# Reasons checks/drift/ui.py precheck() gives before any browser is needed.
DECIDED_WITHOUT_A_BROWSER = ("checked by hand:", "could not open ", "inside ")


@pytest.fixture
def missing_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """CHROMIUM_PATH pointing at nothing, and a fresh probe (it is cached per run)."""
    missing = tmp_path / "no-such-chromium"
    monkeypatch.setenv("CHROMIUM_PATH", str(missing))
    browser.chromium_problem.cache_clear()
    yield missing
    browser.chromium_problem.cache_clear()


def test_probe_names_the_cause_and_what_to_run(missing_chromium: Path) -> None:
    problem = browser.chromium_problem()
    assert problem is not None
    assert "\n" not in problem and len(problem) < 400, problem
    assert problem.startswith("no Chromium can be launched here (") and str(missing_chromium) in problem
    assert problem.endswith("; run `make test` or `python -m checks.drift.browser` to install one"), problem
    assert browser.chromium_problem() is problem, "probed once per run"


def test_ui_items_are_inconclusive_with_one_line(missing_chromium: Path, tmp_path: Path) -> None:
    report = tmp_path / "drift.json"
    command = [sys.executable, "-m", "pytest", "checks", "-p", "no:cacheprovider", "-m", "ui", "--target", "standin"]
    command += ["--drift-report", str(report), "--output", str(tmp_path / "artifacts")]
    env = {**os.environ, "CHROMIUM_PATH": str(missing_chromium)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "╔" not in output and "playwright install" not in output, "Playwright's install box leaked out"
    assert "Traceback" not in output, output[-3000:]
    line = browser.chromium_problem()
    assert output.count(f"UI checks inconclusive: {line}") == 1, output[-3000:]
    results = [r for r in json.loads(report.read_text(encoding="utf-8"))["results"] if r["kind"] == "ui"]
    assert results and all(r["status"] == "inconclusive" for r in results)
    # Items the suite decides without a browser (manual facts, a dialog whose opener failed) keep their
    # own reason; every other one carries the Chromium line.
    for result in results:
        if not result["reason"].startswith(DECIDED_WITHOUT_A_BROWSER):
            assert result["reason"] == line, result
    assert sum(r["reason"] == line for r in results) >= 5
