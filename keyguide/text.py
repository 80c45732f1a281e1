"""Text as a reader sees it: one folding of whitespace, case and typography for every comparison.

Quotes in `facts.yml` are matched against OpenAI's pages the way a browser matches a text fragment
(`#:~:text=`): visible text only, runs of whitespace as one space, case folded. We also fold the
typography that differs between a copy and its source (curly quotes, dashes, non-breaking spaces,
the ellipsis), so a quote copied from a rendered page still matches the page's Markdown twin.
"""

from __future__ import annotations

import re
import unicodedata

_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,  # soft hyphen: invisible
        "\u200b": None,  # zero-width space
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """`text` with typography, whitespace and case folded (NFKC turns … into ... and NBSP into a space)."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    return _SPACE.sub(" ", text).strip().casefold()


def contains(haystack: str, needle: str) -> bool:
    """Whether `needle` occurs in `haystack`, both folded."""
    return fold(needle) in fold(haystack)
