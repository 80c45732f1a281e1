"""The stand-in's API (api.openai.com): endpoints and error bodies from the facts, chosen by test key.

Bodies are `{"error": {"message", "type", "param", "code"}}` with all four keys, filled from the
error facts (placeholders such as {masked_key} get plausible values), so an `error_code` fault or an
edit of facts.yml changes what is served. Test keys are listed in the package docstring.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from checks.standin.faults import FaultBook
from checks.standin.sitemap import SiteMap
from keyguide.facts import PLACEHOLDER, ApiEndpoint, ApiValue, ErrorFact, Facts

STANDIN_ORG_ID = "org-standin00000000000000"
STANDIN_PROJECT_ID = "proj_standin00000000000000"
STANDIN_USER_ID = "user-standin00000000000000"
OK_KEY_PREFIX = "sk-standin-ok"
# Any error fact, by id: sk-standin-fact-<error id> (so a new error fact is served at once).
FACT_KEY_PREFIX = "sk-standin-fact-"
TEST_KEYS: dict[str, str] = {
    "sk-standin-noorg": "no_organization",
    "sk-standin-ip": "ip_not_authorized",
    "sk-standin-region": "unsupported_region",
    "sk-standin-quota": "insufficient_quota",
    "sk-standin-credit": "credit_balance_exhausted",
    "sk-standin-orgusage": "organization_usage_limit_exceeded",
    "sk-standin-orgspend": "organization_spend_limit_exceeded",
    "sk-standin-projspend": "project_spend_limit_exceeded",
    "sk-standin-ratelimit": "rate_limit_exceeded",
    "sk-standin-error": "server_error",
}
# A Read Only key, as OpenAI treats one: GET /v1/models works, a model call is refused.
READ_ONLY_KEY = "sk-standin-readonly"
READ_ONLY_ERROR = "insufficient_permissions"
# Model calls the stand-in answers (paths under api.base_url); POST only.
MODEL_CALL_PATHS = ("/chat/completions", "/responses")
MISSING_KEY_ERROR = "missing_api_key"
INVALID_KEY_ERROR = "invalid_api_key"
MISMATCHED_ORG_ERROR = "mismatched_organization"
RATE_LIMIT_ERROR = "rate_limit_exceeded"
SERVER_ERROR = "server_error"
RETRY_AFTER_SECONDS = 1
# Errors before the key is known carry no organization headers.
_ANONYMOUS_ERRORS = {MISSING_KEY_ERROR, INVALID_KEY_ERROR}

# For facts whose whole message is "{message}" (the text was never recorded).
_INVENTED_MESSAGES = {
    "credit_balance_exhausted": "You have run out of credits. Add credits to your organization's balance to "
    "continue using the API.",
    "organization_usage_limit_exceeded": "Your organization has reached its usage limit for the current period. "
    "Requests will succeed again when the limit resets.",
    "organization_spend_limit_exceeded": "Your organization has reached its monthly spend limit. An organization "
    "owner can raise the limit in the organization's limits settings.",
    "project_spend_limit_exceeded": "This project has reached its monthly spend limit. A project owner can raise "
    "the limit in the project's settings.",
}
_RATE_LIMIT_VALUES = {
    "model": "gpt-4.1",
    "limit": "tokens per min (TPM)",
    "limit_type": "tokens",
    "limit_value": "30000",
    "used": "18928",
    "requested": "11159",
    "wait": f"{RETRY_AFTER_SECONDS}s",
    "details": "model.request",
}
_MODELS = [
    ("gpt-4.1", 1744316542, "system"),
    ("gpt-4.1-mini", 1744318173, "system"),
    ("text-embedding-3-small", 1705948997, "system"),
]
_PREFIX = re.compile(r"^sk-(?:[a-z]{2,8}-)?")


def mask_key(key: str) -> str:
    """A key as OpenAI echoes it: its `sk-…-` prefix, asterisks, the last 4; short input whole."""
    prefix_match = _PREFIX.match(key)
    prefix = prefix_match.group(0) if prefix_match else ""
    body = key[len(prefix) :]
    if len(body) <= 8:
        return key
    return prefix + "*" * (len(body) - 4) + body[-4:]


def _value(facts: Facts, fact_id: str, default: str) -> str:
    entry = facts.api.get(fact_id)
    return entry.value if isinstance(entry, ApiValue) else default


@dataclass
class Call:
    """What one API request carried, and the headers every answer to it gets."""

    facts: Facts
    request_id: str
    key: str | None
    organization: str | None
    project: str | None

    def base_headers(self, *, with_org: bool) -> dict[str, str]:
        headers = {
            _value(self.facts, "request_id_header", "x-request-id"): self.request_id,
            "openai-processing-ms": "42",
            "openai-version": "2020-10-01",
        }
        if with_org:
            headers[_value(self.facts, "response_org_header", "openai-organization")] = STANDIN_ORG_ID
            headers[_value(self.facts, "response_project_header", "openai-project")] = STANDIN_PROJECT_ID
        return headers

    def fill(self, template: str, error_id: str, fact: ErrorFact) -> str:
        values = {
            "masked_key": mask_key(self.key or ""),
            "request_id": self.request_id,
            "organization": STANDIN_ORG_ID,
            "project": STANDIN_PROJECT_ID,
            "message": _INVENTED_MESSAGES.get(error_id) or fact.cause,
            **_RATE_LIMIT_VALUES,
        }
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), f"standin-{m.group(1)}"), template)


def error_payload(message: str, type_: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def error_response(call: Call, error_id: str, faults: FaultBook, *, status: int | None = None) -> Response:
    """The error fact `error_id`, after any error_code fault, as OpenAI would send it."""
    fact = call.facts.errors[error_id]
    values: dict[str, Any] = {"status": fact.status, "type": fact.type, "code": fact.code, "message": fact.message}
    for fault in faults.take("error_code", lambda _f, t: t.error_id == error_id):
        values.update(
            {k: getattr(fault, k) for k in ("status", "type", "code", "message") if k in fault.model_fields_set}
        )
    headers = call.base_headers(with_org=error_id not in _ANONYMOUS_ERRORS)
    if error_id == RATE_LIMIT_ERROR:
        headers.update(_ratelimit_headers(remaining_tokens=0))
        headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    body = error_payload(
        call.fill(values["message"], error_id, fact),
        call.fill(values["type"], error_id, fact),
        values["code"],
    )
    return JSONResponse(body, status_code=status or values["status"], headers=headers)


def _ratelimit_headers(*, remaining_tokens: int = 799_990) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": "5000",
        "x-ratelimit-limit-tokens": "800000",
        "x-ratelimit-remaining-requests": "4999" if remaining_tokens else "0",
        "x-ratelimit-remaining-tokens": str(remaining_tokens),
        "x-ratelimit-reset-requests": "12ms",
        "x-ratelimit-reset-tokens": "0s" if remaining_tokens else f"{RETRY_AFTER_SECONDS}s",
    }


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, key = auth.partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def error_for_key(facts: Facts, key: str | None) -> str | None:
    """The error a key selects (None: the key is good). See the package docstring's table."""
    if key is None:
        return MISSING_KEY_ERROR
    if key.startswith(OK_KEY_PREFIX):
        return None
    if key.startswith(FACT_KEY_PREFIX) and key.removeprefix(FACT_KEY_PREFIX) in facts.errors:
        return key.removeprefix(FACT_KEY_PREFIX)
    for test_key, error_id in TEST_KEYS.items():
        if (key == test_key or key.startswith(test_key + "-")) and error_id in facts.errors:
            return error_id
    return INVALID_KEY_ERROR


