"""Does the guide survive a move to Zensical? Build it with both and compare what a reader gets.

Material for MkDocs reaches end of life on 2027-05-05; Zensical reads the same mkdocs.yml. For every
page, the steps (numbered list items), the bold UI labels, the title and the metadata line ("Last
updated … · Version …") that MkDocs renders must also be in Zensical's output. Other differences
(headings, links) are listed but do not fail: they are what to look at before switching.

    python -m keyguide.zensical_check        # per-page differences; exit 1 if something is missing

Zensical is found as $KEYGUIDE_ZENSICAL (an executable; its Python needs pydantic too), else as a
module of this Python (`pip install -e '.[zensical]'`), else on PATH.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from keyguide.build import BuildResult, build_env, build_site, copy_project
from keyguide.facts import ROOT

# What must survive the move, and what is only listed. The stamp, the drift notices and the history come
# from keyguide/site.py and keyguide/render.py, which both builders run; the lists carry What's new.
REQUIRED = ("title", "meta", "stamp", "notices", "history", "steps", "lists", "labels")
LISTED = ("headings", "links")


def zensical_command() -> list[str] | None:
    """How to run Zensical here, or None when it is not installed."""
    override = os.environ.get("KEYGUIDE_ZENSICAL")
    if override:
        return [override]
    if importlib.util.find_spec("zensical") is not None:
        return [sys.executable, "-m", "zensical"]
    found = shutil.which("zensical")
    return [found] if found else None


def build_zensical(project: Path, command: list[str], timeout: float = 300) -> BuildResult:
    """`python -m keyguide check`, then `zensical build --strict`, on the copy at `project`.

    Zensical runs no MkDocs hooks, so the check is what refuses a broken facts file or page with the
    same one-line error MkDocs' build gives (`make build BUILDER=zensical` does the same).
    """
    env = build_env(project)
    check = subprocess.run(
        [sys.executable, "-m", "keyguide", "check", "--root", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check.returncode != 0:
        return BuildResult(check.returncode, check.stdout + check.stderr, project / "site")
    # The copy links keyguide/ beside mkdocs.yml; Zensical imports the macros module from there.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(project), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [*command, "build", "--strict", "--clean", "-f", str(project / "mkdocs.yml")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    # Zensical exits 0 even when a Python step raised: a traceback in its output is a failed build.
    failed = result.returncode != 0 or "Traceback (most recent call last)" in output
    return BuildResult(1 if failed else 0, output, project / "site")


# -- what a reader gets from a page --------------------------------------------------------------


def _text(tag: Tag) -> str:
    return " ".join(tag.get_text().split())


def _meta_line(meta: Tag) -> str:
    """ "Last updated <date> · Version <n>": the metadata items without the verification stamp."""
    items = [_text(item) for item in meta.select(".guide-meta__item")]
    return " · ".join(items) if items else _text(meta)


@dataclass(frozen=True)
class Rendered:
    """The parts of a built page that the guide promises, as text."""

    title: list[str]
    meta: list[str]
    stamp: list[str]
    notices: list[str]
    history: list[str]
    steps: list[str]
    lists: list[str]
    labels: list[str]
    headings: list[str]
    links: list[str]


def extract(html: str) -> Rendered:
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article.md-content__inner") or soup
    history = [_text(li) for block in article.select(".guide-history, [data-guide-history]") for li in block("li")]
    for block in article.select(".guide-history, [data-guide-history]"):
        block.decompose()  # the changelog is metadata, not steps
    steps = [_text(li) for ol in article.find_all("ol") for li in ol.find_all("li", recursive=False)]
    return Rendered(
        title=[_text(h) for h in article.select("h1")],
        meta=[_meta_line(m) for m in article.select("[data-guide-meta]")],
        stamp=[f"{s.get('data-guide-verified')}: {_text(s)}" for s in article.select("[data-guide-verified]")],
        notices=[_text(n) for n in article.select(".guide-drift-notice")],
        history=history,
        steps=steps,
        lists=[_text(li) for ul in article.find_all("ul") for li in ul.find_all("li", recursive=False)],
        labels=[_text(b) for b in article.find_all("strong")],
        headings=[_text(h).removesuffix("¶").strip() for h in article.select("h2, h3, h4")],
        links=[str(a.get("href")) for a in article.find_all("a", href=True) if not a.get("class")],
    )


def page_file(site: Path, key: str) -> Path:
    """Where a page under docs/ lands in a built site ("create-key.md" -> create-key/index.html)."""
    stem = key.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return site / (stem + ".html")
    return site / stem / "index.html"


@dataclass
class PageDiff:
    page: str
    missing: dict[str, list[str]] = field(default_factory=dict)  # in MkDocs' output, not in Zensical's
    extra: dict[str, list[str]] = field(default_factory=dict)  # in Zensical's output only

    @property
    def failed(self) -> bool:
        return any(kind in REQUIRED for kind in self.missing)

    def lines(self) -> list[str]:
        out = []
        for kind in (*REQUIRED, *LISTED):
            for item in self.missing.get(kind, []):
                out.append(f"  - {kind}: {item}" + ("" if kind in REQUIRED else "  (listed only)"))
            for item in self.extra.get(kind, []):
                out.append(f"  + {kind}: {item}")
        return out


def _multiset_diff(a: list[str], b: list[str]) -> list[str]:
    return list((Counter(a) - Counter(b)).elements())


def compare_sites(mkdocs_site: Path, zensical_site: Path, pages: list[str]) -> list[PageDiff]:
    """One PageDiff per page, in page order; `missing` names what Zensical lost."""
    diffs = []
    for key in pages:
        diff = PageDiff(f"docs/{key}")
        ours, theirs = page_file(mkdocs_site, key), page_file(zensical_site, key)
        if not theirs.exists():
            diff.missing["page"] = [f"{theirs.relative_to(zensical_site)} not built"]
            diff.missing["title"] = ["(page not built)"]
            diffs.append(diff)
            continue
        a = extract(ours.read_text(encoding="utf-8"))
        b = extract(theirs.read_text(encoding="utf-8"))
        for kind in (*REQUIRED, *LISTED):
            missing = _multiset_diff(getattr(a, kind), getattr(b, kind))
            extra = _multiset_diff(getattr(b, kind), getattr(a, kind))
            if missing:
                diff.missing[kind] = missing
            if extra:
                diff.extra[kind] = extra
        if not a.meta:
            diff.missing.setdefault("meta", []).append("(MkDocs' page has no metadata line either)")
        diffs.append(diff)
    return diffs


@dataclass
class Comparison:
    mkdocs: BuildResult
    zensical: BuildResult
    mkdocs_seconds: float
    zensical_seconds: float
    diffs: list[PageDiff]

    @property
    def ok(self) -> bool:
        return self.mkdocs.ok and self.zensical.ok and not any(d.failed for d in self.diffs)

    def report(self) -> list[str]:
        lines = [
            f"MkDocs build: {'ok' if self.mkdocs.ok else 'FAILED'} in {self.mkdocs_seconds:.1f} s; "
            f"Zensical build: {'ok' if self.zensical.ok else 'FAILED'} in {self.zensical_seconds:.1f} s"
        ]
        for name, result in (("MkDocs", self.mkdocs), ("Zensical", self.zensical)):
            if not result.ok:
                lines += [f"{name} output:", *("  " + line for line in result.output.strip().splitlines()[-30:])]
        for diff in self.diffs:
            body = diff.lines()
            status = "MISSING CONTENT" if diff.failed else ("differs" if body else "same")
            lines.append(f"{diff.page}: {status}")
            lines += body
        failed = sum(d.failed for d in self.diffs)
        lines.append(
            f"{len(self.diffs)} pages compared; {failed} with steps, labels, title or metadata missing under Zensical"
        )
        return lines


def compare(command: list[str], workdir: Path, root: Path = ROOT, verification: Path | None = None) -> Comparison:
    """Build a copy of the project with MkDocs and with Zensical, and compare every page.

    `verification` (a drift run's file) is copied in, so the pages' stamps can be compared too.
    """
    project = copy_project(workdir / "project", root)
    if verification is not None:
        shutil.copy2(verification, project / "verification.json")
    started = time.perf_counter()
    mkdocs = build_site(project, site_dir=workdir / "site-mkdocs")
    mkdocs_seconds = time.perf_counter() - started
    started = time.perf_counter()
    zensical = build_zensical(project, command)
    zensical_seconds = time.perf_counter() - started
    pages = sorted(p.relative_to(project / "docs").as_posix() for p in (project / "docs").rglob("*.md"))
    diffs = compare_sites(mkdocs.site_dir, zensical.site_dir, pages) if mkdocs.ok and zensical.ok else []
    return Comparison(mkdocs, zensical, mkdocs_seconds, zensical_seconds, diffs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m keyguide.zensical_check", description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build here and keep both sites (default: a temporary folder)")
    parser.add_argument("--verification", type=Path, help="a verification.json to build both sites with")
    args = parser.parse_args(argv)
    command = zensical_command()
    if command is None:
        print("error: Zensical is not installed: pip install -e '.[zensical]' (or set KEYGUIDE_ZENSICAL)")
        return 2
    with tempfile.TemporaryDirectory(prefix="keyguide-zensical-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        result = compare(command, workdir, verification=args.verification)
        print("\n".join(result.report()))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
