"""Matching a text directive (or a quote) against a page as a browser does: the Text Fragments spec's
"find a range from a text directive" (https://wicg.github.io/scroll-to-text-fragment/), run over the
page's visible text blocks (`checks.drift.rendering`).

What the browser does, and what we do:
- **Blocks.** A term never spans a block boundary (a paragraph, a list item, a table cell, a `<br>`,
  an inline-block: where Chromium's find breaks); inline elements do not break it (`z<i>z</i>z` is
  one word). Prefix and suffix are *context*: between them and the match, whitespace and block
  boundaries are skipped, so `prefix-,test page,-suffix` matches across three paragraphs.
- **Word boundaries** at both ends of every term, except where the spec waives them: a prefix need
  not end on one, the match after a prefix need not start on one, a suffix need not start on one,
  and a start (or end) need not end on one when a suffix (or an end) follows it. Boundaries are
  Unicode's default word boundaries (UAX #29, the `regex` module's WORD mode), so `5` is not found
  in `3.5`, `$5` not in `$50`, `he` not in `he's`, `openai` not in `OPENAI_API_KEY`; and like
  Chromium, a full stop between letters is a boundary (`e.g`, `example.com`).
- **Folding** as the browser's primary-strength comparison: case (full case folding, `ß` = `ss`),
  accents on Latin, Greek and Cyrillic letters (`cafe` = `café`), runs of whitespace as one space,
  and the project's typography (`keyguide.text.fold`: curly quotes, dashes, NBSP, soft hyphens).
- **Several directives**: any one found is enough (the browser highlights what it finds).

Where the spec and web-platform-tests say how, we do as they say, also where Chromium before 156
did not (it broke a block at an image, an iframe or a hidden inline, and a word at an inline
element's edge; Chromium 156 agrees with the spec: `tests/test_fragments.py` lists those cases);
where they are silent, we do as Chromium does (a line break, an inline-block and a table cell end a block).

What we cannot do without a full word-break library (ICU with its dictionaries, as browsers ship):
Chinese, Japanese, Thai, Lao, Khmer and Myanmar are written without spaces, and browsers find their
word boundaries with per-language dictionaries (`日本語` is a word, `日本` inside it is not). UAX #29's
default rules, all we have, put a boundary between every two ideographs (and every two Thai
letters), so there a term that starts or ends mid-word is found where a browser would not find it:
a possible false ok, never a false drift. Katakana runs and Hangul words, which UAX #29 does keep
together, agree with the browser. The guide quotes English pages only; `tests/test_fragments.py`
lists the cases. Also deliberate: dashes fold to `-` (a Markdown twin writes `-` where the page
shows `–`), and whitespace in `<pre>` collapses like everywhere else.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

import regex

from checks.drift.fragments import Term, TextDirective
from keyguide.text import fold

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

_BOUNDARY = regex.compile(r"\b", flags=regex.WORD | regex.V1)
_ACCENTS = re.compile("[\u0300-\u036f]")  # combining diacritics of Latin, Greek and Cyrillic letters
_LETTER_STOPS = ".:"  # between two letters, a word boundary for Chromium (UAX #29 joins `e.g`, `a:b`)


def match_fold(text: str) -> str:
    """`text` as the browser compares it: `fold` (typography, whitespace, case), then no accents."""
    folded = fold(text)
    if folded.isascii():
        return folded
    bare = _ACCENTS.sub("", unicodedata.normalize("NFD", folded))
    return unicodedata.normalize("NFC", bare)


def is_word_boundary(text: str, at: int) -> bool:
    """Whether offset `at` of `text` is a word boundary (UAX #29, plus `.`/`:` between letters)."""
    if at <= 0 or at >= len(text):
        return True
    before, after = text[at - 1], text[at]
    if (after in _LETTER_STOPS and before.isalpha()) or (before in _LETTER_STOPS and after.isalpha()):
        return True
    return _BOUNDARY.match(text, at) is not None


@dataclass(frozen=True, order=True)
class Position:
    block: int
    offset: int


@dataclass(frozen=True)
class Found:
    """Where a term or a whole directive was found: block and offsets in the folded text."""

    start: Position
    end: Position


class SearchText:
    """One document's visible text blocks, folded once, searched as the spec's "find a string in range"."""

    def __init__(self, blocks: Iterable[str]) -> None:
        pairs = [(folded, block) for block in blocks if (folded := match_fold(block))]
        self.blocks = [folded for folded, _ in pairs]
        self.originals = [block for _, block in pairs]  # as the page shows them, for messages

    @cached_property
    def end(self) -> Position:
        return Position(len(self.blocks), 0)

    def find(self, term: str, start: Position, *, start_bounded: bool, end_bounded: bool) -> Found | None:
        """The first occurrence of folded `term` at or after `start`, inside one block, on the boundaries asked for."""
        if not term:
            return None
        for index in range(start.block, len(self.blocks)):
            text = self.blocks[index]
            at = start.offset if index == start.block else 0
            while (at := text.find(term, at)) >= 0:
                stop = at + len(term)
                if (not start_bounded or is_word_boundary(text, at)) and (
                    not end_bounded or is_word_boundary(text, stop)
                ):
                    return Found(Position(index, at), Position(index, stop))
                at += 1  # a rejected candidate may overlap the next one ("h[and a]nd a")
        return None

    def at(self, term: str, position: Position, *, end_bounded: bool) -> Found | None:
        """`term` exactly at `position` (the match right after a prefix), or None."""
        if position.block >= len(self.blocks) or not term:
            return None
        text = self.blocks[position.block]
        stop = position.offset + len(term)
        if text.startswith(term, position.offset) and (not end_bounded or is_word_boundary(text, stop)):
            return Found(position, Position(position.block, stop))
        return None

    def next_visible(self, position: Position) -> Position | None:
        """The spec's "advance to the next non-whitespace position": past a space and block boundaries."""
        block, offset = position.block, position.offset
        while block < len(self.blocks):
            text = self.blocks[block]
            if offset < len(text) and text[offset] == " ":
                offset += 1
            if offset < len(text):
                return Position(block, offset)
            block, offset = block + 1, 0
        return None

    def after(self, found: Found) -> Position:
        """The first position after a match's start: where the next candidate may begin."""
        return Position(found.start.block, found.start.offset + 1)


@dataclass(frozen=True)
class Terms:
    """A directive's terms, folded."""

    start: str
    end: str
    prefix: str
    suffix: str

    @classmethod
    def of(cls, directive: TextDirective) -> Terms:
        return cls(*(match_fold(t) for t in (directive.start, directive.end, directive.prefix, directive.suffix)))


def find_in(
    directive: TextDirective | Terms, text: SearchText, *, prefix: bool = True, suffix: bool = True
) -> Found | None:
    """The spec's "find a range from a text directive" over one document's blocks.

    `prefix=False` or `suffix=False` leave that context out (the word-boundary rules stay those of
    the whole directive): how `explain` tells which term failed.
    """
    terms = directive if isinstance(directive, Terms) else Terms.of(directive)
    # A start (or end) must end on a word boundary unless a later term (end, suffix) pins it.
    start_must_end = bool(terms.end) or not terms.suffix
    search = Position(0, 0)
    while search < text.end:
        if terms.prefix and prefix:
            prefix = text.find(terms.prefix, search, start_bounded=True, end_bounded=False)
            if prefix is None:
                return None
            search = text.after(prefix)
            right_after = text.next_visible(prefix.end)
            if right_after is None:
                return None
            match = text.at(terms.start, right_after, end_bounded=start_must_end)
            if match is None:
                continue  # the start is not right after this prefix: try the next prefix
        else:
            match = text.find(terms.start, search, start_bounded=not terms.prefix, end_bounded=start_must_end)
            if match is None:
                return None
            search = text.after(match)
        end = match.end
        while True:
            if terms.end:
                last = text.find(terms.end, end, start_bounded=True, end_bounded=not terms.suffix)
                if last is None:
                    return None  # no end after this start, so none after any later start either
                end = last.end
            if not terms.suffix or not suffix:
                return Found(match.start, end)
            right_after = text.next_visible(end)
            if right_after is not None and text.at(terms.suffix, right_after, end_bounded=True):
                return Found(match.start, end)
            if not terms.end:
                break  # try the next start
    return None


class Searchable(Protocol):
    def searchable(self, frames: bool = False) -> Sequence[SearchText]: ...


def find_range(directive: TextDirective, page: Searchable, *, frames: bool = False) -> Found | None:
    """`directive` on the page's own document (what a link's text fragment highlights), or with
    `frames` also in each same-origin frame's document (what a reader sees; the quote check)."""
    terms = Terms.of(directive)
    for text in page.searchable(frames):
        found = find_in(terms, text)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class Miss:
    """The first term of a directive that is not on the page, and the words to look for nearby."""

    term: Term
    text: str  # the term as written
    near: str  # what the closest passage should resemble: the term, with its neighbour for context
    where: str = ""  # for a prefix or suffix: the block where the rest of the directive is

    def describe(self) -> str:
        if self.term == "start":
            return f"“{self.text}” is not on the page"
        if self.term == "end":
            return f"the end “{self.text}” is not on the page after the start"
        where = "right before" if self.term == "prefix" else "right after"
        return f"the {self.term} “{self.text}” is not {where} the passage"


def explain(directive: TextDirective, page: Searchable, *, frames: bool = False) -> Miss:
    """Why `directive` is not found: its start, its end, its prefix or its suffix, checked in that order."""
    terms = Terms.of(directive)
    texts = page.searchable(frames)

    def found(*, prefix: bool, suffix: bool) -> bool:
        return any(find_in(terms, text, prefix=prefix, suffix=suffix) for text in texts)

    def block_of(*, prefix: bool) -> str:
        for text in texts:
            if (at := find_in(terms, text, prefix=prefix, suffix=False)) is not None:
                return text.originals[at.start.block]
        return ""

    start_must_end = bool(terms.end) or not terms.suffix
    if not any(
        text.find(terms.start, Position(0, 0), start_bounded=not terms.prefix, end_bounded=start_must_end)
        for text in texts
    ):
        return Miss("start", directive.start, directive.start)
    if terms.end and not found(prefix=False, suffix=False):
        return Miss("end", directive.end, directive.end)
    if terms.prefix and not found(prefix=True, suffix=False):
        return Miss("prefix", directive.prefix, f"{directive.prefix} {directive.start}", block_of(prefix=False))
    return Miss(
        "suffix", directive.suffix, f"{directive.end or directive.start} {directive.suffix}", block_of(prefix=True)
    )
