"""Keep page metadata honest: a lock of each page's body per version, and the writer's bump.

`pages.lock.json` records, for every page, the version and date its body was last recorded at and a
SHA-256 of that body (the text after the front matter, line endings normalised). A body that changes
while its version stays put is a substantive change nobody dated — unless the writer says it was a typo
(`python -m keyguide trivial`), which records the new body under the same version.

`bump_text` edits the front matter as text — two values and one inserted changelog item — so the
writer's key order, quoting and comments survive; a YAML dump would reorder and strip them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from keyguide.facts import ROOT
from keyguide.pages import ChangelogEntry, PageError, PageMeta, split_front_matter, validate_meta

LOCK_NAME = "pages.lock.json"
CLI = "python -m keyguide"
ABOUT = (
    "Written by `python -m keyguide bump|trivial|lock`; do not edit by hand. For each page: the version "
    "and date its body was recorded at, and a SHA-256 of the body (text after the front matter, LF line "
    "endings). tests/test_metadata_lock.py fails when a body changes but its version does not."
)


class LockError(Exception):
    """The lock file cannot be read, or a change cannot be recorded: the message says what to run."""


@dataclass(frozen=True)
class LockEntry:
    version: int
    updated: date
    body_sha256: str

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, "updated": self.updated.isoformat(), "body_sha256": self.body_sha256}


@dataclass(frozen=True)
class Project:
    """Where the pages and the lock live: the repository, or a fixture copy in a test."""

    root: Path = ROOT

    @property
    def docs_dir(self) -> Path:
        return self.root / "docs"

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME

    def key(self, page: Path) -> str:
        """The lock's key for a page file: its path under docs/ ("create-key.md")."""
        try:
            return page.resolve().relative_to(self.docs_dir.resolve()).as_posix()
        except ValueError:
            raise LockError(f"{page}: not a page under {self.docs_dir}") from None

    def shown(self, key: str) -> str:
        """A page as the writer types it on the command line, from the repository root."""
        return f"docs/{key}"

    def pages(self) -> list[Path]:
        return sorted(self.docs_dir.rglob("*.md"))


# -- hashing and reading pages ------------------------------------------------------------------


def normalise_body(body: str) -> str:
    """The body as hashed: LF line endings, no BOM, exactly one final newline (editors disagree on it)."""
    text = body.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n") + "\n"


def body_sha256(body: str) -> str:
    return hashlib.sha256(normalise_body(body).encode("utf-8")).hexdigest()


