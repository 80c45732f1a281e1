"""The real site builds strictly, and every page carries what a reader relies on.

Why these checks: a page's title, description, "Last updated … · Version …" line and history come
from front matter through our templates; a template or metadata mistake would not fail the build but
would silently drop them. And a self-contained site is a promise to readers (no third-party
requests), so any reference to another origin in the output is a failure.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Tag

from keyguide.build import BuildResult
from keyguide.pages import Page, all_pages

# Pages come from the same copy of the project that was built.
META_LINE = re.compile(r"Last updated (\d{4}-\d{2}-\d{2}) · Version (\d+)")
# <link rel> values that only name a page (nothing is fetched); any other rel may fetch its href.
NAMING_RELS = {"canonical", "prev", "next", "alternate"}
SECRETS_SAMPLE = "${{ secrets.OPENAI_API_KEY }}"


def _pages(site_build: BuildResult) -> list[Page]:
    return all_pages(site_build.site_dir.parent / "docs")


def _html(site: Path, page: Page) -> BeautifulSoup:
    return BeautifulSoup((site / page.url / "index.html").read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def pages(site_build: BuildResult, built_site: Path) -> dict[str, tuple[Page, BeautifulSoup]]:
    """Each source page with its built HTML, by source path ("create-key.md")."""
    return {page.path.as_posix(): (page, _html(built_site, page)) for page in _pages(site_build)}


def test_site_builds_strictly_without_warnings(site_build: BuildResult, built_site: Path) -> None:
    warnings = [line for line in site_build.output.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not warnings, "\n".join(warnings)
    assert (built_site / "index.html").is_file()
    assert (built_site / "search" / "search_index.json").is_file(), "the search plugin did not run"


def test_every_page_has_title_description_meta_line_and_history(
    pages: dict[str, tuple[Page, BeautifulSoup]],
) -> None:
    assert len(pages) >= 5, f"only {len(pages)} pages found"
    problems = []
    for name, (page, html) in pages.items():
        h1 = html.select_one("article h1#page-title")
        if not h1 or h1.get_text(strip=True) != page.meta.title:
            problems.append(f"{name}: title is {h1.get_text(strip=True) if h1 else None!r}, not {page.meta.title!r}")
        description = html.select_one('head meta[name="description"]')
        if not description or description.get("content") != page.meta.description:
            problems.append(f"{name}: <meta name=description> does not carry the front matter's description")
        title = html.select_one("head title")
        if not title or page.meta.title not in title.get_text():
            problems.append(f"{name}: <title> lacks the page title")
        meta = html.select_one("article [data-guide-meta]")
        found = META_LINE.search(" ".join(meta.get_text(" ", strip=True).split())) if meta else None
        expected = (page.meta.updated.isoformat(), str(page.meta.version))
        if not found or found.groups() != expected:
            problems.append(f"{name}: no 'Last updated {expected[0]} · Version {expected[1]}' line under the title")
        elif h1 and h1.find_next_sibling() is not meta:
            problems.append(f"{name}: the 'Last updated' line is not right after the title")
        if meta and not meta.select_one("[data-guide-verified]"):
            problems.append(f"{name}: no verification stamp in the metadata line")
        history = html.select_one("article details[data-guide-history]")
        if not history:
            problems.append(f"{name}: no page history block")
            continue
        if history.has_attr("open"):
            problems.append(f"{name}: the page history is not collapsed")
        entries = history.select("li")
        if len(entries) != len(page.meta.changelog):
            problems.append(f"{name}: history lists {len(entries)} versions, front matter {len(page.meta.changelog)}")
        for entry, change in zip(entries, page.meta.changelog, strict=False):
            text = entry.get_text(" ", strip=True)
            if f"Version {change.version}" not in text or change.summary.split()[0] not in text:
                problems.append(f"{name}: history entry for version {change.version} is wrong: {text[:80]!r}")
    assert not problems, "\n".join(problems)


def test_skip_link_and_search_dialog_are_accessible(pages: dict[str, tuple[Page, BeautifulSoup]]) -> None:
    for name, (_, html) in pages.items():
        dialog = html.select_one('.md-search[role="dialog"]')
        assert dialog is not None and dialog.get("aria-label"), f"{name}: the search dialog has no accessible name"
        assert html.select_one("h1#page-title[tabindex='-1']"), f"{name}: the title cannot take the skip link's focus"


def test_secrets_sample_survives_macros(pages: dict[str, tuple[Page, BeautifulSoup]]) -> None:
    """A GitHub Actions sample is Jinja syntax too: mkdocs-macros must leave it intact (issue 2 §4)."""
    page = pages.get("keep-key-secret.md")
    assert page is not None, "docs/keep-key-secret.md is missing"
    code = " ".join(block.get_text() for block in page[1].select("article pre code, article code"))
    assert SECRETS_SAMPLE in code, f"{SECRETS_SAMPLE} is not in any code block on the keep-key-secret page"


def test_feedback_widget_absent_without_endpoint(site_build: BuildResult, built_site: Path) -> None:
    config = (site_build.site_dir.parent / "mkdocs.yml").read_text(encoding="utf-8")
    if not re.search(r'^\s*feedback_endpoint:\s*(""|\'\'|null|~)?\s*(#.*)?$', config, re.MULTILINE):
        pytest.skip("mkdocs.yml sets a feedback endpoint; tests/test_site_browser.py covers that case")
    with_widget = [
        p
        for p in built_site.rglob("*.html")
        if BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").select("[data-guide-feedback]")
    ]
    assert not with_widget, f"feedback form rendered without an endpoint: {with_widget[:3]}"


def _foreign_references(html: BeautifulSoup) -> list[str]:
    found = []
    for tag in html.find_all(True):
        assert isinstance(tag, Tag)
        attributes: list[str] = []
        if tag.name == "link":
            rels = {str(rel).lower() for rel in tag.get("rel") or []}
            if not rels or not rels <= NAMING_RELS:
                attributes.append("href")
        elif tag.name in {"script", "img", "iframe", "source", "audio", "video", "track", "embed", "input"}:
            attributes += ["src", "srcset", "poster"]
        elif tag.name == "object":
            attributes.append("data")
        for attribute in attributes:
            value = tag.get(attribute)
            for candidate in str(value).split(",") if value else []:
                url = candidate.strip().split(" ")[0]
                if urlsplit(url).netloc or url.startswith("//"):
                    found.append(f"<{tag.name} {attribute}={url}>")
        style = tag.get("style")
        if style and re.search(r"url\(\s*['\"]?(https?:)?//", str(style)):
            found.append(f"<{tag.name} style=…{style}…>")
    for style_tag in html.find_all("style"):
        if re.search(r"(@import|url\()\s*['\"]?(https?:)?//", style_tag.get_text()):
            found.append("<style> imports or loads a remote resource")
    return found


def test_no_page_loads_anything_from_another_origin(built_site: Path) -> None:
    problems = []
    for path in sorted(built_site.rglob("*.html")):
        html = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        problems += [f"{path.relative_to(built_site)}: {ref}" for ref in _foreign_references(html)]
        # Material fetches from a CDN or GitHub only when these are present (mermaid, repo facts).
        if html.select(".mermaid"):
            problems.append(f"{path.relative_to(built_site)}: a mermaid diagram makes Material load mermaid from unpkg")
        if html.select("[data-md-component=source]"):
            problems.append(f"{path.relative_to(built_site)}: repo_url makes Material fetch facts from GitHub's API")
    for css in sorted(built_site.rglob("*.css")):
        text = css.read_text(encoding="utf-8")
        if re.search(r"(@import\s*(url\()?|url\()\s*['\"]?(https?:)?//", text):
            problems.append(f"{css.relative_to(built_site)}: loads a remote resource")
    assert not problems, "\n".join(problems)


def test_foreign_reference_detector_flags_what_it_should() -> None:
    """The origin check proves itself: a page with a CDN script, a font stylesheet and a remote image."""
    html = BeautifulSoup(
        '<link rel="canonical" href="https://example.org/x/"><link rel="stylesheet" href="https://fonts.example/css">'
        '<script src="//cdn.example/lib.js"></script><img src="https://img.example/a.png"><img src="../a.png">'
        '<style>@import url("https://fonts.example/x.css");</style>',
        "html.parser",
    )
    found = _foreign_references(html)
    assert any("fonts.example/css" in f for f in found)
    assert any("cdn.example" in f for f in found)
    assert any("img.example" in f for f in found)
    assert any("<style>" in f for f in found)
    assert not any("example.org/x/" in f for f in found), "a canonical link is not a request"
    assert not any("../a.png" in f for f in found)
