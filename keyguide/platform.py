"""Our own platform, as site configuration (`extra.platform` in mkdocs.yml).

The guide ends by connecting the key to a platform. Its name, menu path and field labels live in
the site config, not in the pages, so another product can reuse the guide by editing one block.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keyguide.facts import FactsError

REQUIRED_LABELS = ("key_field", "save", "test", "success")


class _ConfigLoader(yaml.SafeLoader):
    """Reads mkdocs.yml without MkDocs: unknown tags (!ENV, !!python/name) become plain values."""


_ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def read_site_config(mkdocs_yml: Path) -> dict[str, Any]:
    """mkdocs.yml as data, for tools that run outside a build (CLI, lint, link collection)."""
    try:
        config = yaml.load(mkdocs_yml.read_text(encoding="utf-8"), Loader=_ConfigLoader)
    except FileNotFoundError:
        raise FactsError(f"{mkdocs_yml}: no such file") from None
    except yaml.YAMLError as exc:
        raise FactsError(f"{mkdocs_yml.name}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return config if isinstance(config, dict) else {}


def site_extra(mkdocs_yml: Path) -> dict[str, Any]:
    """`extra` from mkdocs.yml ({} when absent); FactsError naming the file when it cannot be read."""
    extra = read_site_config(mkdocs_yml).get("extra") or {}
    return extra if isinstance(extra, dict) else {}


class PlatformConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    menu_path: list[str] = Field(min_length=1)
    labels: dict[str, str]

    def label(self, label_id: str) -> str:
        if label_id not in self.labels:
            known = ", ".join(sorted(self.labels))
            raise FactsError(f"mkdocs.yml: extra.platform.labels has no {label_id!r} (known: {known})")
        return self.labels[label_id]


def platform_config(extra: dict[str, Any], where: str) -> PlatformConfig:
    """Validate `extra.platform`; raise FactsError naming the field."""
    raw = extra.get("platform")
    if raw is None:
        raise FactsError(f"{where}: extra.platform is missing (name, menu_path, labels)")
    try:
        config = PlatformConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise FactsError(f"{where}: extra.platform.{field}: {err['msg']}") from None
    missing = [label for label in REQUIRED_LABELS if label not in config.labels]
    if missing:
        raise FactsError(f"{where}: extra.platform.labels is missing {', '.join(missing)}")
    return config


# The configuration of the build in progress. It lives here, not in keyguide.macros, because
# mkdocs-macros imports the macros module from its file path: a second copy with its own globals.
_CURRENT: list[PlatformConfig] = []


def set_current(config: PlatformConfig) -> None:
    _CURRENT[:] = [config]


def current() -> PlatformConfig:
    if not _CURRENT:
        raise FactsError("the platform configuration (extra.platform in mkdocs.yml) was not loaded")
    return _CURRENT[0]
