"""Everything a build must refuse, in code any builder (or no builder) can run.

MkDocs runs it through the build hooks (keyguide/hooks.py), which turn each problem into MkDocs' own
error; Zensical runs no hooks, so `python -m keyguide check` runs the same checks before either
builder (`make build`, `make preview`, CI and the deploy workflow do). Every problem is one line that
names the file and the field or line.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateSyntaxError, nodes

from keyguide.baselines import check_baselines
from keyguide.coverage import unchecked_problems
from keyguide.facts import Facts, FactsError, load_facts
from keyguide.macros import MACROS
from keyguide.pages import Page, PageError, all_pages, read_page
from keyguide.platform import PlatformConfig, platform_config, read_site_config, set_current
from keyguide.screens import check_screens
from keyguide.usage import FACT_MACROS, macro_calls
from keyguide.verification import load_verification

# Names mkdocs-macros and Jinja provide to every page.
BUILTIN_NAMES = {
    "config",
    "page",
    "environment",
    "plugin",
    "git",
    "navigation",
    "files",
    "macros_info",
    "now",
    "fix_url",
    "context",
    "pretty",
    "relative_url",
    "extra",
    "range",
    "dict",
    "lipsum",
    "cycler",
    "joiner",
    "namespace",
    "platform",
}


# mkdocs.yml's default site_url; a deploy build must replace it (see check_site_url).
PLACEHOLDER_SITE_URL = "https://example.github.io/openai-key-guide/"
DEPLOY_ENV, SITE_URL_ENV = "KEYGUIDE_DEPLOY", "KEYGUIDE_SITE_URL"


def check_site_url(site_url: str | None, where: str) -> None:
    """Refuse a deploy build whose canonical links and sitemap would point at the placeholder address.

    Only with KEYGUIDE_DEPLOY set (the deploy workflow): previews and tests build offline with the default.
    """
    if os.environ.get(DEPLOY_ENV, "").strip().lower() in ("", "0", "false", "no"):
        return
    if not site_url or site_url.rstrip("/") == PLACEHOLDER_SITE_URL.rstrip("/"):
        shown = f"still the placeholder {site_url}" if site_url else "empty"
        raise FactsError(
            f"{where}: site_url is {shown} in a deploy build ({DEPLOY_ENV}=1): set {SITE_URL_ENV} to the "
            "published address (deploy.yml takes it from actions/configure-pages)"
        )


@dataclass(frozen=True)
class Site:
    """A validated site configuration: what the macros and templates may rely on."""

    facts: Facts
    platform: PlatformConfig
    extra: dict[str, Any]
    verification: dict[str, Any] | None
    docs_dir: Path


def check_site(config_file: Path, extra: dict[str, Any] | None = None, site_url: str | None = None) -> Site:
    """mkdocs.yml, facts.yml, coverage, screenshots, baselines and verification.json, or FactsError, one line
    per problem.

    `extra` and `site_url` are the builder's reading of mkdocs.yml when there is one; otherwise (the
    `check` command) they come from our own strict reader, which also refuses duplicated keys.
    """
    where = config_file.name
    config = read_site_config(config_file)
    extra = extra if extra is not None else dict(config.get("extra") or {})
    check_site_url(site_url if site_url is not None else config.get("site_url"), where)
    facts = load_facts()
    unchecked = unchecked_problems(facts)
    if unchecked:  # a fact no check guards is how the guide went wrong before
        raise FactsError("\n".join(unchecked))
    platform = platform_config(extra, where)
    docs_dir = config_file.parent / str(config.get("docs_dir") or "docs")
    shots = check_screens(docs_dir)  # only a live run's shots, unchanged since, may reach readers
    if shots:
        raise FactsError("\n".join(shots))
    baselines = check_baselines(config_file.parent)  # and only a live run's baselines may be committed
    if baselines:
        raise FactsError("\n".join(baselines))
    return Site(facts, platform, extra, load_verification(extra.get("verification_file")), docs_dir)


def check_page(path: Path, docs_dir: Path, extra: dict[str, Any], page_meta: dict[str, Any] | None = None) -> Page:
    """One page's front matter and macros, or PageError naming the file and line."""
    page = read_page(path, docs_dir)
    if page.meta.render_macros:
        where = f"{docs_dir.name}/{page.path.as_posix()}"
        meta = page_meta if page_meta is not None else page.meta.model_dump()
        known = BUILTIN_NAMES | set(MACROS) | set(extra) | set(meta)
        values = dict(extra) | {"platform": extra.get("platform", {})}
        check_macros(page.body, page.body_line, where, known, values)
    return page


