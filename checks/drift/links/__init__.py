"""Link drift: every external link a reader can click, checked politely and classified without false alarms.

One module per concern, in the order a check runs (lychee keeps the same units):

- `options`   the command-line options and `LinkSettings` (how hard and how politely)
- `collect`   the links of the built site and the `links.*` facts, with where readers click them
- `fetch`     HEAD then GET, redirects hop by hop, per-host gates (checks/drift/ratelimit.py), retries
- `browser`   the Chromium re-check of bot walls, 403s, JavaScript-built fragments, signed-in pages
- `judge`     the shared outcomes applied to a link: drift only on proof
- `cache`     ok and drift results for a while, never inconclusive
- `checker`   the batch: one client, one browser, one final pass; `check_links()` for pytest

OpenAI-specific behaviour (sign-in and bot walls, known redirects, Markdown twins) lives in
checks/drift/quirks.py and checks/drift/outcomes.py, not here.

The browser's names load `browser` (and with it Playwright's routing) on first use, so a run whose
links all answer over HTTP, like the benchmark's, never loads it.
"""

from typing import Any

from checks.drift.links.cache import (
    CACHED_FIELDS,
    LinkCache,
)
from checks.drift.links.checker import (
    LinkChecker,
    check_links,
    run_sync,
)
from checks.drift.links.collect import (
    CODE_TAGS,
    SKIP_CLASS,
    Collected,
    LinkTarget,
    LinkUse,
    SiteBuildError,
    build_site,
    collect,
    collect_site_links,
    collect_targets,
    error_quotes,
    is_external,
    page_links,
    quoted_in,
    site_url,
    source_pages,
)
from checks.drift.links.fetch import (
    HEAD_OK_BELOW,
    STRIP_HEADERS,
    Fetcher,
    Hop,
    Probe,
)
from checks.drift.links.judge import (
    GONE,
    NEEDS_SIGN_IN,
    PERMANENT,
    Pending,
    after_browser,
    after_sign_in,
    finish,
    judge,
    missing_fragment,
    served,
)
from checks.drift.links.options import (
    LinkSettings,
    add_options,
    parse_duration,
)
from checks.drift.links.page import fragment_ids, has_id, is_html, may_build_headings
from checks.drift.links.passage import passages

__all__ = [
    "CACHED_FIELDS",
    "CODE_TAGS",
    "FRAGMENT_JS",
    "GONE",
    "HEAD_OK_BELOW",
    "NEEDS_SIGN_IN",
    "PERMANENT",
    "SKIP_CLASS",
    "STRIP_HEADERS",
    "BrowserProbe",
    "ChromiumProbe",
    "Collected",
    "Fetcher",
    "Hop",
    "LinkCache",
    "LinkChecker",
    "LinkSettings",
    "LinkTarget",
    "LinkUse",
    "NoBrowser",
    "Pending",
    "Probe",
    "ProbeGuard",
    "SiteBuildError",
    "Visit",
    "add_options",
    "after_browser",
    "after_sign_in",
    "build_site",
    "check_links",
    "collect",
    "collect_site_links",
    "collect_targets",
    "error_quotes",
    "finish",
    "fragment_ids",
    "has_id",
    "is_external",
    "is_html",
    "judge",
    "may_build_headings",
    "missing_fragment",
    "page_links",
    "parse_duration",
    "passages",
    "quoted_in",
    "run_sync",
    "served",
    "site_url",
    "source_pages",
]

BROWSER_NAMES = ("FRAGMENT_JS", "BrowserProbe", "ChromiumProbe", "NoBrowser", "ProbeGuard", "Visit")


def __getattr__(name: str) -> Any:
    """The browser's names, loaded on first use (PEP 562)."""
    if name not in BROWSER_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from checks.drift.links import browser

    value = getattr(browser, name)
    globals()[name] = value
    return value
