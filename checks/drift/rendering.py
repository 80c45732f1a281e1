"""A page's visible text as a text fragment sees it, read from its HTML without a browser: one block
per paragraph, list item, table cell or line break, with the text a reader cannot see left out.

Left out, as browsers leave it out of a text fragment search: `display: none` (the `hidden`
attribute, a closed `<dialog>`, an inline style or a `<style>` rule), `visibility: hidden` text (its
element still breaks the block), `content-visibility: hidden`, `<template>`, `<noscript>` (browsers
run scripts), `<script>`, `<style>`, images, media, form controls and frames (a frame's own text is
kept apart: a reader sees a same-origin frame, a text fragment does not search it). Kept, as
browsers find and reveal them: a closed `<details>`, `hidden="until-found"`, text that is only
transparent or clipped (`opacity: 0`, a screen-reader-only class), shadow roots declared in the
HTML (`<template shadowrootmode>`, with their slots).

Where the HTML alone cannot tell, `Rendering` says why (`styles_unsure`: an external stylesheet, a
rule that depends on the window; `content_unsure`: scripts that may add text, a frame loaded from
a URL) so the checks ask Chromium, whose walk (`checks.drift.rendering_browser`) builds the same
blocks from computed styles, open and closed shadow roots and same-origin frames included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from checks.drift.stylesheet import Styles, cascade, inline_declarations

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, PageElement, Tag

# Never rendered (the HTML spec's UA stylesheet, browsers with scripting on).
NOT_RENDERED = frozenset(
    [
        "area",
        "base",
        "basefont",
        "datalist",
        "head",
        "link",
        "meta",
        "noembed",
        "noframes",
        "noscript",
        "param",
        "rp",
        "script",
        "style",
        "template",
        "title",
    ]
)
# Rendered but never searched by a text fragment (the spec's "search invisible"), and not a boundary.
SEARCH_INVISIBLE = frozenset(
    [
        "audio",
        "canvas",
        "embed",
        "iframe",
        "frame",
        "img",
        "input",
        "math",
        "meter",
        "object",
        "picture",
        "progress",
        "svg",
        "textarea",
        "video",
    ]
)
# Elements whose default display is not inline: each starts and ends a block (where Chromium breaks).
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "button",
        "caption",
        "center",
        "col",
        "colgroup",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "listing",
        "main",
        "menu",
        "nav",
        "ol",
        "optgroup",
        "option",
        "p",
        "plaintext",
        "pre",
        "search",
        "section",
        "select",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "xmp",
    ]
)
# Displays that do not break a block: everything else does (block, flex, grid, list-item, table
# parts, and the atomic inlines: inline-block, inline-flex, inline-grid, inline-table).
INLINE_DISPLAYS = frozenset({"inline", "contents", "ruby", "ruby-base", "ruby-text", "ruby-base-container"})
NON_SCRIPT_TYPES = ("application/ld+json", "application/json", "text/template", "text/x-template", "importmap")


@dataclass(frozen=True)
class Rendering:
    """What a reader sees: the document's blocks, each same-origin frame's blocks, and the doubts."""

    blocks: tuple[str, ...]
    frames: tuple[tuple[str, ...], ...] = ()
    styles_unsure: str = ""  # why found text might still be hidden (styles the HTML alone cannot settle)
    content_unsure: str = ""  # why missing text might still be shown (scripts, frames loaded from a URL)

    @property
    def text(self) -> str:
        """One block per line, the document's first, then each frame's."""
        return "\n".join([*self.blocks, *(block for frame in self.frames for block in frame)])

    @classmethod
    def of_text(cls, text: str) -> Rendering:
        """Text already read as one block per line (Markdown, plain text, an older reading)."""
        return cls(tuple(line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line))


@dataclass
class _Walk:
    """One document's walk: the blocks so far, and the frames and doubts it found."""

    styles: Styles
    page_url: str
    blocks: list[str] = field(default_factory=list)
    frames: list[tuple[str, ...]] = field(default_factory=list)
    frame_urls: list[str] = field(default_factory=list)
    line: list[str] = field(default_factory=list)

    def boundary(self) -> None:
        text = " ".join("".join(self.line).split())
        if text:
            self.blocks.append(text)
        self.line = []

    def display(self, tag: Tag) -> str:
        declared = self.styles.value(tag, "display")
        if declared is not None:
            return declared.split()[0] if declared.split() else "inline"
        hidden = tag.get("hidden")
        if hidden is not None and str(hidden).lower() != "until-found":
            return "none"
        if tag.name == "dialog" and tag.get("open") is None:
            return "none"
        if tag.name in NOT_RENDERED:
            return "none"
        return "block" if tag.name in BLOCK_TAGS else "inline"

    def node(self, node: PageElement, visible: bool, slots: dict[str, list[PageElement]] | None) -> None:
        from bs4 import NavigableString, Tag
        from bs4.element import PreformattedString

        if isinstance(node, NavigableString):
            if visible and not isinstance(node, PreformattedString):
                self.line.append(str(node))
            return
        if not isinstance(node, Tag):
            return
        tag = node
        self.styles.apply_simple(tag)
        style = tag.get("style")
        if style is not None:
            declarations, unsure = inline_declarations(str(style))
            self.styles.unsure += unsure
            for prop, value, important in declarations:
                self.styles.declare(tag, prop, (important, True, (0, 0, 0), 0), value)
        if tag.name in ("iframe", "frame"):
            self.frame(tag)
            return
        if tag.name == "slot" and slots is not None:
            assigned = slots.get(str(tag.get("name") or ""), [])
            for child in assigned or list(tag.children):
                self.node(child, visible, None)
            return
        display = self.display(tag)
        if display == "none" or tag.name in SEARCH_INVISIBLE:
            return
        if tag.name == "select" and tag.get("multiple") is None:
            return
        if self.styles.value(tag, "content-visibility") == "hidden":
            return
        declared = self.styles.value(tag, "visibility")
        if declared is not None:
            visible = declared == "visible"
        breaks = display not in INLINE_DISPLAYS
        if breaks:
            self.boundary()
        shadow = next(
            (c for c in tag.children if isinstance(c, Tag) and c.name == "template" and c.get("shadowrootmode")),
            None,
        )
        if shadow is not None:
            self.shadow(tag, shadow, visible)
        else:
            for child in list(tag.children):
                self.node(child, visible, slots)
        if breaks:
            self.boundary()

    def shadow(self, host: Tag, template: Tag, visible: bool) -> None:
        """A declarative shadow root: its tree is rendered, the host's children only where slotted."""
        from bs4 import Tag

        slots: dict[str, list[PageElement]] = {}
        for child in host.children:
            if child is template:
                continue
            name = str(child.get("slot") or "") if isinstance(child, Tag) else ""
            slots.setdefault(name, []).append(child)
        for child in list(template.children):
            self.node(child, visible, slots)

    def frame(self, tag: Tag) -> None:
        """A frame is its own document: `srcdoc` is read here; a same-origin `src` only Chromium reads."""
        srcdoc = tag.get("srcdoc")
        if srcdoc is not None:
            inner = render_html(str(srcdoc), self.page_url)
            self.frames += [inner.blocks, *inner.frames]
            return
        src = str(tag.get("src") or "").strip()
        if src and not src.startswith(("about:", "data:", "javascript:")):
            url = urljoin(self.page_url, src) if self.page_url else src
            if not self.page_url or urlsplit(url)[:2] == urlsplit(self.page_url)[:2]:
                self.frame_urls.append(url)


