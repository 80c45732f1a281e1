"""API drift checks: the guide's "test your key" call and the errors its troubleshooting table states.

Without any secret the suite provokes what it can: `GET /v1/models` with no key and with a
well-formed key that cannot exist, compared field by field with the error facts. With
`OPENAI_API_KEY` in the environment (never argv, never a file) it also makes the real call, checks
the documented list shape, and sends a made-up organization header. Each optional secret named in
`keyguide.facts.TRIGGERS` provokes one more error; without it that item is inconclusive and names
the variable to set. No request can create or change anything, and none can bill more than one
token: the billable probe asks for one output token, is sent once (once more only after a rate-limit
refusal, which proves nothing ran), and stores nothing. A rate limit or a failing server in the way
of a provoked error is inconclusive, never drift.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from checks.drift.http import Fetched, RetryPolicy, fetch, retry_delay
from checks.drift.outcomes import Result, Status, bot_wall_reason, status_reason, transport_reason
from keyguide.facts import TRIGGERS, ApiEndpoint, ApiValue, ErrorFact, Facts, Trigger


def fake_key() -> str:
    """A well-formed project key that cannot exist: right prefix, no OpenAI marker, random body.

    It matches no scanner rule (no `T3BlbkFJ`), and is fresh per run so nothing can cache it.
    """
    return "sk-proj-keyguidedriftcheck" + secrets.token_hex(20)


# A made-up organization: right shape, cannot belong to any key.
FAKE_ORGANIZATION = "org-keyguidedriftcheck"
# The billable probe's model: small and long-lived. If OpenAI retires it, the probe is inconclusive
# ("model_not_found"), never drift: update it here.
PROBE_MODEL = "gpt-4.1-mini"
# What each secret must be, for the "set X to check this" reason (and the README's list).
SECRET_HELP: dict[str, str] = {
    "OPENAI_API_KEY": "a working project key",
    "OPENAI_NO_CREDIT_KEY": "a key of an organization without credit",
    "OPENAI_READ_ONLY_KEY": "a Read Only key",
    "OPENAI_IP_RESTRICTED_KEY": "a key of a project whose IP allowlist excludes CI",
}
# Answers that are the secret's problem, not the fact's: the key itself was refused.
KEY_REFUSED_CODES = frozenset({"invalid_api_key"})
RATE_LIMIT_CODES = frozenset({"rate_limit_exceeded"})


def missing_secret_reason(variable: str) -> str:
    """The inconclusive reason for an item whose secret is not set: what to set, and to what."""
    return f"set {variable} ({SECRET_HELP.get(variable, 'a key')}) to check this"


@dataclass(frozen=True)
class Probe:
    """The one request that provokes an error: never a write, at most one rejected token."""

    method: Literal["GET", "POST"]
    url: str
    headers: dict[str, str]
    body: dict[str, Any] | None = None

    @property
    def billable(self) -> bool:
        return self.method == "POST"


def probe_for(trigger: Trigger, facts: Facts, key: str | None) -> Probe:
    """How `trigger` provokes its error (TRIGGERS documents each); `key` is its secret's value."""
    models = facts.api["models"]
    assert isinstance(models, ApiEndpoint)
    if trigger == "no_key":
        return Probe("GET", models.url, {})
    if trigger == "invalid_key":
        return Probe("GET", models.url, {"Authorization": f"Bearer {fake_key()}"})
    auth = {"Authorization": f"Bearer {key}"}
    if trigger == "wrong_organization":
        org_header = _api_value(facts, "org_header", "OpenAI-Organization")
        return Probe("GET", models.url, auth | {org_header: FAKE_ORGANIZATION})
    if trigger == "ip_restricted_key":
        return Probe("GET", models.url, auth)
    # no_credit_key, read_only_key: a model call, the smallest there is. OpenAI refuses it before
    # any spend; `store: false` keeps even an accepted one out of the stored completions.
    body = {
        "model": PROBE_MODEL,
        "messages": [{"role": "user", "content": "hi"}],
        "max_completion_tokens": 1,
        "store": False,
    }
    return Probe("POST", chat_completions_url(facts), auth, body)


