"""The API cases that need a secret, against the stand-in: with the secret ok, without it inconclusive
naming the variable, and a changed error code is drift. No test key here is a real key's shape."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from checks.drift.api import FAKE_ORGANIZATION, PROBE_MODEL, ApiCase, api_cases, probe_for
from checks.drift.http import RetryPolicy, sync_client
from checks.drift.outcomes import Status
from checks.drift.redact import SECRET_ENV_VARS, redact
from checks.drift.remap import Remapper
from checks.standin import Fault, StandIn
from keyguide.facts import TRIGGERS, load_facts

FACTS = load_facts()
FAST = RetryPolicy(attempts=2, backoff=0.01, retry_after_cap=0.1, timeout=5.0)
# Each error the optional secrets provoke: (its variable, the stand-in test key that earns it).
SECRETS = {
    "errors.mismatched_organization": ("OPENAI_API_KEY", "sk-standin-ok-triggers"),
    "errors.credit_balance_exhausted": ("OPENAI_NO_CREDIT_KEY", "sk-standin-credit"),
    "errors.insufficient_permissions": ("OPENAI_READ_ONLY_KEY", "sk-standin-readonly"),
    "errors.ip_not_authorized": ("OPENAI_IP_RESTRICTED_KEY", "sk-standin-ip"),
}
CASES = {case.id: case for case in api_cases(FACTS)}


@pytest.fixture
def client(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """The suite's client, remapped to the stand-in, with no secret in the environment."""
    for variable in SECRET_ENV_VARS:
        monkeypatch.delenv(variable, raising=False)
    with sync_client(Remapper(tuple(standin.remap_pairs)), FAST) as http:
        yield http


def test_every_error_fact_with_a_trigger_has_one_case() -> None:
    with_trigger = {f"errors.{k}" for k, fact in FACTS.errors.items() if fact.trigger is not None}
    assert with_trigger <= set(CASES)
    assert set(SECRETS) <= with_trigger
    for fact_id, (variable, _key) in SECRETS.items():
        trigger = FACTS.errors[fact_id.removeprefix("errors.")].trigger
        assert trigger is not None and TRIGGERS[trigger] == variable


