"""Text fragments, the syntax: `#id:~:text=[prefix-,]start[,end][,-suffix]&text=…` read and written as
the Text Fragments spec (https://wicg.github.io/scroll-to-text-fragment/) reads and writes them.

Reading follows the spec's "parse a text directive" to the letter, because a browser silently ignores
what it cannot parse: `text=a,b,c,d` (four terms, no context marks) and `TEXT=a` (names are
case-sensitive) highlight nothing, so a guide link written that way is reported, never trusted.
Matching a parsed directive against a page is `checks.drift.textmatch`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote as percent_quote
from urllib.parse import unquote

# A text directive this long reads badly in a URL: the textStart,textEnd form names its ends.
LONG_QUOTE_CHARS = 80
END_WORDS = 5

Term = Literal["prefix", "start", "end", "suffix"]


@dataclass(frozen=True)
class TextDirective:
    """A parsed `text=[prefix-,]start[,end][,-suffix]`, its terms percent-decoded."""

    start: str
    end: str = ""
    prefix: str = ""
    suffix: str = ""

    def describe(self) -> str:
        middle = f"“{self.start} … {self.end}”" if self.end else f"“{self.start}”"
        after = f" after “{self.prefix}”" if self.prefix else ""
        before = f" before “{self.suffix}”" if self.suffix else ""
        return middle + after + (" and" if after and before else "") + before

    def term(self, name: Term) -> str:
        return str(getattr(self, name))


@dataclass(frozen=True)
class FragmentParts:
    """An URL fragment as a browser reads it: the element id before `:~:`, the text directives after it,
    and the `text=` directives it could not parse (a browser ignores those; we report them)."""

    element: str
    directives: list[TextDirective] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)


def parse_fragment(fragment: str) -> FragmentParts:
    """`#a-word:~:text=Word` is the id `a-word` plus the passage “Word”, never one id. Directives other
    than `text=` (`#id:~:directive`) are ignored, as browsers ignore them; a `TEXT=` or `Text=` is
    kept as malformed, since a writer surely meant a text directive that no browser will apply."""
    element, sep, rest = fragment.partition(":~:")
    if not sep:
        return FragmentParts(fragment)
    parts = FragmentParts(element)
    for directive in rest.split("&"):
        name, equals, value = directive.partition("=")
        if name == "text" and equals:
            parsed = parse_text_directive(value)
            if parsed is None:
                parts.malformed.append(directive)
            else:
                parts.directives.append(parsed)
        elif name.lower() == "text" and equals:
            parts.malformed.append(directive)
    return parts


def split_fragment(fragment: str) -> tuple[str, list[TextDirective]]:
    """The element id and the text directives of an URL fragment (see `parse_fragment`)."""
    parts = parse_fragment(fragment)
    return parts.element, parts.directives


def parse_text_directive(value: str) -> TextDirective | None:
    """The spec's "parse a text directive": None when a browser would ignore it.

    One to four comma-separated terms, none empty; a first term ending in `-` is the prefix, a last
    term starting with `-` the suffix; what remains must be `start` or `start,end`.
    """
    tokens = value.split(",")
    if not 1 <= len(tokens) <= 4 or any(token == "" for token in tokens):
        return None
    prefix = suffix = ""
    if tokens[0].endswith("-"):
        prefix = unquote(tokens.pop(0)[:-1])
        if not prefix:
            return None
    if tokens and tokens[-1].startswith("-"):
        suffix = unquote(tokens.pop()[1:])
        if not suffix:
            return None
    if len(tokens) not in (1, 2):
        return None
    start = unquote(tokens[0])
    end = unquote(tokens[1]) if len(tokens) == 2 else ""
    if not start.strip() or (len(tokens) == 2 and not end.strip()):
        return None
    return TextDirective(start, end, prefix, suffix)


def malformed_reason(directive: str) -> str:
    """Why a browser ignores this `text=` directive, for a writer."""
    name = directive.partition("=")[0]
    if name != "text":
        return f"“{name}=” is not a text directive (the name is case-sensitive: write “text=”)"
    return (
        "it is not [prefix-,]start[,end][,-suffix] (one or two terms, a prefix marked with a trailing "
        "“-”, a suffix with a leading “-”, no empty term)"
    )


# -- writing -------------------------------------------------------------------------------------


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