def read_meta(path: Path, where: str) -> tuple[PageMeta, str]:
    """A page's validated front matter and its body; PageError (one line, naming the file) otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PageError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PageError(f"{where}: cannot read: {exc}") from None
    data, body, _ = split_front_matter(text, where)
    return validate_meta(data, where), body


def current_entry(path: Path, where: str) -> LockEntry:
    meta, body = read_meta(path, where)
    return LockEntry(meta.version, meta.updated, body_sha256(body))


# -- the lock file -------------------------------------------------------------------------------


def read_lock(lock_path: Path) -> dict[str, LockEntry]:
    """The lock's entries by page key; an empty lock when the file does not exist yet."""
    if not lock_path.exists():
        return {}
    try:
        raw = json.loads(lock_path.read_text(encoding="utf-8"))
        pages = raw["pages"]
        return {
            key: LockEntry(int(v["version"]), date.fromisoformat(v["updated"]), str(v["body_sha256"]))
            for key, v in pages.items()
        }
    except json.JSONDecodeError as exc:
        raise LockError(f"{lock_path.name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LockError(f"{lock_path.name}: malformed ({exc!s}); regenerate it with `{CLI} lock --force`") from None


def write_lock(lock_path: Path, entries: dict[str, LockEntry]) -> None:
    data = {"about": ABOUT, "pages": {key: entries[key].to_json() for key in sorted(entries)}}
    lock_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")


# -- the check ------------------------------------------------------------------------------------


def check_lock(project: Project) -> list[str]:
    """Every way the pages disagree with the lock, one line each naming the page and the fix."""
    lock = read_lock(project.lock_path)
    if not project.lock_path.exists():
        return [f"{LOCK_NAME}: missing; create it with `{CLI} lock`"]
    problems = []
    seen = set()
    for path in project.pages():
        key = project.key(path)
        seen.add(key)
        shown = project.shown(key)
        try:
            now = current_entry(path, shown)
        except PageError as exc:
            problems.append(str(exc).splitlines()[0])
            continue
        problems.extend(_compare(shown, lock.get(key), now))
    for key in sorted(set(lock) - seen):
        problems.append(f"{LOCK_NAME}: {project.shown(key)} no longer exists; drop it with `{CLI} lock`")
    return problems


def _compare(shown: str, locked: LockEntry | None, now: LockEntry) -> list[str]:
    if locked is None:
        return [f"{shown}: new page, not in {LOCK_NAME}; record it with `{CLI} lock {shown}`"]
    if now == locked:
        return []
    if now.version < locked.version:
        return [f"{shown}: version went back from {locked.version} to {now.version}"]
    if now.version == locked.version:
        if now.body_sha256 != locked.body_sha256:
            return [
                f"{shown}: body changed but version ({now.version}) and updated ({now.updated}) did not; "
                f'run `{CLI} bump {shown} "what changed"`, or `{CLI} trivial {shown}` for a typo-level fix'
            ]
        return [f"{shown}: updated changed from {locked.updated} to {now.updated} without a new version"]
    # A newer version than the lock holds: bumped by hand. Honest, but the lock must follow, or later
    # edits under this version would be compared with an older body.
    recorded = f"{LOCK_NAME} has {locked.version}"
    return [f"{shown}: version {now.version} is not recorded ({recorded}); run `{CLI} lock {shown}`"]


# -- recording changes ----------------------------------------------------------------------------


def record(project: Project, paths: list[Path] | None = None, *, force: bool = False) -> list[str]:
    """Bring the lock in step with the named pages (all when None): add new pages, follow new versions.

    Refuses (LockError) a body changed under the same version — that is `trivial` or `bump` — unless
    `force`, which regenerates entries outright. With no paths, drops entries of deleted pages.
    Returns one line per change made.
    """
    lock = read_lock(project.lock_path)
    targets = paths if paths is not None else project.pages()
    changes, refused = [], []
    for path in targets:
        key = project.key(path)
        shown = project.shown(key)
        now = current_entry(path, shown)
        locked = lock.get(key)
        if locked == now:
            continue
        if locked is not None and not force and now.version <= locked.version:
            refused.append(_compare(shown, locked, now)[0])
            continue
        lock[key] = now
        changes.append(f"{shown}: recorded version {now.version} ({now.updated})" + ("" if locked else ", new page"))
    if paths is None:
        for key in sorted(set(lock) - {project.key(p) for p in targets}):
            del lock[key]
            changes.append(f"{project.shown(key)}: dropped (page no longer exists)")
    if refused:
        raise LockError("\n".join(refused))
    if changes or not project.lock_path.exists():
        write_lock(project.lock_path, lock)
    return changes


def record_trivial(project: Project, path: Path) -> str:
    """Record a typo-level change: the new body under the version the lock already holds."""
    key = project.key(path)
    shown = project.shown(key)
    locked = read_lock(project.lock_path).get(key)
    now = current_entry(path, shown)
    if locked is None:
        raise LockError(f"{shown}: not in {LOCK_NAME} yet; a new page is recorded with `{CLI} lock {shown}`")
    if now.version != locked.version or now.updated != locked.updated:
        raise LockError(
            f"{shown}: front matter says version {now.version} ({now.updated}) but {LOCK_NAME} has "
            f"{locked.version} ({locked.updated}); a trivial change keeps both — run `{CLI} lock {shown}` "
            "if you bumped it by hand"
        )
    if now.body_sha256 == locked.body_sha256:
        return f"{shown}: body unchanged since version {now.version}; nothing to record"
    lock = read_lock(project.lock_path)
    lock[key] = now
    write_lock(project.lock_path, lock)
    return f"{shown}: recorded a trivial change under version {now.version}"


def record_bumped(project: Project, path: Path) -> None:
    """After `bump`: the lock takes the page's new version, date and body."""
    key = project.key(path)
    lock = read_lock(project.lock_path)
    lock[key] = current_entry(path, project.shown(key))
    write_lock(project.lock_path, lock)


# -- bumping the front matter as text ----------------------------------------------------------------

_TOP_KEY = r"^(?P<key>{key}):(?P<space>[ \t]*)(?P<value>[^#\r\n]*?)(?P<rest>[ \t]+#[^\r\n]*)?(?P<eol>\r?\n?)$"
_ITEM = re.compile(r"^(?P<indent>[ \t]*)-(?P<gap>[ \t]+)(?P<content>\S.*?)\r?\n?$")
_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):")