def chat_completions_url(facts: Facts) -> str:
    return _api_value(facts, "base_url", "https://api.openai.com/v1").rstrip("/") + "/chat/completions"


def _api_value(facts: Facts, fact_id: str, default: str) -> str:
    entry = facts.api.get(fact_id)
    return entry.value if isinstance(entry, ApiValue) else default


@dataclass(frozen=True)
class ApiCase:
    """One API check: the fact it verifies and how to run it."""

    id: str  # fact id: "errors.invalid_api_key", "api.models"
    url: str
    run: Callable[[httpx.Client, RetryPolicy], Result]


def api_cases(facts: Facts) -> list[ApiCase]:
    """One case per error fact with a trigger, then the authenticated calls."""
    cases = []
    for error_id, fact in facts.errors.items():
        if fact.trigger is None:
            continue
        url = probe_for(fact.trigger, facts, None).url
        cases.append(ApiCase(f"errors.{error_id}", url, _error_case(error_id, fact, facts)))
    for endpoint_id in ("models", "me"):
        endpoint = facts.api[endpoint_id]
        assert isinstance(endpoint, ApiEndpoint)
        cases.append(ApiCase(f"api.{endpoint_id}", endpoint.url, _authenticated_case(endpoint_id, endpoint, facts)))
    return cases


def _unjudgeable(fetched: Fetched, result: Result) -> Result | None:
    """Fill `result` as inconclusive when the answer says nothing about OpenAI's API."""
    if fetched.response is None:
        assert fetched.error is not None
        result.reason = transport_reason(fetched.error)
    else:
        response = fetched.response
        result.reason = bot_wall_reason(response.status_code, response.headers, response.text) or ""
    if result.reason:
        result.status = Status.INCONCLUSIVE
        result.observed = result.reason
        result.evidence.append(f"attempts: {', '.join(fetched.history)}")
        return result
    return None


def _body(response: httpx.Response) -> dict[str, object] | None:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _error_case(error_id: str, fact: ErrorFact, facts: Facts) -> Callable[[httpx.Client, RetryPolicy], Result]:
    assert fact.trigger is not None
    trigger: Trigger = fact.trigger
    variable = TRIGGERS[trigger]

    def run(client: httpx.Client, policy: RetryPolicy) -> Result:
        key = os.environ.get(variable, "") if variable else None
        probe = probe_for(trigger, facts, key)
        expected = f"HTTP {fact.status}, type {fact.type!r}, code {fact.code!r}, message matching the fact"
        result = Result(f"errors.{error_id}", "api", Status.OK, probe.url, expected, "")
        if variable and not key:
            result.status = Status.INCONCLUSIVE
            result.reason = result.observed = missing_secret_reason(variable)
            return result
        if probe.billable:
            # Sent once: a retry could bill a second token if the key turns out to have credit.
            policy = dataclasses.replace(policy, attempts=1)

        def send() -> httpx.Response:
            return client.request(probe.method, probe.url, headers=probe.headers, json=probe.body)

        fetched = fetch(send, policy)
        if probe.billable and fetched.response is not None and rate_limited(fetched.response, fact):
            fetched = _once_more(send, fetched, policy)
        if _unjudgeable(fetched, result):
            return result
        assert fetched.response is not None
        if why := in_the_way(fetched.response, fact):
            result.status, result.reason, result.observed = Status.INCONCLUSIVE, why, why
            result.evidence.append(f"attempts: {', '.join(fetched.history)}")
            return result
        if variable and (problem := _secret_problem(fetched.response, fact, variable, probe)):
            result.status = Status.INCONCLUSIVE
            result.reason = result.observed = problem
            return result
        return compare_error(fact, error_id, fetched.response, result)

    return run


# A rate limit is not the error we provoked. A GET probe is never billable, so the shared retry
# policy re-sends it (Retry-After honoured). A billable probe (a model call, sent once) refused by a
# rate limit is sent ONE more time after its Retry-After (capped by the policy): an HTTP 429 says the
# request was refused before it was processed (RFC 6585), so the second send cannot bill a second
# token. Nothing else is re-sent: after a 5xx, a reset connection or no answer in time the model
# call may have run, so those end inconclusive with their reason. Whatever stands in the way after
# that (still limited, still failing) is inconclusive too, never drift: it says nothing about the error.


