"""Text in Markdown, shown as written: the escaping every report section shares (checks/drift/markdown.py,
checks/drift/review.py)."""

from __future__ import annotations

import re


def flat(text: str) -> str:
    return " ".join(str(text).split())


def prose(text: str) -> str:
    """Escaped text whose URLs stay clickable (a `#:~:text=` link escaped would be unreadable)."""
    parts = re.split(r"(https?://[^\s)>]+)", flat(text))
    return "".join(f"<{part}>" if i % 2 else escape(part) for i, part in enumerate(parts))


def code(text: str) -> str:
    """An inline code span that survives backticks and newlines in the text."""
    shown = flat(text)
    if not shown:
        return "(nothing)"
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def escape(text: str) -> str:
    """Text that Markdown shows as written: no stray emphasis, links or HTML."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", str(text))


def cell(text: str) -> str:
    return escape(flat(text))
