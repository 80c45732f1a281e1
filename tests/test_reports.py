"""Drift reports from recorded results: Markdown by page and step, JSON, the terminal table, the GitHub
step summary, verification.json, the inconclusive budget — and no key in any of them."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checks.drift.outcomes import Result, Status, Step
from checks.drift.report import (
    ISSUE_BODY_LIMIT,
    append_step_summary,
    could_not_verify,
    main,
    ratio,
    render_markdown,
    summary_table,
    verification_data,
    write_json_report,
    write_markdown_report,
    write_verification,
)
from keyguide.facts import ROOT
from keyguide.verification import load_verification

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def report() -> dict[str, Any]:
    """A recorded live run: two drifts on create-key.md, one with no page, two inconclusive, four ok."""
    return json.loads((FIXTURES / "drift-report.json").read_text(encoding="utf-8"))


def _section(markdown: str, title: str) -> str:
    """The text of one `## ` section of the report."""
    start = markdown.index(f"\n## {title}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else None]


# -- Markdown -----------------------------------------------------------------------------------


def test_markdown_counts_come_first(report: dict[str, Any]) -> None:
    head = render_markdown(report).splitlines()[:3]
    assert head[0] == "# Guide drift report"
    assert head[2].startswith("**3 drift · 2 inconclusive · 4 ok** — 9 checks against OpenAI, 2026-11-26 06:12 UTC")


def test_markdown_groups_drift_by_page_then_step(report: dict[str, Any]) -> None:
    drift = _section(render_markdown(report), "Drift by page and step (3)")
    order = [
        "### create-key.md",
        "#### create-key.md › Create the key › step 2",
        "`ui.owner_service_account`",
        "#### create-key.md › Create the key\n",
        "`ui.start_verification`",
        "### Not stated on any page",
        "`links.old_billing_article`",
    ]
    positions = [drift.index(marker) for marker in order]
    assert positions == sorted(positions), "pages, then steps in page order, then results with no page last"
    step = drift[positions[1] : positions[3]]
    assert "**DRIFT** `ui.owner_service_account` (ui) · line 35" in step
    assert "**Expected:** `option 'Service account' in the 'Owned by' control of the create-key dialog`" in step
    assert "**Observed:** `no option named 'Service account'; options: 'You', 'Application'`" in step
    assert "**Suggestion:** OpenAI renamed the option" in step
    # Inconclusive and ok results are not drift.
    assert "api.me" not in drift and "ui.create_key_button" not in drift


def test_markdown_links_evidence_relative_to_the_report(
    report: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # evidence paths are recorded relative to where the run started
    path = tmp_path / "artifacts" / "drift.md"
    write_markdown_report(path, report)
    text = path.read_text(encoding="utf-8")
    evidence = next(line for line in text.splitlines() if "ui-owner_service_account" in line)
    assert evidence == (
        "  - **Evidence:** [screenshot](playwright/ui-owner_service_account/screenshot.png)"
        " · radios on the page: 'You', 'Application', 'All'"
        " · [trace](playwright/ui-owner_service_account/trace.zip)"
    )
    assert "[screenshot.png](playwright/ui-start_verification/screenshot.png)" in text, "a bare path is a file too"
    assert "- Note: opened button 'Create new secret key' first" in text


def test_markdown_lists_inconclusive_separately_with_reasons(report: dict[str, Any]) -> None:
    inconclusive = _section(render_markdown(report), "Could not verify (2)")
    rows = [line for line in inconclusive.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `api.me` | api | no OPENAI\\_API\\_KEY in the environment: the real call was not made | test-key.md |",
        "| `ui.spend_alert` | ui | needs a signed-in session (the page sent us to sign in) | spend-limits.md |",
    ]
    ok = _section(render_markdown(report), "OK (4)")
    assert "- `ui.create_key_button` (ui) — create-key.md" in ok


def test_markdown_mentions_json_and_junit(report: dict[str, Any]) -> None:
    text = render_markdown(report)
    assert "`--drift-report`" in text and "`--junitxml`" in text


def test_markdown_of_a_clean_run_says_so(report: dict[str, Any]) -> None:
    report["results"] = [r for r in report["results"] if r["status"] == "ok"]
    text = render_markdown(report)
    assert "**0 drift · 0 inconclusive · 4 ok**" in text
    assert "No drift: every check that could run still matches the guide." in text
    assert "Every check reached OpenAI." in text


def test_markdown_escapes_what_openai_sent(report: dict[str, Any]) -> None:
    report["results"][0]["observed"] = "a `code` span | a pipe\nand <script>alert(1)</script>"
    report["results"][6]["reason"] = "bot wall | <b>Just a moment...</b>"
    text = render_markdown(report)
    assert "**Observed:** ``a `code` span | a pipe and <script>alert(1)</script>``" in text
    assert "bot wall \\| \\<b\\>Just a moment...\\</b\\>" in text


def test_markdown_links_lines_to_the_source_in_a_workflow(report: dict[str, Any]) -> None:
    report |= {"repository": "acme/guide", "commit": "abc123", "server_url": "https://github.com"}
    assert "line [35](https://github.com/acme/guide/blob/abc123/docs/create-key.md#L35)" in render_markdown(report)


def test_issue_body_is_cut_to_fit(report: dict[str, Any]) -> None:
    many = report["results"][0]
    report["results"] = [{**copy.deepcopy(many), "id": f"ui.fact_{n}", "observed": "x" * 400} for n in range(400)]
    text = render_markdown(report, link_evidence=False, max_chars=ISSUE_BODY_LIMIT)
    assert len(text) <= ISSUE_BODY_LIMIT
    assert text.rstrip().endswith("(cut to fit; the full report is in the run's artifacts)")


def test_command_line_renders_a_recorded_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["issue", str(FIXTURES / "drift-report.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Guide drift report")
    # The issue shows evidence paths as text: the files are in the run's artifacts, not the repository.
    assert "screenshot `artifacts/playwright/ui-owner_service_account/screenshot.png`" in out
    assert "[screenshot](" not in out and "[screenshot.png](" not in out


# -- the terminal and the JSON report -------------------------------------------------------------


def test_summary_table_puts_drift_first_with_its_step(report: dict[str, Any]) -> None:
    results = [Result.from_dict(r) for r in report["results"]]
    lines = summary_table(results)
    assert lines[0].split() == ["STATUS", "KIND", "ID", "DETAIL"]
    assert [line.split()[0] for line in lines[1:]] == ["DRIFT"] * 3 + ["INCONCLUSIVE"] * 2
    assert any("create-key.md:35 Create the key › step 2 — OpenAI renamed" in line for line in lines)


def test_json_report_round_trips(report: dict[str, Any], tmp_path: Path) -> None:
    write_json_report(tmp_path / "drift.json", report)
    again = json.loads((tmp_path / "drift.json").read_text(encoding="utf-8"))
    assert again == report
    assert [Result.from_dict(r).as_dict() for r in again["results"]] == report["results"]


# -- the inconclusive budget ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tally", "budget", "message"),
    [
        ({"ok": 0, "drift": 0, "inconclusive": 4}, None, None),
        ({"ok": 0, "drift": 0, "inconclusive": 0}, 0.5, None),
        ({"ok": 2, "drift": 0, "inconclusive": 2}, 0.5, None),
        ({"ok": 1, "drift": 0, "inconclusive": 3}, 0.5, "could not verify: 3 of 4 checks inconclusive (> 0.5)"),
        ({"ok": 9, "drift": 0, "inconclusive": 1}, 0.0, "could not verify: 1 of 10 checks inconclusive (> 0)"),
        ({"ok": 0, "drift": 1, "inconclusive": 9}, 0.25, "could not verify: 9 of 10 checks inconclusive (> 0.25)"),
        ({"ok": 0, "drift": 0, "inconclusive": 4}, 1.0, None),
    ],
)
def test_could_not_verify(tally: dict[str, int], budget: float | None, message: str | None) -> None:
    assert could_not_verify(tally, budget) == message


@pytest.mark.parametrize("text", ["-0.1", "1.5", "half", ""])
def test_max_inconclusive_must_be_a_share(text: str) -> None:
    with pytest.raises(Exception, match="between 0 and 1"):
        ratio(text)


def test_markdown_shows_a_blocked_run(report: dict[str, Any]) -> None:
    report["could_not_verify"] = "could not verify: 7 of 9 checks inconclusive (> 0.5)"
    text = render_markdown(report)
    assert "> **Could not verify: 7 of 9 checks inconclusive (> 0.5).**" in text
    assert text.index("Could not verify: 7 of 9") < text.index("## Drift by page")


# -- GitHub's step summary ------------------------------------------------------------------------


def test_step_summary_is_appended_when_github_asks(report: dict[str, Any], tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("## Earlier step\n", encoding="utf-8")
    assert append_step_summary(report, {"GITHUB_STEP_SUMMARY": str(summary)}) == summary
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## Earlier step\n# Guide drift report")
    assert "#### create-key.md › Create the key › step 2" in text
    # The files are in the run's artifacts, not next to the summary: named as text, not dead links.
    assert "screenshot `artifacts/playwright/ui-owner_service_account/screenshot.png`" in text
    assert append_step_summary(report, {}) is None


# -- verification.json ----------------------------------------------------------------------------


def test_verification_file_matches_the_recorded_fixture(report: dict[str, Any], tmp_path: Path) -> None:
    written = write_verification(tmp_path / "verification.json", report)
    assert written == json.loads((FIXTURES / "verification.json").read_text(encoding="utf-8"))
    page = written["pages"]["create-key.md"]
    assert (page["checked"], page["ok"], page["drift"], page["inconclusive"], page["stale_steps"]) == (3, 1, 2, 0, 2)
    assert page["drifted"][0] == {
        "fact": "ui.owner_service_account",
        "kind": "ui",
        "steps": [{"line": 35, "section": "Create the key", "step": 2, "where": "Create the key › step 2"}],
    }
    assert written["run_date"] == "2026-11-26" and written["target"] == "live"
    assert "Not stated on any page" not in written["pages"]


@pytest.mark.parametrize(
    ("target", "remapped", "recorded"), [("standin", False, "standin"), ("live", True, "remapped")]
)
def test_only_a_live_unremapped_run_stamps_pages(
    report: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, remapped: bool, recorded: str
) -> None:
    report |= {"target": target, "remapped": remapped}
    path = tmp_path / "verification.json"
    assert write_verification(path, report)["target"] == recorded
    monkeypatch.setenv("KEYGUIDE_VERIFICATION", str(path))
    assert load_verification() is None, "the build must not say 'verified against OpenAI' for a stand-in run"


def test_the_build_reads_a_live_file_with_a_state_per_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYGUIDE_VERIFICATION", str(FIXTURES / "verification.json"))
    loaded = load_verification()
    assert loaded is not None
    states = {page: entry["state"] for page, entry in loaded["pages"].items()}
    assert states == {
        "create-key.md": "drift",
        "sign-up.md": "verified",
        "spend-limits.md": "partial",
        "test-key.md": "unverified",
    }


# -- keys never leak ------------------------------------------------------------------------------


def test_a_key_in_a_result_is_redacted_everywhere(
    report: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shaped = "sk-proj-" + "Q7" * 24  # an OpenAI-shaped key, built here so no scanner flags this file
    configured = "canary-" + "z9" * 8  # not key-shaped: caught only because it is the configured key
    monkeypatch.setenv("OPENAI_API_KEY", configured)
    leaky = report["results"][0]
    leaky["observed"] = f"error: Incorrect API key provided: {shaped} (configured {configured})"
    leaky["suggestion"] = f"rotate {shaped}"
    leaky["evidence"].append(f"artifacts/{configured}/trace.zip")
    report["results"][6]["reason"] = f"sign-in wall for {configured}"

    summary = tmp_path / "summary.md"
    write_json_report(tmp_path / "drift.json", report)
    write_markdown_report(tmp_path / "drift.md", report)
    write_verification(tmp_path / "verification.json", report)
    append_step_summary(report, {"GITHUB_STEP_SUMMARY": str(summary)})
    outputs = {
        "json": (tmp_path / "drift.json").read_text(encoding="utf-8"),
        "markdown": (tmp_path / "drift.md").read_text(encoding="utf-8"),
        "step summary": summary.read_text(encoding="utf-8"),
        "verification": (tmp_path / "verification.json").read_text(encoding="utf-8"),
        "terminal": "\n".join(summary_table([Result.from_dict(r) for r in report["results"]])),
    }
    for name, text in outputs.items():
        assert shaped not in text and configured not in text, f"a key leaked into the {name} output"
    for name in ("json", "markdown", "step summary", "terminal"):
        assert "sk-proj-[REDACTED]" in outputs[name], name
    assert "Incorrect API key provided: sk-proj-[REDACTED]" in outputs["markdown"]


# -- one real run: the live target on a machine that cannot reach OpenAI ----------------------------


def _run_api_checks(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`pytest checks -m api` against the live target, with OpenAI's API remapped to a closed loopback
    port: every check is inconclusive here and on a CI runner that does have internet."""
    out = tmp_path / "artifacts"
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "PYTEST_ADDOPTS")}
    env["GITHUB_STEP_SUMMARY"] = str(out / "step-summary.md")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "checks",
        "-m",
        "api",
        "-p",
        "no:cacheprovider",
        "--remap",
        "https://api.openai.com=http://127.0.0.1:9",
        "--retries",
        "1",
        "--http-timeout",
        "5",
        f"--drift-report={out / 'drift.json'}",
        f"--markdown-report={out / 'drift.md'}",
        f"--verification-file={out / 'verification.json'}",
        f"--junitxml={out / 'junit.xml'}",
        *extra,
    ]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return run, out