def new_call(request: Request, facts: Facts) -> Call:
    return Call(
        facts=facts,
        request_id="req_" + secrets.token_hex(16),
        key=_bearer(request),
        organization=request.headers.get("openai-organization"),
        project=request.headers.get("openai-project"),
    )


def not_found(call: Call, method: str, path: str) -> Response:
    body = error_payload(f"Invalid URL ({method} {path})", "invalid_request_error", None)
    return JSONResponse(body, status_code=404, headers=call.base_headers(with_org=False))


def injected_error(call: Call, status: int) -> Response:
    """An API-shaped body for an injected status (404, 429, 5xx…), using the facts where they fit."""
    if status == 429 and RATE_LIMIT_ERROR in call.facts.errors:
        return error_response(call, RATE_LIMIT_ERROR, FaultBook(), status=status)
    if status >= 500 and SERVER_ERROR in call.facts.errors:
        return error_response(call, SERVER_ERROR, FaultBook(), status=status)
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return JSONResponse(
        error_payload(phrase, kind, None), status_code=status, headers=call.base_headers(with_org=False)
    )


def serve_api(request: Request, url_path: str, site: SiteMap, faults: FaultBook, original_url: str) -> Response:
    """GET an endpoint the facts name, or POST a model call: 200 for a good key, else the key's error."""
    facts = site.facts
    call = new_call(request, facts)
    if request.method == "POST" and _is_model_call(facts, original_url):
        return ModelCall(call, faults)
    found = site.endpoint(original_url)
    if found is None or request.method not in ("GET", "HEAD"):
        return not_found(call, request.method, url_path)
    error_id = _request_error(call, model_call=False)
    if error_id is not None:
        return error_response(call, error_id, faults)
    if call.project and call.project != STANDIN_PROJECT_ID:
        return _mismatched_project(call)
    headers = call.base_headers(with_org=True) | _ratelimit_headers()
    return JSONResponse(endpoint_body(found[1]), headers=headers)


