"""Baselines: what each screen and page the guide relies on looked like when the guide was last reviewed.

A guide goes stale by what OpenAI adds as much as by what it renames, so the drift suite compares
what it sees with a baseline. The baselines are committed, one small YAML file each, so a change is
a readable diff in the fix pull request, and merging that pull request is the review:

    baselines/screens/<name>.yml  the controls and headings of a screen a step walks through
    baselines/pages/<name>.yml    the visible text of a page a fact cites, one sentence per item
    baselines/watch/<name>.yml    the dated entries of a page `watch:` in facts.yml lists

Each file says where it came from: `live` (a run against OpenAI itself, nothing remapped), `run_id`
and `recorded_at`, and the `digest` of its items. Like screenshots (keyguide/screens.py), only a live
run's baseline may be committed, unchanged since the run: the build refuses the rest, and
`python -m keyguide baselines update DIR` copies a run's baselines in only when their items changed.

What has a baseline is derived from facts.yml here (`screens`, `pages`, `watched`), so the drift
suite's items and `keyguide coverage` cannot disagree.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from keyguide.facts import Facts
from keyguide.usage import fact_usage

BASELINES_DIR = "baselines"
# kind → (folder, the key that holds its items)
KINDS: dict[str, tuple[str, str]] = {
    "screen": ("screens", "controls"),
    "page": ("pages", "sentences"),
    "watch": ("watch", "entries"),
}
PREFIXES = {"screen": "screens.", "page": "pages.", "watch": "watch."}
HEADER = (
    "# What OpenAI showed when the guide was last reviewed. Written by `pytest checks --baseline-out DIR`,\n"
    "# proposed by the fix pull request (`python -m keyguide baselines update DIR`); merging it is the review.\n"
    "# Do not edit by hand: the build refuses a file whose items no longer match its digest.\n"
)
PROVENANCE = ("id", "kind", "url", "title", "live", "run_id", "recorded_at", "digest")
# Conversation threads (issue and pull request comments) grow by design, and source code is not prose:
# a fact may cite them, but their text is not kept as sentences.
NOT_PROSE = re.compile(r"^https://github\.com/[^/]+/[^/]+/(issues|pull|discussions)/\d+|\.(py|ts|js|go|rb|java)$")


class BaselineError(Exception):
    """A baseline that cannot be read or is refused: one line naming the file."""


@dataclass(frozen=True)
class Baseline:
    """One recorded screen, page or watched page, with its provenance."""

    id: str  # "screens.dialog.create_key_button", "pages.help.openai.com/en/articles/8867743"
    kind: str  # screen | page | watch
    url: str
    title: str
    live: bool  # recorded against OpenAI itself (target live, nothing remapped)
    run_id: str
    recorded_at: str  # ISO 8601, UTC
    items: tuple[Any, ...]  # controls (str), sentences (str) or entries ({date, title, text})
    digest: str = ""

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", digest_of(self.items))

    @property
    def date(self) -> str:
        return self.recorded_at[:10]

    def describe(self) -> str:
        """ "live run 123 of 2026-12-02", said in every comparison so a writer knows what "before" is."""
        return f"{'live' if self.live else 'stand-in or remapped'} run {self.run_id} of {self.date}"

    def lines(self) -> list[str]:
        """The items as diff lines: a control or sentence each, an entry as "date — title"."""
        return [
            item if isinstance(item, str) else f"{item.get('date', '')} — {item.get('title', '')}"
            for item in self.items
        ]


def digest_of(items: tuple[Any, ...] | list[Any]) -> str:
    canonical = json.dumps(list(items), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def file_name(baseline_id: str) -> str:
    """`screens.platform.openai.com/settings/x` → `platform.openai.com_settings_x.yml`."""
    kind = next((k for k, prefix in PREFIXES.items() if baseline_id.startswith(prefix)), None)
    rest = baseline_id.removeprefix(PREFIXES[kind]) if kind else baseline_id
    return re.sub(r"[^A-Za-z0-9._-]+", "_", rest).strip("_") + ".yml"


def path_of(directory: Path, kind: str, baseline_id: str) -> Path:
    return directory / KINDS[kind][0] / file_name(baseline_id)


# -- reading and writing ----------------------------------------------------------------------


def write_baseline(directory: Path, baseline: Baseline) -> Path:
    """DIR/<kind folder>/<name>.yml, provenance first, one item per line: a stable, readable diff."""
    path = path_of(directory, baseline.kind, baseline.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {key: getattr(baseline, key) for key in PROVENANCE}
    data[KINDS[baseline.kind][1]] = list(baseline.items)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def read_baseline(path: Path, shown: str | None = None) -> Baseline:
    """The baseline in `path`, or BaselineError naming the file and the field."""
    shown = shown or str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BaselineError(f"{shown}: not a readable baseline ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise BaselineError(f"{shown}: expected a mapping with {', '.join(PROVENANCE)}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise BaselineError(f"{shown}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    missing = [key for key in (*PROVENANCE, KINDS[kind][1]) if key not in data]
    if missing:
        raise BaselineError(f"{shown}: missing {', '.join(missing)}")
    items = data[KINDS[kind][1]] or []
    if not isinstance(items, list) or not isinstance(data["live"], bool):
        raise BaselineError(f"{shown}: {KINDS[kind][1]} must be a list and live true or false")
    return Baseline(
        id=str(data["id"]),
        kind=kind,
        url=str(data["url"]),
        title=str(data["title"]),
        live=data["live"],
        run_id=str(data["run_id"]),
        recorded_at=str(data["recorded_at"]),
        items=tuple(items),
        digest=str(data["digest"]),
    )


def load(directory: Path, kind: str, baseline_id: str) -> Baseline | None:
    """The baseline of `baseline_id` in `directory`, None when there is none (BaselineError if unreadable)."""
    path = path_of(directory, kind, baseline_id)
    return read_baseline(path) if path.is_file() else None


def baseline_files(directory: Path) -> list[Path]:
    return sorted(p for kind in KINDS.values() for p in (directory / kind[0]).glob("*.yml"))


# -- what the build refuses ---------------------------------------------------------------------


def check_baselines(root: Path) -> list[str]:
    """One line per committed baseline the build refuses: unreadable, not live, or edited since its run."""
    problems = []
    for path in baseline_files(root / BASELINES_DIR):
        shown = path.relative_to(root).as_posix()
        try:
            baseline = read_baseline(path, shown)
        except BaselineError as exc:
            problems.append(str(exc))
            continue
        if not baseline.live:
            problems.append(
                f"{shown}: recorded in a stand-in or remapped run ({baseline.run_id}), not against OpenAI: "
                "only a live run's baselines may be committed"
            )
        elif baseline.digest != digest_of(baseline.items):
            problems.append(
                f"{shown}: digest does not match its {KINDS[baseline.kind][1]}: the file changed after the run "
                "that recorded it (update baselines with `python -m keyguide baselines update DIR`)"
            )
        elif file_name(baseline.id) != path.name or path.parent.name != KINDS[baseline.kind][0]:
            problems.append(
                f"{shown}: holds {baseline.id}, which belongs in {KINDS[baseline.kind][0]}/{file_name(baseline.id)}"
            )
    return problems


# -- the update the fix pull request carries -----------------------------------------------------


@dataclass
class BaselineUpdate:
    """What `baselines update` did: one line per baseline, and a unified diff of each one it copied."""

    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)  # id → unified diff of its items

    def lines(self) -> list[str]:
        return [*self.copied, *self.unchanged, *(f"refused: {line}" for line in self.refused)]

    def markdown(self, max_chars: int = 20_000) -> str:
        """The pull request's section: each changed baseline with its diff, folded."""
        if not self.copied:
            return ""
        out = [f"### Baselines ({len(self.copied)})", ""]
        out += ["Merging this pull request records these as reviewed: what OpenAI shows now.", ""]
        for baseline_id, diff in self.diffs.items():
            out += [
                f"<details><summary><code>{baseline_id}</code></summary>",
                "",
                "```diff",
                diff.rstrip(),
                "```",
                "",
                "</details>",
                "",
            ]
        text = "\n".join(out)
        if len(text) > max_chars:
            text = (
                text[: text.rfind("\n", 0, max_chars - 100)]
                + "\n```\n\n… (cut; the whole diff is in the pull request's files)\n"
            )
        return text


