"""Where the guide states each fact: page, line, heading and numbered step.

The drift report asks `fact_usage()` which page and step state a fact, so a stale fact is reported
as "Create the key › step 3", not as an id; the build's drift notices and `keyguide fix` use the
same index. Headings are shown as readers see them, so this module renders their macros.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, TemplateSyntaxError, nodes

from keyguide.facts import ROOT, Facts, FactsError, load_facts
from keyguide.macros import MACROS
from keyguide.pages import DOCS_DIR, Page, PageError, all_pages

# Macro name -> the facts section its first argument names (None: any section with a URL).
FACT_MACROS = {
    "ui": "ui",
    "link": "links",
    "url": None,
    "value": "values",
    "claim": "claims",
    "error": "errors",
    "api": "api",
    "screenshot": "ui",
}
# Macros that state every fact of a section (the troubleshooting table).
SECTION_MACROS = {"error_table": "errors"}


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
