"""The drift suite's shared pieces: remapping, retries, outcomes, redaction, API comparison."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from checks.drift.api import compare_error, compare_listing, fake_key
from checks.drift.http import RetryPolicy, fetch, retry_delay
from checks.drift.outcomes import Result, Status, Step, bot_wall_reason, sign_in_reason, transport_reason
from checks.drift.redact import Redactor, current_redactor
from checks.drift.remap import RemapError, Remapper, RemapTransport
from keyguide.facts import ApiEndpoint, load_facts

FACTS = load_facts()


# -- remapping -----------------------------------------------------------------------------------


def test_remap_rewrites_prefix_and_inverts() -> None:
    remapper = Remapper.parse(["https://platform.openai.com=http://127.0.0.1:9/platform.openai.com"])
    url = "https://platform.openai.com/settings/organization/api-keys?x=1#top"
    mapped = remapper.apply(url)
    assert mapped == "http://127.0.0.1:9/platform.openai.com/settings/organization/api-keys?x=1#top"
    assert remapper.original(mapped) == url


def test_remap_matches_whole_hosts_and_prefers_longest() -> None:
    remapper = Remapper.parse(["https://a.com=http://x/a", "https://a.com/docs=http://y/docs"])
    assert remapper.apply("https://a.com.evil/page") == "https://a.com.evil/page"
    assert remapper.apply("https://a.com/docs/page") == "http://y/docs/page"
    assert remapper.apply("https://a.com/other") == "http://x/a/other"


@pytest.mark.parametrize("spec", ["no-equals", "https://a.com=", "a.com=http://b", "=http://b"])
def test_remap_rejects_malformed_values(spec: str) -> None:
    with pytest.raises(RemapError, match="FROM=TO"):
        Remapper.parse([spec])


def test_remap_extension_keeps_explicit_values() -> None:
    remapper = Remapper.parse(["https://a.com=http://mine/a"]).extended([("https://a.com", "http://standin/a")])
    assert remapper.apply("https://a.com/x") == "http://mine/a/x"


def test_remap_transport_sends_remapped_and_reports_original() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url} host={request.headers['host']}")
        return httpx.Response(200)

    remapper = Remapper.parse(["https://api.openai.com=http://127.0.0.1:9/api.openai.com"])
    with httpx.Client(transport=RemapTransport(remapper, httpx.MockTransport(handler))) as client:
        response = client.get("https://api.openai.com/v1/models")
    assert seen == ["http://127.0.0.1:9/api.openai.com/v1/models host=127.0.0.1:9"]
    assert str(response.request.url) == "https://api.openai.com/v1/models"


# -- retries -------------------------------------------------------------------------------------


def _response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://x.test/"))


def test_retry_after_seconds_date_and_cap() -> None:
    policy = RetryPolicy(retry_after_cap=10)
    assert retry_delay(_response(429, **{"retry-after": "2"}), 1, policy) == 2
    assert retry_delay(_response(429, **{"retry-after": "3600"}), 1, policy) == 10
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    assert 3 <= retry_delay(_response(503, **{"retry-after": later}), 1, policy) <= 5.5


def test_backoff_grows_without_retry_after() -> None:
    policy = RetryPolicy(backoff=1.0)
    first, third = retry_delay(_response(500), 1, policy), retry_delay(_response(500), 3, policy)
    assert 1.0 <= first <= 1.25 and 4.0 <= third <= 5.0


def test_fetch_retries_429_then_succeeds_and_honours_retry_after() -> None:
    answers = iter([_response(429, **{"retry-after": "2"}), _response(503), _response(200)])
    slept: list[float] = []
    result = fetch(lambda: next(answers), RetryPolicy(attempts=3, backoff=0.1), sleep=slept.append)
    assert result.response is not None and result.response.status_code == 200
    assert result.attempts == 3 and slept[0] == 2 and result.history[:2] == ["429 (Retry-After 2)", "503"]


def test_fetch_does_not_retry_a_final_answer() -> None:
    calls: list[int] = []

    def send() -> httpx.Response:
        calls.append(1)
        return _response(404)

    assert fetch(send, RetryPolicy(attempts=3), sleep=lambda s: None).attempts == 1 and len(calls) == 1


def test_fetch_gives_up_on_network_errors() -> None:
    def send() -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    result = fetch(send, RetryPolicy(attempts=2, backoff=0), sleep=lambda s: None)
    assert result.response is None and isinstance(result.error, httpx.ConnectError) and result.attempts == 2
    assert transport_reason(result.error).startswith("DNS lookup failed")


# -- outcomes ------------------------------------------------------------------------------------


def test_bot_walls_are_recognised_and_ordinary_pages_are_not() -> None:
    assert bot_wall_reason(403, {"cf-mitigated": "challenge"}, "") == "bot wall (cf-mitigated: challenge)"
    assert "challenge page" in (bot_wall_reason(503, {}, "<title>Just a moment...</title>") or "")
    assert bot_wall_reason(404, {}, "<title>Not found</title>") is None
    assert bot_wall_reason(200, {}, "<p>challenge-platform in prose</p>") is None


def test_sign_in_pages_are_recognised() -> None:
    assert sign_in_reason("https://auth.openai.com/log-in?state=x")
    assert sign_in_reason("https://platform.openai.com/login")
    assert sign_in_reason("https://platform.openai.com/settings/organization/api-keys") is None


def test_timeouts_and_dropped_connections_are_named() -> None:
    assert transport_reason(httpx.ReadTimeout("slow")).startswith("timeout")
    assert transport_reason(httpx.RemoteProtocolError("closed")).startswith("connection dropped")
    assert transport_reason(httpx.ConnectError("refused")).startswith("could not connect")


def test_result_round_trips_and_messages_name_the_step() -> None:
    result = Result("ui.x", "ui", Status.DRIFT, "https://a", "A", "B", suggestion="use B")
    result.steps = [Step("create-key.md", 12, "Create the key › step 1")]
    again = Result.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again == result
    assert "create-key.md:12 (Create the key › step 1)" in again.message() and "suggestion: use B" in again.message()
    assert Result("a", "api", Status.INCONCLUSIVE, "u", "", "", reason="timeout").message() == "inconclusive: timeout"


# -- redaction -----------------------------------------------------------------------------------


def test_redactor_masks_configured_key_patterns_and_key_shapes() -> None:
    configured = "my-very-secret-canary-value"
    marker = "T3Blbk" + "FJ"  # built at run time so no scanner flags this file
    legacy = "sk-" + "a" * 20 + marker + "b" * 20
    shaped = "sk-proj-" + "x" * 30
    redactor = Redactor([configured], [p.pattern for p in FACTS.secret_patterns.values()])
    text = redactor(f"key={configured} old={legacy} new={shaped} ok=sk-proj- short=sk-standin-ok")
    assert configured not in text and legacy not in text and shaped not in text
    assert "sk-proj-[REDACTED]" in text and "ok=sk-proj- " in text and "sk-standin-ok" in text
    assert redactor.data({"a": [configured], configured: 1}) == {"a": ["[REDACTED]"], "[REDACTED]": 1}


def test_current_redactor_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "canary-from-environment-123")
    assert "canary-from-environment-123" not in current_redactor()("x canary-from-environment-123 y")


def test_fake_key_matches_no_scanner_rule() -> None:
    key = fake_key()
    assert key.startswith("sk-proj-") and key != fake_key()
    import re

    assert not any(re.search(p.pattern, key + " ") for p in FACTS.secret_patterns.values())


# -- API comparison ------------------------------------------------------------------------------


def _error_response(status: int, error: dict[str, object]) -> httpx.Response:
    return httpx.Response(status, json={"error": error}, request=httpx.Request("GET", "https://api.openai.com/"))


def _blank(error_id: str) -> Result:
    return Result(f"errors.{error_id}", "api", Status.OK, "https://api.openai.com/v1/models", "", "")


def test_matching_error_is_ok_with_variable_parts() -> None:
    fact = FACTS.errors["invalid_api_key"]
    message = fact.message.replace("{masked_key}", "sk-proj-****abcd")
    body = {"message": message, "type": fact.type, "param": None, "code": fact.code}
    assert compare_error(fact, "invalid_api_key", _error_response(401, body), _blank("x")).status is Status.OK


def test_changed_code_is_drift_with_a_suggestion() -> None:
    fact = FACTS.errors["invalid_api_key"]
    message = fact.message.replace("{masked_key}", "sk-****")
    body = {"message": message, "type": fact.type, "param": None, "code": "api_key_invalid"}
    result = compare_error(fact, "invalid_api_key", _error_response(401, body), _blank("x"))
    assert result.status is Status.DRIFT
    assert "errors.invalid_api_key.code" in result.suggestion and "'api_key_invalid'" in result.suggestion


def test_unverified_field_is_noted_not_drift() -> None:
    fact = FACTS.errors["missing_api_key"]
    assert "code" in fact.unverified
    body = {"message": fact.message, "type": fact.type, "param": None, "code": "missing_api_key"}
    result = compare_error(fact, "missing_api_key", _error_response(401, body), _blank("y"))
    assert result.status is Status.OK and "unverified" in result.notes[0]


def test_rate_limited_error_check_is_inconclusive_and_html_is_drift() -> None:
    fact = FACTS.errors["invalid_api_key"]
    limited = compare_error(fact, "invalid_api_key", _error_response(429, {}), _blank("z"))
    assert limited.status is Status.INCONCLUSIVE
    html = httpx.Response(401, text="<html>nope</html>", request=httpx.Request("GET", "https://api.openai.com/"))
    assert compare_error(fact, "invalid_api_key", html, _blank("z")).status is Status.DRIFT


def test_listing_shape() -> None:
    endpoint = FACTS.api["models"]
    assert isinstance(endpoint, ApiEndpoint)
    request = httpx.Request("GET", endpoint.url)
    good = {"object": "list", "data": [{"id": "m", "object": "model", "created": 1, "owned_by": "o"}]}
    ok = compare_listing(endpoint, httpx.Response(200, json=good, request=request), _blank("m"), FACTS)
    assert ok.status is Status.OK
    bad = {"object": "list", "data": [{"id": "m", "object": "model"}]}
    drift = compare_listing(endpoint, httpx.Response(200, json=bad, request=request), _blank("m"), FACTS)
    assert drift.status is Status.DRIFT and "created" in drift.observed
    refused = compare_listing(endpoint, _error_response(401, {"code": "invalid_api_key"}), _blank("m"), FACTS)
    assert refused.status is Status.INCONCLUSIVE and "OPENAI_API_KEY" in refused.reason
