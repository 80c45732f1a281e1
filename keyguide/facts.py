"""The one facts loader: reads `facts.yml`, validates it, and answers lookups.

Pages (through the macros), the drift checks and the stand-in all call `load_facts()`; nothing
else parses the file. A bad file raises `FactsError` whose message names the file, the entry and
the field, one problem per line, so a writer sees what to fix without a traceback.
"""

from __future__ import annotations

import difflib
import os
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from keyguide import yamlload

ROOT = Path(__file__).resolve().parent.parent
FACTS_PATH = ROOT / "facts.yml"

Confidence = Literal["C-off", "C-3p", "Inf"]
# ARIA roles a step can name; Playwright's get_by_role accepts each of these.
Role = Literal[
    "button",
    "link",
    "menuitem",
    "tab",
    "heading",
    "textbox",
    "combobox",
    "radio",
    "radiogroup",
    "checkbox",
    "switch",
    "dialog",
    "navigation",
    "option",
    "listbox",
    "img",
    "spinbutton",
]
HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")]
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class FactsError(Exception):
    """A problem in the facts file or a lookup of a fact that does not exist."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


QUOTE_MAX = 500  # aim for 300: a sentence or two, the words that prove the fact


class Source(_Strict):
    """Where a fact was confirmed, how sure we are, and the words a machine can look for.

    `url` is where a person reads the source; `quote` is a verbatim excerpt of that page. The source
    check (`pytest checks -m sources`) fetches `url` and looks for `quote` in its visible text, so a
    reworded help article is drift like a renamed button. Every `C-off` fact needs both.
    """

    ref: str = Field(min_length=3)
    confidence: Confidence
    checked: date | None = None
    url: HttpUrl | None = None
    quote: str | None = Field(default=None, min_length=8, max_length=QUOTE_MAX)
    # Why no unattended run can verify this fact (our own estimate, a screen only an owner sees, …).
    manual: str | None = Field(default=None, min_length=10)

    @model_validator(mode="after")
    def _checkable(self) -> Source:
        if self.quote is not None and self.url is None:
            raise ValueError("quote needs url (the page the quote is on)")
        if self.confidence == "C-off" and (self.url is None or self.quote is None):
            raise ValueError("a C-off fact needs url and quote (a verbatim excerpt of OpenAI's page)")
        if self.quote is not None and self.quote != self.quote.strip():
            raise ValueError("quote must not start or end with spaces")
        return self


class LinkFact(_Strict):
    url: HttpUrl
    title: str = Field(min_length=1)
    # A deliberate redirect: the final URL must start with this (help articles cited by number).
    expect_redirect_to: HttpUrl | None = None
    source: Source


class UiFact(_Strict):
    url: HttpUrl
    role: Role
    name: str = Field(min_length=1)
    signed_in: bool = False
    # Id of the ui fact to open first (a dialog's opener).
    inside: str | None = None
    # The checks may click it: it opens something and changes nothing.
    safe_to_open: bool = False
    check: Literal["auto", "manual"] = "auto"
    why_manual: str | None = None
    source: Source

    @model_validator(mode="after")
    def _manual_needs_reason(self) -> UiFact:
        if self.check == "manual" and not self.why_manual:
            raise ValueError("check: manual needs why_manual (why no unattended run can see it)")
        return self


class ApiValue(_Strict):
    value: str
    source: Source


class ApiEndpoint(_Strict):
    method: Literal["GET"]
    url: HttpUrl
    object: str
    item_fields: list[str] = []
    item_object: str | None = None
    source: Source


# How the API checks provoke an error, and the secret each way needs (None: no secret at all).
# Each runs one request that is refused before anything is created, changed or billed.
TRIGGERS: dict[str, str | None] = {
    "no_key": None,  # GET /v1/models without an Authorization header
    "invalid_key": None,  # GET /v1/models with a well-formed key that cannot exist
    "wrong_organization": "OPENAI_API_KEY",  # a real key with a made-up OpenAI-Organization header
    "no_credit_key": "OPENAI_NO_CREDIT_KEY",  # a 1-token request with a key of an organization without credit
    "read_only_key": "OPENAI_READ_ONLY_KEY",  # a model call with a Read Only key
    "ip_restricted_key": "OPENAI_IP_RESTRICTED_KEY",  # any call with a key whose allowlist excludes CI
}
Trigger = Literal["no_key", "invalid_key", "wrong_organization", "no_credit_key", "read_only_key", "ip_restricted_key"]


class ErrorFact(_Strict):
    title: str
    status: int = Field(ge=400, le=599)
    type: str
    code: str | None
    message: str = Field(min_length=1)
    # Fields the fact sheet could not confirm: a different live value is reported, not drift.
    unverified: list[Literal["type", "code", "message"]] = []
    trigger: Trigger | None = None
    cause: str = Field(min_length=10)
    fix: str = Field(min_length=10)
    source: Source

    def message_pattern(self) -> re.Pattern[str]:
        """The message as a regex: literal text, with each {placeholder} matching anything."""
        return _template_pattern(self.message)

    def type_pattern(self) -> re.Pattern[str]:
        return _template_pattern(self.type)

    def message_parts(self) -> list[str]:
        """The message's fixed text between placeholders (what any real instance must contain)."""
        parts = PLACEHOLDER.split(self.message)[::2]
        return [part.strip() for part in parts if len(part.strip()) >= 4]