def _is_model_call(facts: Facts, original_url: str) -> bool:
    base = _value(facts, "base_url", "https://api.openai.com/v1").rstrip("/")
    path = original_url.split("?", 1)[0].rstrip("/")
    return any(path == base + suffix for suffix in MODEL_CALL_PATHS)


def _request_error(call: Call, *, model_call: bool) -> str | None:
    """The error fact this request earns by its key and headers (None: it succeeds)."""
    facts = call.facts
    key = call.key or ""
    if key == READ_ONLY_KEY or key.startswith(READ_ONLY_KEY + "-"):
        error_id = READ_ONLY_ERROR if model_call and READ_ONLY_ERROR in facts.errors else None
    else:
        error_id = error_for_key(facts, call.key)
    if error_id is None and call.organization and call.organization != STANDIN_ORG_ID:
        return MISMATCHED_ORG_ERROR if MISMATCHED_ORG_ERROR in facts.errors else None
    return error_id


class ModelCall(Response):
    """A model call, answered once its JSON body is read (serve_api itself is synchronous)."""

    def __init__(self, call: Call, faults: FaultBook) -> None:
        super().__init__()
        self.call, self.faults = call, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = await Request(scope, receive).body()
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = None
        model = data.get("model") if isinstance(data, dict) else None
        await model_call_answer(self.call, self.faults, model)(scope, receive, send)


def model_call_answer(call: Call, faults: FaultBook, model: object) -> Response:
    """The key's error first (OpenAI refuses before any spend), else a one-token completion."""
    error_id = _request_error(call, model_call=True)
    if error_id is not None:
        return error_response(call, error_id, faults)
    if call.project and call.project != STANDIN_PROJECT_ID:
        return _mismatched_project(call)
    if model not in {mid for mid, _created, _owner in _MODELS}:
        body = error_payload(
            f"The model `{model}` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        )
        return JSONResponse(body, status_code=404, headers=call.base_headers(with_org=True))
    completion = {
        "id": "chatcmpl-standin" + secrets.token_hex(8),
        "object": "chat.completion",
        "created": 1767225600,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
    }
    return JSONResponse(completion, headers=call.base_headers(with_org=True) | _ratelimit_headers())


def _mismatched_project(call: Call) -> Response:
    body = error_payload(
        "OpenAI-Project header should match project for API key", "invalid_request_error", "mismatched_project"
    )
    return JSONResponse(body, status_code=401, headers=call.base_headers(with_org=False))


def endpoint_body(endpoint: ApiEndpoint) -> dict[str, Any]:
    if endpoint.item_object is not None:
        return {"object": endpoint.object, "data": _items(endpoint)}
    if endpoint.object == "user":
        return _user()
    return {"object": endpoint.object, "id": f"{endpoint.object}-standin"}


def _items(endpoint: ApiEndpoint) -> list[dict[str, Any]]:
    if endpoint.item_object == "model":
        items = [
            {"id": mid, "object": "model", "created": created, "owned_by": owner, "shutdown_date": None}
            for mid, created, owner in _MODELS
        ]
    else:
        items = [{"id": f"{endpoint.item_object}-standin-1", "object": endpoint.item_object, "created": 1700000000}]
    for item in items:
        for name in endpoint.item_fields:
            item.setdefault(name, f"standin-{name}")
    return items


def _user() -> dict[str, Any]:
    project = {"object": "organization.project", "id": STANDIN_PROJECT_ID, "title": "Default project"}
    org = {
        "object": "organization",
        "id": STANDIN_ORG_ID,
        "title": "Stand-in organization",
        "personal": False,
        "role": "owner",
        "is_default": True,
        "projects": {"object": "list", "data": [project]},
    }
    return {
        "object": "user",
        "id": STANDIN_USER_ID,
        "email": "standin@example.com",
        "name": "Stand-in User",
        "mfa_flag_enabled": False,
        "orgs": {"object": "list", "data": [org]},
    }
