"""The whole drift suite, run as CI runs it (`pytest checks …` in a subprocess), end to end.

- against the stand-in with nothing injected: no drift, and a canary key appears in no output;
- with one drift injected per kind: exactly those checks fail, each naming its page and a fix;
- with OpenAI unreachable: every check inconclusive, exit 0, the report still written.
The API faults (latency, 429 storm, 5xx, dropped connection, bot wall) are checked in-process.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from checks.drift.api import api_cases
from checks.drift.http import RetryPolicy, sync_client
from checks.drift.outcomes import Status
from checks.drift.remap import Remapper
from checks.standin import Fault, StandIn, standin_storage_state
from keyguide.facts import ROOT, load_facts
from keyguide.usage import fact_usage

FACTS = load_facts()
SOURCE_FACT = "claims.hard_limit_not_instant"  # a claim on the spend-limits page, quoted from the guide


def run_checks(
    args: list[str], tmp_path: Path, key: str | None = None, env_extra: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict]:
    """`pytest checks` with every report and artifact written under tmp_path."""
    report = tmp_path / "drift.json"
    command = [
        sys.executable, "-m", "pytest", "checks", "-p", "no:cacheprovider", "-rA",
        f"--drift-report={report}", f"--markdown-report={tmp_path / 'drift.md'}",
        f"--junitxml={tmp_path / 'junit.xml'}", f"--output={tmp_path / 'playwright'}",
        "--tracing=retain-on-failure", *args,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GITHUB_"))}
    if key:
        env["OPENAI_API_KEY"] = key
    env.update(env_extra or {})
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    (tmp_path / "stdout.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    assert report.exists(), f"no report written (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
    return done, json.loads(report.read_text(encoding="utf-8"))


def failed_ids(report: dict) -> set[str]:
    return {r["id"] for r in report["results"] if r["status"] == "drift"}


@pytest.fixture
def own_standin(tmp_path: Path) -> Iterator[tuple[StandIn, list[str]]]:
    """A stand-in this test controls, and the --remap/--storage-state arguments that reach it."""
    canary = "sk-standin-ok-canary-" + secrets.token_hex(16)
    with StandIn(canary=canary) as standin:
        state = tmp_path / "state.json"
        standin_storage_state(state)
        args = [f"--remap={remap}" for remap in standin.remaps] + [f"--storage-state={state}"]
        yield standin, args


def all_artifact_text(root: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file under root, and every member of every zip (Playwright traces), as bytes."""
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield path, data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield path / name, archive.read(name)


def test_clean_standin_run_has_no_drift_and_never_leaks_the_key(
    own_standin: tuple[StandIn, list[str]], built_site: Path, tmp_path: Path
) -> None:
    standin, args = own_standin
    canary = standin.canary
    assert canary
    done, report = run_checks([*args, "--tracing=on", f"--link-site={built_site}"], tmp_path, key=canary)
    assert done.returncode == 0, done.stdout[-4000:]
    summary = report["summary"]
    assert summary["drift"] == 0 and summary["ok"] >= 40, summary
    kinds = {r["kind"] for r in report["results"] if r["status"] == "ok"}
    assert kinds == {"api", "link", "ui", "source"}
    ok_ids = {r["id"] for r in report["results"] if r["status"] == "ok"}
    assert {"api.models", "api.me", "errors.invalid_api_key", "ui.create_key_button", "links.quickstart"} <= ok_ids
    # Only what no unattended run can see stays inconclusive: manual UI facts, pages behind sign-in
    # for a plain HTTP client, and the errors whose optional secret is not set.
    for result in report["results"]:
        if result["status"] == "inconclusive":
            optional_secret = result["kind"] == "api" and result["reason"].startswith("set OPENAI_")
            assert result["kind"] in ("ui", "link") or optional_secret, result
    # The key was used (the authenticated checks passed), yet appears in no output or artifact.
    leaks = [str(path) for path, data in all_artifact_text(tmp_path) if canary.encode() in data]
    assert not leaks, f"the key leaked into: {leaks}"
    assert canary[:24].encode() not in (tmp_path / "stdout.txt").read_bytes()
    assert any(tmp_path.joinpath("playwright").rglob("trace.zip")), "tracing was on, yet no trace was kept"


