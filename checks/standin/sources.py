"""Source pages for the stand-in: every page a fact's `source.url` cites, with every quote cited from it.

So `pytest checks -m sources --target standin` has something true to find, and the source faults
(`quote_reworded`, `number_changed`, `sentence_removed`) something to break. Like the real sites:

- each distinct source URL is an HTML page: a heading, some filler, and each quote in its own
  paragraph (a page the sitemap already serves, such as a linked docs page, gets the quotes added
  to its main content instead, so link and UI checks see the page they always saw);
- a developers.openai.com page also has its Markdown twin at the page URL plus `.md`;
- help.openai.com/en/articles/<number> answers 301 to the number plus a slug;
- a github.com blob is also served raw at raw.githubusercontent.com/<owner>/<repo>/<ref>/<path>.

Hosts the facts' `origins` do not list (raw.githubusercontent.com, github.com) are remapped too:
`source_origins()` feeds the stand-in's remap pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from starlette.responses import HTMLResponse, RedirectResponse, Response

from checks.drift.quirks import github_raw, help_article_number, markdown_twin
from checks.standin.chrome import page_document
from checks.standin.faults import FaultBook
from checks.standin.sitemap import SLUG_REDIRECT_STATUS, SiteMap, host_of, page_key, slugify

FILLER = (
    "This page is served by the local stand-in of OpenAI for the guide's drift checks.",
    "It repeats, word for word, the passages the guide's facts quote from the real page.",
    "Other paragraphs stand for the rest of the article and change nothing.",
)
ADDED_PARAGRAPH = "You can now set an expiry date when you create a project API key, and admins can require one."
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?")


@dataclass
class SourcePage:
    """One served document and the (fact id, quote) pairs it carries, in file order."""

    url: str
    quotes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SourceSite:
    """Everything the stand-in serves for sources, by original page key."""

    pages: dict[str, SourcePage] = field(default_factory=dict)  # HTML pages
    twins: dict[str, SourcePage] = field(default_factory=dict)  # .md twins (same quotes as their page)
    raw: dict[str, SourcePage] = field(default_factory=dict)  # raw.githubusercontent.com files
    redirects: dict[str, str] = field(default_factory=dict)  # help articles cited by number → slug URL


def build_sources(site: SiteMap) -> SourceSite:
    """The source documents the facts cite, derived from facts.yml like the rest of the stand-in."""
    sources = SourceSite()

    def page(table: dict[str, SourcePage], url: str) -> SourcePage:
        return table.setdefault(page_key(url), SourcePage(page_key(url)))

    for fact_id, source in site.facts.sources():
        if source.url is None or source.quote is None:
            continue
        url = page_key(source.url)
        quote = (fact_id, source.quote)
        raw = github_raw(url)
        if raw is not None:
            page(sources.raw, raw).quotes.append(quote)
            page(sources.pages, url).quotes.append(quote)
            continue
        if url in site.redirects:  # the sitemap's own slug or move redirect: the quote is where it lands
            url = page_key(site.redirects[url].location)
        elif help_article_number(url) is not None:
            slug = slugify(" ".join(source.quote.split()[:6])) or "article"
            sources.redirects[url] = url = sources.redirects.get(url, f"{url.rstrip('/')}-{slug}")
        page(sources.pages, url).quotes.append(quote)
        twin = markdown_twin(url)
        if twin is not None:
            sources.twins[page_key(twin)] = sources.pages[url]
    return sources


def source_origins(site: SiteMap) -> list[str]:
    """Origins of source documents that the facts' `origins` miss, so the stand-in is remapped for them."""
    known = {host_of(origin) for origin in site.facts.origins}
    hosts = {host_of(url) for sources in _tables(source_site(site)) for url in sources} | {
        host_of(url) for url in source_site(site).redirects
    }
    return [f"https://{host}" for host in sorted(hosts - known)]


def _tables(sources: SourceSite) -> tuple[dict[str, SourcePage], ...]:
    return (sources.pages, sources.twins, sources.raw)


_CACHE: dict[int, tuple[SiteMap, SourceSite]] = {}


def source_site(site: SiteMap) -> SourceSite:
    """The sources of one sitemap, built once (the sitemap is rebuilt when facts.yml changes)."""
    cached = _CACHE.get(id(site))
    if cached is None or cached[0] is not site:
        _CACHE.clear()
        cached = _CACHE[id(site)] = (site, build_sources(site))
    return cached[1]


# -- faults --------------------------------------------------------------------------------------


def changed_number(quote: str) -> str:
    """The quote with its first number doubled ($5 → $10, 2,000 → 4,000, 1 year → 2 year)."""
    match = NUMBER.search(quote)
    if match is None:
        return quote
    digits = match.group().replace(",", "")
    number = float(digits) * 2 if "." in digits else (int(digits) * 2 or 1)
    text = f"{number:,}" if "," in match.group() else str(number)
    return quote[: match.start()] + text + quote[match.end() :]