class ValueFact(_Strict):
    value: str
    source: Source


class ClaimFact(_Strict):
    """One statement the guide makes about what OpenAI does, requires, allows, charges or shows.

    `text` is our own wording, as the page renders it (`{{ claim("id") }}`); the source's quote is
    OpenAI's, and the source check keeps the two honest.
    """

    text: str = Field(min_length=10)
    source: Source

    @model_validator(mode="after")
    def _quoted(self) -> ClaimFact:
        if self.source.url is None or self.source.quote is None:
            raise ValueError("a claim needs source.url and source.quote (OpenAI's words that prove it)")
        return self


class SecretPattern(_Strict):
    pattern: str
    source: Source

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern


# A keyword matches whole words and their plural ("key": key, keys); a trailing * matches every word it
# begins ("expir*": expiry, expires, expiration).
Keyword = Annotated[str, Field(pattern=r"^[\w$][\w$ .'/-]*\*?$", max_length=60)]


class WatchPage(_Strict):
    """A page no fact quotes but where OpenAI announces what it adds: a changelog, release notes.

    The drift suite keeps the page's dated entries in a baseline (checks/drift/watch.py); each entry
    that is new since then and names one of `keywords` is for a writer to review.
    """

    url: HttpUrl
    title: str = Field(min_length=3)
    keywords: list[Keyword] = Field(min_length=1)


