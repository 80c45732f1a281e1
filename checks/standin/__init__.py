"""The local OpenAI stand-in: OpenAI's API, platform, docs and help pages, built from facts.yml.

Every origin is served under a path prefix equal to its host (`https://platform.openai.com/x` at
`{base}/platform.openai.com/x`); clients remap their own requests (see `remap_pairs`), and the
stand-in answers in ORIGINAL space: every Location and href is an https://…openai.com URL.

    with StandIn() as s:                    # or the `standin` pytest fixture, or
        s.faults.inject(Fault(kind="rename", fact="ui.create_key_button", name="Create key"))
        s.remaps                            # ["https://platform.openai.com=http://127.0.0.1:PORT/…", …]

    python -m checks.standin --port 8700 [--fault '{"kind": "status", "fact": "links.quickstart",
        "status": 404}'] [--generic-pages]  # for writers; prints the --remap arguments

API test keys (`Authorization: Bearer <key>` to GET /v1/models or /v1/me on api.openai.com, or to
POST a model call, /v1/chat/completions or /v1/responses, which a good key answers with a one-token
completion and an unlisted model with 404 model_not_found):

    (no Authorization header)      errors.missing_api_key                       401
    sk-standin-ok…                 200 (list of models; /v1/me: the user and its org)
      + OpenAI-Organization ≠ STANDIN_ORG_ID      errors.mismatched_organization  401
      + OpenAI-Project ≠ STANDIN_PROJECT_ID       401 mismatched_project (no fact)
    sk-standin-noorg               errors.no_organization                       401
    sk-standin-ip                  errors.ip_not_authorized                     401
    sk-standin-region              errors.unsupported_region                    403
    sk-standin-quota               errors.insufficient_quota                    429
    sk-standin-credit              errors.credit_balance_exhausted              429
    sk-standin-orgusage            errors.organization_usage_limit_exceeded     429
    sk-standin-orgspend            errors.organization_spend_limit_exceeded     429
    sk-standin-projspend           errors.project_spend_limit_exceeded          429
    sk-standin-ratelimit           errors.rate_limit_exceeded  429 + Retry-After + x-ratelimit-*
    sk-standin-error               errors.server_error                          500
    sk-standin-readonly            200 on GET; errors.insufficient_permissions  401 on a model call
    sk-standin-fact-<error id>     any error fact by id (new facts work at once)
    anything else                  errors.invalid_api_key 401, key masked as OpenAI does

Error keys also match with a suffix (`sk-standin-quota-2`). Status, type, code and message come
from the error facts (after any `error_code` fault). Signed-in pages (the host of ui facts with
`signed_in: true`, except its home) need the cookie `standin_session` (any value but "expired"),
else 302 to https://auth.openai.com/log-in; `standin_storage_state()` writes a Playwright state.
Fault kinds and their fields: see `checks.standin.faults`.
"""

from checks.standin.api import (
    OK_KEY_PREFIX,
    STANDIN_ORG_ID,
    STANDIN_PROJECT_ID,
    TEST_KEYS,
    mask_key,
)
from checks.standin.app import CLEARANCE_COOKIE, StandInState, build_app
from checks.standin.faults import Fault, FaultBook, FaultKind
from checks.standin.requestlog import RequestLog, RequestRecord
from checks.standin.server import StandIn, remap_pairs, standin_storage_state
from checks.standin.sitemap import SESSION_COOKIE, SIGNIN_URL

__all__ = [
    "CLEARANCE_COOKIE",
    "OK_KEY_PREFIX",
    "SESSION_COOKIE",
    "SIGNIN_URL",
    "STANDIN_ORG_ID",
    "STANDIN_PROJECT_ID",
    "TEST_KEYS",
    "Fault",
    "FaultBook",
    "FaultKind",
    "RequestLog",
    "RequestRecord",
    "StandIn",
    "StandInState",
    "build_app",
    "mask_key",
    "remap_pairs",
    "standin_storage_state",
]
