"""The drift workflow's fix step (.github/scripts/fix-pr.sh), run for real on a scratch clone.

`gh` is a stand-in script that logs its arguments and answers `pr list` as told; `origin` is a bare
repository on disk. So the test sees exactly what the workflow would push and which pull request
command it would run: create the first time, edit when one is open, close when a run is clean.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keyguide.build import copy_project
from keyguide.facts import ROOT

SCRIPT = ROOT / ".github" / "scripts" / "fix-pr.sh"
FAKE_GH = """#!/usr/bin/env bash
echo "$*" >> "$GH_LOG"
for ((i = 1; i < $#; i++)); do
  if [ "${!i}" = "--body-file" ]; then next=$((i + 1)); cp "${!next}" "$GH_LOG.body"; fi
done
case "$1 $2" in
  "pr list") cat "$GH_OPEN" ;;
  "pr create") echo "https://github.example/o/r/pull/7" ;;
  "pr view") echo "https://github.example/o/r/pull/$3" ;;
esac
"""
RENAME = {
    "id": "ui.create_key_button",
    "status": "drift",
    "observed": "button “Create new secret key” not found; nearest: 'Create secret key'",
    "evidence": ["buttons on the page: 'Create secret key', 'Docs'"],
    "fix": {"field": "ui.create_key_button.name", "old": "Create new secret key", "new": "Create secret key"},
}
REMOVED = {"id": "ui.key_name", "status": "drift", "observed": "textbox “Name” not found", "suggestion": "re-check"}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository of the project as it is now (keyguide/ linked), whose origin is a bare repository."""
    project = copy_project(tmp_path / "project")
    shutil.copy2(ROOT / "pages.lock.json", project / "pages.lock.json")
    # A real copy of keyguide/, not copy_project's link: `python -m keyguide` takes its project root
    # from where the package lives, and a link would resolve to this working tree.
    (project / "keyguide").unlink()
    shutil.copytree(ROOT / "keyguide", project / "keyguide", ignore=shutil.ignore_patterns("__pycache__"))
    git("init", "-q", "-b", "main", cwd=project)
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A", cwd=project)
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "guide", cwd=project)
    git("clone", "-q", "--bare", str(project), str(tmp_path / "origin.git"), cwd=tmp_path)
    git("clone", "-q", str(tmp_path / "origin.git"), str(tmp_path / "clone"), cwd=tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH, encoding="utf-8")
    (bin_dir / "gh").chmod(0o755)
    return tmp_path / "clone"


def run_step(
    repo: Path, results: list[dict], open_pr: str = "", screens: Path | None = None, baselines: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], str, str]:
    tmp = repo.parent
    report = tmp / "drift.json"
    drift = sum(1 for r in results if r["status"] == "drift")
    report.write_text(json.dumps({"summary": {"drift": drift}, "results": results}), encoding="utf-8")
    (tmp / "open.txt").write_text(open_pr, encoding="utf-8")
    log, output = tmp / "gh.log", tmp / "github_output"
    log.write_text("", encoding="utf-8")
    output.write_text("", encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")},
        "PATH": f"{tmp / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "GH_LOG": str(log),
        "GH_OPEN": str(tmp / "open.txt"),
        "GITHUB_OUTPUT": str(output),
        "PYTHON": sys.executable,
        "RUN_URL": "https://github.example/o/r/actions/runs/1",
        "NO_MKDOCS_2_WARNING": "1",
        "SCREENS": str(screens or tmp / "no-screens"),
        "BASELINES": str(baselines or tmp / "no-baselines"),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), str(report)], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    return done, log.read_text(encoding="utf-8"), output.read_text(encoding="utf-8")


def test_first_fix_opens_one_pull_request_with_evidence(repo: Path) -> None:
    before = (ROOT / "facts.yml").read_bytes()
    done, gh, output = run_step(repo, [RENAME, REMOVED])
    assert (ROOT / "facts.yml").read_bytes() == before, "the step must only touch the checkout it runs in"
    assert done.returncode == 0, done.stdout + done.stderr
    assert "url=https://github.example/o/r/pull/7" in output
    create = next(line for line in gh.splitlines() if line.startswith("pr create"))
    assert "--head guide-drift/fixes --base main" in create
    pushed = git("show", "guide-drift/fixes:facts.yml", cwd=repo.parent / "origin.git")
    assert "name: Create secret key\n" in pushed and "name: Create new secret key" not in pushed
    page = git("show", "guide-drift/fixes:docs/create-key.md", cwd=repo.parent / "origin.git")
    assert "OpenAI renamed **Create new secret key** to **Create secret key**" in page
    body_file = create.split("--body-file ")[1].split()[0]
    assert body_file  # the body itself is checked through keyguide fix's own output below
    assert "Create secret key" in done.stdout or "fix pull request" in done.stdout


def test_an_open_pull_request_is_updated_not_duplicated(repo: Path) -> None:
    done, gh, output = run_step(repo, [RENAME], open_pr="12\n")
    assert done.returncode == 0, done.stdout + done.stderr
    commands = [line.split()[:2] for line in gh.splitlines()]
    assert ["pr", "create"] not in commands
    assert any(line.startswith("pr edit 12 ") for line in gh.splitlines())
    assert "url=https://github.example/o/r/pull/12" in output


