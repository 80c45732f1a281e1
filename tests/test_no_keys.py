"""No OpenAI key in the repository's files or in the built site.

Why: a guide about keeping keys secret is the worst place to leak one, and its writers paste keys all
day (into the platform, into curl). The patterns are facts.yml's `secret_patterns`, the same ones the
drift suite redacts with. Findings are reported by file and line with the key masked: the test output
must not leak what it found.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from keyguide.facts import ROOT, load_facts

# Not sources: environments, outputs, caches, and the git store itself.
SKIP_DIRS = {".venv", "site", "node_modules", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
# Browser session stores (gitignored) hold cookies, not page text; reading them is no test's business.
SKIP_DIRS |= {".auth"}
SKIP_SUFFIXES = (".storage-state.json",)


def patterns() -> dict[str, re.Pattern[str]]:
    return {name: re.compile(entry.pattern) for name, entry in load_facts().secret_patterns.items()}


def files_under(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            if not name.endswith(SKIP_SUFFIXES):
                yield Path(folder) / name


def find_keys(paths: Iterable[Path], root: Path) -> list[str]:
    """`file:line: pattern: sk-proj-…` for every match, the key masked to its first characters."""
    compiled = patterns()
    found = []
    for path in paths:
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        for name, pattern in compiled.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(root)}:{line}: {name}: {match.group(0).strip()[:8]}…")
    return found


def synthetic_key() -> str:
    """A key-shaped string that exists only at run time (this file never contains one)."""
    body = "x9Y8z7W6" * 7 + "ab"  # 58 characters
    return "-".join(["sk", "proj", body]) + "T3Blbk" + "FJ" + body[::-1]


def test_scanner_flags_a_synthetic_key(tmp_path: Path) -> None:
    key = synthetic_key()
    assert key not in Path(__file__).read_text(encoding="utf-8")
    sample = tmp_path / "leak.md"
    sample.write_text(f"Intro.\n\nexport OPENAI_API_KEY={key}\n", encoding="utf-8")
    found = find_keys([sample], tmp_path)
    assert found, "the scanner missed a key of the current format"
    assert all(f.startswith("leak.md:3: ") for f in found), found
    assert {f.split(": ")[1] for f in found} == set(patterns()), "every pattern should flag this key"
    assert all(key not in f for f in found), "the report must mask the key"


def test_no_key_in_repository_files() -> None:
    found = find_keys(files_under(ROOT), ROOT)
    assert not found, "key-shaped strings in the repository:\n" + "\n".join(found)


def test_no_key_in_built_site(built_site: Path) -> None:
    found = find_keys(files_under(built_site), built_site)
    assert not found, "key-shaped strings in the built site:\n" + "\n".join(found)
