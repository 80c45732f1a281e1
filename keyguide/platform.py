"""Our own platform, as site configuration (`extra.platform` in mkdocs.yml).

The guide ends by connecting the key to a platform. Its name, menu path and field labels live in
the site config, not in the pages, so another product can reuse the guide by editing one block.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from keyguide import yamlload
from keyguide.facts import FactsError

REQUIRED_LABELS = ("key_field", "save", "test", "success", "disconnect")
# What each required field is for, named in the error when one is missing.
PLATFORM_FIELDS = {
    "name": "the platform's name, as the pages show it",
    "menu_path": "the menu path to the OpenAI connection",
    "labels": "the labels of the platform's OpenAI settings",
    "scopes": "the permissions a Restricted key needs (a list of resource and permission: Read, Write or Request)",
    "egress_addresses": "the IP addresses or CIDR ranges the platform's OpenAI requests come from",
    "key_handling": "what the platform does with a customer's key (storage, encryption, access, revoke)",
    "key_handling.storage": "where the platform stores a customer's key",
    "key_handling.encryption": "how the platform encrypts the key, at rest and in transit",
    "key_handling.access": "who, at the platform and in the customer's workspace, can see or use the key",
    "key_handling.revoke": "what disconnecting does, so a customer can revoke the platform's access at once",
    "regional_hosts": "the OpenAI regional API hosts the platform can call ([] for none: global host only)",
}
# A regional API host of OpenAI's data residency ("eu.api.openai.com"); the global one is api.openai.com.
REGIONAL_HOST = re.compile(r"^[a-z]{2,3}\.api\.openai\.com$")


class _ConfigLoader(yamlload.SafeLoader):
    """Reads mkdocs.yml without MkDocs: `!ENV` as MkDocs resolves it, other tags (!!python/name) as None."""


def _env_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """MkDocs' `!ENV VAR` / `!ENV [VAR, …, default]`: the first variable set, else the default."""
    if isinstance(node, yaml.ScalarNode):
        names, default = [loader.construct_scalar(node)], None
    else:
        items = loader.construct_sequence(node)  # type: ignore[arg-type]
        names, default = (items[:-1], items[-1]) if len(items) > 1 else (items, None)
    return next((os.environ[str(name)] for name in names if str(name) in os.environ), default)


_ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)
_ConfigLoader.add_constructor("!ENV", _env_tag)


def read_site_config(mkdocs_yml: Path) -> dict[str, Any]:
    """mkdocs.yml as data, for tools that run outside a build (CLI, lint, link collection) and the build hook.

    The hook reads it too because MkDocs' own loader lets a duplicated key silently replace the first.
    """
    try:
        config = yamlload.load(yamlload.read_text(mkdocs_yml, mkdocs_yml.name), _ConfigLoader)
    except FileNotFoundError:
        raise FactsError(f"{mkdocs_yml}: no such file") from None
    except yamlload.NotUtf8 as exc:
        raise FactsError(str(exc)) from None
    except yamlload.YamlProblem as exc:
        raise FactsError(exc.describe(mkdocs_yml.name)) from None
    except yaml.YAMLError as exc:
        raise FactsError(f"{mkdocs_yml.name}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return config if isinstance(config, dict) else {}


def site_extra(mkdocs_yml: Path) -> dict[str, Any]:
    """`extra` from mkdocs.yml ({} when absent); FactsError naming the file when it cannot be read."""
    extra = read_site_config(mkdocs_yml).get("extra") or {}
    return extra if isinstance(extra, dict) else {}


class Scope(BaseModel):
    """One permission a Restricted OpenAI key needs for our platform: a resource and its level."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    resource: str = Field(min_length=1)
    # OpenAI's levels: None, Read, Write, or a request-level permission such as Request (help 8867743).
    permission: Literal["Read", "Write", "Request"]


class KeyHandling(BaseModel):
    """What the platform does with a customer's OpenAI key, in sentences the guide shows as written.

    A customer who hands over a key must be able to read where it is kept, how it is protected, who
    can see it and how to take it back; only the platform can say, so it is configuration, not facts.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    storage: str = Field(min_length=10)
    encryption: str = Field(min_length=10)
    access: str = Field(min_length=10)
    revoke: str = Field(min_length=10)


class PlatformConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    menu_path: list[str] = Field(min_length=1)
    labels: dict[str, str]
    # What a Restricted key needs so that the platform can call models (the pages show a table).
    scopes: list[Scope] = Field(min_length=1)
    # The addresses the platform's OpenAI requests come from, for customers' IP allowlists.
    egress_addresses: list[str] = Field(min_length=1)
    key_handling: KeyHandling
    # OpenAI's regional hosts (data residency) the platform can send a project's requests to; an
    # empty list means the global host only, and the guide tells readers to keep the project Global.
    regional_hosts: list[str]

    @field_validator("regional_hosts")
    @classmethod
    def _regional(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            if not REGIONAL_HOST.match(host):
                raise ValueError(f"{host!r} is not an OpenAI regional API host such as eu.api.openai.com")
        return hosts

    @field_validator("egress_addresses")
    @classmethod
    def _addresses(cls, addresses: list[str]) -> list[str]:
        for address in addresses:
            try:
                ipaddress.ip_network(address, strict=True)
            except ValueError:
                raise ValueError(f"{address!r} is not an IP address or CIDR range") from None
        return addresses

    def label(self, label_id: str) -> str:
        if label_id not in self.labels:
            known = ", ".join(sorted(self.labels))
            raise FactsError(f"mkdocs.yml: extra.platform.labels has no {label_id!r} (known: {known})")
        return self.labels[label_id]


def platform_config(extra: dict[str, Any], where: str) -> PlatformConfig:
    """Validate `extra.platform`; raise FactsError naming the field."""
    raw = extra.get("platform")
    if raw is None:
        fields = ", ".join(field for field in PLATFORM_FIELDS if "." not in field)
        raise FactsError(f"{where}: extra.platform is missing ({fields})")
    try:
        config = PlatformConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = f"missing: {PLATFORM_FIELDS.get(field, 'required')}"
        raise FactsError(f"{where}: extra.platform.{field}: {message}") from None
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
