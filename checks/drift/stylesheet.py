"""The page's own CSS, as far as it decides what a reader sees: `display`, `visibility` and
`content-visibility` from `<style>` elements and `style` attributes, cascaded by importance,
origin, specificity and order (tinycss2 parses, soupsieve matches selectors).

What the static reader cannot evaluate it reports instead of guessing, so the caller can ask
Chromium: an external stylesheet (`<link rel=stylesheet>`, `@import`), a rule inside `@media`,
`@supports` or `@container` (it depends on the window), a selector on a state (`:hover`,
`:checked`…), a value from a custom property (`var(--x)`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

PROPERTIES = ("display", "visibility", "content-visibility")
_MENTIONS = re.compile(r"display|visibility", re.IGNORECASE)
_STATEFUL = re.compile(
    r":(hover|focus|focus-within|focus-visible|active|target|visited|checked|open|popover-open|modal|"
    r"fullscreen|playing|paused|defined|has)\b",
    re.IGNORECASE,
)
_PSEUDO_ELEMENT = re.compile(r"::|:(before|after|first-line|first-letter|marker|placeholder)\b", re.IGNORECASE)
_SPECIFICITY_IDS = re.compile(r"#[\w-]+")
_SPECIFICITY_CLASSES = re.compile(r"\.[\w-]+|\[[^\]]*\]|:(?!not\(|is\(|where\()[\w-]+")
_SPECIFICITY_TYPES = re.compile(r"(?:^|[\s>+~(])([a-zA-Z][\w-]*)")

# (important, inline, specificity, order): the larger wins.
Rank = tuple[bool, bool, tuple[int, int, int], int]
Declarations = tuple[tuple[str, str, bool], ...]  # (property, value, important)
_SIMPLE = re.compile(r"^(?P<kind>[.#]?)(?P<name>-?[a-zA-Z_][\w-]*)$")


@dataclass(frozen=True)
class Rule:
    """One selector of a style rule with its visibility declarations."""

    selector: str
    declarations: Declarations
    specificity: tuple[int, int, int]
    # ("tag"|"class"|"id", name) for a selector that is one of those alone: matched while walking,
    # without soupsieve; None for anything else (soupsieve matches it once per page).
    key: tuple[str, str] | None


@dataclass(frozen=True)
class Sheet:
    rules: tuple[Rule, ...]
    unsure: tuple[str, ...]


@dataclass
class Styles:
    """The winning `display`/`visibility`/`content-visibility` of each element the page's CSS sets,
    and why some of it could not be known (empty when everything could)."""

    declared: dict[int, dict[str, tuple[Rank, str]]] = field(default_factory=dict)
    simple: dict[tuple[str, str], list[tuple[Rank, Declarations]]] = field(default_factory=dict)
    unsure: list[str] = field(default_factory=list)

    def value(self, tag: Tag, prop: str) -> str | None:
        entry = self.declared.get(id(tag), {}).get(prop)
        return entry[1] if entry else None

    def declare(self, tag: Tag, prop: str, rank: Rank, value: str) -> None:
        props = self.declared.setdefault(id(tag), {})
        if prop not in props or rank >= props[prop][0]:
            props[prop] = (rank, value)

    def apply_simple(self, tag: Tag) -> None:
        """The tag-, class- and id-selector rules that match `tag` (called once per element walked)."""
        if not self.simple:
            return
        keys = [("tag", tag.name)]
        if (ident := tag.get("id")) is not None:
            keys.append(("id", str(ident)))
        keys += [("class", name) for name in tag.get_attribute_list("class") or [] if name]
        for key in keys:
            for rank, declarations in self.simple.get(key, ()):
                for prop, value, important in declarations:
                    self.declare(tag, prop, (important, *rank[1:]), value)  # type: ignore[arg-type]


def specificity(selector: str) -> tuple[int, int, int]:
    """The (ids, classes, types) of one simple selector list item, closely enough for a cascade."""
    bare = re.sub(r"\[[^\]]*\]", "[]", selector)
    return (
        len(_SPECIFICITY_IDS.findall(bare)),
        len(_SPECIFICITY_CLASSES.findall(bare)),
        len([t for t in _SPECIFICITY_TYPES.findall(bare) if t.lower() not in ("not", "is", "where")]),
    )


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split on its top-level commas (not those inside `:is(a, b)` or `[x="a,b"]`)."""
    parts, depth, current = [], 0, ""
    for char in prelude:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [part for part in parts if part]