def check_project(root: Path) -> list[str]:
    """Every problem of the project at `root`, one line each (empty: a builder may build it)."""
    try:
        site = check_site(root / "mkdocs.yml")
    except (FactsError, PageError) as exc:
        return str(exc).splitlines()
    set_current(site.platform)  # the platform_ui() macro reads it
    docs_dir = site.docs_dir
    problems: list[str] = []
    paths = sorted(docs_dir.rglob("*.md"))
    for path in paths:
        try:
            check_page(path, docs_dir, site.extra | {"platform": site.platform.model_dump()})
        except (FactsError, PageError) as exc:
            problems += str(exc).splitlines()
    if not problems:
        all_pages(docs_dir)  # the What's new page reads every page's history
    return problems


def check_macros(body: str, first_line: int, where: str, known: set[str], values: dict[str, Any]) -> None:
    """Raise PageError for a syntax error, an unknown name or attribute, or a fact id facts.yml lacks.

    `values` holds the variables whose attributes can be checked before rendering (`platform.name`).
    """
    env = Environment()
    try:
        tree = env.parse(body)
    except TemplateSyntaxError as exc:
        raise PageError(f"{where}:{first_line + (exc.lineno or 1) - 1}: macro syntax error: {exc.message}") from None
    for name in sorted(_read_names(tree)):
        if name not in known:
            line = _first_line_of(body, name)
            near = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise PageError(f"{where}:{first_line + line - 1}: unknown macro or variable {name!r}{hint}")
    for node in tree.find_all(nodes.Getattr):
        _check_attribute(node, values, where, first_line)
    facts = load_facts()
    for name, args, line in macro_calls(body, tree):
        if not args or not isinstance(args[0], str):
            continue
        try:
            if name in FACT_MACROS:
                section = FACT_MACROS[name]
                facts.get(section, args[0]) if section else facts.url_section(args[0])
            elif name == "platform_ui":
                MACROS["platform_ui"](args[0])
        except FactsError as exc:
            raise PageError(f"{where}:{first_line + line - 1}: {exc}") from None


def _read_names(tree: nodes.Template) -> set[str]:
    """Names the body reads but never sets: what meta.find_undeclared_variables gives, without compiling
    the whole template to Python (a third of the hook's time on a 500-page site)."""
    names = list(tree.find_all(nodes.Name))
    assigned = {n.name for n in names if n.ctx in ("store", "param")}
    return {n.name for n in names if n.ctx == "load"} - assigned


def _check_attribute(node: nodes.Getattr, values: dict[str, Any], where: str, first_line: int) -> None:
    chain: list[str] = []
    target: nodes.Node = node
    while isinstance(target, nodes.Getattr):
        chain.insert(0, target.attr)
        target = target.node
    if not isinstance(target, nodes.Name) or target.name not in values:
        return
    current: Any = values[target.name]
    path = target.name
    for attr in chain:
        if not isinstance(current, dict):
            return
        if attr not in current:
            near = difflib.get_close_matches(attr, [str(k) for k in current], n=1)
            hint = f" (did you mean {path}.{near[0]}?)" if near else ""
            line = first_line + (node.lineno or 1) - 1
            raise PageError(f"{where}:{line}: {path} has no {attr!r}{hint}")
        current, path = current[attr], f"{path}.{attr}"


def _first_line_of(body: str, name: str) -> int:
    for number, text in enumerate(body.splitlines(), start=1):
        if name in text:
            return number
    return 1
