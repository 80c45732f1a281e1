"""Text the way a browser's text fragment (`#:~:text=`) sees it: visible text, matching, closest
passage, and the fragment that highlights a passage.

Used by the source check (is OpenAI's quote still on its page?) and by the link check (a link with
`#id:~:text=…` names a passage as well as an id). Comparisons go through `keyguide.text.fold`, the
project's one folding of whitespace, case and typography, so a quote that matches at build time
matches here.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import quote as percent_quote
from urllib.parse import unquote

from keyguide.text import fold

# Not rendered, so never matched by a text fragment (the HTML spec's "being rendered").
HIDDEN_TAGS = ("head", "script", "style", "template", "noscript", "svg", "iframe", "object")
# Elements that start a new block of text: their text never runs into the next element's.
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "option",
        "caption",
    ]
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
# A text directive this long reads badly in a URL: the textStart,textEnd form names its ends.
LONG_QUOTE_CHARS = 80
END_WORDS = 5


def visible_text(html: str) -> str:
    """The text a reader sees on an HTML page, one block per line (no head, scripts, styles, hidden)."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(HIDDEN_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"hidden": True}):
        if isinstance(tag, Tag):
            tag.decompose()
    for tag in soup.find_all(list(BLOCK_TAGS)):
        if isinstance(tag, Tag):
            tag.insert_before("\n")
            tag.insert_after("\n")
    lines = (" ".join(line.split()) for line in soup.get_text("").splitlines())
    return "\n".join(line for line in lines if line)


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

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def folded(self) -> str:
        return fold(self.text)

    def contains(self, quote: str) -> bool:
        return fold(quote) in self.folded

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


# -- text fragments (https://wicg.github.io/scroll-to-text-fragment/) --------------------------


def encode_term(text: str) -> str:
    """One term of a text directive, percent-encoded: the spec reserves `-`, `,` and `&` as syntax,
    and anything outside the URL's fragment characters must be encoded as well."""
    return percent_quote(" ".join(text.split()), safe="").replace("-", "%2D")


def text_directive(passage: str) -> str:
    """`text=…` for a passage: the whole passage, or `textStart,textEnd` when it is long."""
    words = passage.split()
    if len(passage) <= LONG_QUOTE_CHARS or len(words) < 2 * END_WORDS + 1:
        return "text=" + encode_term(passage)
    return f"text={encode_term(' '.join(words[:END_WORDS]))},{encode_term(' '.join(words[-END_WORDS:]))}"


def fragment_url(url: str, passage: str) -> str:
    """`url` with a `#:~:text=` directive, so a click scrolls to and highlights the passage.

    An element fragment already on the URL is kept in front of the directive (`#id:~:text=…`).
    """
    base, _, fragment = url.partition("#")
    fragment = fragment.split(":~:", 1)[0]
    return f"{base}#{fragment}:~:{text_directive(passage)}"


@dataclass(frozen=True)
class TextDirective:
    """A parsed `text=[prefix-,]start[,end][,-suffix]`, its terms percent-decoded."""

    start: str
    end: str = ""
    prefix: str = ""
    suffix: str = ""

    def describe(self) -> str:
        middle = f"{self.start} … {self.end}" if self.end else self.start
        return f"“{middle}”"

    def found_in(self, page: PageText) -> bool:
        """Whether the page has the passage: prefix, start, [… end], suffix, in that order, folded."""

        def term(text: str) -> str:
            return re.escape(fold(text))

        pattern = term(self.start)
        if self.end:
            pattern += r".*?" + term(self.end)
        if self.prefix:
            pattern = term(self.prefix) + r"\s?" + pattern
        if self.suffix:
            pattern += r"\s?" + term(self.suffix)
        return re.search(pattern, page.folded, re.DOTALL) is not None


def split_fragment(fragment: str) -> tuple[str, list[TextDirective]]:
    """An URL fragment as the browser reads it: the element id before `:~:`, and the text directives
    after it (`#a-word:~:text=Word` is the id `a-word` plus the passage “Word”, never one id)."""
    element, sep, directives = fragment.partition(":~:")
    if not sep:
        return fragment, []
    parsed = []
    for directive in directives.split("&"):
        if directive.startswith("text="):
            found = parse_text_directive(directive[len("text=") :])
            if found is not None:
                parsed.append(found)
    return element, parsed


def parse_text_directive(value: str) -> TextDirective | None:
    """The terms of `text=`'s value, or None when it is malformed (a browser ignores it then)."""
    terms = value.split(",")
    prefix = unquote(terms.pop(0)[:-1]) if terms and terms[0].endswith("-") and len(terms) > 1 else ""
    suffix = unquote(terms.pop()[1:]) if terms and terms[-1].startswith("-") and len(terms) > 1 else ""
    if not terms or len(terms) > 2 or not terms[0]:
        return None
    start = unquote(terms[0])
    end = unquote(terms[1]) if len(terms) == 2 else ""
    return TextDirective(start, end, prefix, suffix)