def item_diff(old: Baseline | None, new: Baseline) -> str:
    """The items' unified diff, as a writer reads it (no provenance noise)."""
    before = old.lines() if old is not None else []
    label = old.describe() if old is not None else "no baseline"
    lines = difflib.unified_diff(before, new.lines(), label, new.describe(), lineterm="", n=2)
    return "\n".join(lines)


def update_baselines(source: Path, root: Path) -> BaselineUpdate:
    """Copy a run's live baselines into root/baselines/ when their items changed; refuse the rest."""
    files = baseline_files(source)
    if not files:
        raise BaselineError(f"{source}: no baselines (run `pytest checks --baseline-out {source}`)")
    target = root / BASELINES_DIR
    update = BaselineUpdate()
    for path in files:
        shown = f"{source.name}/{path.relative_to(source).as_posix()}"
        try:
            new = read_baseline(path, shown)
        except BaselineError as exc:
            update.refused.append(str(exc))
            continue
        if not new.live:
            update.refused.append(f"{shown}: {new.id}: not a live run (stand-in or remapped): never committed")
            continue
        if new.digest != digest_of(new.items):
            update.refused.append(f"{shown}: {new.id}: digest does not match its items")
            continue
        committed = path_of(target, new.kind, new.id)
        try:
            old = read_baseline(committed) if committed.is_file() else None
        except BaselineError:
            old = None  # an unreadable committed baseline is replaced
        if old is not None and old.digest == new.digest:
            update.unchanged.append(f"{new.id}: unchanged since {old.describe()}: kept")
            continue
        committed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, committed)
        update.diffs[new.id] = item_diff(old, new)
        note = "new" if old is None else f"changed since {old.describe()}"
        update.copied.append(f"{new.id}: copied to {committed.relative_to(root).as_posix()} ({note})")
    return update


