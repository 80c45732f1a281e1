"""Screenshots of the elements the guide names: the manifest, what the build refuses, and the update.

A drift run with `--screenshots DIR` writes `DIR/<fact id>.png` and `DIR/screens.json` (one entry per
shot: fact, file, url, taken_at, run_id, live, width, height, bytes, sha256). Pages show the shots
committed under `docs/assets/screens/`; only shots of a live run (OpenAI itself, signed in, masked)
may land there, and each file must still be the one the run took (its sha256). `keyguide screens
update DIR` copies a run's shots in only when the pixels changed beyond anti-aliasing noise, so an
unchanged button makes no pull request. Pillow is imported only by the update: a site build has none.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path

MANIFEST = "screens.json"
SCREENS_DIR = Path("assets") / "screens"  # under docs/
BUDGET_BYTES = 60 * 1024  # a shot; the page that shows one stays within its page-weight budget
# Changed means more than 0.5% of the pixels differ by more than 24 in some channel: font hinting
# and anti-aliasing move a few edge pixels between runs, a renamed or moved button moves many.
CHANNEL_TOLERANCE = 24
CHANGED_SHARE = 0.005


class ScreensError(Exception):
    """A manifest that cannot be read, or a shot refused: one line naming the file and the fact."""


@dataclass(frozen=True)
class Shot:
    """One screenshot's provenance, as screens.json records it."""

    fact: str  # "ui.create_key_button"
    file: str  # "ui.create_key_button.png", next to screens.json
    url: str
    taken_at: str  # ISO 8601, UTC
    run_id: str
    live: bool  # taken against OpenAI itself (target live, nothing remapped)
    width: int
    height: int
    bytes: int
    sha256: str

    @property
    def date(self) -> str:
        return self.taken_at[:10]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(path: Path, shown: str | None = None) -> list[Shot]:
    """The shots `path` lists; [] when there is no manifest (no shots). Raises ScreensError."""
    shown = shown or str(path)
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScreensError(f"{shown}: not readable JSON ({type(exc).__name__})") from None
    entries = data.get("shots") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ScreensError(f'{shown}: expected {{"shots": [...]}}')
    names = {f.name for f in fields(Shot)}
    shots = []
    for at, entry in enumerate(entries):
        if not isinstance(entry, dict) or not names <= set(entry):
            missing = sorted(names - set(entry)) if isinstance(entry, dict) else ["every field"]
            label = entry.get("fact", f"shots[{at}]") if isinstance(entry, dict) else f"shots[{at}]"
            raise ScreensError(f"{shown}: {label}: missing {', '.join(missing)}")
        shots.append(Shot(**{name: entry[name] for name in names}))
    return shots


def write_manifest(directory: Path, shots: list[Shot]) -> Path:
    """screens.json in `directory`, one entry per fact, sorted: a stable diff in the fix pull request."""
    path = directory / MANIFEST
    directory.mkdir(parents=True, exist_ok=True)
    ordered = sorted({s.fact: s for s in shots}.values(), key=lambda s: s.fact)
    path.write_text(json.dumps({"shots": [asdict(s) for s in ordered]}, indent=1) + "\n", encoding="utf-8")
    return path


def record_shot(directory: Path, shot: Shot) -> None:
    """Add or replace one fact's entry (a run writes its shots one check at a time)."""
    try:
        shots = read_manifest(directory / MANIFEST)
    except ScreensError:
        shots = []  # a manifest broken by an earlier crash: this run's entries replace it
    write_manifest(directory, [s for s in shots if s.fact != shot.fact] + [shot])


