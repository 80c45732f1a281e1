"""The page's own CSS, as far as it decides what a reader sees: `display`, `visibility` and
`content-visibility` from `<style>` elements and `style` attributes, cascaded by importance,
origin, specificity and order (tinycss2 parses, soupsieve matches selectors).

What the static reader cannot evaluate it reports instead of guessing, so the caller can ask
Chromium: an external stylesheet (`<link rel=stylesheet>`, `@import`), a rule inside `@media`,
`@supports` or `@container` (it depends on the window), a selector on a state (`:hover`,
`:checked`…), a value from a custom property (`var(--x)`).
"""

from __future__ import annotations

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


@dataclass
class Styles:
    """The winning `display`/`visibility`/`content-visibility` of each element the page's CSS sets,
    and why some of it could not be known (empty when everything could)."""

    declared: dict[int, dict[str, tuple[Rank, str]]] = field(default_factory=dict)
    unsure: list[str] = field(default_factory=list)

    def value(self, tag: Tag, prop: str) -> str | None:
        entry = self.declared.get(id(tag), {}).get(prop)
        return entry[1] if entry else None

    def declare(self, tag: Tag, prop: str, rank: Rank, value: str) -> None:
        props = self.declared.setdefault(id(tag), {})
        if prop not in props or rank >= props[prop][0]:
            props[prop] = (rank, value)


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


def _declarations(content: object, unsure: list[str], where: str) -> list[tuple[str, str, bool]]:
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
    return found


def inline_declarations(style: str, unsure: list[str]) -> list[tuple[str, str, bool]]:
    if not _MENTIONS.search(style):
        return []
    return _declarations(style, unsure, "a style attribute")


def cascade(soup: BeautifulSoup, sheets: list[str], styles: Styles) -> None:
    """Apply the `<style>` sheets' visibility rules to the elements they select."""
    import soupsieve
    import tinycss2

    order = 0
    for css in sheets:
        if not _MENTIONS.search(css) and "@import" not in css:
            continue
        for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
            if rule.type == "at-rule":
                body = tinycss2.serialize(rule.content or [])
                if rule.lower_at_keyword == "import":
                    styles.unsure.append(f"an @import {tinycss2.serialize(rule.prelude).strip()}")
                elif _MENTIONS.search(body):
                    styles.unsure.append(f"an @{rule.lower_at_keyword} rule that sets display or visibility")
                continue
            if rule.type != "qualified-rule":
                continue
            declarations = _declarations(rule.content, styles.unsure, "a style rule")
            if not declarations:
                continue
            for selector in _split_selectors(tinycss2.serialize(rule.prelude)):
                order += 1
                if _PSEUDO_ELEMENT.search(selector):
                    continue  # generated content is not text a fragment can match
                if _STATEFUL.search(selector):
                    styles.unsure.append(f"“{selector}” depends on the page's state")
                    continue
                try:
                    matched = soupsieve.select(selector, soup)
                except Exception:
                    styles.unsure.append(f"“{selector}” (a selector the static reader cannot match)")
                    continue
                rank_of = specificity(selector)
                for tag in matched:
                    for prop, value, important in declarations:
                        styles.declare(tag, prop, (important, False, rank_of, order), value)
