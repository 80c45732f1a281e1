"""Faults the stand-in can be told to inject, and the thread-safe book that holds them.

A fault is targeted by `route` (an ORIGINAL-space URL prefix: https://host/path, matched on whole
path segments) or by `fact` ("ui.create_key_button", "links.quickstart", "errors.invalid_api_key"),
which resolves to that fact's exact page, element or error. `times` applies it N times, then it
stops (None: always). Each kind and the fields it needs:

Element faults (fact: a ui fact; `times` counts renders of its page):
  rename(name)              the element's accessible name becomes `name`
  remove                    the element is gone
  move(to_url)              gone from its page, shown on `to_url` (another page the facts name)
  role(role)                rendered with another ARIA role (link → button, …), same name
  slow_render(seconds=3)    absent from the HTML; JavaScript adds it after `seconds`
  plant(texts)              `texts` (an email, a name, a key…) shown right after the element, each
                            in a fixed-size box (screenshot masking tests)
  control_added(role, name) a control OpenAI added, right after the element: inside the element's
                            dialog when the element is in one (ui.key_project), else on its page

Route faults (route, or fact: a links/ui/api fact's URL; checked in this order):
  latency(seconds)          wait before answering (all matching latency faults add up)
  drop                      close the connection without any response
  bot_challenge(passes_browser=True, status=403)
                            Cloudflare-like challenge page (`cf-mitigated: challenge`); with
                            passes_browser its JavaScript sets `cf_clearance` and reloads
  retry_after(seconds=1, status=429|503)   answer with Retry-After
  crowd_limit(limit=4, seconds=1)          what Cloudflare does to a burst: while more than `limit`
                            requests to the route are in flight, answer 429 with Retry-After
  server_error(status=500)  a 5xx
  status(status)            4xx/5xx error page; 1xx-3xx only replaces the normal status code
  redirect(location, status=301)           Location in original space
  signin_wall               302 to the sign-in page, even with a valid session
  head_refused              HEAD → 405, GET unchanged
  js_fragment               the page's main content (headings, ids) is built by JavaScript
  consent(reject=True)      a cookie-consent modal over the whole page that intercepts pointer
                            events until a choice is made; reject=False: no reject button
  missing_fragment(fragment?)              that heading loses its id (default: the link fact's
                            fragment; with a route and no fragment, every heading id)

API faults:
  error_code(fact errors.x; status/type/code/message)   override what that error serves

Source faults (fact: any fact whose source has a quote, "values.min_purchase"; they change what its
source page, and the page's .md twin or raw file, says; see checks/standin/sources.py):
  quote_reworded(message?)  the quote is replaced by `message` (default: a reworded copy)
  number_changed            the quote's first number is doubled ($5 → $10); needs a number
  sentence_removed          the quote's paragraph is gone; the rest of the page stays
  paragraph_added(message?) a new paragraph at the end of the article (no quote changes)
  (A source page gone or walled: `status(status=404)` or `bot_challenge` with its `route`.)

Watched pages (route: a facts.yml `watch:` page; see checks/standin/watched.py):
  changelog_entry(name?, message?, entry_date?)   a new dated entry at the top (default: today,
                            "Project API keys can now expire", a sentence naming keys and projects)

The account (no target):
  data_set(name="b")        the signed-in account shows data set `name` instead of "a": other
                            organization, project, email, keys, dates, counts and projects
                            (checks/standin/account.py)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from checks.standin.sitemap import SiteMap, page_key
from keyguide.facts import FactsError, Role

FaultKind = Literal[
    "crowd_limit",
    "rename",
    "remove",
    "move",
    "role",
    "slow_render",
    "plant",
    "signin_wall",
    "status",
    "redirect",
    "latency",
    "retry_after",
    "server_error",
    "drop",
    "bot_challenge",
    "head_refused",
    "js_fragment",
    "consent",
    "missing_fragment",
    "error_code",
    "quote_reworded",
    "number_changed",
    "sentence_removed",
    "control_added",
    "paragraph_added",
    "changelog_entry",
    "data_set",
]
ELEMENT_KINDS = frozenset({"rename", "remove", "move", "role", "slow_render", "plant", "control_added"})
ERROR_KINDS = frozenset({"error_code"})
SOURCE_KINDS = frozenset({"quote_reworded", "number_changed", "sentence_removed", "paragraph_added"})
ACCOUNT_KINDS = frozenset({"data_set"})
_REQUIRED: dict[str, tuple[str, ...]] = {
    "rename": ("name",),
    "move": ("to_url",),
    "role": ("role",),
    "status": ("status",),
    "redirect": ("location",),
    "latency": ("seconds",),
    "plant": ("texts",),
    "control_added": ("role", "name"),
    "changelog_entry": ("route",),
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "crowd_limit": {"limit": 4, "seconds": 1.0},
    "slow_render": {"seconds": 3.0},
    "redirect": {"status": 301},
    "retry_after": {"seconds": 1.0, "status": 429},
    "server_error": {"status": 500},
    "bot_challenge": {"status": 403, "passes_browser": True},
    "consent": {"reject": True},
    "data_set": {"name": "b"},
}


class Fault(BaseModel):
    """One injected fault: `kind`, a target (`route` or `fact`), `times`, and the kind's fields."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    route: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")
    fact: str | None = None
    times: int | None = Field(default=None, ge=1)
    name: str | None = None
    to_url: str | None = None
    role: Role | None = None
    seconds: float | None = Field(default=None, ge=0)
    status: int | None = Field(default=None, ge=100, le=599)
    location: str | None = None
    passes_browser: bool | None = None
    reject: bool | None = None  # consent: whether the modal offers a reject button
    fragment: str | None = None
    type: str | None = None
    code: str | None = None
    message: str | None = None
    texts: list[str] | None = None  # plant: the strings shown next to the element
    limit: int | None = Field(default=None, ge=1)  # crowd_limit: requests in flight before 429s
    entry_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")  # changelog_entry

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Fault:
        kind = self.kind
        for name, value in _DEFAULTS.get(kind, {}).items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        missing = [f for f in _REQUIRED.get(kind, ()) if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{kind} needs {', '.join(missing)}")
        if kind in ELEMENT_KINDS:
            if self.route is not None or not self.fact:
                raise ValueError(f"{kind} targets an element: give fact (ui.<id>), not route")
            self.fact = _qualified(self.fact, "ui")
        elif kind in ERROR_KINDS:
            if self.route is not None or not self.fact:
                raise ValueError("error_code targets an error: give fact (errors.<id>)")
            self.fact = _qualified(self.fact, "errors")
            if not {"status", "type", "code", "message"} & self.model_fields_set:
                raise ValueError("error_code needs at least one of status, type, code, message")
        elif kind in SOURCE_KINDS:
            if self.route is not None or not self.fact or "." not in self.fact:
                raise ValueError(f"{kind} targets a fact's source: give fact (<kind>.<id>), not route")
        elif kind in ACCOUNT_KINDS:
            if self.route is not None or self.fact is not None:
                raise ValueError(f"{kind} changes the whole account: give neither route nor fact")
            if self.name not in ("a", "b"):
                raise ValueError(f"{kind}: name must be a data set, 'a' or 'b'")
        elif (self.route is None) == (self.fact is None):
            raise ValueError(f"{kind} needs exactly one of route or fact")
        if kind == "redirect" and not 300 <= (self.status or 0) < 400:
            raise ValueError("redirect status must be 3xx")
        if kind == "retry_after" and self.status not in (429, 503):
            raise ValueError("retry_after status must be 429 or 503")
        if kind == "server_error" and (self.status or 0) < 500:
            raise ValueError("server_error status must be 5xx")
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def _qualified(fact: str, section: str) -> str:
    if "." not in fact:
        return f"{section}.{fact}"
    if not fact.startswith(f"{section}."):
        raise ValueError(f"expected a {section}.<id> fact, got {fact!r}")
    return fact


@dataclass(frozen=True)
class Target:
    """Where a fault applies, resolved against the facts when it is injected."""

    url: str | None = None  # original-space URL (exact) or prefix
    exact: bool = False
    ui_id: str | None = None
    error_id: str | None = None
    fragment: str | None = None

    def matches(self, url: str) -> bool:
        if self.url is None:
            return False
        bare = url.split("#", 1)[0]
        if self.exact:
            return bare.split("?", 1)[0] == self.url
        if bare == self.url:
            return True
        if not bare.startswith(self.url):
            return False
        return self.url.endswith("/") or bare[len(self.url)] in "/?"


def route_target(fault: Fault) -> Target:
    """The default resolver: routes only (facts need the stand-in's facts to resolve)."""
    if fault.fact is not None:
        raise ValueError(f"cannot resolve fact {fault.fact!r} without facts")
    return Target(url=_bare(fault.route), fragment=fault.fragment)


def _bare(route: str | None) -> str | None:
    return route.split("#", 1)[0] if route else route


@dataclass
class Armed:
    fault: Fault
    target: Target
    remaining: int | None

    def to_json(self) -> dict[str, Any]:
        return {**self.fault.to_json(), "remaining": self.remaining}


class FaultBook:
    """Injected faults, shared between the test thread and the server thread."""

    def __init__(self, resolve: Callable[[Fault], Target] = route_target) -> None:
        self._resolve = resolve
        self._lock = threading.Lock()
        self._armed: list[Armed] = []

    def inject(self, fault: Fault | dict[str, Any]) -> None:
        """Add a fault; a dict is validated as a Fault. Raises ValueError for an unknown target."""
        if not isinstance(fault, Fault):
            fault = Fault.model_validate(fault)
        target = self._resolve(fault)
        with self._lock:
            self._armed.append(Armed(fault, target, fault.times))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [a.fault for a in self._armed]

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [a.to_json() for a in self._armed]

    def peek(self, kind: str, where: Callable[[Fault, Target], bool]) -> list[Fault]:
        """Matching faults, without using them up."""
        with self._lock:
            return [a.fault for a in self._armed if a.fault.kind == kind and where(a.fault, a.target)]

    def take(self, kind: str, where: Callable[[Fault, Target], bool], *, every: bool = False) -> list[Fault]:
        """Use up the first matching fault (or every one): its `times` drops by one."""
        taken: list[Fault] = []
        with self._lock:
            for armed in list(self._armed):
                if armed.fault.kind != kind or not where(armed.fault, armed.target):
                    continue
                taken.append(armed.fault)
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining <= 0:
                        self._armed.remove(armed)
                if not every:
                    break
        return taken

    def take_url(self, kind: str, url: str, *, every: bool = False) -> list[Fault]:
        return self.take(kind, lambda _f, t: t.matches(url), every=every)

    def __len__(self) -> int:
        with self._lock:
            return len(self._armed)


def resolve_with_facts(fault: Fault, site: SiteMap) -> Target:
    """Resolve a fault's `fact` to its page, element or error; reject what the facts do not name."""
    facts = site.facts
    if fault.fact is None:
        return route_target(fault)
    section, _, fact_id = fault.fact.rpartition(".")
    try:
        if not section:
            section = facts.url_section(fact_id)
        entry = facts.get(section, fact_id)
    except FactsError as exc:
        raise ValueError(str(exc)) from None
    if fault.kind in ERROR_KINDS:
        return Target(error_id=fact_id)
    if fault.kind in SOURCE_KINDS:
        return _source_target(fault, entry)
    url = getattr(entry, "url", None)
    if url is None:
        raise ValueError(f"{fault.kind} needs a fact with a URL; {section}.{fact_id} has none")
    if fault.kind in ELEMENT_KINDS:
        if fault.kind == "move":
            destination = page_key(fault.to_url or "")
            if destination not in site.pages:
                raise ValueError(f"move: to_url {fault.to_url} is not a page the facts name")
            if destination == page_key(url):
                raise ValueError("move: to_url is the element's own page")
        return Target(url=page_key(url), exact=True, ui_id=fact_id)
    return Target(url=page_key(url), exact=True, fragment=fault.fragment or urlsplit(url).fragment or None)


def _source_target(fault: Fault, entry: Any) -> Target:
    """The source page a source fault rewrites; the fault itself names the fact whose quote changes."""
    source = getattr(entry, "source", None)
    if source is None or source.url is None or source.quote is None:
        raise ValueError(f"{fault.kind}: {fault.fact} has no source.url and source.quote to change")
    if fault.kind == "number_changed" and not any(c.isdigit() for c in source.quote):
        raise ValueError(f"number_changed: the quote of {fault.fact} has no number")
    return Target(url=page_key(source.url), exact=True)
