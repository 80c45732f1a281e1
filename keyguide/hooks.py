"""MkDocs build hooks: run keyguide.validate inside `mkdocs build`, with MkDocs' own error lines.

They run before mkdocs-macros renders a page (priority 100), so a mistake becomes one line naming
file and field or file and line — instead of mkdocs-macros' traceback, or a silently blank value.
Nothing here is needed for the pages themselves: the stamp, the drift notices, the history and the
What's new page come from keyguide/macros.py and keyguide/render.py, which Zensical runs too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from keyguide.facts import FactsError
from keyguide.pages import PageError, read_page
from keyguide.platform import set_current
from keyguide.validate import check_page, check_site


@event_priority(100)  # before mkdocs-macros calls define_env, which needs a valid extra.platform
def on_config(config: Any) -> Any:
    try:
        site = check_site(Path(config["config_file_path"]), config["extra"], config.get("site_url"))
    except FactsError as exc:
        raise PluginError(str(exc)) from None
    set_current(site.platform)
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
    """Front matter and macros, checked before mkdocs-macros renders the page."""
    try:
        check_page(Path(page.file.abs_src_path), Path(config["docs_dir"]), config["extra"], page.meta)
    except (PageError, FactsError) as exc:
        raise PluginError(str(exc)) from None
    return markdown
