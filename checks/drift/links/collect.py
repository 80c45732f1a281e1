"""Collect: every link a reader can click (the built site's `<a href>`, not code, not URLs quoted
inside error messages) plus every `links.*` fact, deduplicated, each with the pages and texts that use it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checks.drift.fragments import TextDirective
    from keyguide.facts import Facts


ROOT = Path(__file__).resolve().parents[3]
DOCS_DIR = ROOT / "docs"


@dataclass(frozen=True)
class LinkUse:
    """One place a reader can click the link."""

    page: str  # the guide page's source ("create-key.md"), or the built file for theme pages
    text: str
    line: int
    where: str


@dataclass
class LinkTarget:
    """One URL to check, once, with everything that uses it. `id` is the fact id or the URL."""

    id: str
    url: str
    expect_redirect_to: str | None = None
    uses: list[LinkUse] = field(default_factory=list)

    @property
    def page_url(self) -> str:
        return self.url.split("#", 1)[0]

    @property
    def fragment(self) -> str:
        """The element id to look for: the fragment before any `:~:` directive; empty for none or `#top`.

        Browsers read `#a-word:~:text=Word` as the id `a-word` plus a text directive, so the id is
        never the whole string (the directive is `text_directives`).
        """
        from checks.drift.fragments import parse_fragment

        element = parse_fragment(self.url.partition("#")[2]).element
        return "" if element.lower() == "top" else element

    @property
    def text_directives(self) -> list[TextDirective]:
        """The passages a `#…:~:text=` fragment names; a browser scrolls to and highlights them."""
        from checks.drift.fragments import parse_fragment

        return parse_fragment(self.url.partition("#")[2]).directives

    @property
    def malformed_directives(self) -> list[str]:
        """`text=` directives a browser cannot parse, so ignores: the link highlights nothing."""
        from checks.drift.fragments import parse_fragment

        return parse_fragment(self.url.partition("#")[2]).malformed

    @property
    def names_passage(self) -> bool:
        """Whether the link names a passage: then the passage decides, and the id is only where a
        browser falls back to when the passage is missing (`#missing-id:~:text=found` is ok)."""
        return bool(self.text_directives or self.malformed_directives)

    def __repr__(self) -> str:  # pytest shows this in -v for failing parametrized items
        return f"LinkTarget({self.id!r})"


class SiteBuildError(RuntimeError):
    """The guide did not build, so its links could not be collected."""


SKIP_CLASS = "link-check-skip"  # `[text](url){ .link-check-skip }` opts a link out
CODE_TAGS = ("code", "pre", "kbd", "samp")


def build_site(dest: Path, root: Path = ROOT) -> Path:
    """`mkdocs build --strict` into `dest`, in a subprocess so its plugins and logging stay out of pytest."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(dest)]
    proc = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise SiteBuildError(f"`mkdocs build --strict` failed, so the site's links were not collected:\n{tail}")
    return dest


def site_url(root: Path = ROOT) -> str:
    """The guide's own address (links under it are internal)."""

    from keyguide.platform import read_site_config

    return str(read_site_config(root / "mkdocs.yml").get("site_url") or "")


def is_external(href: str) -> bool:
    return href.startswith(("http://", "https://"))


def quoted_in(href: str, text: str, quotes: Iterable[str]) -> bool:
    """An autolinked URL that is part of a quoted error message (OpenAI's old URLs live there)."""
    return text.strip().rstrip(".") == href.rstrip(".") and any(href in quote for quote in quotes)


