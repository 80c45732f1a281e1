"""The macros plugin's entry point (`module_name: keyguide/site` in mkdocs.yml), for any builder.

mkdocs-macros and Zensical both load this file and call `define_env`: it registers the macros of
keyguide/macros.py, the `platform` variable, and hands the env to keyguide/render.py, whose Jinja
extension gives each page its verification verdict and drift notices.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from keyguide import render
from keyguide.macros import MACROS, escaped, screenshot, whats_new
from keyguide.platform import platform_config, set_current


def define_env(env: Any) -> None:
    """The macros entry point (mkdocs-macros and Zensical alike): macros, `platform`, the page verdicts.

    Zensical calls it once per page, mkdocs-macros once per build; either way it must stay cheap.
    """
    config = platform_config(env.conf.get("extra", {}), "mkdocs.yml")
    set_current(config)
    render.remember(env)
    env.variables["platform"] = escaped(config.model_dump())
    for name, function in MACROS.items():
        env.macro(function, name)
    # The build's own docs_dir, which may be a copy of docs/ (tests build fixture copies).
    env.macro(partial(whats_new, Path(env.conf["docs_dir"])), "whats_new")

    def page_screenshot(fact_id: str) -> str:
        """The screenshot figure with a src relative to the page being rendered, from the build's docs_dir."""
        page = getattr(env, "page", None)
        return screenshot(fact_id, Path(env.conf["docs_dir"]), str(getattr(page, "url", "") or ""))

    env.macro(page_screenshot, "screenshot")
