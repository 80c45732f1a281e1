"""A thread-safe log of what the stand-in served, so tests can assert on what a client sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from checks.standin.api import mask_key


@dataclass(frozen=True)
class RequestRecord:
    """One request: original-space URL, headers (Authorization masked), status (None: dropped)."""

    method: str
    url: str
    headers: dict[str, str]
    status: int | None
    time: float
    duration: float

    @property
    def user_agent(self) -> str:
        return self.headers.get("user-agent", "")

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "user_agent": self.user_agent}


def masked_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers as a dict; an Authorization value keeps its scheme but the key is masked."""
    headers: dict[str, str] = {}
    for name_b, value_b in raw:
        name, value = name_b.decode("latin-1").lower(), value_b.decode("latin-1")
        if name == "authorization":
            scheme, _, secret = value.partition(" ")
            value = f"{scheme} {mask_key(secret.strip())}" if secret else mask_key(value)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def all(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def find(self, *, method: str | None = None, url_prefix: str = "") -> list[RequestRecord]:
        return [r for r in self.all() if (method is None or r.method == method) and r.url.startswith(url_prefix)]

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.all())

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
