"""What the stand-in serves, derived from the facts: pages, deliberate redirects, API endpoints.

Everything here is computed from `facts.yml`, so adding a fact adds it to the stand-in and the
stand-in agrees with the guide by default. URLs are kept in ORIGINAL space (https://host/path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from keyguide.facts import ApiEndpoint, Facts

SIGNIN_URL = "https://auth.openai.com/log-in"
SESSION_COOKIE = "standin_session"
# Help-center style: an article cited by number redirects to number + slug.
SLUG_REDIRECT_STATUS = 301
MOVED_REDIRECT_STATUS = 308


def slugify(text: str) -> str:
    """A heading's id the way docs generators make one ("Create and export" → create-and-export)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def page_key(url: str) -> str:
    """An original URL without query and fragment; a bare origin gets its "/" path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"


def host_of(url: str) -> str:
    return urlsplit(url).netloc


def path_of(url: str) -> str:
    return urlsplit(url).path or "/"


@dataclass
class Page:
    """One HTML page: its ui facts (in file order) and the fragment headings link facts point at."""

    url: str
    title: str
    layout: Literal["app", "docs"]
    # Needs the `standin_session` cookie, else 302 to the sign-in page.
    signed_in: bool
    ui_ids: list[str] = field(default_factory=list)
    # (id, heading text) for every `#fragment` a link fact uses on this page.
    fragments: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Redirect:
    url: str
    location: str
    status: int


@dataclass
class SiteMap:
    facts: Facts
    pages: dict[str, Page]
    redirects: dict[str, Redirect]
    endpoints: dict[str, ApiEndpoint]
    signin_hosts: set[str]

    def page(self, url: str) -> Page | None:
        return self.pages.get(page_key(url))

    def endpoint(self, url: str) -> tuple[str, ApiEndpoint] | None:
        key = page_key(url).rstrip("/")
        for fact_id, endpoint in self.endpoints.items():
            if page_key(endpoint.url).rstrip("/") == key:
                return fact_id, endpoint
        return None

    @property
    def api_hosts(self) -> set[str]:
        return {host_of(e.url) for e in self.endpoints.values()}

    @property
    def known_hosts(self) -> set[str]:
        return {host_of(o) for o in self.facts.origins} | {host_of(p) for p in self.pages}

    def page_of_ui(self, ui_id: str) -> Page:
        return self.pages[page_key(self.facts.ui[ui_id].url)]


def _label_from_path(url: str) -> str:
    last = path_of(url).rstrip("/").rsplit("/", 1)[-1]
    return last.replace("-", " ").capitalize() or host_of(url)


def build_sitemap(facts: Facts) -> SiteMap:
    signin_hosts = {host_of(ui.url) for ui in facts.ui.values() if ui.signed_in}
    pages: dict[str, Page] = {}
    redirects: dict[str, Redirect] = {}

    def add_page(url: str, title: str) -> Page:
        key = page_key(url)
        if key not in pages:
            host = host_of(key)
            app = host in signin_hosts
            pages[key] = Page(
                url=key,
                title=title,
                layout="app" if app else "docs",
                signed_in=app and path_of(key) != "/",
            )
        return pages[key]

    # Plain links first, so a page takes its own link's title rather than a redirect's.
    for link in facts.links.values():
        if link.expect_redirect_to is None:
            page = add_page(link.url, link.title)
            fragment = urlsplit(link.url).fragment
            if fragment and fragment not in [f for f, _ in page.fragments]:
                page.fragments.append((fragment, fragment.replace("-", " ").capitalize()))
    for link in facts.links.values():
        if link.expect_redirect_to is None:
            continue
        source = page_key(link.url)
        if page_key(link.expect_redirect_to) == source:
            location, status = f"{source.rstrip('/')}-{slugify(link.title)}", SLUG_REDIRECT_STATUS
        else:
            location, status = page_key(link.expect_redirect_to), MOVED_REDIRECT_STATUS
        redirects[source] = Redirect(source, location, status)
        add_page(location, link.title)
    for fact_id, ui in facts.ui.items():
        add_page(ui.url, _label_from_path(ui.url)).ui_ids.append(fact_id)
    endpoints = {k: v for k, v in facts.api.items() if isinstance(v, ApiEndpoint)}
    return SiteMap(facts, pages, redirects, endpoints, signin_hosts)