class Facts(_Strict):
    reviewed: date
    origins: list[HttpUrl] = Field(min_length=1)
    # Not facts: pages the suite watches for announcements (no page renders them, no check verifies them).
    watch: dict[str, WatchPage] = {}
    links: dict[str, LinkFact]
    ui: dict[str, UiFact]
    api: dict[str, ApiEndpoint | ApiValue]
    errors: dict[str, ErrorFact]
    values: dict[str, ValueFact]
    secret_patterns: dict[str, SecretPattern]
    claims: dict[str, ClaimFact] = {}

    @model_validator(mode="after")
    def _cross_references(self) -> Facts:
        problems: list[str] = []
        for fact_id, ui in self.ui.items():
            if ui.inside is not None:
                if ui.inside not in self.ui:
                    problems.append(f"ui.{fact_id}.inside: no ui fact named {ui.inside!r}")
                elif self.ui[ui.inside].url != ui.url:
                    problems.append(f"ui.{fact_id}.inside: {ui.inside!r} is on another page")
        for kind, url in self._all_urls():
            if url.startswith(("https://platform.openai.com", "https://developers.openai.com")) and not any(
                url.startswith(origin) for origin in self.origins
            ):
                problems.append(f"{kind}: {url} is under no origin listed in `origins`")
        problems += self._quotes_agree()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _quotes_agree(self) -> list[str]:
        """A value must be in its own quote; an error's code and its message's fixed parts too."""
        from keyguide.text import contains

        problems = []
        for fact_id, fact in self.values.items():
            quote = fact.source.quote
            if quote is not None and not contains(quote, fact.value):
                problems.append(f"values.{fact_id}.source.quote: does not contain the value {fact.value!r}")
        for fact_id, error in self.errors.items():
            quote = error.source.quote
            if quote is None:
                continue
            if error.code is not None and "code" not in error.unverified and not contains(quote, error.code):
                problems.append(f"errors.{fact_id}.source.quote: does not contain the code {error.code!r}")
            if "message" in error.unverified:
                continue
            for part in error.message_parts():
                if not contains(quote, part):
                    problems.append(f"errors.{fact_id}.source.quote: does not contain the message's {part!r}")
                    break
        return problems

    def _all_urls(self) -> list[tuple[str, str]]:
        urls = [(f"links.{k}.url", v.url) for k, v in self.links.items()]
        urls += [(f"ui.{k}.url", v.url) for k, v in self.ui.items()]
        urls += [(f"api.{k}.url", v.url) for k, v in self.api.items() if isinstance(v, ApiEndpoint)]
        return urls

    # -- lookups -------------------------------------------------------------------------------

    def section(self, kind: str) -> dict[str, BaseModel]:
        if kind not in SECTIONS:
            raise FactsError(f"unknown fact kind {kind!r} (known: {', '.join(SECTIONS)})")
        return getattr(self, kind)  # type: ignore[no-any-return]

    def get(self, kind: str, fact_id: str) -> BaseModel:
        """The fact `kind.fact_id`, or a FactsError that suggests the nearest id."""
        entries = self.section(kind)
        if fact_id not in entries:
            near = difflib.get_close_matches(str(fact_id), entries, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise FactsError(f"no fact {kind}.{fact_id} in facts.yml{hint}")
        return entries[fact_id]

    def url_section(self, fact_id: str) -> str:
        """The section whose entry `fact_id` has a URL (links first, then api, then ui)."""
        for kind in ("links", "api", "ui"):
            entry = self.section(kind).get(fact_id)
            if entry is not None and hasattr(entry, "url"):
                return kind
        raise FactsError(f"no fact with a URL named {fact_id!r} in facts.yml (links, api or ui)")

    def url(self, fact_id: str) -> str:
        return str(self.section(self.url_section(fact_id))[fact_id].url)  # type: ignore[attr-defined]

    def origin_of(self, url: str) -> str | None:
        return next((o for o in self.origins if url == o or url.startswith(o + "/")), None)

    def sources(self) -> list[tuple[str, Source]]:
        """Every fact as (`kind.id`, its source), in file order."""
        return [(fact_id, self.fact(fact_id).source) for fact_id in self.all_ids()]  # type: ignore[attr-defined]

    def fact(self, qualified: str) -> BaseModel:
        """The fact named `kind.id`."""
        kind, _, fact_id = qualified.partition(".")
        return self.get(kind, fact_id)

    def all_ids(self) -> list[str]:
        """Every fact as `kind.id`, in file order."""
        return [f"{kind}.{fact_id}" for kind in SECTIONS for fact_id in self.section(kind)]


SECTIONS = ("links", "ui", "api", "errors", "values", "secret_patterns", "claims")


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = PLACEHOLDER.split(template)
    # split() alternates literal text and placeholder names.
    regex = "".join(re.escape(part) if i % 2 == 0 else ".+?" for i, part in enumerate(parts))
    return re.compile(rf"^{regex}$", re.DOTALL)


def _format_validation_error(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        location = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-after", "union[")))
        # For the api section pydantic reports each union member; keep the message short.
        location = re.sub(r"\.(ApiEndpoint|ApiValue)\b", "", location)
        message = err["msg"].removeprefix("Value error, ")
        lines.append(f"{path.name}: {location or '(top level)'}: {message}")
    return "\n".join(dict.fromkeys(lines))


def parse_facts(path: Path) -> Facts:
    """Read and validate a facts file; raise FactsError naming file, entry and field."""
    try:
        raw = yamlload.load(yamlload.read_text(path, path.name))
    except FileNotFoundError:
        raise FactsError(f"{path}: facts file not found") from None
    except yamlload.NotUtf8 as exc:
        raise FactsError(str(exc)) from None
    except yamlload.YamlProblem as exc:
        raise FactsError(exc.describe(path.name)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise FactsError(f"{path.name}{where}: not valid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise FactsError(f"{path.name}: expected a mapping of sections at the top level")
    try:
        return Facts.model_validate(raw)
    except ValidationError as exc:
        raise FactsError(_format_validation_error(path, exc)) from None


def facts_path_default() -> Path:
    """`$KEYGUIDE_FACTS` if set, so tests can build a fixture copy with its own facts; else the root's file."""
    return Path(os.environ.get("KEYGUIDE_FACTS") or FACTS_PATH)


@lru_cache(maxsize=8)
def _cached(path: Path, mtime_ns: int) -> Facts:
    return parse_facts(path)


def load_facts(path: Path | str | None = None) -> Facts:
    """The validated facts; cached per file version so `mkdocs serve` sees edits."""
    facts_path = Path(path) if path else facts_path_default()
    try:
        mtime = facts_path.stat().st_mtime_ns
    except FileNotFoundError:
        raise FactsError(f"{facts_path}: facts file not found") from None
    return _cached(facts_path.resolve(), mtime)
