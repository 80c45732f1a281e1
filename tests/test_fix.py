"""`python -m keyguide fix`: mechanical drift becomes one edit, bumped pages and a strict build.

End to end against the stand-in: an injected rename and an injected permanent redirect drift; `fix`
edits a copy of the project; the same checks then find no drift. The rest are the refusals: bad
input is one line and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checks.standin import StandIn, standin_storage_state
from keyguide.build import copy_project
from keyguide.cli import main
from keyguide.facts import ROOT, parse_facts
from keyguide.fix import Fix, FixError, edit_facts_text, plan_fixes, read_report
from keyguide.pages import DOCS_DIR, all_pages

OLD_QUICKSTART = "https://developers.openai.com/api/docs/quickstart"
NEW_QUICKSTART = "https://developers.openai.com/api/docs/quickstart-2026"
FAULTS = [
    {"kind": "rename", "fact": "ui.create_key_button", "name": "Create secret key"},
    {"kind": "redirect", "route": OLD_QUICKSTART, "location": NEW_QUICKSTART, "status": 301},
]
# The stand-in renders at once: the renamed button needs 3 s (test-only), not the default 10, to be missing.
SELECT = ["-m", "ui or links", "-k", "ui.create_key_button or links.quickstart", "--ui-timeout=3"]


def project_copy(tmp_path: Path) -> Path:
    project = copy_project(tmp_path / "project")
    shutil.copy2(ROOT / "pages.lock.json", project / "pages.lock.json")
    return project


def run_checks(args: list[str], out: Path, facts_file: Path | None = None) -> dict:
    report = out / "drift.json"
    command = [sys.executable, "-m", "pytest", "checks", "-p", "no:cacheprovider", f"--drift-report={report}"]
    command += [f"--output={out / 'playwright'}", *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GITHUB_"))}
    if facts_file is not None:
        env["KEYGUIDE_FACTS"] = str(facts_file)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert report.exists(), done.stdout[-3000:] + done.stderr[-2000:]
    return json.loads(report.read_text(encoding="utf-8"))


def with_faults(standin: StandIn) -> StandIn:
    for fault in FAULTS:
        standin.faults.inject(fault)
    return standin


def standin_args(standin: StandIn, tmp_path: Path) -> list[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    state = tmp_path / "state.json"
    standin_storage_state(state)
    return [f"--remap={remap}" for remap in standin.remaps] + [f"--storage-state={state}"]


def digest(root: Path) -> dict[str, str]:
    files = [root / "facts.yml", root / "pages.lock.json", *sorted((root / "docs").rglob("*.md"))]
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.mark.browser
def test_fix_a_rename_and_a_moved_link_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with with_faults(StandIn(generic_pages=True)) as standin:
        report = run_checks([*SELECT, *standin_args(standin, tmp_path / "first")], tmp_path / "first")
    drift = {r["id"]: r for r in report["results"] if r["status"] == "drift"}
    assert set(drift) == {"ui.create_key_button", "links.quickstart"}, report["results"]
    assert drift["ui.create_key_button"]["fix"] == {
        "field": "ui.create_key_button.name",
        "old": "Create new secret key",
        "new": "Create secret key",
    }
    assert drift["links.quickstart"]["fix"]["new"] == NEW_QUICKSTART

    project = project_copy(tmp_path)
    before = digest(project)
    report_path = tmp_path / "first" / "drift.json"
    # The fix's changelog date must not be older than any page's newest entry.
    day = max(change.date for page in all_pages(DOCS_DIR) for change in page.meta.changelog).isoformat()
    assert main(["fix", str(report_path), "--root", str(project), "--dry-run", "--date", day]) == 0
    dry = capsys.readouterr().out
    assert "-    name: Create new secret key\n+    name: Create secret key" in dry
    assert f"+    url: {NEW_QUICKSTART}" in dry
    assert "OpenAI renamed **Create new secret key** to **Create secret key**" in dry
    assert digest(project) == before, "--dry-run wrote something"

    comments = [line for line in (project / "facts.yml").read_text().splitlines() if line.lstrip().startswith("#")]
    assert main(["fix", str(report_path), "--root", str(project), "--date", day]) == 0
    done = capsys.readouterr().out
    facts_text = (project / "facts.yml").read_text()
    assert [line for line in facts_text.splitlines() if line.lstrip().startswith("#")] == comments
    fixed = parse_facts(project / "facts.yml")
    assert fixed.ui["create_key_button"].name == "Create secret key"
    assert fixed.links["quickstart"].url == NEW_QUICKSTART
    changed = {name for name, sha in digest(project).items() if before[name] != sha}
    assert "docs/create-key.md" in changed and "pages.lock.json" in changed and "facts.yml" in changed
    create_key = (project / "docs" / "create-key.md").read_text()
    assert "summary: OpenAI renamed **Create new secret key** to **Create secret key**" in create_key
    assert "bumped: " in done and "docs/create-key.md" in done

    with with_faults(StandIn(facts=fixed, generic_pages=True)) as standin:
        again = run_checks(
            [*SELECT, *standin_args(standin, tmp_path / "second")], tmp_path / "second", project / "facts.yml"
        )
    assert [r["id"] for r in again["results"] if r["status"] == "drift"] == []
    assert {r["id"] for r in again["results"] if r["status"] == "ok"} >= {"ui.create_key_button", "links.quickstart"}


def drift_report(tmp_path: Path, results: list[dict]) -> Path:
    path = tmp_path / "drift.json"
    path.write_text(json.dumps({"results": results}), encoding="utf-8")
    return path


RENAME = {
    "id": "ui.create_key_button",
    "status": "drift",
    "fix": {"field": "ui.create_key_button.name", "old": "Create new secret key", "new": "Create secret key"},
}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "not a drift report (expected the JSON that `pytest checks --drift-report` writes)"),
        ("{not json", "not a drift report (not JSON"),
        (json.dumps({"results": [{"id": 3}]}), "not a drift report"),
    ],
)
def test_not_a_drift_report(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "drift.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FixError, match=message.replace("(", r"\(").replace(")", r"\)").replace("`", ".")):
        read_report(path)


def test_unknown_fact_and_edited_fact_are_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = project_copy(tmp_path)
    before = digest(project)
    unknown = {**RENAME, "fix": {**RENAME["fix"], "field": "ui.create_key_buton.name"}}
    assert main(["fix", str(drift_report(tmp_path, [unknown])), "--root", str(project)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no fact ui.create_key_buton in facts.yml; did you mean 'create_key_button'?" in err[0]

    edited = {**RENAME, "fix": {**RENAME["fix"], "old": "Create a new secret key"}}
    assert main(["fix", str(drift_report(tmp_path, [edited])), "--root", str(project)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the fact was edited since the run" in err[0]
    assert digest(project) == before


def test_only_mechanical_drift_is_applied_the_rest_is_listed() -> None:
    facts = parse_facts(ROOT / "facts.yml")
    results = [
        RENAME,
        {"id": "ui.key_name", "status": "drift", "observed": "textbox “Name” not found", "suggestion": "re-check"},
        {"id": "links.billing", "status": "ok"},
    ]
    plan = plan_fixes(results, facts, Path("drift.json"))
    assert plan.fixes == [Fix("ui.create_key_button", "name", "Create new secret key", "Create secret key")]
    assert [item["id"] for item in plan.for_writer] == ["ui.key_name"]


def test_edit_keeps_every_other_byte() -> None:
    text = (
        "# top comment\n"
        "ui:\n"
        "  # the dialog opener\n"
        "  create_key_button:\n"
        "    url: https://platform.openai.com/x  # where\n"
        "    name: Create new secret key   # as shown\n"
        "links:\n"
        "  quickstart:\n"
        "    url: 'https://developers.openai.com/a'\n"
    )
    fixes = [
        Fix("ui.create_key_button", "name", "Create new secret key", "Create: the key"),
        Fix("links.quickstart", "url", "https://developers.openai.com/a", "https://developers.openai.com/b"),
    ]
    assert edit_facts_text(text, fixes) == text.replace(
        "name: Create new secret key", 'name: "Create: the key"'
    ).replace("'https://developers.openai.com/a'", "'https://developers.openai.com/b'")