def test_one_injected_drift_per_kind_fails_exactly_those_checks(
    own_standin: tuple[StandIn, list[str]], built_site: Path, tmp_path: Path
) -> None:
    standin, args = own_standin
    standin.faults.inject(Fault(kind="error_code", fact="errors.invalid_api_key", code="api_key_invalid"))
    standin.faults.inject(Fault(kind="status", fact="links.rate_limits", status=410))
    standin.faults.inject(Fault(kind="rename", fact="ui.create_key_button", name="Create secret key"))
    standin.faults.inject(Fault(kind="sentence_removed", fact=SOURCE_FACT))
    # Test-only: the stand-in renders at once, so the renamed button needs 3 s, not 10, to be missing.
    done, report = run_checks([*args, "--ui-timeout=3", f"--link-site={built_site}"], tmp_path)
    assert done.returncode == 1
    # Every fact that cites the removed sentence drifts with it (a quote two facts share is one passage).
    quote = FACTS.fact(SOURCE_FACT).source  # type: ignore[attr-defined]
    sharing = {f"sources.{fid}" for fid, src in FACTS.sources() if (src.url, src.quote) == (quote.url, quote.quote)}
    expected = {"errors.invalid_api_key", "links.rate_limits", "ui.create_key_button", *sharing}
    assert failed_ids(report) == expected
    by_id = {r["id"]: r for r in report["results"]}
    assert "api_key_invalid" in by_id["errors.invalid_api_key"]["suggestion"]
    assert "410" in by_id["links.rate_limits"]["observed"]
    assert "Create secret key" in by_id["ui.create_key_button"]["suggestion"]
    for fact_id in failed_ids(report):
        assert by_id[fact_id]["pages"], f"{fact_id}: a drift must name the pages that state it"
    # pytest's own outputs agree: JUnit counts exactly three failures, the terminal names the step.
    junit = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert sum(int(suite.get("failures", 0)) for suite in junit.iter("testsuite")) == len(expected)
    step = next(use.where for use in fact_usage("ui.create_key_button") if use.page == "create-key.md")
    assert step.startswith("Create the key › step "), step
    assert "create-key.md:" in done.stdout and step in done.stdout
    markdown = (tmp_path / "drift.md").read_text(encoding="utf-8")
    assert f"create-key.md › {step}" in markdown
    source_drift = by_id[f"sources.{SOURCE_FACT}"]
    assert "now says" in source_drift["observed"] + source_drift["suggestion"], source_drift


def test_unreachable_openai_is_inconclusive_never_ok_never_drift(built_site: Path, tmp_path: Path) -> None:
    """What CI sees when the network is down: the live code path, every host unresolvable."""
    down = [f"--remap={origin}=http://{origin.split('//')[1]}.unreachable.invalid" for origin in FACTS.origins]
    # Test-only waits: the same retries and final pass, shorter. This machine's resolver drops some
    # lookups of a burst, which then wait out resolv.conf's 5 s (glibc reads RES_OPTIONS: 1 s here).
    waits = ["--retries=2", "--http-timeout=1", "--recheck-delay=0.2"]
    resolver = {"RES_OPTIONS": "timeout:1 attempts:1"}
    site = f"--link-site={built_site}"  # the session's strict build (these runs keep the guide as it is)
    done, report = run_checks([*down, *waits, site], tmp_path, key="sk-standin-ok-offline", env_extra=resolver)
    assert done.returncode == 0, done.stdout[-3000:]
    assert report["target"] == "live"
    statuses = {r["status"] for r in report["results"]}
    assert statuses == {"inconclusive"}, report["summary"]
    kinds = [r["kind"] for r in report["results"]]
    assert kinds.count("api") == len(api_cases(FACTS)) and kinds.count("ui") == len(FACTS.ui)
    assert kinds.count("link") >= len(FACTS.links)
    assert kinds.count("source") == sum(1 for _, source in FACTS.sources() if source.quote)
    assert "inconclusive" in done.stdout.splitlines()[-1]
    # A host that never answers is given up on (checks/drift/ratelimit.py): its other links fail at once.
    assert any("has not answered any request" in r["reason"] for r in report["results"] if r["kind"] == "link")


