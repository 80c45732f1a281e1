"""The one classification of check outcomes, shared by every check.

Four outcomes, never two: *ok* (OpenAI still matches the guide), *drift* (it does not: a writer
must act), *inconclusive* (we could not tell: offline, timeout, 5xx, rate limit, bot wall,
sign-in wall) and *review* (OpenAI changed something the guide relies on since the last review,
a new control, sentence or changelog entry, that a writer should read: it never fails a run, and it
is not ok either). Unreachable is never ok, and never drift: a scheduled run must not cry wolf.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

import httpx

from checks.drift.quirks import BOT_WALL_MARKERS, BOT_WALL_TITLES, SIGN_IN_HOSTS, SIGN_IN_PATHS

# screen, page and watch: what OpenAI added to a screen, a cited page or a watched page since the
# baseline (checks/drift/inventory.py, sentences.py, watch.py).
Kind = Literal["api", "link", "ui", "source", "screen", "page", "watch"]


class Status(StrEnum):
    OK = "ok"
    DRIFT = "drift"
    INCONCLUSIVE = "inconclusive"
    REVIEW = "review"


@dataclass
class Step:
    """A place in the guide that states the checked fact."""

    page: str
    line: int
    where: str  # "Create the key › step 1"


@dataclass
class Result:
    """What one check found. `url` is always the original (un-remapped) URL."""

    id: str
    kind: Kind
    status: Status
    url: str
    expected: str
    observed: str
    suggestion: str = ""
    reason: str = ""  # why inconclusive, or a one-line verdict
    pages: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A mechanical fix `python -m keyguide fix` may apply: {"field": "ui.x.name", "old": …, "new": …}.
    # Set only when the evidence names exactly one replacement; anything else is for a writer.
    fix: dict[str, str] | None = None
    # What changed since the baseline, one entry per added / removed / reworded control, sentence or
    # changelog entry ({"change": "added", "text": …, "link": …}): the reports show them as a diff.
    changes: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        if not data["changes"]:
            del data["changes"]  # only the baseline checks have any: other results read as before
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """The inverse of as_dict (reports re-read recorded results)."""
        fields = dict(data)
        fields["status"] = Status(fields["status"])
        fields["steps"] = [Step(**step) for step in fields.get("steps", [])]
        return cls(**fields)

    def after_final_pass(self, first: Result, *, settled: bool) -> Result:
        """This, the final pass's result, with the first try's evidence kept and how it ended said."""
        self.evidence = [*first.evidence, "final pass:", *self.evidence]
        if settled:
            self.notes.append(f"inconclusive at first ({first.reason}); settled on the final pass")
        else:
            self.notes.append("still inconclusive on the final pass")
        return self

    def message(self) -> str:
        """The line a writer reads in pytest's output and the summary."""
        if self.status is Status.INCONCLUSIVE:
            return f"inconclusive: {self.reason or self.observed}"
        if self.status is Status.REVIEW:
            return f"review: {self.observed}"
        where = "; ".join(f"{s.page}:{s.line} ({s.where})" for s in self.steps) or "no page states it"
        lines = [f"{self.id}: expected {self.expected}, observed {self.observed}", f"stated in: {where}"]
        if self.suggestion:
            lines.append(f"suggestion: {self.suggestion}")
        return "\n".join(lines)


# -- signals that a response cannot be judged --------------------------------------------------

# What bot walls and sign-in pages look like is site knowledge: checks/drift/quirks.py.


def bot_wall_reason(status: int, headers: httpx.Headers | dict[str, str], body: str) -> str | None:
    """Why this response looks like bot protection rather than the page, or None."""
    lowered = {k.lower(): v for k, v in dict(headers).items()}
    if lowered.get("cf-mitigated", "").lower() == "challenge":
        return "bot wall (cf-mitigated: challenge)"
    head = body[:20000]
    if BOT_WALL_TITLES.search(head):
        return f"bot wall (challenge page, HTTP {status})"
    if status in (401, 403, 429, 503) and any(marker in head for marker in BOT_WALL_MARKERS):
        return f"bot wall (challenge script, HTTP {status})"
    return None


def sign_in_reason(url: str) -> str | None:
    """Why `url` is a sign-in page rather than the page we asked for, or None."""
    parsed = httpx.URL(url)
    if parsed.host in SIGN_IN_HOSTS or SIGN_IN_PATHS.match(parsed.path):
        return "needs a signed-in session (the page sent us to sign in)"
    return None


def transport_reason(exc: BaseException) -> str:
    """An inconclusive reason for a request that got no answer."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
            return f"DNS lookup failed ({text})"
        return f"could not connect ({text or type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return f"connection dropped ({exc or type(exc).__name__})"
    if isinstance(exc, httpx.HTTPError):
        return f"network error ({type(exc).__name__}: {exc})"
    return f"{type(exc).__name__}: {exc}"


def status_reason(status: int) -> str | None:
    """Statuses that say nothing about the page: the server is busy or failing."""
    if status == 429:
        return "rate limited (HTTP 429) after retries"
    if status >= 500:
        return f"server error (HTTP {status}) after retries"
    return None
