"""Text the way a browser's text fragment (`#:~:text=`) sees it: the page's text, matching, closest
passage, and the fragment that highlights a passage.

Used by the source check (is OpenAI's quote still on its page?) and by the link check (a link with
`#id:~:text=…` names a passage as well as an id). Reading a page is `checks.drift.rendering` (what a
reader can see, one block per line); matching is `checks.drift.textmatch` (the Text Fragments spec's
algorithm: word boundaries, blocks, context); the directive syntax is `checks.drift.fragments`.
Their public names are re-exported here.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass
from functools import cached_property

from checks.drift.fragments import (
    END_WORDS,
    LONG_QUOTE_CHARS,
    TextDirective,
    encode_term,
    fragment_url,
    parse_fragment,
    parse_text_directive,
    split_fragment,
    text_directive,
)
from checks.drift.rendering import Rendering, render_html, visible_text
from checks.drift.textmatch import Found, SearchText, find_range
from keyguide.text import fold

__all__ = [
    "END_WORDS",
    "LONG_QUOTE_CHARS",
    "PageText",
    "Passage",
    "Rendering",
    "TextDirective",
    "encode_term",
    "fragment_url",
    "markdown_text",
    "parse_fragment",
    "parse_text_directive",
    "plain_text",
    "render_html",
    "split_fragment",
    "text_directive",
    "visible_text",
]

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def markdown_text(source: str) -> str:
    """The visible text of a Markdown document, rendered as a browser would show it."""
    import markdown

    html = markdown.markdown(source, extensions=["tables", "fenced_code", "sane_lists"])
    return visible_text(html)


def plain_text(source: str) -> str:
    return "\n".join(" ".join(line.split()) for line in source.splitlines() if line.strip())


@dataclass
class Passage:
    """A stretch of the page's text and how close it is to what we looked for (0..1)."""

    text: str
    score: float


class PageText:
    """One page's visible text, folded once, for many quotes (several facts cite the same page)."""

    def __init__(self, text: str | Rendering) -> None:
        self.rendering = text if isinstance(text, Rendering) else Rendering.of_text(text)
        self.text = self.rendering.text

    @cached_property
    def folded(self) -> str:
        return fold(self.text)

    @cached_property
    def _searchable(self) -> list[SearchText]:
        return [SearchText(blocks) for blocks in (self.rendering.blocks, *self.rendering.frames)]

    def searchable(self, frames: bool = False) -> list[SearchText]:
        """The document's blocks, folded for matching; with `frames`, each same-origin frame's after it."""
        return self._searchable if frames else self._searchable[:1]

    def find(self, quote: str) -> Found | None:
        """Where the quote is, matched as a text fragment `text=<quote>` matches (frames included:
        a reader sees them)."""
        if not quote.strip():
            return None
        return find_range(TextDirective(quote), self, frames=True)

    def contains(self, quote: str) -> bool:
        return self.find(quote) is not None

    @cached_property
    def sentences(self) -> list[str]:
        """The page's sentences, block by block: the windows a closest passage is chosen from."""
        found: list[str] = []
        for block in self.text.splitlines():
            found += [part.strip() for part in SENTENCE_END.split(block) if part.strip()]
        return found

    @cached_property
    def _folded_sentences(self) -> list[str]:
        return [fold(sentence) for sentence in self.sentences]

    @cached_property
    def _grams(self) -> list[frozenset[str]]:
        return [_grams(sentence) for sentence in self._folded_sentences]

    def closest(self, quote: str, max_sentences: int = 4, shortlist: int = 24) -> Passage | None:
        """The passage now on the page most like `quote`: runs of whole sentences, not every offset.

        Each window is one to `max_sentences` consecutive sentences, grown until it is about as long
        as the quote. Every window is ranked by the words and word pairs it shares with the quote
        (set operations, cheap), and only the best `shortlist` are compared character by character
        with difflib, so a 50,000-word page takes a fraction of a second.
        """
        needle = fold(quote)
        if not needle or not self.sentences:
            return None
        wanted = _grams(needle)
        folded, grams = self._folded_sentences, self._grams
        ranked: list[tuple[float, int, int]] = []
        for start in range(len(folded)):
            seen: set[str] = set()
            length = 0
            for end in range(start, min(start + max_sentences, len(folded))):
                seen |= grams[end]
                length += len(folded[end]) + 1
                ranked.append((len(seen & wanted) / (len(wanted) + 0.1 * len(seen)), start, end))
                if length >= len(needle):
                    break
        ranked.sort(reverse=True)
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(needle)
        best: tuple[float, int, int] = (0.0, 0, 0)
        for _, start, end in ranked[:shortlist]:
            matcher.set_seq1(" ".join(folded[start : end + 1]))
            if matcher.quick_ratio() > best[0] and (score := matcher.ratio()) > best[0]:
                best = (score, start, end)
        score, start, end = best
        if score <= 0:
            return None
        return Passage(" ".join(self.sentences[start : end + 1]), round(score, 3))


def _grams(text: str) -> frozenset[str]:
    """The words of a folded text and its word pairs: what ranks a window before difflib looks at it."""
    words = re.findall(r"\$?\w+(?:[.,']\w+)*%?", text)
    return frozenset(words) | frozenset(f"{a} {b}" for a, b in itertools.pairwise(words))
