"""The style and facts lint over the page sources (docs/*.md): `file:line: message` problems.

Why: the build proves that what a page says *through macros* exists in facts.yml, but not that a page
says nothing *around* them — a label typed in bold, a URL pasted in, or "click on the button below".
Each of those goes stale silently when OpenAI changes its UI. This lint catches them in the source,
where the writer can fix them, and names the macro to use instead.

Rules (ids in brackets; a line can opt out of one with a Jinja comment `{# lint: allow <rule> #}` on
that line or the line before, which the build strips from the page):
- [unused-fact] every fact in facts.yml is stated by some page (secret_patterns are exempt);
- [literal-bold] no **bold** / __bold__ / <strong> / <b> typed in a page: bold UI labels come from
  `ui()` (OpenAI) or `platform_ui()` (our platform);
- [literal-url] no http(s) URL typed in prose; in code, only URLs rendered by macros or reserved
  example/local hosts (example.com, localhost, 127.0.0.1, *.test, …);
- [bare-url] no URL shown as bare text in prose (`{{ url(…) }}` outside a link or code);
- [click-on], [please], [directional] the procedure style: "select", no "please", and no
  "above"/"below"/"left pane"/"top right" (say where by name, not by layout).

Fenced code, inline code, macro calls and HTML comments are never checked for style.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from keyguide.facts import Facts, FactsError, facts_path_default, load_facts
from keyguide.pages import DOCS_DIR, FRONT_MATTER, PageError, all_pages
from keyguide.platform import site_extra
from keyguide.usage import fact_uses

# Sections whose entries are guard rails, not statements a page makes.
EXEMPT_SECTIONS = ("secret_patterns",)

# Hosts reserved for examples and local use (RFC 2606, RFC 6761): safe in code samples.
EXAMPLE_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "example.com", "example.org", "example.net"}
EXAMPLE_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".example.com", ".example.org", ".example.net")

MACRO_FILLER = "\x00"
URL = re.compile(r"""https?://[^\s<>"'`)\]\x00]+""")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
RAW_BLOCK = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.DOTALL)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
ALLOW = re.compile(r"\{#-?\s*lint:\s*allow\s+([\w\s,-]+?)\s*-?#\}")
BOLD = re.compile(r"(?<![\\*])\*\*(?!\s)(.+?)(?<!\s)\*\*|(?<![\w\\_])__(?!\s)(.+?)(?<!\s)__(?!\w)")
HTML_BOLD = re.compile(r"<(strong|b)(\s[^>]*)?>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
URL_MACRO = re.compile(r"\{\{-?\s*(url|api)\s*\(\s*['\"]([\w-]+)['\"]\s*\)\s*-?\}\}")

CLICK_ON = re.compile(r"\bclick(?:s|ed|ing)?\s+on\b", re.IGNORECASE)
PLEASE = re.compile(r"\bplease\b", re.IGNORECASE)
_SIDES = r"(?:left|right)"
DIRECTIONAL = re.compile(
    r"\b(?:"
    r"(?:above|below)(?!\s*(?:[$€£¥]|\d|zero\b|the\s+(?:limit|threshold|minimum|maximum|amount)\b))"
    rf"|{_SIDES}[- ]?(?:hand\s+)?(?:pane|panel|sidebar|column|side|menu)\b"
    rf"|(?:upper|lower|top|bottom)[- ]{_SIDES}\b(?:[- ]hand)?(?:\s+corner)?"
    rf"|(?:on|to|at|in)\s+the\s+{_SIDES}(?=\s*(?:[.,;:!?)]|$|(?:-?hand|side|of|corner|pane|panel|sidebar|column|menu)\b))"
    r"|(?:see|shown|listed|described|mentioned)\s+(?:above|below|earlier|later)"
    r")",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, printed as `file:line: message`."""

    path: str
    line: int
    message: str
    rule: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class _Line:
    number: int  # in the file
    text: str  # the source line
    prose: str  # the line with code, macros and comments blanked out (same length, same columns)
    code: str  # for code lines: the code with macro calls blanked; else inline code spans only
    in_fence: bool
    allowed: frozenset[str]


# -- Scanning a page ---------------------------------------------------------------------------


def _blank(match: re.Match[str]) -> str:
    """Replace a match by spaces of the same length, keeping newlines, so columns and lines hold."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _stub(match: re.Match[str]) -> str:
    """Like _blank, but with a non-space, non-word filler: `**{{ value("x") }}**` stays a bold span."""
    return re.sub(r"[^\n]", MACRO_FILLER, match.group(0))


def _scan(text: str) -> list[_Line]:
    """Split a page's body into lines, each with its prose and its code separated, numbered as in the file."""
    match = FRONT_MATTER.match(text)
    body = text[match.end() :] if match else text
    first = match.group(0).count("\n") + 1 if match else 1

    # Macros and comments may span lines: blank them over the whole body first.
    no_macros = JINJA.sub(_stub, RAW_BLOCK.sub(_stub, body))
    no_comments = HTML_COMMENT.sub(_blank, no_macros)
    raw_lines = body.split("\n")
    macro_free = no_macros.split("\n")
    comment_free = no_comments.split("\n")

    lines: list[_Line] = []
    fence: str | None = None
    previous_allow: frozenset[str] = frozenset()
    for index, source in enumerate(raw_lines):
        allowed = frozenset(
            rule.strip() for found in ALLOW.findall(source) for rule in re.split(r"[\s,]+", found) if rule.strip()
        )
        opener = FENCE.match(source)
        if fence is not None or opener:
            is_closer = fence is not None and re.match(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", source)
            code = macro_free[index] if fence is not None else ""
            lines.append(_Line(first + index, source, "", code, True, allowed | previous_allow))
            if fence is None and opener:
                fence = opener.group(1)
            elif is_closer:
                fence = None
        else:
            prose = comment_free[index]
            spans = [m.group(2) for m in INLINE_CODE.finditer(prose)]
            prose = INLINE_CODE.sub(_blank, prose)
            lines.append(_Line(first + index, source, prose, " ".join(spans), False, allowed | previous_allow))
        previous_allow = allowed
    return lines


def _is_example(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in EXAMPLE_HOSTS or host.endswith(EXAMPLE_SUFFIXES)


# -- Hints -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hints:
    """What the facts and the site config offer, so a message can name the exact macro to use."""

    ui_by_name: dict[str, list[str]]
    platform_by_label: dict[str, str]
    url_ids: dict[str, tuple[str, str]]  # url -> (macro, id)

    @classmethod
    def build(cls, facts: Facts | None, config_file: Path | None) -> _Hints:
        ui_by_name: dict[str, list[str]] = {}
        url_ids: dict[str, tuple[str, str]] = {}
        if facts is not None:
            for fact_id, ui in facts.ui.items():
                ui_by_name.setdefault(ui.name.casefold(), []).append(fact_id)
            for fact_id, link in facts.links.items():
                url_ids.setdefault(link.url.rstrip("/"), ("link", fact_id))
            for fact_id, entry in facts.api.items():
                if hasattr(entry, "url"):
                    url_ids.setdefault(entry.url.rstrip("/"), ("api", fact_id))
        return cls(ui_by_name, _platform_labels(config_file), url_ids)

    def bold(self, label: str) -> str:
        key = label.strip().casefold()
        macros = [f'{{{{ ui("{fact_id}") }}}}' for fact_id in self.ui_by_name.get(key, [])]
        if key in self.platform_by_label:
            macros.append(f'{{{{ platform_ui("{self.platform_by_label[key]}") }}}}')
        if macros:
            return f"render it with {' or '.join(macros)}"
        return (
            'render UI labels with {{ ui("…") }} (add the label to facts.yml `ui`) or '
            '{{ platform_ui("…") }} (our platform); for emphasis, reword instead of bolding'
        )

    def url(self, url: str, in_code: bool) -> str:
        known = self.url_ids.get(url.rstrip("/"))
        if known:
            macro, fact_id = known
            if in_code or macro == "api":
                return f'write {{{{ {"api" if macro == "api" else "url"}("{fact_id}") }}}} instead'
            return f'write {{{{ link("{fact_id}") }}}} instead'
        near = difflib.get_close_matches(url.rstrip("/"), list(self.url_ids), n=1, cutoff=0.8)
        hint = f" (facts.yml has the similar {near[0]})" if near else ""
        macro = '{{ url("…") }}' if in_code else '{{ link("…") }}'
        return f"add it to facts.yml `links` with a source and write {macro}{hint}"


def _platform_labels(config_file: Path | None) -> dict[str, str]:
    if config_file is None or not config_file.exists():
        return {}
    try:
        labels = site_extra(config_file)["platform"]["labels"]
    except (FactsError, KeyError, TypeError):
        return {}
    return {str(label).casefold(): str(label_id) for label_id, label in labels.items()}


# -- Rules -------------------------------------------------------------------------------------


def _page_problems(path: Path, where: str, hints: _Hints) -> Iterator[Problem]:
    lines = _scan(path.read_text(encoding="utf-8"))
    for line in lines:

        def problem(rule: str, message: str, _line: _Line = line) -> Problem | None:
            if rule in _line.allowed:
                return None
            return Problem(where, _line.number, message, rule)

        found: list[Problem | None] = []
        if line.in_fence:
            for url in URL.findall(line.code):
                if not _is_example(url):
                    found.append(problem("literal-url", f"literal URL {url} in a code sample: {hints.url(url, True)}"))
            yield from (p for p in found if p)
            continue

        for url in URL.findall(line.code):  # inline code
            if not _is_example(url):
                found.append(problem("literal-url", f"literal URL {url} in inline code: {hints.url(url, True)}"))

        targets = {m.start(1): m.group(1) for m in LINK_TARGET.finditer(line.prose)}
        for match in URL.finditer(line.prose):
            url = match.group(0)
            if match.start() in targets or line.prose[max(0, match.start() - 1)] in "\"'":
                found.append(problem("literal-url", f"literal URL {url} in a link: {hints.url(url, False)}"))
            else:
                found.append(problem("bare-url", f"bare URL {url} in prose: {hints.url(url, False)}"))
        outside_code = INLINE_CODE.sub(_blank, line.text)
        for match in URL_MACRO.finditer(outside_code):
            if not re.search(r"(\]\(\s*|[\"'])$", outside_code[: match.start()]):
                found.append(
                    problem(
                        "bare-url",
                        f'bare URL from {{{{ {match.group(1)}("{match.group(2)}") }}}} in prose: link it with '
                        f'{{{{ link("…") }}}} or show it as code (`{{{{ {match.group(1)}(…) }}}}`)',
                    )
                )

        # Style rules look at the words only: drop link targets and URLs first.
        words = URL.sub(lambda m: " " * len(m.group(0)), LINK_TARGET.sub(_blank, line.prose))
        for match in BOLD.finditer(words):
            label = _original(line.text, match)
            found.append(problem("literal-bold", f"literal bold '{label}': {hints.bold(label)}"))
        for match in HTML_BOLD.finditer(words):
            label = match.group(3)
            found.append(problem("literal-bold", f"literal <{match.group(1)}> '{label}': {hints.bold(label)}"))
        for match in CLICK_ON.finditer(words):
            found.append(
                problem("click-on", f"'{match.group(0)}': write \"select\" (it covers taps and keyboards too)")
            )
        for match in PLEASE.finditer(words):
            found.append(problem("please", f"'{match.group(0)}': drop it; instructions are direct, not requests"))
        for match in DIRECTIONAL.finditer(words):
            found.append(
                problem(
                    "directional",
                    f"directional '{match.group(0)}': name the place instead (the section, the menu, the "
                    "label) — layouts change and differ on phones and screen readers",
                )
            )
        yield from (p for p in found if p)


def _original(text: str, match: re.Match[str]) -> str:
    """The bold text as written in the source, macros included, so the writer recognises it."""
    return text[match.start() + 2 : match.end() - 2].strip()


def _fact_lines(facts_path: Path) -> dict[str, int]:
    """`kind.id` -> line of its entry in facts.yml, so an unused fact points at its definition."""
    lines: dict[str, int] = {}
    section = ""
    for number, text in enumerate(facts_path.read_text(encoding="utf-8").splitlines(), start=1):
        top = re.match(r"^([A-Za-z_]\w*):", text)
        if top:
            section = top.group(1)
            continue
        entry = re.match(r"^  ([\w-]+):", text)
        if entry and section:
            lines.setdefault(f"{section}.{entry.group(1)}", number)
    return lines


def _unused_facts(docs_dir: Path, facts: Facts, facts_path: Path) -> Iterator[Problem]:
    # The same reading of the pages as keyguide.usage._usage_index, but with these facts (the index
    # caches the default facts file, and a test may lint a copy with its own).
    try:
        used = {use.fact for page in all_pages(docs_dir) for use in fact_uses(page, facts)}
    except (PageError, FactsError) as exc:
        first = str(exc).splitlines()[0]
        yield Problem(facts_path.name, 1, f"cannot tell which facts are used: {first}", "unused-fact")
        return
    where = _fact_lines(facts_path)
    for fact in facts.all_ids():
        kind, fact_id = fact.split(".", 1)
        if kind in EXEMPT_SECTIONS or fact in used:
            continue
        macro = {"links": "link", "ui": "ui", "values": "value", "errors": "error", "api": "api"}[kind]
        yield Problem(
            facts_path.name,
            where.get(fact, 1),
            f'{fact} is stated by no page: use it with {{{{ {macro}("{fact_id}") }}}} or remove it from facts.yml',
            "unused-fact",
        )


def lint_pages(
    docs_dir: Path = DOCS_DIR, facts_path: Path | None = None, config_file: Path | None = None
) -> list[Problem]:
    """Every problem in the pages under `docs_dir` (and facts.yml's unused facts), sorted by file and line."""
    docs_dir = Path(docs_dir)
    facts_file = Path(facts_path) if facts_path else facts_path_default()
    config = Path(config_file) if config_file else docs_dir.parent / "mkdocs.yml"
    problems: list[Problem] = []
    try:
        facts: Facts | None = load_facts(facts_file)
    except FactsError as exc:
        facts = None
        problems.append(Problem(facts_file.name, 1, str(exc).splitlines()[0], "facts"))
    hints = _Hints.build(facts, config)
    for page in sorted(docs_dir.rglob("*.md")):
        where = f"{docs_dir.name}/{page.relative_to(docs_dir).as_posix()}"
        problems.extend(_page_problems(page, where, hints))
    if facts is not None:
        problems.extend(_unused_facts(docs_dir, facts, facts_file))
    return sorted(problems)


def main(argv: Iterable[str] | None = None) -> int:
    """`python -m keyguide.lint [DOCS_DIR]`: print the problems; exit 1 if there are any."""
    parser = argparse.ArgumentParser(prog="python -m keyguide.lint", description=__doc__.splitlines()[0])
    parser.add_argument("docs_dir", nargs="?", type=Path, default=DOCS_DIR, help="the pages (default: docs/)")
    parser.add_argument("--facts", type=Path, default=None, help="the facts file (default: facts.yml)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    problems = lint_pages(args.docs_dir, args.facts)
    for found in problems:
        print(found)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
