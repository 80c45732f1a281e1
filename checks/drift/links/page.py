"""What a served page holds for a link's `#fragment`: its ids, whether it is HTML, whether its scripts
may add what its HTML lacks.
"""

from __future__ import annotations

import httpx


def has_id(fragment: str, ids: set[str]) -> bool:
    """Whether a fragment lands on one of `ids` as a browser finds it: as written, then percent-decoded
    (`#Upper-%C3%84%C3%96%C3%B6` lands on the id `Upper-ÄÖö`)."""
    from urllib.parse import unquote

    return fragment in ids or unquote(fragment) in ids


def fragment_ids(html: str) -> set[str]:
    """Every id and every `<a name>` of a page: what a #fragment can land on without JavaScript."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    ids = {str(tag["id"]) for tag in soup.find_all(id=True) if isinstance(tag, Tag)}
    return ids | {str(tag["name"]) for tag in soup.find_all("a", attrs={"name": True}) if isinstance(tag, Tag)}


def may_build_headings(html: str) -> bool:
    """A page with scripts may add its headings after load (SPAs, GitHub's user-content- anchors)."""
    return "<script" in html.lower()


def is_html(response: httpx.Response | None) -> bool:
    return response is not None and "html" in response.headers.get("content-type", "html").lower()
