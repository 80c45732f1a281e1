"""Keys never leak: every output of the suite passes through `redact()`.

What is masked: the configured key itself (`OPENAI_API_KEY` and the other secret variables), every
string matching the facts file's `secret_patterns`, and anything shaped like an OpenAI key
(`sk-` followed by a long token). Masked keys keep only their prefix: `sk-proj-[REDACTED]`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from keyguide.facts import TRIGGERS, load_facts

# Every key the suite may read: the main key, the admin key, and each trigger's optional secret.
SECRET_ENV_VARS = tuple(
    dict.fromkeys(["OPENAI_API_KEY", "OPENAI_ADMIN_KEY", *(v for v in TRIGGERS.values() if v is not None)])
)
MASK = "[REDACTED]"
# Any OpenAI-style key: sk-, optional kind prefix, then a long token. Shorter tokens (the stand-in's
# documented test keys, `sk-proj-` in prose) are not secrets and stay readable.
KEY_SHAPE = re.compile(r"\bsk-(?:[a-z]+-)?[A-Za-z0-9_\-]{20,}")
PREFIX = re.compile(r"^sk-(?:[a-z]+-)?")


class Redactor:
    def __init__(self, secrets: Iterable[str], patterns: Iterable[str]) -> None:
        # Longest first, so a key that contains another secret is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)
        self.patterns = [re.compile(p) for p in patterns] + [KEY_SHAPE]

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, _mask(secret))
        for pattern in self.patterns:
            text = pattern.sub(lambda m: _mask(m.group(0)), text)
        return text

    def data(self, value: Any) -> Any:
        """Redact every string inside JSON-like data."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


def _mask(secret: str) -> str:
    prefix = PREFIX.match(secret)
    return f"{prefix.group(0) if prefix else ''}{MASK}"


@lru_cache(maxsize=1)
def _patterns() -> tuple[str, ...]:
    return tuple(p.pattern for p in load_facts().secret_patterns.values())


def current_redactor() -> Redactor:
    """A redactor for the secrets in this process's environment right now."""
    return Redactor((os.environ.get(name, "") for name in SECRET_ENV_VARS), _patterns())


def redact(text: str) -> str:
    return current_redactor()(text)


class RedactingFilter(logging.Filter):
    """Masks keys in log records before any handler (pytest's capture included) sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
