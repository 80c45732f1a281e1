"""Page baselines: the visible text of every page a fact cites, kept as sentences, and what changed.

A quote that is gone is the source check's drift (checks/drift/sources.py). Everything else OpenAI
writes on a page the guide cites, a new paragraph, a removed caveat, a reworded rule, is **review**:
shown as a diff, with a `#:~:text=` link per added sentence, for a writer to read.

The text is what a reader sees (`passages.visible_text`, one block per line, then split into
sentences like `PageText.sentences`), without the site around the article: navigation, header,
footer, asides, breadcrumbs, related articles, feedback widgets and cookie text go before the text is
read when the page's HTML is at hand; for a page read as text only (in Chromium, behind a bot wall),
chrome lines are dropped and everything after an end marker is cut (the lists: checks/drift/quirks.py).
Lines of one or two words (menu items, buttons, labels) are not sentences.

Sentences a quote relies on are the source check's: a removed or reworded sentence that held a quote,
and the sentence that replaced it, never become review as well.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from checks.drift.outcomes import Result, Status, Step
from checks.drift.passages import PageText, fragment_url, visible_text
from checks.drift.quirks import CHROME_CONTAINERS, CHROME_LINES, CONSENT_WORDS, END_MARKERS
from keyguide.baselines import Baseline, CitedPage
from keyguide.text import fold

MIN_WORDS = 3
SHOWN = 12  # changes shown in a message; the report lists them all


def strip_chrome(html: str) -> str:
    """The article of an HTML page: its main (or largest article) without the site's chrome."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.select(CHROME_CONTAINERS):
        if isinstance(tag, Tag) and tag.name not in ("html", "body", "main", "article"):
            tag.decompose()
    articles = sorted(soup.find_all("article"), key=lambda t: len(t.get_text()), reverse=True)
    root = soup.find("main") or (articles[0] if articles else None)
    return str(root) if root is not None else str(soup)


def page_lines(text: str) -> list[str]:
    """The text's lines without chrome lines, cut at the first end marker."""
    kept: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if END_MARKERS.match(line):
            break
        if CHROME_LINES.match(line) or _cookie_notice(line):
            continue
        kept.append(line)
    return kept


def _cookie_notice(line: str) -> bool:
    lowered = line.casefold()
    return bool(CONSENT_WORDS.search(line)) and any(
        word in lowered for word in ("accept", "reject", "preferences", "manage", "we use", "privacy")
    )


def article_lines(text: str, html: str | None = None) -> list[str]:
    """The article's lines: from its HTML without chrome when there is HTML, else from its text."""
    if html is not None:
        text = visible_text(strip_chrome(html))
    return page_lines(text)


def sentences_of(text: str, html: str | None = None) -> list[str]:
    """A page's sentences as its baseline keeps them: chrome out, one per item, in page order."""
    found = PageText("\n".join(article_lines(text, html))).sentences
    return [s for s in found if len(s.split()) >= MIN_WORDS]


# -- comparison -------------------------------------------------------------------------------


@dataclass
class SentenceDiff:
    added: list[str]
    removed: list[str]
    reworded: list[tuple[str, str]]  # (before, after)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.reworded)


def relied_on(sentence: str, quotes: Sequence[str]) -> bool:
    """Whether a quote holds this sentence, or the sentence holds (a part of) a quote."""
    folded = fold(sentence)
    for quote in quotes:
        q = fold(quote)
        if q in folded or folded in q:
            return True
    return False


def diff_sentences(before: Sequence[str], after: Sequence[str], quotes: Sequence[str]) -> SentenceDiff:
    """Added, removed and reworded sentences that no quote relies on (folded, so typography is no change)."""
    matcher = difflib.SequenceMatcher(a=[fold(s) for s in before], b=[fold(s) for s in after], autojunk=False)
    diff = SentenceDiff([], [], [])
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old, new = list(before[i1:i2]), list(after[j1:j2])
        if any(relied_on(s, quotes) for s in [*old, *new]):
            continue  # a quote's sentence and whatever replaced it: the source check judges those
        pairs = min(len(old), len(new)) if tag == "replace" else 0
        diff.reworded += list(zip(old[:pairs], new[:pairs], strict=True))
        diff.removed += old[pairs:]
        diff.added += new[pairs:]
    return diff


@dataclass(frozen=True)
class PageCase:
    """One cited page's item: `pages.<host/path>` (`-k help.openai.com/en/articles/8867743`)."""

    id: str
    url: str
    quotes: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, page: CitedPage) -> PageCase:
        return cls(page.id, page.url, page.quotes)

    def __repr__(self) -> str:
        return f"PageCase({self.id!r})"


def judge(case: PageCase, baseline: Baseline, now: list[str], shown_at: str, steps: list[Step]) -> Result:
    """The page against its baseline: ok, or review with the diff (never drift: quotes are the source check's)."""
    quotes = [quote for _, quote in case.quotes]
    diff = diff_sentences([str(s) for s in baseline.items], now, quotes)
    result = Result(
        case.id,
        "page",
        Status.OK,
        case.url,
        f"the page's text at the last review ({baseline.describe()})",
        f"the same {len(now)} sentences, besides the quotes the source checks look for",
        steps=steps,
        pages=list(dict.fromkeys(step.page for step in steps)),
    )
    if not diff.changed:
        return result
    link_base = shown_at or case.url
    for sentence in diff.added:
        result.changes.append({"change": "added", "text": sentence, "link": fragment_url(link_base, sentence)})
    for before, after in diff.reworded:
        result.changes.append(
            {"change": "reworded", "before": before, "text": after, "link": fragment_url(link_base, after)}
        )
    for sentence in diff.removed:
        result.changes.append({"change": "removed", "text": sentence})
    counts = [
        f"{len(diff.added)} sentence{'s' * (len(diff.added) != 1)} added" if diff.added else "",
        f"{len(diff.reworded)} reworded" if diff.reworded else "",
        f"{len(diff.removed)} removed" if diff.removed else "",
    ]
    result.status = Status.REVIEW
    result.observed = f"{', '.join(c for c in counts if c)} on the page since the last review"
    first = next((c for c in result.changes if c["change"] != "removed"), result.changes[0])
    result.observed += f": “{first['text']}”" + (" …" if len(result.changes) > 1 else "")
    result.suggestion = (
        "read the changes: does a page of the guide need to say more or less? Merging the fix pull request's "
        "baseline records them as reviewed"
    )
    result.evidence = [f"{c['change']}: {c['link']}" for c in result.changes[:SHOWN] if c.get("link")]
    return result