def reworded(quote: str) -> str:
    """The quote as an editor might rewrite it: the same message, no longer the same words."""
    words = quote.split()
    if len(words) < 3:
        return f"Note: {quote.lower()} now applies"
    return " ".join([words[0], "now", *words[1:-1], "in most cases", words[-1]])


def shown_quote(fact_id: str, quote: str, faults: FaultBook) -> str | None:
    """What the page says where the quote stood, after any source fault (None: sentence removed)."""

    def on(fault: object, _target: object) -> bool:
        return getattr(fault, "fact", None) == fact_id

    if faults.take("sentence_removed", on):
        return None
    if faults.take("number_changed", on):
        return changed_number(quote)
    for fault in faults.take("quote_reworded", on):
        return fault.message or reworded(quote)
    return quote


def shown_texts(page: SourcePage, faults: FaultBook) -> list[str]:
    """The page's passages after faults: each distinct quote once (two facts may quote one sentence),
    and a changed quote changed wherever it stands, also inside a longer quote of another fact."""
    texts = list(dict.fromkeys(quote for _, quote in page.quotes))
    changes: dict[str, str | None] = {}
    for fact_id, quote in page.quotes:
        shown = shown_quote(fact_id, quote, faults)
        if shown != quote:
            changes[quote] = shown
    out = []
    for text in texts:
        for quote, shown in changes.items():
            if quote in text:
                text = text.replace(quote, shown or "").strip()
        if text:
            out.append(text)
    return out


# -- rendering -----------------------------------------------------------------------------------


def added_paragraphs(page: SourcePage, faults: FaultBook) -> list[str]:
    """The paragraphs `paragraph_added` faults put at the end of the article (no quote changes)."""
    facts = {fact_id for fact_id, _ in page.quotes}
    found = faults.peek("paragraph_added", lambda fault, _target: fault.fact in facts)
    return [fault.message or ADDED_PARAGRAPH for fault in found]


def _html_section(texts: list[str], added: list[str] | None = None) -> str:
    paragraphs = [f"<p>{escape(FILLER[0])}</p>"]
    for i, text in enumerate(texts):
        paragraphs += [f"<p>{escape(text)}</p>", f"<p>{escape(FILLER[1 + i % 2])}</p>"]
    paragraphs += [f"<p>{escape(text)}</p>" for text in added or []]
    return '<section class="standin-sources">\n' + "\n".join(paragraphs) + "\n</section>"


def render_source_page(page: SourcePage, faults: FaultBook) -> str:
    """The article inside the site's chrome (checks/standin/chrome.py), as the real page has it."""
    title = page.url.rstrip("/").rsplit("/", 1)[-1].replace("-", " ").capitalize() or host_of(page.url)
    section = _html_section(shown_texts(page, faults), added_paragraphs(page, faults))
    return page_document(page.url, title, f"<main><h1>{escape(title)}</h1>\n{section}\n</main>")


def _markdown_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]#])", r"\\\1", text).replace("<", "&lt;")


def render_markdown(page: SourcePage, faults: FaultBook) -> str:
    title = page.url.rstrip("/").rsplit("/", 1)[-1].replace("-", " ").capitalize()
    parts = [f"# {title}", FILLER[0]]
    for i, text in enumerate(shown_texts(page, faults)):
        parts += [_markdown_escape(text), FILLER[1 + i % 2]]
    parts += [_markdown_escape(text) for text in added_paragraphs(page, faults)]
    return "\n\n".join(parts) + "\n"


def render_plain(page: SourcePage, faults: FaultBook) -> str:
    """A raw source file (code, a spec): each quote on a comment line of its own."""
    lines = [f"# {FILLER[0]}", *(f"# {text}" for text in shown_texts(page, faults)), ""]
    return "\n".join(lines)


def with_quotes(html: str, site: SiteMap, url: str, faults: FaultBook) -> str:
    """A sitemap page that is also a source: its quotes added at the end of its main content."""
    page = source_site(site).pages.get(page_key(url))
    if page is None or "</main>" not in html:
        return html
    head, _, tail = html.rpartition("</main>")
    return f"{head}{_html_section(shown_texts(page, faults), added_paragraphs(page, faults))}\n</main>{tail}"


def serve_source(site: SiteMap, faults: FaultBook, url: str) -> Response | None:
    """The answer for a source document the sitemap does not serve itself, else None."""
    sources, key = source_site(site), page_key(url)
    headers = {"cache-control": "no-store"}
    if key in sources.twins:
        body = render_markdown(sources.twins[key], faults)
        return Response(body, media_type="text/markdown; charset=utf-8", headers=headers)
    if key in sources.raw:
        page = sources.raw[key]
        body = render_markdown(page, faults) if key.endswith(".md") else render_plain(page, faults)
        return Response(body, media_type="text/plain; charset=utf-8", headers=headers)
    if key in sources.redirects and key not in site.redirects:
        return RedirectResponse(sources.redirects[key], status_code=SLUG_REDIRECT_STATUS)
    if key in sources.pages and site.page(key) is None:
        return HTMLResponse(render_source_page(sources.pages[key], faults), headers=headers)
    return None