def rate_limited(response: httpx.Response, fact: ErrorFact) -> bool:
    """A 429 that is a rate limit, not the fact's own error (which may be a 429 itself, as the quota
    error is): no OpenAI error body, a rate-limit code, or a Retry-After."""
    if response.status_code != 429:
        return False
    body = _body(response)
    error = body.get("error") if body else None
    code = error.get("code") if isinstance(error, dict) else None
    if isinstance(error, dict) and code == fact.code and code is not None:
        return False
    return not isinstance(error, dict) or code in RATE_LIMIT_CODES or "retry-after" in response.headers


def in_the_way(response: httpx.Response, fact: ErrorFact) -> str | None:
    """Why this answer is a rate limit or a failing server standing in the way of the error, or None."""
    status = response.status_code
    if rate_limited(response, fact):
        after = response.headers.get("retry-after")
        return f"rate limited (HTTP 429{f', Retry-After {after}' if after else ''}): the error was not provoked"
    if status >= 500 and status != fact.status:
        return f"server error (HTTP {status}): the error was not provoked"
    return None


def _once_more(send: Callable[[], httpx.Response], first: Fetched, policy: RetryPolicy) -> Fetched:
    """The one re-send of a rate-limited billable probe, after its Retry-After (capped)."""
    assert first.response is not None
    delay = retry_delay(first.response, 1, policy)
    time.sleep(delay)
    second = fetch(send, dataclasses.replace(policy, attempts=1))
    second.history = [*first.history, f"waited {delay:.1f} s (a 429 refuses before processing)", *second.history]
    second.attempts += first.attempts
    return second


def _secret_problem(response: httpx.Response, fact: ErrorFact, variable: str, probe: Probe) -> str | None:
    """Why this answer says something about our secret or our probe rather than about the fact."""
    status = response.status_code
    body = _body(response)
    error = body.get("error") if body else None
    code = error.get("code") if isinstance(error, dict) else None
    if status < 300:
        return (
            f"OpenAI accepted the request (HTTP {status}): the key in {variable} is not "
            f"{SECRET_HELP.get(variable, 'the kind of key this check needs')}, so the error was not provoked"
        )
    if code in KEY_REFUSED_CODES and code != fact.code:
        return f"the key in {variable} was refused as {code!r}: renew the secret"
    if code in RATE_LIMIT_CODES and code != fact.code:
        return "rate limited (HTTP 429): the error was not provoked"
    if probe.billable and code == "model_not_found":
        return f"the probe model {PROBE_MODEL!r} is gone: update PROBE_MODEL in checks/drift/api.py"
    if probe.billable and status == 400 and fact.status != 400:
        param = error.get("param") if isinstance(error, dict) else None
        return f"OpenAI rejected the probe itself (HTTP 400, code {code!r}, param {param!r}): update the probe"
    return None


def compare_error(fact: ErrorFact, error_id: str, response: httpx.Response, result: Result) -> Result:
    """Field-by-field comparison of an API error answer with its fact."""
    status = response.status_code
    body = _body(response)
    error = body.get("error") if body else None
    if status != fact.status and status_reason(status):
        # Still rate limited or failing after retries: the error we wanted never came back.
        result.status, result.reason = Status.INCONCLUSIVE, status_reason(status) or ""
        result.observed = f"HTTP {status}"
        return result
    if not isinstance(error, dict):
        result.status = Status.DRIFT
        result.observed = f"HTTP {status} without an OpenAI error body"
        result.suggestion = "the API no longer answers with {'error': {...}}: re-check the troubleshooting page"
        return result
    observed = {"status": status, "type": error.get("type"), "code": error.get("code"), "message": error.get("message")}
    result.observed = (
        f"HTTP {status}, type {observed['type']!r}, code {observed['code']!r}, message {observed['message']!r}"
    )
    mismatches = []
    if status != fact.status:
        mismatches.append(("status", str(fact.status), str(status)))
    if not (isinstance(observed["type"], str) and fact.type_pattern().match(observed["type"])):
        mismatches.append(("type", fact.type, repr(observed["type"])))
    if observed["code"] != fact.code:
        mismatches.append(("code", repr(fact.code), repr(observed["code"])))
    if not (isinstance(observed["message"], str) and fact.message_pattern().match(observed["message"])):
        mismatches.append(("message", fact.message, repr(observed["message"])))
    missing = [key for key in ("message", "type", "param", "code") if key not in error]
    if missing:
        mismatches.append(("shape", "error.message, .type, .param and .code", f"missing {', '.join(missing)}"))
    drifted = [m for m in mismatches if m[0] not in fact.unverified]
    for field_name, want, got in mismatches:
        if field_name in fact.unverified:
            result.notes.append(
                f"{field_name} is unverified in facts.yml; live value {got} (facts: {want}): confirm and record it"
            )
    if drifted:
        result.status = Status.DRIFT
        result.suggestion = "; ".join(
            f"update errors.{error_id}.{name} in facts.yml from {want} to {got}" for name, want, got in drifted
        )
    return result


