"""Coverage: what verifies each fact, the totals, and the refusal of a fact nothing checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keyguide import coverage
from keyguide.cli import main
from keyguide.facts import FactsError, parse_facts

FACTS = """\
reviewed: 2026-12-01
origins: [https://platform.openai.com, https://help.openai.com, https://api.openai.com]
links:
  billing:
    url: https://platform.openai.com/settings/organization/billing/overview
    title: Billing page
    source: {ref: "help 8264644", confidence: Inf}
ui:
  create_key_button:
    url: https://platform.openai.com/settings/organization/api-keys
    role: button
    name: Create new secret key
    signed_in: true
    source: {ref: "walkthroughs", confidence: C-3p}
  copy_key:
    url: https://platform.openai.com/settings/organization/api-keys
    role: button
    name: Copy
    check: manual
    why_manual: appears only after a key is created
    source: {ref: "walkthroughs", confidence: C-3p}
api:
  models:
    method: GET
    url: https://api.openai.com/v1/models
    object: list
    source: {ref: "spec", confidence: Inf}
  org_header:
    value: OpenAI-Organization
    source: {ref: "SDK", confidence: Inf}
errors:
  invalid_api_key:
    title: Invalid API key
    status: 401
    type: invalid_request_error
    code: invalid_api_key
    message: "Incorrect API key provided: {masked_key}."
    trigger: invalid_key
    cause: The key was mistyped or revoked.
    fix: Create a new key and replace the old one.
    source: {ref: "API output", confidence: Inf}
  read_only:
    title: Key lacks a permission
    status: 401
    type: invalid_request_error
    code: null
    message: "You have insufficient permissions for this operation. {details}"
    trigger: read_only_key
    cause: The key is Read Only and cannot call models.
    fix: Edit the key's permissions to All.
    source: {ref: "API output", confidence: Inf}
values:
  min_purchase:
    value: "$5"
    source:
      ref: help 8264644
      confidence: C-off
      url: https://help.openai.com/en/articles/8264644
      quote: The minimum purchase is $5, and the default amount is $10.
  time_needed:
    value: about 15 minutes
    source: {ref: "our estimate", confidence: Inf, manual: "our own estimate of the steps; OpenAI states none"}
secret_patterns: {}
claims:
  hard_limit_overshoots:
    text: A hard limit can be exceeded slightly, because enforcement is not instantaneous.
    source:
      ref: spend-limits guide
      confidence: C-off
      url: https://help.openai.com/en/articles/1
      quote: Enforcement is not instantaneous, so recorded spend can slightly exceed the configured amount.
"""


def write(tmp_path: Path, text: str = FACTS) -> Path:
    path = tmp_path / "facts.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_fact_names_what_verifies_it(tmp_path: Path) -> None:
    found = coverage.verifiers(parse_facts(write(tmp_path)))
    kinds = {fact: [(v.kind, v.needs) for v in checks] for fact, checks in found.items()}
    assert kinds == {
        "links.billing": [("link", None)],
        "ui.create_key_button": [("ui", "OPENAI_STORAGE_STATE")],
        "ui.copy_key": [("manual", None)],
        "api.models": [("api", "OPENAI_API_KEY")],
        "api.org_header": [],
        "errors.invalid_api_key": [("api", None)],
        "errors.read_only": [("api", "OPENAI_READ_ONLY_KEY")],
        "values.min_purchase": [("source", None)],
        "values.time_needed": [("manual", None)],
        "claims.hard_limit_overshoots": [("source", None)],
    }


def test_totals(tmp_path: Path) -> None:
    data = coverage.summary(parse_facts(write(tmp_path)))
    assert {k: data[k] for k in ("facts", "unattended", "manual", "unchecked")} == {
        "facts": 10,
        "unattended": 7,
        "manual": 2,
        "unchecked": 1,
    }
    assert coverage.totals_line(data) == "10 facts: 7 verified unattended (70%), 2 manual, 1 unchecked"


def test_an_unchecked_fact_is_refused_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path)
    assert main(["facts", "--file", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: facts.yml: api.org_header: nothing verifies this fact; add source.url and source.quote "
        "(OpenAI's words), or source.manual with the reason only a person can check it"
    ]


def test_coverage_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixed = FACTS.replace(
        '    source: {ref: "SDK", confidence: Inf}',
        '    source: {ref: "SDK", confidence: Inf, url: "https://help.openai.com/x", '
        'quote: "OpenAI-Organization header"}',
    )
    path = write(tmp_path, fixed)
    assert main(["coverage", "--json", "--file", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["facts"], data["unattended"], data["manual"], data["unchecked"]) == (10, 8, 2, 0)
    assert data["by_fact"]["api.org_header"] == [
        {"kind": "source", "detail": "quote on https://help.openai.com/x", "needs": None}
    ]


def test_coverage_lists_unchecked_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--file", str(write(tmp_path))]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "api.org_header: UNCHECKED" in out
    assert "ui.copy_key: manual: appears only after a key is created" in out
    assert out[-1] == "10 facts: 7 verified unattended (70%), 2 manual, 1 unchecked"


def test_run_coverage_counts_what_a_run_verified(tmp_path: Path) -> None:
    from checks.drift.outcomes import Result, Status

    facts = parse_facts(write(tmp_path))
    results = [
        Result("links.billing", "link", Status.OK, "u", "e", "o"),
        Result("sources.values.min_purchase", "link", Status.OK, "u", "e", "o"),
        Result("errors.invalid_api_key", "api", Status.DRIFT, "u", "e", "o"),
        Result("ui.create_key_button", "ui", Status.INCONCLUSIVE, "u", "e", "o"),
    ]
    data = coverage.run_coverage(facts, results)
    assert data["verified_in_run"] == 2
    assert data["unchecked"] == 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("quote: The minimum purchase is $5, and", "quote: The minimum purchase is $10, and"),
            "values.min_purchase.source.quote: does not contain the value '$5'",
        ),
        # Folded like a text fragment: case, runs of spaces and a non-breaking space do not matter.
        (("quote: The minimum purchase is $5,", "quote: THE   minimum purchase is\u00a0$5,"), None),
        (
            (
                "confidence: C-off\n      url: https://help.openai.com/en/articles/8264644\n"
                "      quote: The minimum purchase is $5, and the default amount is $10.\n",
                "confidence: C-off\n",
            ),
            "values.min_purchase.source: a C-off fact needs url and quote",
        ),
        (
            ("      url: https://help.openai.com/en/articles/8264644\n", ""),
            "values.min_purchase.source: quote needs url",
        ),
    ],
)
def test_quotes_must_agree_with_their_fact(tmp_path: Path, edit: tuple[str, str], message: str | None) -> None:
    text = FACTS.replace(*edit)
    if message is None:
        parse_facts(write(tmp_path, text))
        return
    with pytest.raises(FactsError, match=message.replace("$", r"\$").replace("(", r"\(")):
        parse_facts(write(tmp_path, text))


def test_an_error_quote_must_hold_the_code_and_the_fixed_message(tmp_path: Path) -> None:
    text = FACTS.replace(
        '    source: {ref: "API output", confidence: Inf}\n  read_only:',
        "    source:\n      ref: API output\n      confidence: C-3p\n      url: https://help.openai.com/en/articles/2\n"
        '      quote: \'"message": "Incorrect API key given: sk-…", "code": "invalid_api_key"\'\n  read_only:',
    )
    with pytest.raises(FactsError) as caught:
        parse_facts(write(tmp_path, text))
    assert "errors.invalid_api_key.source.quote: does not contain the message's 'Incorrect API key provided:'" in str(
        caught.value
    )