def render_html(html: str, page_url: str = "") -> Rendering:
    """The visible text of an HTML page as a text fragment sees it (see the module docstring)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    styles, scripts = _head_parts(soup)
    walk = _Walk(styles, page_url)
    walk.node(soup.body or soup, True, None)
    walk.boundary()
    content = [scripts] if scripts else []
    content += [f"a frame loads {url}" for url in walk.frame_urls[:3]]
    return Rendering(
        tuple(walk.blocks),
        tuple(frame for frame in walk.frames if frame),
        styles_unsure="; ".join(dict.fromkeys(styles.unsure)),
        content_unsure="; ".join(content),
    )


def _head_parts(soup: BeautifulSoup) -> tuple[Styles, str]:
    """One pass over the `<style>`, `<link>` and `<script>` elements: the page's styles (external
    stylesheets noted as unknown) and whether scripts may change its text."""
    from bs4 import Tag

    styles = Styles()
    sheets, scripts = [], ""
    for tag in soup.find_all(["style", "link", "script"]):
        assert isinstance(tag, Tag)
        if tag.name == "script":
            if not scripts and str(tag.get("type") or "").lower() not in NON_SCRIPT_TYPES:
                scripts = "the page runs scripts that may add or change text"
        elif tag.name == "link":
            if "stylesheet" in " ".join(tag.get_attribute_list("rel") or []).lower():
                styles.unsure.append(f"the stylesheet {tag.get('href', '')}")
        elif tag.find_parent("template") is None:
            sheets.append(tag.get_text())
        elif "display" in tag.get_text() or "visibility" in tag.get_text():
            styles.unsure.append("a shadow root's own styles")
    cascade(soup, sheets, styles)
    return styles, scripts


def visible_text(html: str) -> str:
    """The text a reader sees on an HTML page, one block per line (see `render_html`)."""
    return render_html(html).text