def _authenticated_case(endpoint_id: str, endpoint: ApiEndpoint, facts: Facts) -> Callable[..., Result]:
    def run(client: httpx.Client, policy: RetryPolicy) -> Result:
        expected = f"HTTP 200 with object {endpoint.object!r}" + (
            f" and data items with {', '.join(endpoint.item_fields)}" if endpoint.item_fields else ""
        )
        result = Result(f"api.{endpoint_id}", "api", Status.OK, endpoint.url, expected, "")
        key = os.environ.get("OPENAI_API_KEY", "")
        if not key:
            result.status = Status.INCONCLUSIVE
            result.reason = result.observed = "no OPENAI_API_KEY in the environment: the real call was not made"
            return result
        headers = {"Authorization": f"Bearer {key}"}
        for variable, header in (("OPENAI_ORG_ID", "org_header"), ("OPENAI_PROJECT_ID", "project_header")):
            if os.environ.get(variable):
                headers[facts.api[header].value] = os.environ[variable]  # type: ignore[union-attr]
        fetched = fetch(lambda: client.get(endpoint.url, headers=headers), policy)
        if _unjudgeable(fetched, result):
            return result
        assert fetched.response is not None
        return compare_listing(endpoint, fetched.response, result, facts)

    return run


def compare_listing(endpoint: ApiEndpoint, response: httpx.Response, result: Result, facts: Facts) -> Result:
    """A 200 answer must have the documented shape; a refused key is the CI secret's problem."""
    recorded = [facts.api[h].value for h in ("response_org_header", "response_project_header", "request_id_header")]  # type: ignore[union-attr]
    result.evidence += [f"{name}: {response.headers[name]}" for name in recorded if name in response.headers]
    body = _body(response)
    if response.status_code != 200:
        error = body.get("error") if body else None
        code = error.get("code") if isinstance(error, dict) else None
        result.status = Status.INCONCLUSIVE
        result.observed = f"HTTP {response.status_code}" + (f", code {code!r}" if code else "")
        result.reason = (
            status_reason(response.status_code)
            or f"the configured key was refused ({result.observed}): check the OPENAI_API_KEY secret"
        )
        return result
    problems = []
    if body is None:
        problems.append("the body is not a JSON object")
    else:
        if body.get("object") != endpoint.object:
            problems.append(f"object is {body.get('object')!r}, not {endpoint.object!r}")
        if endpoint.item_fields:
            items = body.get("data")
            if not isinstance(items, list) or not items:
                problems.append("data is not a non-empty list")
            else:
                for item in items:
                    missing = [f for f in endpoint.item_fields if not isinstance(item, dict) or f not in item]
                    if missing:
                        problems.append(f"an item lacks {', '.join(missing)}")
                        break
                    if endpoint.item_object and item.get("object") != endpoint.item_object:
                        problems.append(f"an item's object is {item.get('object')!r}")
                        break
    if problems:
        result.status = Status.DRIFT
        result.observed = "; ".join(problems)
        result.suggestion = f"the response of {endpoint.url} changed shape: re-check the test-your-key page"
    else:
        count = len(body["data"]) if body and isinstance(body.get("data"), list) else 0
        result.observed = f"HTTP 200, object {endpoint.object!r}" + (f", {count} items" if count else "")
    return result