# -- API faults: never drift ----------------------------------------------------------------------

API_ROUTE = "https://api.openai.com/v1"  # /v1/models and /v1/me
FAST = RetryPolicy(attempts=4, backoff=0.05, retry_after_cap=2.0, timeout=1.0)
# One check that needs no key and one that uses it: the two paths through the API checks.
FAULT_CASES = [c for c in api_cases(FACTS) if c.id in ("errors.invalid_api_key", "api.models")]
FAULTS = {
    "latency": (Fault(kind="latency", route=API_ROUTE, seconds=0.5), {Status.OK}),
    "timeout": (Fault(kind="latency", route=API_ROUTE, seconds=1.5), {Status.INCONCLUSIVE}),
    "429-storm-then-ok": (Fault(kind="retry_after", route=API_ROUTE, times=3, seconds=1), {Status.OK}),
    "429-forever": (Fault(kind="retry_after", route=API_ROUTE, seconds=1), {Status.INCONCLUSIVE}),
    "5xx-then-ok": (Fault(kind="server_error", route=API_ROUTE, times=2, status=503), {Status.OK}),
    "5xx-forever": (Fault(kind="server_error", route=API_ROUTE, status=502), {Status.INCONCLUSIVE}),
    "dropped-then-ok": (Fault(kind="drop", route=API_ROUTE, times=1), {Status.OK}),
    "dropped-forever": (Fault(kind="drop", route=API_ROUTE), {Status.INCONCLUSIVE}),
    "bot-challenge": (Fault(kind="bot_challenge", route=API_ROUTE, passes_browser=False), {Status.INCONCLUSIVE}),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_api_faults_end_in_retry_success_or_inconclusive(
    name: str, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault, allowed = FAULTS[name]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-standin-ok-faults")
    remapper = Remapper(tuple(standin.remap_pairs))
    with sync_client(remapper, FAST) as client:
        for case in FAULT_CASES:
            standin.faults.clear()
            standin.faults.inject(fault)
            result = case.run(client, FAST)
            assert result.status in allowed, f"{name} · {case.id}: {result.status} ({result.observed})"
            assert result.status is not Status.DRIFT


def test_an_api_fault_check_can_fail(standin: StandIn) -> None:
    """The harness above is not blind: a changed error code does come out as drift."""
    standin.faults.inject(Fault(kind="error_code", fact="errors.missing_api_key", status=403))
    case = next(c for c in api_cases(FACTS) if c.id == "errors.missing_api_key")
    with sync_client(Remapper(tuple(standin.remap_pairs)), FAST) as client:
        assert case.run(client, FAST).status is Status.DRIFT


def test_the_suite_refuses_a_malformed_remap(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "checks", "-p", "no:cacheprovider", "--remap=not-a-pair", "-m", "api"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 4 and "--remap 'not-a-pair': expected FROM=TO" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_items_are_named_by_fact_id() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "checks", "-p", "no:cacheprovider", "--collect-only", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    ids = {line.split("[", 1)[1].rstrip("]") for line in done.stdout.splitlines() if "[" in line}
    assert {f"ui.{k}" for k in FACTS.ui} <= ids
    assert {f"links.{k}" for k in FACTS.links} <= ids
    assert {"api.models", "errors.invalid_api_key", "errors.missing_api_key"} <= ids
