"""Build scaling: a generated 500-page help center, built with our configuration and with stock Material.

Ours: mkdocs.yml as it is (hooks, macros, overrides), pages that state facts through the macros and
carry versioned front matter, and a "What's new" page over all of them. Stock: the same pages with
every macro already rendered, built by Material with the same Markdown extensions but no hooks, no
macros plugin and no theme overrides. The figure is the ratio of the two build times; target ≤ 1.5×.

    .venv/bin/python benchmarks/build_scaling.py [--pages 500] [--repeat 3] [--profile]
    .venv/bin/python benchmarks/build_scaling.py --smoke   # 3 pages, one build each: does it still run?

--profile runs our build once more under cProfile and prints where the time goes, by function and
summed per module group (our hooks, mkdocs-macros, Markdown, the theme's templates, …).
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keyguide import macros
from keyguide.facts import ROOT, load_facts
from keyguide.platform import platform_config, read_site_config

TOPICS = ("account", "billing", "keys", "projects", "usage", "limits", "security", "integrations", "errors", "teams")
# Settings of ours that name files only our project has (the preview's watch list): stock drops them.
OURS_ONLY = ("hooks", "watch")


# -- generating the help center -------------------------------------------------------------------------


class Writer:
    """Writes one page twice: with macro calls (ours) and with their output (stock)."""

    def __init__(self, rng: random.Random) -> None:
        facts = load_facts()
        self.rng = rng
        self.ui = list(facts.ui)
        self.links = list(facts.links)
        self.values = list(facts.values)
        self.errors = list(facts.errors)
        self.platform = platform_config(_site_config(ROOT)["extra"], "mkdocs.yml")

    def fact(self, name: str, fact_id: str) -> tuple[str, str]:
        """A macro call and its rendered text."""
        rendered = getattr(macros, name)(fact_id)
        return f'{{{{ {name}("{fact_id}") }}}}', rendered

    def page(self, number: int, total: int) -> tuple[str, str, str]:
        """(title, our Markdown, stock Markdown) for page `number`."""
        rng = self.rng
        topic = TOPICS[number % len(TOPICS)]
        title = f"How to manage {topic} settings, part {number}"
        versions = rng.randint(1, 4)
        days = sorted((rng.randint(1, 28) for _ in range(versions)), reverse=True)
        changelog = "".join(
            f"  - version: {versions - i}\n    date: 2026-{11 - i:02d}-{day:02d}\n"
            f"    summary: Change {versions - i} to the {topic} steps, with new labels.\n"
            for i, day in enumerate(days)
        )
        front = (
            f"---\ntitle: {title}\ndescription: Steps to manage {topic} settings in the OpenAI Platform "
            f"for page {number} of the generated help center.\nupdated: 2026-11-{days[0]:02d}\n"
            f"version: {versions}\nchangelog:\n{changelog}---\n\n"
        )
        ours, stock = [front], [front]

        def both(template: str, *calls: tuple[str, str]) -> None:
            ours.append(template.format(*(c[0] for c in calls)))
            stock.append(template.format(*(c[1] for c in calls)))

        both(
            "{0} lets you change your {1} settings. This page shows where to find them.\n\n",
            ("{{ platform.name }}", self.platform.name),
            (topic, topic),
        )
        for section in range(rng.randint(2, 4)):
            ours.append(f"## Change the {topic} setting {section + 1}\n\n")
            stock.append(f"## Change the {topic} setting {section + 1}\n\n")
            for step in range(rng.randint(4, 8)):
                ui = self.fact("ui", rng.choice(self.ui))
                value = self.fact("value", rng.choice(self.values))
                both(f"{step + 1}. In the dialog, select {{0}} and check that it shows {{1}}.\n", ui, value)
            link = self.fact("link", rng.choice(self.links))
            both('\n!!! note "More detail"\n    OpenAI explains this setting in {0}.\n\n', link)
        error = self.fact("error", rng.choice(self.errors))
        both("If the request fails with `{0}`, see [Troubleshooting](page-0000.md).\n\n", error)
        neighbour = f"page-{(number + 1) % total:04d}.md"
        both("Next: [the next page]({0}).\n", (neighbour, neighbour))
        return title, "".join(ours), "".join(stock)


def _site_config(root: Path) -> dict[str, object]:
    """mkdocs.yml as data, its !ENV tags resolved, as every other tool reads it."""
    return read_site_config(root / "mkdocs.yml")


def generate(workdir: Path, count: int, seed: int = 7) -> tuple[Path, Path]:
    """Two projects under workdir: ours/ (our configuration) and stock/ (stock Material)."""
    ours, stock = workdir / "ours", workdir / "stock"
    for project in (ours, stock):
        (project / "docs").mkdir(parents=True)
    # A full copy of the keyguide package, not a link, so its ROOT (and the pages whats_new reads) is ours/.
    shutil.copytree(ROOT / "keyguide", ours / "keyguide", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "overrides", ours / "overrides")
    shutil.copy2(ROOT / "facts.yml", ours / "facts.yml")
    for project in (ours, stock):
        shutil.copytree(ROOT / "docs" / "assets", project / "docs" / "assets")

    writer = Writer(random.Random(seed))
    nav = []
    for number in range(count):
        title, ours_md, stock_md = writer.page(number, count)
        name = f"page-{number:04d}.md"
        (ours / "docs" / name).write_text(ours_md, encoding="utf-8")
        (stock / "docs" / name).write_text(stock_md, encoding="utf-8")
        nav.append({title: name})
    whats_new = (
        "---\ntitle: What's new\ndescription: Every change to the generated help center, newest first, "
        "with its page.\nupdated: 2026-11-26\nversion: 1\nchangelog:\n  - version: 1\n    date: 2026-11-26\n"
        "    summary: New page listing every change.\n---\n\n"
    )
    (ours / "docs" / "whats-new.md").write_text(whats_new + "{{ whats_new() }}\n", encoding="utf-8")
    rendered = _render_whats_new(ours / "docs")
    (stock / "docs" / "whats-new.md").write_text(whats_new + rendered + "\n", encoding="utf-8")
    nav.append({"What's new": "whats-new.md"})
    # Grouped in sections of 50, as a help center's nav would be.
    sections = [{f"Section {i // 50 + 1}": nav[i : i + 50]} for i in range(0, len(nav), 50)]

    config = _site_config(ROOT)
    config["nav"] = sections
    config["site_dir"] = "site"
    (ours / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")

    stock_config = dict(config)
    theme = dict(stock_config["theme"])  # type: ignore[arg-type]
    theme.pop("custom_dir", None)
    stock_config["theme"] = theme
    for key in OURS_ONLY:
        stock_config.pop(key, None)
    stock_config["plugins"] = ["search"]
    (stock / "mkdocs.yml").write_text(yaml.safe_dump(stock_config, sort_keys=False, allow_unicode=True), "utf-8")
    return ours, stock


def _render_whats_new(docs: Path) -> str:
    """The "What's new" list as our macro renders it, for the stock site."""
    from keyguide.pages import all_pages

    entries = []
    for page in all_pages(docs):
        for change in page.meta.changelog:
            entries.append((change.date, page.meta.title, page.path.as_posix(), change.version, change.summary))
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
    return "\n".join(f"- **{d}** · [{t}]({p}) · version {v}: {s}" for d, t, p, v, s in entries)


# -- building and timing ------------------------------------------------------------------------------------


def build(project: Path, prefix: Sequence[str] = ()) -> tuple[float, float]:
    """(wall, CPU) seconds for `mkdocs build --strict` of `project`, run as a writer runs it.

    CPU time (user + system of the build process) is reported beside wall time because on a shared
    machine the wall time of a single-threaded build mostly measures the neighbours.
    """
    project = project.resolve()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "KEYGUIDE_FACTS": str(project / "facts.yml")}
    env["KEYGUIDE_VERIFICATION"] = str(project / "verification.json")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, *prefix, "-m", "mkdocs", "build", "--strict", "--clean", "-q"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"build of {project.name} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


GROUPS: list[tuple[str, Callable[[str], bool]]] = [
    (
        "keyguide hooks + pages (our validation)",
        lambda f: any(f"/keyguide/{name}.py" in f for name in ("hooks", "pages", "usage", "validate")),
    ),
    ("keyguide macros + facts", lambda f: "/keyguide/" in f),
    ("mkdocs-macros plugin", lambda f: "mkdocs_macros" in f),
    ("pydantic", lambda f: "pydantic" in f),
    ("yaml", lambda f: "/yaml/" in f),
    ("jinja2", lambda f: "/jinja2/" in f),
    ("markdown + pymdownx", lambda f: "/markdown/" in f or "pymdownx" in f),
    ("material theme", lambda f: "/material/" in f),
    ("mkdocs", lambda f: "/mkdocs/" in f),
]


def profile(project: Path) -> str:
    """Our build under cProfile: the top functions by own time, and own time summed per group."""
    out = project.parent / "ours.prof"
    build(project, prefix=["-m", "cProfile", "-o", str(out)])
    stats = pstats.Stats(str(out))
    buffer = io.StringIO()
    pstats.Stats(str(out), stream=buffer).sort_stats("cumulative").print_stats(r"keyguide|mkdocs_macros", 25)
    groups: dict[str, float] = {}
    total = 0.0
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += own
        group = next((name for name, test in GROUPS if test(filename)), "other (python, stdlib)")
        groups[group] = groups.get(group, 0.0) + own
    lines = ["Own time by group (profiled build, so slower than the timed one):"]
    lines += [
        f"  {name:<42} {sec:6.2f} s  {sec / total:5.1%}" for name, sec in sorted(groups.items(), key=lambda x: -x[1])
    ]
    cumulative = buffer.getvalue()
    keep = [
        line for line in cumulative.splitlines() if "keyguide" in line or "mkdocs_macros" in line or "ncalls" in line
    ]
    return "\n".join([*lines, "", "Cumulative time of our code and mkdocs-macros (top 25):", *keep])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500, help="pages to generate (default 500)")
    parser.add_argument("--repeat", type=int, default=3, help="builds of each site; the median counts (default 3)")
    parser.add_argument("--profile", action="store_true", help="also profile our build and show where the time goes")
    parser.add_argument("--keep", type=Path, help="generate here and keep the projects")
    parser.add_argument("--smoke", action="store_true", help="3 pages, one build of each, no warm-up (tests)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.pages, args.repeat = 3, 1

    with tempfile.TemporaryDirectory(prefix="keyguide-scale-") as tmp:
        workdir = args.keep or Path(tmp)
        if args.keep and workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        ours, stock = generate(workdir, args.pages)
        size = sum(p.stat().st_size for p in (ours / "docs").glob("*.md")) / 1024
        print(f"generated {args.pages} pages + What's new ({size:.0f} KiB of Markdown) in {workdir}")
        if not args.smoke:
            build(stock)  # warm the file cache and Python's bytecode cache for both
        times: dict[str, list[tuple[float, float]]] = {"stock": [], "ours": []}
        for _ in range(args.repeat):
            times["stock"].append(build(stock))
            times["ours"].append(build(ours))
        wall = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
        cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
        print(f"{'':<16} {'wall s':>8} {'CPU s':>8}   (median of {args.repeat}; each run: wall/CPU)")
        for key, label in (("stock", "stock Material"), ("ours", "our config")):
            runs = ", ".join(f"{w:.1f}/{c:.1f}" for w, c in times[key])
            print(f"{label:<16} {wall[key]:>8.1f} {cpu[key]:>8.1f}   {runs}")
        ratios = (wall["ours"] / wall["stock"], cpu["ours"] / cpu["stock"])
        verdict = "met" if max(ratios) <= 1.5 else ("met on CPU time" if ratios[1] <= 1.5 else "MISSED")
        print(f"{'ratio':<16} {ratios[0]:>7.2f}× {ratios[1]:>7.2f}×   target ≤ 1.5×: {verdict}")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if args.profile:
            print()
            print(profile(ours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
