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


# -- a rate limit is not the error we provoked (issue 20) ---------------------------------------

# What stands in the way of each provoked error, as the stand-in injects it on the probe's route.
TRANSIENT: dict[str, tuple[dict[str, object], str]] = {
    "429": ({"kind": "retry_after", "status": 429, "seconds": 0}, "rate limited (HTTP 429"),
    "503": ({"kind": "server_error", "status": 503}, "server error (HTTP 503)"),
    "reset": ({"kind": "drop"}, "connection dropped"),
    "slow": ({"kind": "latency", "seconds": 0.6}, "timeout"),
}
SLOW_POLICY = RetryPolicy(attempts=2, backoff=0.01, retry_after_cap=0.1, timeout=0.3)


def probe_route(fact_id: str) -> str:
    trigger = FACTS.errors[fact_id.removeprefix("errors.")].trigger
    assert trigger is not None
    return probe_for(trigger, FACTS, "sk-standin-x").url


@pytest.mark.parametrize("fault_name", list(TRANSIENT))
@pytest.mark.parametrize("fact_id", list(SECRETS))
def test_a_transient_answer_to_a_provoked_error_is_never_drift(
    fact_id: str, fault_name: str, client: httpx.Client, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every provoked error against a 429, a 503, a reset connection and a slow answer: inconclusive,
    with the reason, and a billable probe is sent at most twice (once more only after a 429)."""
    variable, key = SECRETS[fact_id]
    monkeypatch.setenv(variable, key)
    fault, reason = TRANSIENT[fault_name]
    standin.faults.inject(Fault.model_validate({**fault, "route": probe_route(fact_id)}))
    if fault_name == "slow":  # slower than the client's timeout
        with sync_client(Remapper(tuple(standin.remap_pairs)), SLOW_POLICY) as slow:
            result = CASES[fact_id].run(slow, SLOW_POLICY)
    else:
        result = CASES[fact_id].run(client, FAST)
    assert result.status is Status.INCONCLUSIVE, result.message()
    assert reason in result.reason, result.reason
    posts = [r for r in standin.requests.all() if r.method == "POST"]
    assert len(posts) <= (2 if fault_name == "429" else 1)


@pytest.mark.parametrize("fact_id", ["errors.credit_balance_exhausted", "errors.insufficient_permissions"])
def test_a_rate_limited_model_call_is_sent_once_more_after_retry_after(
    fact_id: str, client: httpx.Client, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 refuses before processing, so the billable probe may go once more: then the error is judged."""
    variable, key = SECRETS[fact_id]
    monkeypatch.setenv(variable, key)
    standin.faults.inject(Fault(kind="retry_after", route=probe_route(fact_id), status=429, seconds=0, times=1))
    result = CASES[fact_id].run(client, FAST)
    assert result.status is Status.OK, result.message()
    assert len([r for r in standin.requests.all() if r.method == "POST"]) == 2


def test_a_plain_429_from_a_look_alike_is_not_the_quota_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quota error is itself a 429: a 429 without OpenAI's error body (a proxy's, a look-alike's)
    with Retry-After is a rate limit, re-sent once, then inconclusive; never drift."""
    monkeypatch.setenv("OPENAI_NO_CREDIT_KEY", "sk-standin-credit")
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(429, text="Too Many Requests", headers={"retry-after": "1"})

    with httpx.Client(transport=httpx.MockTransport(answer)) as plain:
        result = CASES["errors.credit_balance_exhausted"].run(plain, FAST)
    assert result.status is Status.INCONCLUSIVE, result.message()
    assert result.reason.startswith("rate limited (HTTP 429, Retry-After 1)")
    assert len(sent) == 2 and any("waited 0.1 s" in line for line in result.evidence)