def _declarations(content: object, unsure: list[str], where: str) -> Declarations:
    """(property, value, important) of the visibility properties in a declaration block."""
    import tinycss2

    found = []
    for decl in tinycss2.parse_declaration_list(content, skip_comments=True, skip_whitespace=True):  # type: ignore[arg-type]
        if decl.type != "declaration" or decl.lower_name not in PROPERTIES:
            continue
        value = tinycss2.serialize(decl.value).strip().lower()
        if "var(" in value or value in ("inherit", "unset", "revert", "revert-layer", "initial"):
            unsure.append(f"{where} sets {decl.lower_name}: {value}")
            continue
        found.append((decl.lower_name, value, bool(decl.important)))
    return tuple(found)


@functools.lru_cache(maxsize=64)
def inline_declarations(style: str) -> tuple[Declarations, tuple[str, ...]]:
    """A style attribute's visibility declarations, and what it sets that cannot be evaluated."""
    if not _MENTIONS.search(style):
        return (), ()
    unsure: list[str] = []
    return _declarations(style, unsure, "a style attribute"), tuple(unsure)


@functools.lru_cache(maxsize=32)
def parse_sheet(css: str) -> Sheet:
    """The visibility rules of one `<style>` sheet (parsed once: pages of a site share their CSS)."""
    import tinycss2

    rules: list[Rule] = []
    unsure: list[str] = []
    if not _MENTIONS.search(css) and "@import" not in css:
        return Sheet((), ())
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule":
            body = tinycss2.serialize(rule.content or [])
            if rule.lower_at_keyword == "import":
                unsure.append(f"an @import {tinycss2.serialize(rule.prelude).strip()}")
            elif _MENTIONS.search(body):
                unsure.append(f"an @{rule.lower_at_keyword} rule that sets display or visibility")
            continue
        if rule.type != "qualified-rule":
            continue
        declarations = _declarations(rule.content, unsure, "a style rule")
        if not declarations:
            continue
        for selector in _split_selectors(tinycss2.serialize(rule.prelude)):
            if _PSEUDO_ELEMENT.search(selector):
                continue  # generated content is not text a fragment can match
            if _STATEFUL.search(selector):
                unsure.append(f"“{selector}” depends on the page's state")
                continue
            simple = _SIMPLE.match(selector)
            key = None
            if simple:
                kind = {"": "tag", ".": "class", "#": "id"}[simple["kind"]]
                key = (kind, simple["name"].lower() if kind == "tag" else simple["name"])
            rules.append(Rule(selector, declarations, specificity(selector), key))
    return Sheet(tuple(rules), tuple(unsure))


def cascade(soup: BeautifulSoup, sheets: list[str], styles: Styles) -> None:
    """Apply the `<style>` sheets' visibility rules: simple selectors are indexed for the walk
    (`Styles.apply_simple`), the others matched here with soupsieve."""
    import soupsieve

    order = 0
    for css in sheets:
        sheet = parse_sheet(css)
        styles.unsure += sheet.unsure
        for rule in sheet.rules:
            order += 1
            rank: Rank = (False, False, rule.specificity, order)
            if rule.key is not None:
                styles.simple.setdefault(rule.key, []).append((rank, rule.declarations))
                continue
            try:
                matched = soupsieve.select(rule.selector, soup)
            except Exception:
                styles.unsure.append(f"“{rule.selector}” (a selector the static reader cannot match)")
                continue
            for tag in matched:
                for prop, value, important in rule.declarations:
                    styles.declare(tag, prop, (important, False, rule.specificity, order), value)
