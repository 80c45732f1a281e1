"""Watched pages: OpenAI's changelog and release notes, where it announces what it adds.

No fact quotes these pages (facts.yml `watch:`), yet they are where a new rule shows up first: key
expiry (2026-09-10) and key-creation restrictions (2026-09-15) were both in the API changelog long
before any help article the guide cites. The baseline keeps each page's dated entries; an entry that
is new since then and names one of the page's keywords is **review**, with its date and a link.

Entries are read from the page's text, as a reader sees it (`sentences.page_lines`: no chrome): a
line that is a date, or a short line that holds one ("Releasing o3-pro (June 10, 2025)"), starts an
entry; a month header ("June, 2025") gives the year to the dates under it that have none ("Jun 24"),
as the API changelog writes them. An entry is known by its date and title. A page that grew older
history (entries dated before the oldest one in the baseline) is not news.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from checks.drift.outcomes import Result, Status
from checks.drift.passages import fragment_url
from keyguide.baselines import Baseline
from keyguide.facts import WatchPage
from keyguide.text import fold

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
MONTH_HEADER = re.compile(rf"^{_MONTH},? (?P<year>\d{{4}})$", re.IGNORECASE)
FULL_DATE = re.compile(rf"\b{_MONTH} (?P<day>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<year>\d{{4}})\b", re.IGNORECASE)
ISO_DATE = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")
SHORT_DATE = re.compile(rf"^{_MONTH} (?P<day>\d{{1,2}})(?:st|nd|rd|th)?$", re.IGNORECASE)
DATE_LINE_MAX = 140  # a line holding a date is an entry's heading only when it is this short
TITLE_WORDS = 3
TEXT_CHARS = 400


@dataclass(frozen=True)
class Entry:
    """One dated entry of a changelog or release notes page."""

    date: str  # ISO
    title: str
    text: str

    @property
    def key(self) -> tuple[str, str]:
        return self.date, fold(self.title)[:80]

    def as_item(self) -> dict[str, str]:
        return {"date": self.date, "title": self.title, "text": self.text}


def _date(match: re.Match[str], year: int | None = None) -> str | None:
    month_text = match.group("month")
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text.casefold().rstrip("."))
    try:
        return date(int(match.groupdict().get("year") or year or 0), month or 0, int(match.group("day"))).isoformat()
    except ValueError:
        return None


def entries_of(lines: list[str]) -> list[Entry]:
    """The dated entries of a page's lines (chrome already out), in page order."""
    found: list[tuple[str, str, list[str]]] = []
    year: int | None = None
    for line in lines:
        if header := MONTH_HEADER.match(line):
            year = int(header.group("year"))
            continue
        when, rest = None, ""
        if len(line) <= DATE_LINE_MAX:
            match = FULL_DATE.search(line) or ISO_DATE.search(line)
            if match is not None:
                when = _date(match)
                rest = (line[: match.start()] + line[match.end() :]).strip(" ()[]-–—,:|·")
            elif year is not None and (short := SHORT_DATE.match(line)):
                when = _date(short, year)
        if when is not None:
            found.append((when, rest, []))
        elif found:
            found[-1][2].append(line)
    entries = []
    for when, rest, body in found:
        title = rest if len(rest.split()) >= 2 else next((b for b in body if len(b.split()) >= TITLE_WORDS), "")
        title = title or (body[0] if body else rest)
        text = " ".join(body)
        entries.append(Entry(when, title, text[:TEXT_CHARS].rsplit(" ", 1)[0] if len(text) > TEXT_CHARS else text))
    return entries


def keyword_pattern(keywords: list[str]) -> re.Pattern[str]:
    """Whole words and their plural; a trailing * matches every word it begins."""
    parts = []
    for keyword in keywords:
        stem = r"\s+".join(re.escape(word) for word in keyword.rstrip("*").split())
        parts.append(rf"\b{stem}\w*" if keyword.endswith("*") else rf"\b{stem}(?:s|es)?\b")
    return re.compile("|".join(parts), re.IGNORECASE)


@dataclass(frozen=True)
class WatchCase:
    """One watched page's item: `watch.<id>` (`-k api_changelog`)."""

    id: str
    url: str
    title: str
    keywords: tuple[str, ...]

    @classmethod
    def of(cls, watch_id: str, page: WatchPage) -> WatchCase:
        return cls(f"watch.{watch_id}", str(page.url), page.title, tuple(page.keywords))

    def __repr__(self) -> str:
        return f"WatchCase({self.id!r})"


def judge(case: WatchCase, baseline: Baseline, now: list[Entry], shown_at: str) -> Result:
    """New entries since the baseline that name a keyword: review, each with its date and a link."""
    result = Result(
        case.id,
        "watch",
        Status.OK,
        case.url,
        f"the entries of {case.title} at the last review ({baseline.describe()})",
        f"no new entry that names a keyword ({len(now)} entries on the page)",
    )
    if not now:
        result.status = Status.INCONCLUSIVE
        result.reason = result.observed = (
            f"found no dated entries on {case.title} (its layout may have changed; the baseline has "
            f"{len(baseline.items)}): re-check the page by hand"
        )
        return result
    old = [Entry(str(i.get("date", "")), str(i.get("title", "")), str(i.get("text", ""))) for i in baseline.items]
    known = {entry.key for entry in old}
    oldest = min((entry.date for entry in old), default="")
    new = [entry for entry in now if entry.key not in known and entry.date >= oldest]
    patterns = {keyword: keyword_pattern([keyword]) for keyword in case.keywords}
    relevant = []
    for entry in new:
        hits = [keyword for keyword, pattern in patterns.items() if pattern.search(f"{entry.title} {entry.text}")]
        if hits:
            relevant.append((entry, hits))
        else:
            result.notes.append(f"new on {entry.date}, names no keyword: “{entry.title}”")
    if not relevant:
        return result
    link_base = shown_at or case.url
    for entry, hits in relevant:
        result.changes.append(
            {
                "change": "entry",
                "date": entry.date,
                "title": entry.title,
                "text": entry.text,
                "keywords": ", ".join(hits),
                "link": fragment_url(link_base, entry.title) if entry.title else link_base,
            }
        )
    first = relevant[0][0]
    count = len(relevant)
    result.status = Status.REVIEW
    result.observed = (
        f"{count} new entr{'ies' if count != 1 else 'y'} since the last review: “{first.title}” ({first.date})"
        + (" …" if count > 1 else "")
    )
    result.suggestion = (
        "read the entries: does the guide need a new step, caveat or fact? Merging the fix pull request's "
        "baseline records them as reviewed"
    )
    result.evidence = [f"entry of {c['date']}: {c['link']}" for c in result.changes]
    return result
