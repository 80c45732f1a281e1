"""The pages facts.yml watches (`watch:`), written the way OpenAI writes them, newest entry first.

- developers.openai.com (the API changelog): month headers ("November, 2026") over entries dated
  without a year ("Nov 18"), each a label, the endpoints it touches and a paragraph; with its
  Markdown twin (the page URL plus `.md`), which the suite reads first.
- help.openai.com (release notes, cited by number): a 301 to the number plus a slug, then an
  article whose headings carry the date ("Project API keys can now expire (September 10, 2026)"),
  inside the help center's chrome (checks/standin/chrome.py).

The `changelog_entry` fault (route: the watched page) puts a new entry on top; by default dated
today, about key expiry, so it names keywords the facts' `watch:` lists.

A watched page that facts also quote (the API changelog dates key expiry and key-creation rules) has
each quote as an older entry of its own, after the source faults (checks/standin/sources.py): the
source check finds its words, and the watch check sees the same dated entries run after run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape

from starlette.responses import HTMLResponse, RedirectResponse, Response

from checks.drift.quirks import help_article_number, markdown_twin
from checks.standin.chrome import page_document
from checks.standin.faults import FaultBook
from checks.standin.sitemap import SLUG_REDIRECT_STATUS, SiteMap, page_key, slugify
from checks.standin.sources import added_paragraphs, shown_texts, source_site


@dataclass(frozen=True)
class Entry:
    day: date
    title: str
    label: str  # Feature, Update, Deprecation
    endpoints: str
    text: str


ENTRIES = (
    Entry(
        date(2026, 11, 18),
        "Batch priority tiers",
        "Feature",
        "v1/batch",
        "Released priority tiers for the Batch API, so urgent batches finish first.",
    ),
    Entry(
        date(2026, 10, 2),
        "Realtime voices",
        "Feature",
        "v1/realtime",
        "Added two new voices to the Realtime API and improved turn detection.",
    ),
    Entry(
        date(2026, 9, 3),
        "Image edits in the Responses API",
        "Update",
        "v1/responses",
        "Image generation in the Responses API now supports masks for partial edits.",
    ),
)
DEFAULT_TITLE = "Project API keys can now expire"
DEFAULT_TEXT = (
    "You can now set an expiry date when you create a project API key, and admins can enforce a maximum "
    "lifetime for new keys in an organization or project."
)


QUOTED_FROM = date(2026, 8, 31)  # quoted entries are dated back from here, one day apart, before ENTRIES


def _entries(site: SiteMap, faults: FaultBook, watched_url: str) -> list[Entry]:
    """The page's entries, newest first: any `changelog_entry` fault's on top, then the page's own,
    then one per passage facts quote from it (as the source faults leave it)."""
    added = [
        Entry(
            date.fromisoformat(f.entry_date) if f.entry_date else datetime.now(UTC).date(),
            f.name or DEFAULT_TITLE,
            "Feature",
            "dashboard",
            f.message or DEFAULT_TEXT,
        )
        for f in faults.peek("changelog_entry", lambda _f, t: t.matches(watched_url))
    ]
    cited = source_site(site).pages.get(watched_url)
    quoted = [] if cited is None else [*shown_texts(cited, faults), *added_paragraphs(cited, faults)]
    older = [
        Entry(QUOTED_FROM - timedelta(days=i), f"Update {i + 1}", "Update", "dashboard", text)
        for i, text in enumerate(quoted)
    ]
    return [*sorted([*added, *ENTRIES], key=lambda e: e.day, reverse=True), *older]


def _changelog_html(entries: list[Entry]) -> str:
    parts, month = ["<main><h1>Changelog</h1><p>Keep track of changes to the OpenAI API.</p>"], ""
    for entry in entries:
        header = entry.day.strftime("%B, %Y")
        if header != month:
            parts.append(f"<h2>{header}</h2>")
            month = header
        parts.append(
            f"<section><h3>{entry.day.strftime('%b')} {entry.day.day}</h3><p>{entry.label}</p>"
            f"<p><code>{escape(entry.endpoints)}</code></p><p>{escape(entry.text)}</p></section>"
        )
    return "\n".join([*parts, "</main>"])


def _changelog_markdown(entries: list[Entry]) -> str:
    parts, month = ["# Changelog", "Keep track of changes to the OpenAI API."], ""
    for entry in entries:
        header = entry.day.strftime("%B, %Y")
        if header != month:
            parts.append(f"## {header}")
            month = header
        parts += [f"### {entry.day.strftime('%b')} {entry.day.day}", entry.label, f"`{entry.endpoints}`", entry.text]
    return "\n\n".join(parts) + "\n"


def _release_notes_html(title: str, entries: list[Entry]) -> str:
    parts = [f"<main><h1>{escape(title)}</h1><p>What changed in the models and the API platform, newest first.</p>"]
    for entry in entries:
        when = f"{entry.day.strftime('%B')} {entry.day.day}, {entry.day.year}"
        parts.append(f"<h2>{escape(entry.title)} ({when})</h2><p>{escape(entry.text)}</p>")
    return "\n".join([*parts, "</main>"])


def serve_watched(site: SiteMap, faults: FaultBook, url: str) -> Response | None:
    """The answer for a watched page (or its Markdown twin, or its help-center slug redirect), else None."""
    key = page_key(url)
    headers = {"cache-control": "no-store"}
    for page in site.facts.watch.values():
        watched = page_key(str(page.url))
        slug = f"{watched.rstrip('/')}-{slugify(page.title.split('(')[0])}" if help_article_number(watched) else None
        twin = markdown_twin(watched)
        if key == watched and slug is not None:
            return RedirectResponse(slug, status_code=SLUG_REDIRECT_STATUS)
        if twin is not None and key == page_key(twin):
            return Response(
                _changelog_markdown(_entries(site, faults, watched)), media_type="text/markdown", headers=headers
            )
        if key in (watched, slug):
            entries = _entries(site, faults, watched)
            article = _release_notes_html(page.title, entries) if slug else _changelog_html(entries)
            return HTMLResponse(page_document(key, page.title, article), headers=headers)
    return None