# -- what gets a baseline ------------------------------------------------------------------------


@dataclass(frozen=True)
class Screen:
    """A page or a dialog a numbered step walks through; the ui facts the steps name on it."""

    id: str
    url: str
    title: str  # "API keys page", "Create new secret key dialog"
    opener: str | None  # the ui fact whose click opens the dialog
    facts: tuple[str, ...]
    signed_in: bool

    @property
    def is_dialog(self) -> bool:
        return self.opener is not None


def _in_a_step(fact_id: str) -> bool:
    return any(use.step for use in fact_usage(f"ui.{fact_id}"))


def screens(facts: Facts) -> list[Screen]:
    """Every screen a step walks through: the pages of the auto ui facts steps name, and the dialogs
    their safe-to-open openers open (a dialog the suite may not open has no inventory)."""
    found: dict[str, Screen] = {}
    for fact_id, fact in facts.ui.items():
        if fact.check != "auto" or not _in_a_step(fact_id):
            continue
        opener = facts.ui.get(fact.inside) if fact.inside else None
        if opener is not None and fact.inside is not None:
            if not opener.safe_to_open or opener.check != "auto":
                continue
            screen_id = f"screens.dialog.{fact.inside}"
            title, url, signed_in = f"{opener.name} dialog", str(opener.url), opener.signed_in or fact.signed_in
        else:
            parts = urlsplit(str(fact.url))
            screen_id = f"screens.{parts.netloc}{parts.path.rstrip('/') or '/'}"
            title, url, signed_in = _page_title(facts, str(fact.url)), str(fact.url), fact.signed_in
        screen = found.get(screen_id)
        ids = (*screen.facts, fact_id) if screen else (fact_id,)
        found[screen_id] = Screen(
            screen_id, url, title, fact.inside, ids, signed_in or bool(screen and screen.signed_in)
        )
    return list(found.values())


def _page_title(facts: Facts, url: str) -> str:
    for link in facts.links.values():
        if link.expect_redirect_to is None and link.url.split("#")[0] == url:
            return link.title
    return urlsplit(url).path or url


@dataclass(frozen=True)
class CitedPage:
    """A page facts quote from: its sentences are kept, the quotes are the source check's."""

    id: str
    url: str
    quotes: tuple[tuple[str, str], ...]  # (fact id, quote)


def pages(facts: Facts) -> list[CitedPage]:
    """Every page a fact quotes, in file order, except conversation threads, source code and the
    pages `watch:` lists (their dated entries are watched instead: one change, one review item)."""
    found: dict[str, list[tuple[str, str]]] = {}
    watched_urls = {str(page.url).split("#", 1)[0] for page in facts.watch.values()}
    for fact_id, source in facts.sources():
        if source.url is None or source.quote is None:
            continue
        url = str(source.url).split("#", 1)[0]
        if NOT_PROSE.search(url) or url in watched_urls:
            continue
        found.setdefault(url, []).append((fact_id, source.quote))
    return [CitedPage(page_id(url), url, tuple(quotes)) for url, quotes in found.items()]


def page_id(url: str) -> str:
    parts = urlsplit(url)
    return f"pages.{parts.netloc}{parts.path.rstrip('/') or '/'}"


def watched(facts: Facts) -> list[tuple[str, str]]:
    """(item id, url) of every page `watch:` lists."""
    return [(f"watch.{watch_id}", str(page.url)) for watch_id, page in facts.watch.items()]


def coverage(facts: Facts, root: Path) -> dict[str, dict[str, int]]:
    """How many screens, cited pages and watched pages have a committed baseline."""
    directory = root / BASELINES_DIR
    subjects = {
        "screen": [s.id for s in screens(facts)],
        "page": [p.id for p in pages(facts)],
        "watch": [w for w, _ in watched(facts)],
    }
    return {
        kind: {"total": len(ids), "with_baseline": sum(path_of(directory, kind, i).is_file() for i in ids)}
        for kind, ids in subjects.items()
    }


def coverage_line(data: dict[str, dict[str, int]]) -> str:
    names = {"screen": "screens", "page": "cited pages", "watch": "watched pages"}
    parts = [f"{d['with_baseline']} of {d['total']} {names[kind]}" for kind, d in data.items()]
    return "baselines: " + ", ".join(parts) + " have one (the first live run proposes them)"
