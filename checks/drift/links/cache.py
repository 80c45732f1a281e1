"""The link cache: ok and drift results by URL for a while; never inconclusive."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checks.drift.links.collect import LinkTarget
from checks.drift.outcomes import (
    Result,
    Status,
)

CACHED_FIELDS = ("status", "expected", "observed", "suggestion", "reason", "evidence", "notes")


class LinkCache:
    """Ok and drift results by URL (and expected redirect), for `max_age` seconds. Never inconclusive:
    a network error cached is a network error never retried (lychee #1783)."""

    def __init__(self, path: Path, max_age: float, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.max_age = max_age
        self.clock = clock
        self.entries: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError, AttributeError, TypeError):
            self.entries = dict(json.loads(path.read_text(encoding="utf-8")).get("entries", {}))

    @staticmethod
    def key(target: LinkTarget) -> str:
        return json.dumps([target.url, target.expect_redirect_to])

    def get(self, target: LinkTarget) -> Result | None:
        entry = self.entries.get(self.key(target))
        if not entry or self.clock() - float(entry.get("checked_at", 0)) > self.max_age:
            return None
        try:
            fields = {name: entry["result"][name] for name in CACHED_FIELDS}
            status = Status(fields.pop("status"))
        except (KeyError, ValueError, TypeError):
            return None
        if status is Status.INCONCLUSIVE:
            return None
        result = Result(id=target.id, kind="link", status=status, url=target.url, **fields)
        checked = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(entry["checked_at"])))
        result.notes = [n for n in result.notes if not n.startswith("linked as ")]
        result.notes.append(f"from the link cache (checked {checked} UTC)")
        return result

    def put(self, target: LinkTarget, result: Result) -> None:
        if result.status is Status.INCONCLUSIVE:
            self.entries.pop(self.key(target), None)
            return
        data = {name: result.as_dict()[name] for name in CACHED_FIELDS}
        data["notes"] = [n for n in data["notes"] if not n.startswith(("linked as ", "from the link cache"))]
        self.entries[self.key(target)] = {"checked_at": self.clock(), "result": data}

    def save(self) -> None:
        now = self.clock()
        fresh = {k: v for k, v in self.entries.items() if now - float(v.get("checked_at", 0)) <= self.max_age}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": 1, "entries": fresh}, indent=1, ensure_ascii=False)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(self.path)