def test_a_blocked_live_run_fails_only_with_a_budget(tmp_path: Path) -> None:
    blocked, out = _run_api_checks(tmp_path / "budget", "--max-inconclusive", "0.5")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    message = re.search(r"could not verify: (\d+) of \1 checks inconclusive \(> 0\.5\)", blocked.stdout)
    assert message, blocked.stdout
    assert " passed" not in blocked.stdout and " failed" not in blocked.stdout
    data = json.loads((out / "drift.json").read_text(encoding="utf-8"))
    assert data["could_not_verify"] == message.group(0)
    assert data["summary"]["drift"] == 0 and data["summary"]["ok"] == 0
    markdown = (out / "drift.md").read_text(encoding="utf-8")
    assert f"**{message.group(0)[0].upper()}{message.group(0)[1:]}.**" in markdown
    step_summary = (out / "step-summary.md").read_text(encoding="utf-8")
    assert step_summary.startswith("# Guide drift report") and message.group(0)[1:] in step_summary
    assert json.loads((out / "verification.json").read_text(encoding="utf-8"))["target"] == "remapped"
    assert 'skipped="' in (out / "junit.xml").read_text(encoding="utf-8")

    unbudgeted, out = _run_api_checks(tmp_path / "default")
    assert unbudgeted.returncode == 0, unbudgeted.stdout + unbudgeted.stderr
    assert "could not verify" not in unbudgeted.stdout
    assert json.loads((out / "drift.json").read_text(encoding="utf-8"))["could_not_verify"] is None


def test_step_from_a_result_keeps_page_and_line() -> None:
    """The Markdown report reads recorded steps; a Result built by a check has the same shape."""
    result = Result("ui.copy_key", "ui", Status.DRIFT, "https://x", "a", "b", steps=[Step("create-key.md", 57, "Copy")])
    data = {"generated_at": "2026-11-26T00:00:00+00:00", "target": "live", "results": [result.as_dict()]}
    assert "#### create-key.md › Copy" in render_markdown(data)
    assert verification_data(data)["pages"]["create-key.md"]["drifted"][0]["steps"][0]["line"] == 57


def test_a_review_names_each_step_once_when_two_of_its_facts_share_it() -> None:
    from checks.drift.review import where_lines

    result = Result("pages.x", "page", Status.REVIEW, "https://help.openai.com/x", "", "")
    result.steps = [Step("create-key.md", 80, "Permissions for Relay"), Step("create-key.md", 120, "Key types")]
    result.steps.append(Step("create-key.md", 92, "Permissions for Relay"))
    assert where_lines(result) == [
        "  - The guide relies on it in: create-key.md › Permissions for Relay; create-key.md › Key types"
    ]