@pytest.mark.parametrize("fact_id", list(SECRETS))
def test_with_the_secret_the_case_is_ok(
    fact_id: str, client: httpx.Client, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable, key = SECRETS[fact_id]
    monkeypatch.setenv(variable, key)
    result = CASES[fact_id].run(client, FAST)
    assert result.status is Status.OK, result.message()
    assert key not in redact(result.observed + " ".join(result.evidence))


@pytest.mark.parametrize("fact_id", list(SECRETS))
def test_without_the_secret_the_case_is_inconclusive_naming_it(
    fact_id: str, client: httpx.Client, standin: StandIn
) -> None:
    variable, _key = SECRETS[fact_id]
    result = CASES[fact_id].run(client, FAST)
    assert result.status is Status.INCONCLUSIVE
    assert result.reason.startswith(f"set {variable} (") and result.reason.endswith("to check this")
    assert standin.requests.all() == [], "no request without the secret"


@pytest.mark.parametrize("fact_id", list(SECRETS))
def test_a_changed_error_code_is_drift(
    fact_id: str, client: httpx.Client, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A verified code that changes is drift; an unverified one (facts: `unverified: [code]`) is a note,
    and then a changed status is what proves drift."""
    variable, key = SECRETS[fact_id]
    monkeypatch.setenv(variable, key)
    fact = FACTS.errors[fact_id.removeprefix("errors.")]
    standin.faults.inject(Fault(kind="error_code", fact=fact_id, code="keyguide_renamed_code"))
    result = CASES[fact_id].run(client, FAST)
    if "code" not in fact.unverified:
        assert result.status is Status.DRIFT, result.message()
        assert "keyguide_renamed_code" in result.suggestion
        return
    assert result.status is Status.OK and any("keyguide_renamed_code" in note for note in result.notes)
    standin.faults.clear()
    standin.faults.inject(Fault(kind="error_code", fact=fact_id, code="keyguide_renamed_code", status=403))
    result = CASES[fact_id].run(client, FAST)
    assert result.status is Status.DRIFT and "from 401 to 403" in result.suggestion, result.message()


def test_the_billable_probe_asks_for_one_token_once_and_stores_nothing(
    client: httpx.Client, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_NO_CREDIT_KEY", "sk-standin-credit")
    probe = probe_for("no_credit_key", FACTS, "sk-standin-credit")
    assert probe.method == "POST" and probe.body is not None
    assert probe.body["max_completion_tokens"] == 1 and probe.body["store"] is False
    assert probe.body["model"] == PROBE_MODEL
    # The credit error is a 429, which the GET checks would retry: the billable probe is sent once.
    CASES["errors.credit_balance_exhausted"].run(client, RetryPolicy(attempts=4, backoff=0.01))
    sent = [r for r in standin.requests.all() if r.method == "POST"]
    assert len(sent) == 1 and sent[0].url.endswith("/v1/chat/completions")


def test_the_wrong_organization_probe_sends_a_made_up_organization(
    client: httpx.Client, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-standin-ok-triggers")
    CASES["errors.mismatched_organization"].run(client, FAST)
    (sent,) = standin.requests.all()
    assert sent.method == "GET" and sent.headers.get("openai-organization") == FAKE_ORGANIZATION


@pytest.mark.parametrize(
    ("fact_id", "key", "reason"),
    [
        # A key that works where it should fail: the secret is the wrong kind of key, not drift.
        ("errors.insufficient_permissions", "sk-standin-ok-not-read-only", "OpenAI accepted the request"),
        ("errors.ip_not_authorized", "sk-standin-ok-not-restricted", "OpenAI accepted the request"),
        # A revoked secret: invalid_api_key is the secret's problem.
        ("errors.credit_balance_exhausted", "sk-standin-revoked", "was refused as 'invalid_api_key'"),
    ],
)
def test_a_wrong_or_revoked_secret_is_inconclusive_never_drift(
    fact_id: str, key: str, reason: str, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable, _ = SECRETS[fact_id]
    monkeypatch.setenv(variable, key)
    result = CASES[fact_id].run(client, FAST)
    assert result.status is Status.INCONCLUSIVE and reason in result.reason, result.message()


def test_a_retired_probe_model_is_inconclusive(client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_READ_ONLY_KEY", "sk-standin-ok-model-check")
    monkeypatch.setattr("checks.drift.api.PROBE_MODEL", "gpt-retired-keyguide")
    result = CASES["errors.insufficient_permissions"].run(client, FAST)
    assert result.status is Status.INCONCLUSIVE and "PROBE_MODEL" in result.reason, result.message()


def test_standin_model_calls_answer_by_key(standin: StandIn) -> None:
    """The stand-in's side: a read-only key reads but cannot call a model; a good key gets one token."""
    with sync_client(Remapper(tuple(standin.remap_pairs)), FAST) as http:
        body = {"model": PROBE_MODEL, "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 1}
        chat = "https://api.openai.com/v1/chat/completions"
        ok = http.post(chat, json=body, headers={"Authorization": "Bearer sk-standin-ok-x"})
        assert ok.status_code == 200 and ok.json()["usage"]["completion_tokens"] == 1
        read_only = {"Authorization": "Bearer sk-standin-readonly"}
        assert http.get("https://api.openai.com/v1/models", headers=read_only).status_code == 200
        refused = http.post(chat, json=body, headers=read_only)
        assert refused.status_code == 401 and "Missing scopes" in refused.json()["error"]["message"]


def test_new_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "keyguide-fake-secret-value-0123"
    for variable in ("OPENAI_NO_CREDIT_KEY", "OPENAI_READ_ONLY_KEY", "OPENAI_IP_RESTRICTED_KEY"):
        monkeypatch.setenv(variable, secret)
        assert secret not in redact(f"the key {secret} leaked"), variable
        monkeypatch.delenv(variable)


def test_cases_are_api_cases() -> None:
    assert all(isinstance(case, ApiCase) for case in CASES.values())


def test_the_drift_workflow_passes_each_optional_secret_to_the_suite_only() -> None:
    import yaml

    from keyguide.facts import ROOT

    workflow = yaml.safe_load((ROOT / ".github/workflows/drift.yml").read_text(encoding="utf-8"))
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    suite = next(step for step in steps if "drift suite" in step.get("name", "").lower())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for variable in {v for v in TRIGGERS.values() if v}:
        assert suite["env"][variable] == f"${{{{ secrets.{variable} }}}}", variable
        assert not any(variable in str(s.get("env", {})) for s in steps if s is not suite), variable
        assert f"`{variable}`" in readme, f"README documents {variable}"