def page_links(html: str, quotes: Iterable[str] = (), internal: str = "") -> list[tuple[str, str]]:
    """(href, link text) of every external link a reader can click on one built page."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    links = []
    for anchor in soup.find_all("a", href=True):
        assert isinstance(anchor, Tag)
        href = str(anchor["href"]).strip()
        text = " ".join(anchor.get_text(" ", strip=True).split())
        if not is_external(href) or (internal and href.startswith(internal)):
            continue
        if anchor.find_parent(CODE_TAGS) is not None or SKIP_CLASS in (anchor.get("class") or []):
            continue
        if quoted_in(href, text, quotes):
            continue
        links.append((href, text))
    return links


def source_pages(docs_dir: Path = DOCS_DIR) -> dict[str, Path]:
    """Built page path ("create-key/index.html") → its Markdown source."""
    from keyguide.pages import all_pages

    mapping = {}
    for page in all_pages(docs_dir):
        mapping[f"{page.url}index.html"] = docs_dir / page.path
    return mapping


def _use(href: str, text: str, built: str, sources: dict[str, Path], docs_dir: Path) -> LinkUse:
    """Where in the source the link sits: the line that writes the URL (or its text) and its heading."""
    source = sources.get(built)
    if source is None:
        return LinkUse(built, text, 1, f"link “{text}”")
    lines = source.read_text(encoding="utf-8").splitlines()
    number = next((i for i, line in enumerate(lines, 1) if href in line), 0)
    number = number or next((i for i, line in enumerate(lines, 1) if text and text in line), 1)
    heading = next((m.group(1) for line in reversed(lines[:number]) if (m := re.match(r"^#{1,4}\s+(.*)", line))), "")
    where = f"{heading} › link “{text}”" if heading else f"link “{text}”"
    return LinkUse(source.relative_to(docs_dir).as_posix(), text, number, where)


def collect_site_links(
    site_dir: Path, quotes: Iterable[str] = (), internal: str = "", docs_dir: Path = DOCS_DIR
) -> dict[str, list[LinkUse]]:
    """Every external URL of the built site → where readers click it."""
    quotes = list(quotes)
    sources = source_pages(docs_dir) if docs_dir.is_dir() else {}
    found: dict[str, list[LinkUse]] = {}
    for path in sorted(site_dir.rglob("*.html")):
        built = path.relative_to(site_dir).as_posix()
        for href, text in page_links(path.read_text(encoding="utf-8", errors="replace"), quotes, internal):
            use = _use(href, text, built, sources, docs_dir)
            if use not in found.setdefault(href, []):
                found[href].append(use)
    return found


def collect_targets(facts: Facts, site_links: dict[str, list[LinkUse]]) -> list[LinkTarget]:
    """Every `links.*` fact (id = fact id) and every other site URL (id = the URL), deduplicated."""
    targets: list[LinkTarget] = []
    by_url: dict[str, LinkTarget] = {}
    for fact_id, fact in facts.links.items():
        target = LinkTarget(f"links.{fact_id}", fact.url, fact.expect_redirect_to, list(site_links.get(fact.url, [])))
        targets.append(target)
        by_url.setdefault(fact.url, target)
    for url, uses in site_links.items():
        if url not in by_url:
            by_url[url] = LinkTarget(url, url, None, list(uses))
            targets.append(by_url[url])
    return targets


def error_quotes(facts: Facts) -> list[str]:
    return [error.message for error in facts.errors.values()]


@dataclass
class Collected:
    targets: list[LinkTarget]
    build_error: str | None = None


def collect(facts: Facts, site_dir: Path | None = None, root: Path = ROOT) -> Collected:
    """Every link of the guide: from `site_dir` if given, else from a fresh strict build in a temp dir."""
    quotes = error_quotes(facts)
    internal = site_url(root)
    if site_dir is not None:
        links = collect_site_links(site_dir, quotes, internal, root / "docs")
        return Collected(collect_targets(facts, links))
    with tempfile.TemporaryDirectory(prefix="keyguide-site-") as tmp:
        try:
            build_site(Path(tmp) / "site", root)
        except (SiteBuildError, subprocess.TimeoutExpired) as exc:
            return Collected(collect_targets(facts, {}), str(exc))
        links = collect_site_links(Path(tmp) / "site", quotes, internal, root / "docs")
    return Collected(collect_targets(facts, links))
