"""Our own platform, as site configuration (`extra.platform` in mkdocs.yml).

The guide ends by connecting the key to a platform. Its name, menu path and field labels live in
the site config, not in the pages, so another product can reuse the guide by editing one block.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keyguide.facts import FactsError

REQUIRED_LABELS = ("key_field", "save", "test", "success")


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
