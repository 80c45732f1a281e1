"""What every page gets from the build, in any builder: its verification verdict and drift notices.

MkDocs hooks run only in MkDocs. Both MkDocs (through mkdocs-macros) and Zensical run the macros
module's `define_env` and the Jinja extensions that mkdocs.yml lists under the macros plugin's
`j2_extensions`, so the per-page work lives here: `define_env` calls `remember()`, and the
`GuidePage` extension's `preprocess` sees each page's Markdown just before its macros render. It
records the page's verdict as `page.meta.guide_stamp` (overrides/partials/page-meta.html shows it)
and puts a notice on each step that states a drifted fact (keyguide.verification).

The extension is imported by its dotted name while the macros module is loaded from its file, so
the state they share lives in this module, which both import the ordinary way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2.ext import Extension

from keyguide.pages import PageError, read_page
from keyguide.verification import add_drift_notices, load_verification

STAMP_KEY = "guide_stamp"
_STATE: dict[str, Any] = {}


def remember(env: Any) -> None:
    """Keep the builder's macros env (its `.page` is the page being rendered) and the last run."""
    conf = env.conf
    extra = dict(conf.get("extra") or {})
    docs_dir = Path(str(conf.get("docs_dir") or "docs"))
    if not docs_dir.is_absolute():  # Zensical keeps it relative to the project
        docs_dir = Path(str(conf.get("root_dir") or Path(str(conf.get("config_file_path", "."))).parent)) / docs_dir
    _STATE.update(
        env=env,
        docs_dir=docs_dir,
        notices=bool(extra.get("drift_notices")),
        verification=load_verification(extra.get("verification_file")),
    )


def page_key(page: Any) -> str | None:
    """The page's source path under docs/ ("create-key.md") in either builder's page object."""
    source = getattr(getattr(page, "file", None), "src_uri", None) or getattr(page, "path", None)
    return str(source).replace("\\", "/") if source else None


def stamp(verification: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """The verdict the template shows under the title: state, run date and stale steps."""
    entry = (verification or {}).get("pages", {}).get(key) or {}
    return {
        "state": entry.get("state", "unverified") if verification else "unverified",
        "run_date": verification.get("run_date", "") if verification else "",
        "stale_steps": entry.get("stale_steps") or 0,
    }


class GuidePage(Extension):
    """`j2_extensions: [keyguide.render.GuidePage]`: the verdict and the notices for each page."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        env = _STATE.get("env")
        page = getattr(env, "page", None) if env is not None else None
        key = page_key(page)
        if page is None or key is None or getattr(page, "meta", None) is None:
            return source  # a title or a snippet, not a page body
        verification = _STATE.get("verification")
        page.meta[STAMP_KEY] = stamp(verification, key)
        if not _STATE.get("notices") or not verification:
            return source
        docs_dir: Path = _STATE["docs_dir"]
        try:
            guide_page = read_page(docs_dir / key, docs_dir)
        except (OSError, PageError):
            return source  # validation reports the page; a notice is never worth a crash
        extra = {"drift_notices": True, "verification": verification}
        return add_drift_notices(source, guide_page, key, extra)
