"""Guide pages as data: their front matter (versioned metadata) and where each fact is used.

The build hook validates every page through `read_page`; the drift report asks `fact_usage()` which
page and step state a fact, so a stale fact is reported as "Create a key › step 3", not as an id.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from jinja2 import Environment, TemplateSyntaxError, nodes
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from keyguide import yamlload
from keyguide.facts import ROOT, Facts, FactsError, load_facts

DOCS_DIR = ROOT / "docs"

# Macro name -> the facts section its first argument names (None: any section with a URL).
FACT_MACROS = {
    "ui": "ui",
    "link": "links",
    "url": None,
    "value": "values",
    "claim": "claims",
    "error": "errors",
    "api": "api",
}
# Macros that state every fact of a section (the troubleshooting table).
SECTION_MACROS = {"error_table": "errors"}


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


# -- where facts are used ---------------------------------------------------------------------


@dataclass(frozen=True)
class FactUse:
    """One place a page states a fact."""

    fact: str  # "ui.create_key_button"
    page: str  # "create-key.md"
    line: int  # line in the source file
    section: str  # the heading the line is under
    step: int | None  # the numbered step, if the line is inside one

    @property
    def where(self) -> str:
        step = f" › step {self.step}" if self.step else ""
        return f"{self.section}{step}"


def macro_calls(body: str, tree: nodes.Template | None = None) -> list[tuple[str, list[object], int]]:
    """Every macro call in a page body as (name, constant args, 1-based line). Raises on bad syntax.

    Pass the body's parsed `tree` when you have it: parsing is most of the cost on a large site.
    """
    tree = tree if tree is not None else Environment().parse(body)
    calls = []
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name):
            args = [a.value if isinstance(a, nodes.Const) else None for a in call.args]
            calls.append((call.node.name, args, call.lineno))
    return calls


ATTR_LIST = re.compile(r"\s*\{\s*[#.:][^{}]*\}\s*$")


ITEM = re.compile(r"^(\d+)\.\s")  # a top-level numbered step
HEADING = re.compile(r"^#{1,6}\s+(.*)$")
FENCE = re.compile(r"^(`{3,}|~{3,})")


def fenced_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines inside fenced code (fences included): a `# comment` there is no heading."""
    inside: set[int] = set()
    fence = ""
    for at, line in enumerate(lines):
        stripped = line.strip()
        if fence:
            inside.add(at)
            if stripped.startswith(fence) and not stripped[len(fence) :].strip():
                fence = ""
        elif match := FENCE.match(stripped):
            fence = match.group(1)
            inside.add(at)
    return inside


def _steps_by_line(body: str) -> list[tuple[str, int | None]]:
    """For each body line: the heading it sits under and its top-level numbered step."""
    section, step = "", None
    lines = body.splitlines()
    fenced = fenced_lines(lines)
    out = []
    for at, line in enumerate(lines):
        if at not in fenced:
            heading, item = HEADING.match(line), ITEM.match(line)
            if heading:
                section, step = heading_text(ATTR_LIST.sub("", heading.group(1))), None
            elif item:
                step = int(item.group(1))
            elif line.strip() and not line.startswith((" ", "\t")):
                step = None  # a paragraph at the margin ends the list
        out.append((section, step))
    return out


def heading_text(raw: str) -> str:
    """A heading as readers see it: its macros rendered ("401: the key is wrong"), else removed."""
    if "{{" not in raw:
        return raw.strip()
    from keyguide.macros import MACROS

    env = Environment()
    env.globals.update(MACROS)
    env.globals["platform"] = _platform_variables()
    try:
        # Macros escape their text for the page; a report shows it as readers read it.
        return html.unescape(env.from_string(raw).render().replace("**", "")).strip()
    except Exception:
        return re.sub(r"\{\{.*?\}\}", "…", raw).strip()


@lru_cache(maxsize=1)
def _platform_variables() -> dict[str, object]:
    from keyguide.platform import site_extra

    try:
        return dict(site_extra(ROOT / "mkdocs.yml")["platform"])
    except (FactsError, KeyError, TypeError, ValueError):
        return {}


def fact_uses(page: Page, facts: Facts) -> list[FactUse]:
    try:
        calls = macro_calls(page.body)
    except TemplateSyntaxError as exc:
        raise PageError(
            f"docs/{page.path.as_posix()}:{page.body_line + (exc.lineno or 1) - 1}: {exc.message}"
        ) from None
    context = _steps_by_line(page.body)
    title = page.meta.title
    uses = []
    for name, args, line in calls:
        if name in SECTION_MACROS:
            ids = [f"{SECTION_MACROS[name]}.{fact_id}" for fact_id in facts.section(SECTION_MACROS[name])]
        elif name in FACT_MACROS and args and isinstance(args[0], str):
            ids = [f"{FACT_MACROS[name] or facts.url_section(args[0])}.{args[0]}"]
        else:
            continue
        heading, step = context[line - 1] if line - 1 < len(context) else ("", None)
        where = (page.path.as_posix(), page.body_line + line - 1, heading or title, step)
        uses.extend(FactUse(fact_id, *where) for fact_id in ids)
    return uses


@lru_cache(maxsize=1)
def _usage_index(docs_dir: Path) -> dict[str, tuple[FactUse, ...]]:
    facts = load_facts()
    index: dict[str, list[FactUse]] = {}
    for page in all_pages(docs_dir):
        for use in fact_uses(page, facts):
            index.setdefault(use.fact, []).append(use)
    return {k: tuple(v) for k, v in index.items()}


def fact_usage(fact: str, docs_dir: Path = DOCS_DIR) -> tuple[FactUse, ...]:
    """Where the guide states `fact` ("ui.create_key_button"); empty if no page does."""
    try:
        return _usage_index(docs_dir.resolve()).get(fact, ())
    except (PageError, FactsError):
        return ()
