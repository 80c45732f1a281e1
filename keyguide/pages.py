"""Guide pages as data: their front matter (versioned metadata), validated once per file version.

The build and `python -m keyguide check` validate every page through `read_page`; where each page
states which fact is `keyguide.usage`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from keyguide import yamlload
from keyguide.facts import ROOT

DOCS_DIR = ROOT / "docs"


class PageError(Exception):
    """A page that cannot be built: the message names the file, line or field."""


class ChangelogEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)
    date: date
    summary: str = Field(min_length=5)


class PageMeta(BaseModel):
    """The front matter every page carries."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=3)
    description: str = Field(min_length=20, max_length=170)
    updated: date
    version: int = Field(ge=1)
    changelog: list[ChangelogEntry] = Field(min_length=1)
    # Off for pages that show template syntax verbatim (none today).
    render_macros: bool = True
    # Material's own per-page switches.
    hide: list[str] = []

    @model_validator(mode="after")
    def _history_matches(self) -> PageMeta:
        newest = self.changelog[0]
        if newest.version != self.version:
            raise ValueError(f"version is {self.version} but the newest changelog entry is {newest.version}")
        if newest.date != self.updated:
            raise ValueError(f"updated is {self.updated} but the newest changelog entry is dated {newest.date}")
        versions = [entry.version for entry in self.changelog]
        if versions != sorted(versions, reverse=True) or len(set(versions)) != len(versions):
            raise ValueError("changelog must list each version once, newest first")
        dates = [entry.date for entry in self.changelog]
        if dates != sorted(dates, reverse=True):
            raise ValueError("changelog dates must go from newest to oldest")
        return self


FRONT_MATTER = re.compile(r"\A---\s*\n(.*?\n)---\s*\n", re.DOTALL)


@dataclass(frozen=True)
class Page:
    path: Path  # relative to docs/
    meta: PageMeta
    body: str
    body_line: int  # line number of the body's first line in the file

    @property
    def url(self) -> str:
        stem = self.path.with_suffix("").as_posix()
        if stem == "index":
            return ""
        return stem.removesuffix("/index") + "/"


def split_front_matter(text: str, where: str) -> tuple[dict[str, object], str, int]:
    match = FRONT_MATTER.match(text)
    if not match:
        raise PageError(f"{where}: no front matter (a '---' block with title, updated, version, changelog)")
    try:
        # libyaml when present: front matter is parsed for every page on every build.
        data = yamlload.load(match.group(1), yamlload.FastSafeLoader)
    except yamlload.YamlProblem as exc:
        raise PageError(exc.describe(where, 1, "front matter: ")) from None  # front matter starts on line 2
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 2}" if mark is not None else ""
        raise PageError(f"{where}{line}: front matter is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise PageError(f"{where}: front matter must be a mapping")
    return data, text[match.end() :], match.group(0).count("\n") + 1


def validate_meta(data: dict[str, object], where: str) -> PageMeta:
    try:
        return PageMeta.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            prefix = f"front matter: {field}" if field else "front matter"
            problems.append(f"{where}: {prefix}: {err['msg'].removeprefix('Value error, ')}")
        raise PageError("\n".join(problems)) from None


def read_page(path: Path, docs_dir: Path = DOCS_DIR) -> Page:
    """The page, parsed once per file version: the build hook and whats_new() both read every page."""
    stat = path.stat()
    return _read_page(path, docs_dir, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _read_page(path: Path, docs_dir: Path, mtime_ns: int, size: int) -> Page:
    where = _display(path, docs_dir)
    try:
        text = yamlload.read_text(path, where)
    except yamlload.NotUtf8 as exc:
        raise PageError(str(exc)) from None
    data, body, body_line = split_front_matter(text, where)
    return Page(path.relative_to(docs_dir), validate_meta(data, where), body, body_line)


def all_pages(docs_dir: Path = DOCS_DIR) -> list[Page]:
    return [read_page(p, docs_dir) for p in sorted(docs_dir.rglob("*.md"))]


def _display(path: Path, docs_dir: Path = DOCS_DIR) -> str:
    """`docs/create-key.md`, as writers know the file, also in a copy of the project (tests, benchmarks)."""
    try:
        return f"{docs_dir.name}/{path.resolve().relative_to(docs_dir.resolve()).as_posix()}"
    except ValueError:
        return str(path)
