"""MkDocs build hooks: refuse a broken facts file, broken front matter or an unknown macro.

They run before mkdocs-macros renders a page (priority 100), so a mistake becomes one line naming
file and field or file and line — instead of mkdocs-macros' traceback, or a silently blank value.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateSyntaxError, nodes
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from keyguide.coverage import unchecked_problems
from keyguide.facts import FactsError, load_facts
from keyguide.macros import MACROS
from keyguide.pages import FACT_MACROS, PageError, macro_calls, read_page
from keyguide.platform import platform_config, read_site_config, set_current
from keyguide.verification import add_drift_notices, load_verification

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


@event_priority(100)  # before mkdocs-macros calls define_env, which needs a valid extra.platform
def on_config(config: Any) -> Any:
    where = Path(config["config_file_path"]).name
    try:
        read_site_config(Path(config["config_file_path"]))  # MkDocs' loader lets a duplicated key replace the first
        check_site_url(config.get("site_url"), where)
        unchecked = unchecked_problems(load_facts())
        if unchecked:  # a fact no check guards is how the guide went wrong before
            raise FactsError("\n".join(unchecked))
        set_current(platform_config(config["extra"], where))
        config["extra"]["verification"] = load_verification(config["extra"].get("verification_file"))
    except FactsError as exc:
        raise PluginError(str(exc)) from None
    return config


@event_priority(100)
def on_pre_page(page: Any, config: Any, files: Any) -> Any:
    """Read the page before MkDocs does: its own read of a non-UTF-8 file ends in a traceback."""
    if page.file.abs_src_path:
        try:
            read_page(Path(page.file.abs_src_path), Path(config["docs_dir"]))
        except PageError as exc:
            raise PluginError(str(exc)) from None
    return page


@event_priority(100)
def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    path = Path(page.file.abs_src_path)
    where = f"{Path(config['docs_dir']).name}/{page.file.src_uri}"
    try:
        guide_page = read_page(path, Path(config["docs_dir"]))
    except PageError as exc:
        raise PluginError(str(exc)) from None
    if guide_page.meta.render_macros:
        known = BUILTIN_NAMES | set(MACROS) | set(config["extra"]) | set(page.meta)
        values = dict(config["extra"]) | {"platform": config["extra"]["platform"]}
        check_macros(guide_page.body, guide_page.body_line, where, known, values)
    # After validation, before mkdocs-macros (priority 0): the notices are placed by source line.
    return add_drift_notices(markdown, guide_page, page.file.src_uri, config["extra"])


def check_macros(body: str, first_line: int, where: str, known: set[str], values: dict[str, Any]) -> None:
    """Raise PluginError for a syntax error, an unknown name or attribute, or a fact id facts.yml lacks.

    `values` holds the variables whose attributes can be checked before rendering (`platform.name`).
    """
    env = Environment()
    try:
        tree = env.parse(body)
    except TemplateSyntaxError as exc:
        raise PluginError(f"{where}:{first_line + (exc.lineno or 1) - 1}: macro syntax error: {exc.message}") from None
    for name in sorted(_read_names(tree)):
        if name not in known:
            line = _first_line_of(body, name)
            near = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise PluginError(f"{where}:{first_line + line - 1}: unknown macro or variable {name!r}{hint}")
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
            raise PluginError(f"{where}:{first_line + line - 1}: {exc}") from None


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
            raise PluginError(f"{where}:{line}: {path} has no {attr!r}{hint}")
        current, path = current[attr], f"{path}.{attr}"


def _first_line_of(body: str, name: str) -> int:
    for number, text in enumerate(body.splitlines(), start=1):
        if name in text:
            return number
    return 1