def yaml_scalar(text: str) -> str:
    """`text` as a YAML scalar: plain when it reads back unchanged as a string, else double-quoted."""
    try:
        if yaml.safe_load(f"k: {text}") == {"k": text}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)


def bump_text(text: str, summary: str, day: date, where: str) -> tuple[str, PageMeta]:
    """The page text with `updated` = day, `version` + 1 and a new first changelog item; and its metadata.

    Only those three places change; everything else in the file is kept byte for byte. The result is
    re-read and compared with what was meant, so a front matter this cannot edit safely is refused
    (PageError) rather than written half-right.
    """
    summary = " ".join(summary.split())
    data, body, _ = split_front_matter(text, where)
    old = validate_meta(data, where)
    try:
        new_entry = ChangelogEntry(version=old.version + 1, date=day, summary=summary)
    except ValidationError as exc:
        raise PageError(f"{where}: summary: {exc.errors()[0]['msg']}") from None
    lines = text.splitlines(keepends=True)
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == "---")  # the closing '---'
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"

    lines = _set_top_value(lines, end, "updated", day.isoformat(), where)
    lines = _set_top_value(lines, end, "version", str(new_entry.version), where)
    lines = _insert_changelog_item(lines, end, new_entry, newline, where)
    result = "".join(lines)

    new_data, new_body, _ = split_front_matter(result, where)
    try:
        meta = validate_meta(new_data, where)
    except PageError as exc:
        raise PageError(str(exc).splitlines()[0]) from None
    expected = old.model_copy(update={"updated": day, "version": new_entry.version})
    if (
        new_body != body
        or meta.changelog[0] != new_entry
        or meta.changelog[1:] != old.changelog
        or meta.model_copy(update={"changelog": old.changelog}) != expected
    ):
        raise PageError(f"{where}: could not update the front matter safely; edit it by hand")
    return result, meta


def _set_top_value(lines: list[str], end: int, key: str, value: str, where: str) -> list[str]:
    pattern = re.compile(_TOP_KEY.format(key=re.escape(key)))
    for i in range(1, end):
        match = pattern.match(lines[i])
        if match:
            old = match["value"]
            quote = old[0] if old[:1] in {"'", '"'} else ""
            lines = list(lines)
            lines[i] = f"{key}:{match['space'] or ' '}{quote}{value}{quote}{match['rest'] or ''}{match['eol']}"
            return lines
    raise PageError(f"{where}: front matter has no top-level '{key}:' line to update")


def _insert_changelog_item(lines: list[str], end: int, entry: ChangelogEntry, newline: str, where: str) -> list[str]:
    start = next((i for i in range(1, end) if re.match(r"^changelog:[ \t]*(#.*)?\r?\n?$", lines[i])), None)
    if start is None:
        raise PageError(f"{where}: front matter has no block 'changelog:' list to add to; edit it by hand")
    first = next((i for i in range(start + 1, end) if lines[i].strip() and not lines[i].lstrip().startswith("#")), None)
    item = _ITEM.match(lines[first]) if first is not None else None
    if first is None or item is None:
        raise PageError(f"{where}: changelog is not a block list ('- version: …'); edit it by hand")
    indent, gap, content = item["indent"], item["gap"], item["content"]
    values = {"version": str(entry.version), "date": entry.date.isoformat(), "summary": yaml_scalar(entry.summary)}
    if content.startswith("{"):
        inner = ", ".join(
            f"{k}: {json.dumps(entry.summary, ensure_ascii=False) if k == 'summary' else v}" for k, v in values.items()
        )
        new = [f"{indent}-{gap}{{{inner}}}{newline}"]
    else:
        order = _item_keys(lines, first, end, len(indent))
        keys = [k for k in order if k in values] + [k for k in values if k not in order]
        continuation = indent + " " * (1 + len(gap))
        new = [f"{indent}-{gap}{keys[0]}: {values[keys[0]]}{newline}"]
        new += [f"{continuation}{k}: {values[k]}{newline}" for k in keys[1:]]
    return lines[:first] + new + lines[first:]


def _item_keys(lines: list[str], first: int, end: int, indent: int) -> list[str]:
    """The keys of the changelog's first item, in the writer's order (version, date, summary usually)."""
    keys = []
    content = _ITEM.match(lines[first])
    if content and (match := _KEY.match(content["content"])):
        keys.append(match["key"])
    for line in lines[first + 1 : end]:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(line) - len(line.lstrip()) <= indent:
            break
        if match := _KEY.match(stripped):
            keys.append(match["key"])
    return keys
