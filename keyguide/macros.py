"""The macros pages use to state facts: `{{ ui("create_key_button") }}`, `{{ link("quickstart") }}`, …

mkdocs-macros loads this module (`module_name` in mkdocs.yml) and calls `define_env`. Every macro
reads `facts.yml` through the one loader, so a page can only state what the facts file holds. Unknown
ids raise `FactsError`; the build hook (keyguide/hooks.py) finds them before rendering and reports
file and line.
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keyguide.facts import ApiEndpoint, ClaimFact, ErrorFact, FactsError, LinkFact, UiFact, ValueFact, load_facts
from keyguide.pages import DOCS_DIR, all_pages
from keyguide.platform import current
from keyguide.screens import SCREENS_DIR, live_shot


def escape(text: str) -> str:
    """Text from facts or site configuration, safe in a page: `R&D <Labs>` is shown, not parsed as HTML.

    Quotes stay as they are: no macro output lands in an HTML attribute, and `&quot;` would show
    literally inside a code fence. (`&`, `<` and `>` in a value inside code would show as entities.)
    """
    return html.escape(text, quote=False)


def escaped(value: Any) -> Any:
    """`value` with every string in it escaped: the `platform` variable pages read (`{{ platform.name }}`)."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {key: escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [escaped(item) for item in value]
    return value


def _cell(text: str) -> str:
    """Escaped for a Markdown table cell: a `|` would start a new column."""
    return escape(text).replace("|", "\\|")


def ui(fact_id: str, bold: bool = True) -> str:
    """A UI label exactly as the product shows it, bold by default."""
    fact = load_facts().get("ui", fact_id)
    assert isinstance(fact, UiFact)
    return f"**{escape(fact.name)}**" if bold else escape(fact.name)


def link(fact_id: str, text: str | None = None) -> str:
    """A Markdown link to an external page from `links`."""
    fact = load_facts().get("links", fact_id)
    assert isinstance(fact, LinkFact)
    return f"[{escape(text or fact.title)}]({fact.url})"


def url(fact_id: str) -> str:
    """The bare URL of a link, API endpoint or UI page (for code samples and addresses)."""
    return load_facts().url(fact_id)


def value(fact_id: str) -> str:
    """A number or term from `values` (prices, limits, prefixes, variable names)."""
    fact = load_facts().get("values", fact_id)
    assert isinstance(fact, ValueFact)
    return escape(fact.value)


def claim(fact_id: str) -> str:
    """A statement about what OpenAI does, requires or allows, in our words; its source quote proves it."""
    fact = load_facts().get("claims", fact_id)
    assert isinstance(fact, ClaimFact)
    return escape(fact.text)


def api(fact_id: str) -> str:
    """An API fact: an endpoint's URL or a header/base-URL value."""
    fact = load_facts().get("api", fact_id)
    return fact.url if isinstance(fact, ApiEndpoint) else fact.value  # type: ignore[attr-defined]


def error(fact_id: str, field: str = "code") -> str:
    """One field of an error fact: status, type, code, message, title, cause or fix."""
    fact = load_facts().get("errors", fact_id)
    assert isinstance(fact, ErrorFact)
    if field not in {"status", "type", "code", "message", "title", "cause", "fix"}:
        raise FactsError(f"errors.{fact_id} has no field {field!r}")
    result = getattr(fact, field)
    return "null" if result is None else escape(str(result))


def error_table() -> str:
    """The troubleshooting table: every error fact with its status, code, cause and fix."""
    rows = [
        "| Error | Status | `error.code` | What it means | What to do |",
        "|---|---|---|---|---|",
    ]
    for fact_id, fact in load_facts().errors.items():
        # A code no OpenAI text or API output confirms is "not documented", never "none": the
        # reader would take "none" as a fact about the API.
        if "code" in fact.unverified:
            code = "not documented"
        elif fact.code is None:
            code = "`null`"
        else:
            code = f"`{fact.code}`"
        rows.append(
            f'| <span id="error-{fact_id.replace("_", "-")}">{_cell(fact.title)}</span> | {fact.status} | {code} '
            f"| {_cell(fact.cause)} | {_cell(fact.fix)} |"
        )
    return "\n".join(rows)


def platform_ui(label_id: str) -> str:
    """A label of our own platform's UI, from `extra.platform.labels` in mkdocs.yml, bold."""
    return f"**{escape(current().label(label_id))}**"


def platform_path() -> str:
    """The menu path to the OpenAI connection in our platform: **Settings** › **Integrations** › …"""
    return " › ".join(f"**{escape(item)}**" for item in current().menu_path)


def whats_new(docs_dir: Path = DOCS_DIR) -> str:
    """Every change across the guide, newest first, each linked to its page."""
    entries = []
    for page in all_pages(docs_dir):
        for change in page.meta.changelog:
            entries.append((change.date, page.meta.title, page.path.as_posix(), change.version, change.summary))
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
    lines = []
    for day, title, path, version, summary in entries:
        lines.append(f"- **{day.isoformat()}** · [{escape(title)}]({path}) · version {version}: {escape(summary)}")
    return "\n".join(lines)


# How alt text names an element of each role ("the “Name” field").
ROLE_WORDS = {"textbox": "field", "searchbox": "field", "spinbutton": "field", "combobox": "drop-down"}


def screenshot(fact_id: str, docs_dir: Path = DOCS_DIR, page_url: str = "") -> str:
    """A figure with the live run's screenshot of a ui fact's element; nothing when none is on file.

    Width and height come from screens.json, so the page does not shift when the image arrives;
    `page_url` is the page's own URL ("create-key/"), for a src relative to it, as every link is.
    """
    facts = load_facts()
    fact = facts.get("ui", fact_id)
    assert isinstance(fact, UiFact)
    shot = live_shot(docs_dir, f"ui.{fact_id}")
    if shot is None:
        return ""
    where = next((link.title for link in facts.links.values() if str(link.url) == str(fact.url)), "site")
    role = ROLE_WORDS.get(fact.role, fact.role)
    alt = f"The “{fact.name}” {role} on OpenAI's {where} (screenshot)"
    src = relative_url((SCREENS_DIR / shot.file).as_posix(), page_url)
    return (
        f'<figure class="guide-screenshot"><img src="{_attr(src)}" alt="{_attr(alt)}" width="{shot.width}" '
        f'height="{shot.height}" loading="lazy" decoding="async" style="max-width:100%;height:auto">'
        f"<figcaption>Screenshot taken {escape(shot.date)}</figcaption></figure>"
    )


def _attr(text: str) -> str:
    """Escaped for an attribute value: here quotes must be entities, unlike in `escape`."""
    return html.escape(text, quote=True)


def relative_url(target: str, page_url: str) -> str:
    """`target` (from the site root) relative to the page at `page_url`, as MkDocs links pages."""
    base = page_url if page_url.endswith("/") or not page_url else posixpath.dirname(page_url) + "/"
    return posixpath.relpath(target, base.rstrip("/") or ".")


MACROS: dict[str, Callable[..., str]] = {
    f.__name__: f
    for f in (ui, link, url, value, claim, api, error, error_table, platform_ui, platform_path, whats_new, screenshot)
}