def check_screens(docs_dir: Path) -> list[str]:
    """What the build refuses in docs/assets/screens/: a shot not from a live run, or changed since."""
    directory = docs_dir / SCREENS_DIR
    shown = f"{docs_dir.name}/{(SCREENS_DIR / MANIFEST).as_posix()}"
    try:
        shots = read_manifest(directory / MANIFEST, shown)
    except ScreensError as exc:
        return [str(exc)]
    problems = []
    for shot in shots:
        path = directory / shot.file
        if not shot.live:
            problems.append(
                f"{shown}: {shot.fact}: taken in a stand-in or remapped run, not against OpenAI: "
                "stand-in shots never land in docs/"
            )
        elif Path(shot.file).name != shot.file or not path.is_file():
            problems.append(f"{shown}: {shot.fact}: file {shot.file!r} is not next to it")
        elif sha256_of(path) != shot.sha256:
            problems.append(
                f"{shown}: {shot.fact}: sha256 does not match {shot.file}: the file changed after the run "
                "that took it (update shots with `python -m keyguide screens update DIR`)"
            )
        elif path.stat().st_size > BUDGET_BYTES:
            problems.append(f"{shown}: {shot.fact}: {shot.file} is over the {BUDGET_BYTES // 1024} KiB budget")
    return problems


def live_shot(docs_dir: Path, fact: str) -> Shot | None:
    """The committed live shot of `fact` ("ui.create_key_button"), if any (the build refuses the rest)."""
    try:
        shots = read_manifest(docs_dir / SCREENS_DIR / MANIFEST)
    except ScreensError:
        return None
    return next((s for s in shots if s.fact == fact and s.live and (docs_dir / SCREENS_DIR / s.file).is_file()), None)


def changed_share(old: Path, new: Path, tolerance: int = CHANNEL_TOLERANCE) -> float:
    """The share of pixels that differ by more than `tolerance` in some channel (1.0: other size)."""
    from PIL import Image, ImageChops

    with Image.open(old) as a, Image.open(new) as b:
        if a.size != b.size:
            return 1.0
        diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    red, green, blue = diff.split()
    worst = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    over = worst.point(lambda v: 255 if v > tolerance else 0).histogram()[255]
    return over / (diff.size[0] * diff.size[1])


@dataclass
class Update:
    """What `screens update` did: copied, unchanged and refused shots, one line each."""

    copied: list[str]
    unchanged: list[str]
    refused: list[str]

    def lines(self) -> list[str]:
        return [*self.copied, *self.unchanged, *(f"refused: {line}" for line in self.refused)]


def update_screens(source: Path, docs_dir: Path, threshold: float = CHANGED_SHARE) -> Update:
    """Copy a run's live shots into docs/assets/screens/ when their pixels changed; refuse the rest."""
    shown = f"{source}/{MANIFEST}"
    if not (source / MANIFEST).is_file():
        raise ScreensError(f"{shown}: no such file (run `pytest checks -m ui --screenshots {source}`)")
    incoming = read_manifest(source / MANIFEST, shown)
    target = docs_dir / SCREENS_DIR
    on_file = {s.fact: s for s in read_manifest(target / MANIFEST)}
    result = Update([], [], [])
    for shot in incoming:
        path = source / shot.file
        if not shot.live:
            result.refused.append(f"{shown}: {shot.fact}: not a live run (stand-in or remapped): never copied to docs/")
            continue
        if Path(shot.file).name != shot.file or not path.is_file() or sha256_of(path) != shot.sha256:
            result.refused.append(f"{shown}: {shot.fact}: {shot.file} is missing or does not match its sha256")
            continue
        if shot.bytes > BUDGET_BYTES:
            result.refused.append(f"{shown}: {shot.fact}: {shot.file} is over the {BUDGET_BYTES // 1024} KiB budget")
            continue
        old = on_file.get(shot.fact)
        old_path = target / old.file if old is not None else None
        if old_path is not None and old_path.is_file():
            share = changed_share(old_path, path)
            if share <= threshold:
                result.unchanged.append(f"{shot.fact}: unchanged ({share:.2%} of pixels differ): kept")
                continue
            note = f"{share:.1%} of pixels changed"
        else:
            note = "new"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / shot.file)
        on_file[shot.fact] = shot
        result.copied.append(f"{shot.fact}: copied to {docs_dir.name}/{(SCREENS_DIR / shot.file).as_posix()} ({note})")
    if result.copied:
        write_manifest(target, list(on_file.values()))
    return result
