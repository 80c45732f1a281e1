"""UI drift checks: every button, field and heading the guide names, found by role and accessible name.

A person following "select **Create new secret key**" looks for a button with that label; so does
the check (`get_by_role(role, name=…, exact=True)`, visible, with Playwright's auto-wait). When it
is missing, the evidence says what to write instead: a screenshot, the names of the other elements
of that role, the nearest one, a role that changed, or the other page the element moved to.

One module per concern:

- `options`   the signed-in session (storage state), timeouts, and the command-line options
- `cases`     one case per ui fact, and the roles a control may turn into
- `guard`     the browser context's routing (checks/drift/routing.py: nothing is changed at OpenAI,
              the same remapping live and offline) on Playwright's sync API
- `masking`   no key on screen or in a trace: DOM masking, screenshots, trace redaction
- `consent`   a cookie banner is rejected, never accepted (labels: checks/drift/quirks.py)
- `locate`    loading a page through walls and redirect stubs, finding an element
- `verdict`   what is decided without a browser, the diagnosis of a miss, the outcome
- `check`     one check from start to verdict (`check_ui`)
- `observe`   a screen's inventory for the baselines (drift by addition; imported on its own,
              `checks.drift.ui.observe`, since it needs checks/drift/inventory.py)
"""

from checks.drift.ui.cases import (
    ROLE_FAMILIES,
    UiCase,
    describe,
    related_roles,
    ui_cases,
)
from checks.drift.ui.check import (
    check_ui,
    open_first,
)
from checks.drift.ui.consent import (
    CONSENT_NO_REJECT,
    consent_banner,
    dismiss_consent,
)
from checks.drift.ui.guard import (
    Guard,
)
from checks.drift.ui.locate import (
    ARIA_LINE,
    Loaded,
    accessible_nodes,
    find,
    load,
    nearest,
    only_near,
    parse_aria_snapshot,
    wall_reason,
)
from checks.drift.ui.masking import (
    TraceRedactor,
    mask_patterns,
    mask_script,
    page_text,
    redact_bytes,
    redact_trace,
    redact_traces,
    safe_screenshot,
    trace_redactor,
)
from checks.drift.ui.options import (
    DEFAULT_STORAGE_STATE,
    NEEDS_SESSION,
    STORAGE_STATE_ENV,
    UiOptions,
    add_options,
    options_from_config,
    resolve_storage_state,
    session_problem,
)
from checks.drift.ui.verdict import (
    attach_screenshot,
    blocked_failure,
    conclude,
    diagnose,
    inconclusive,
    look_elsewhere,
    precheck,
)

__all__ = [
    "ARIA_LINE",
    "CONSENT_NO_REJECT",
    "DEFAULT_STORAGE_STATE",
    "NEEDS_SESSION",
    "ROLE_FAMILIES",
    "STORAGE_STATE_ENV",
    "Guard",
    "Loaded",
    "TraceRedactor",
    "UiCase",
    "UiOptions",
    "accessible_nodes",
    "add_options",
    "attach_screenshot",
    "blocked_failure",
    "check_ui",
    "conclude",
    "consent_banner",
    "describe",
    "diagnose",
    "dismiss_consent",
    "find",
    "inconclusive",
    "load",
    "look_elsewhere",
    "mask_patterns",
    "mask_script",
    "nearest",
    "only_near",
    "open_first",
    "options_from_config",
    "page_text",
    "parse_aria_snapshot",
    "precheck",
    "redact_bytes",
    "redact_trace",
    "redact_traces",
    "related_roles",
    "resolve_storage_state",
    "safe_screenshot",
    "session_problem",
    "trace_redactor",
    "ui_cases",
    "wall_reason",
]