def test_a_clean_run_closes_the_pull_request(repo: Path) -> None:
    done, gh, output = run_step(repo, [{"id": "links.billing", "status": "ok"}], open_pr="12\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert any(line.startswith("pr close 12 --delete-branch") for line in gh.splitlines())
    assert "url=\n" in output
    assert "guide-drift/fixes" not in git("branch", "--list", cwd=repo.parent / "origin.git")


def test_drift_nothing_mechanical_leaves_the_pull_request_alone(repo: Path) -> None:
    done, gh, _ = run_step(repo, [REMOVED], open_pr="12\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not any(line.startswith(("pr close", "pr create", "pr edit")) for line in gh.splitlines())


def test_pr_body_lists_fixes_evidence_and_what_needs_a_writer(tmp_path: Path) -> None:
    from keyguide.facts import parse_facts
    from keyguide.fix import Outcome, Plan, plan_fixes, pr_body

    plan = plan_fixes([RENAME, REMOVED], parse_facts(ROOT / "facts.yml"), tmp_path / "drift.json")
    body = pr_body(Outcome([], ["docs/create-key.md"], plan), "https://github.example/run/1")
    assert "| `ui.create_key_button.name` | Create new secret key | Create secret key |" in body
    assert "- buttons on the page: 'Create secret key', 'Docs'" in body
    assert "### Needs a writer (1)\n\n- `ui.key_name`: textbox “Name” not found — re-check" in body
    assert "[The drift run](https://github.example/run/1)" in body
    assert isinstance(plan, Plan)


def _shots(folder: Path, *, live: bool, colour: tuple[int, int, int]) -> Path:
    """A run's --screenshots folder with one shot of the create-key button (a flat test image)."""
    import hashlib

    from PIL import Image

    from keyguide.screens import Shot, write_manifest

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ui.create_key_button.png"
    Image.new("RGB", (120, 60), colour).save(path, format="PNG")
    data = path.read_bytes()
    shot = Shot(
        "ui.create_key_button",
        path.name,
        "https://platform.openai.com/x",
        "2026-11-30T05:00:00+00:00",
        "99",
        live,
        120,
        60,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    write_manifest(folder, [shot])
    return folder


def test_changed_live_shots_ride_in_the_one_pull_request(repo: Path) -> None:
    screens = _shots(repo.parent / "run-screens", live=True, colour=(200, 40, 40))
    done, gh, _ = run_step(repo, [{"id": "links.billing", "status": "ok"}], screens=screens)
    assert done.returncode == 0, done.stdout + done.stderr
    create = next(line for line in gh.splitlines() if line.startswith("pr create"))
    assert "1 screenshot(s)" in create
    origin = repo.parent / "origin.git"
    files = git("ls-tree", "-r", "--name-only", "guide-drift/fixes", cwd=origin).split()
    assert "docs/assets/screens/ui.create_key_button.png" in files
    assert "docs/assets/screens/screens.json" in files
    assert not (ROOT / "docs" / "assets" / "screens").exists(), "the step must only touch its own checkout"


def test_stand_in_shots_never_reach_the_pull_request(repo: Path) -> None:
    screens = _shots(repo.parent / "run-screens", live=False, colour=(200, 40, 40))
    done, gh, _ = run_step(repo, [{"id": "links.billing", "status": "ok"}], screens=screens)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "refused" in done.stdout + done.stderr
    assert not any(line.startswith(("pr create", "pr edit")) for line in gh.splitlines())
    assert "guide-drift/fixes" not in git("branch", "--list", cwd=repo.parent / "origin.git")


def _baselines(folder: Path, *, live: bool) -> Path:
    """A run's --baseline-out folder: the create-key dialog, with a control OpenAI added."""
    from keyguide.baselines import Baseline, write_baseline

    controls = ('textbox "Name"', 'combobox "Expires"', 'button "Create secret key"')
    run = Baseline(
        "screens.dialog.create_key_button", "screen", "https://platform.openai.com/x", "Create new secret key dialog",
        live, "99", "2026-12-02T05:00:00+00:00", controls,
    )  # fmt: skip
    write_baseline(folder, run)
    return folder


def test_the_first_live_run_proposes_its_baselines_with_a_readable_diff(repo: Path) -> None:
    baselines = _baselines(repo.parent / "run-baselines", live=True)
    done, gh, _ = run_step(repo, [{"id": "links.billing", "status": "ok"}], baselines=baselines)
    assert done.returncode == 0, done.stdout + done.stderr
    create = next(line for line in gh.splitlines() if line.startswith("pr create"))
    assert "1 baseline(s) to review" in create
    files = git("ls-tree", "-r", "--name-only", "guide-drift/fixes", cwd=repo.parent / "origin.git").split()
    assert "baselines/screens/dialog.create_key_button.yml" in files
    body = (repo.parent / "gh.log.body").read_text(encoding="utf-8")
    assert "### Baselines (1)" in body and "<code>screens.dialog.create_key_button</code>" in body
    assert "```diff\n--- no baseline\n+++ live run 99 of 2026-12-02" in body and '+combobox "Expires"' in body
    assert not (ROOT / "baselines" / "screens").exists(), "the step must only touch its own checkout"


def test_stand_in_baselines_never_reach_the_pull_request(repo: Path) -> None:
    baselines = _baselines(repo.parent / "run-baselines", live=False)
    done, gh, _ = run_step(repo, [{"id": "links.billing", "status": "ok"}], baselines=baselines)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "refused" in done.stdout + done.stderr
    assert not any(line.startswith(("pr create", "pr edit")) for line in gh.splitlines())
