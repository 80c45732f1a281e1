"""Benchmark the link checker against linkchecker (PyPI) and linkinator (npm). Prints figures; not a test.

    .venv/bin/python benchmarks/links.py [--links 200] [--hosts 20] [--latency 0.3] [--install]

Two scenes. *Healthy*: 200 links spread over 20 loopback hosts, each host answering after 300 ms.
*Strict*: the same hosts, but each answers 429 with Retry-After: 1 whenever more than 4 requests
are in flight to it (what Cloudflare does to a burst; the stand-in's `crowd_limit` fault). Each host is a
stand-in (`checks.standin.StandIn(generic_pages=True)`, 200 for any path) bound to its own loopback
address, 127.0.0.1 … 127.0.0.20, so every tool sees 20 real hosts and its per-host limits apply as
they would live. Our checker gets `https://bench-07.example/page-012` plus `--remap`-style pairs;
the other two tools cannot remap, so they get an HTML page listing the remapped URLs directly
(`http://127.0.0.8:PORT/bench-07.example/page-012`).

Every tool runs as a subprocess with its default settings, so wall times include start-up. The
figures: wall time, requests per host at peak (measured by the stand-ins from the requests they
served, the same way for every tool), false drift (every link is healthy, so anything reported broken
is false), inconclusive (ours only: what it could not judge), and each tool's time divided by ours.
Targets: healthy ≤ 0.8 s and zero false drift for ours, ≥ 3× faster than linkchecker, no slower than
linkinator; strict: zero inconclusive and zero false drift for ours (the others' figures are printed).

The two other tools are optional: found on PATH, or in ~/.cache/keyguide-bench, where `--install`
puts them (`pip install linkchecker` into a venv there; `npm install linkinator` into a prefix
there). Without them, their rows say how to install them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks.drift.http import RetryPolicy  # noqa: E402
from checks.drift.links import LinkChecker, LinkSettings, LinkTarget, run_sync  # noqa: E402
from checks.drift.outcomes import Status  # noqa: E402
from checks.drift.remap import Remapper  # noqa: E402

if TYPE_CHECKING:
    from checks.standin import StandIn

TOOLS_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "keyguide-bench"
LINKCHECKER = TOOLS_DIR / "linkchecker-venv" / "bin" / "linkchecker"
LINKINATOR = TOOLS_DIR / "npm" / "node_modules" / ".bin" / "linkinator"


@dataclass
class Row:
    tool: str
    seconds: float | None = None
    checked: int = 0
    broken: int = 0
    peak_per_host: int = 0
    requests: int = 0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# -- the scene ------------------------------------------------------------------------------------


@dataclass
class Scene:
    standins: list[StandIn]
    hosts: list[str]  # bench-00.example …
    urls: list[str]  # original space

    def remap_pairs(self) -> list[tuple[str, str]]:
        return [(f"https://{h}", f"{s.base_url}/{h}") for h, s in zip(self.hosts, self.standins, strict=True)]

    def remapped(self) -> list[str]:
        return [Remapper(tuple(self.remap_pairs())).apply(url) for url in self.urls]

    def clear(self) -> None:
        for standin in self.standins:
            standin.requests.clear()

    def load(self) -> tuple[int, int]:
        """(requests served to bench pages, the highest number in flight at once at one host)."""
        total, peak = 0, 0
        for host, standin in zip(self.hosts, self.standins, strict=True):
            records = [r for r in standin.requests if r.url.startswith(f"https://{host}/")]
            total += len(records)
            peak = max(peak, peak_overlap([(r.time, r.time + r.duration) for r in records]))
        return total, peak


def peak_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    active = peak = 0
    for _, step in events:
        active += step
        peak = max(peak, active)
    return peak


def start_scene(links: int, hosts: int, latency: float, strict: bool = False) -> Scene:
    from checks.standin import Fault, StandIn  # not at the top: the --worker process must not pay for it

    names = [f"bench-{i:02d}.example" for i in range(hosts)]
    standins = []
    for i, name in enumerate(names):
        standin = StandIn(generic_pages=True, host=f"127.0.0.{i + 1}").start()
        if strict:  # checked first: a refused request gets its 429 at once
            standin.faults.inject(Fault(kind="crowd_limit", route=f"https://{name}", limit=4, seconds=1))
        standin.faults.inject(Fault(kind="latency", route=f"https://{name}", seconds=latency))
        standins.append(standin)
    urls = [f"https://{names[i % hosts]}/page-{i // hosts:03d}" for i in range(links)]
    return Scene(standins, names, urls)


# -- the tools --------------------------------------------------------------------------------------


def run_ours(scene: Scene, overrides: dict[str, Any]) -> Row:
    """Our checker (default settings unless overridden), in a subprocess like the others (start-up included)."""
    job = json.dumps({"urls": scene.urls, "remaps": scene.remap_pairs(), "settings": overrides})
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, __file__, "--worker"], input=job, capture_output=True, text=True, check=False, cwd=ROOT
    )
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        return Row("ours", note=f"failed: {proc.stderr.strip()[-300:]}")
    data = json.loads(proc.stdout)
    drift = data["statuses"].get(Status.DRIFT.value, 0)
    inconclusive = data["statuses"].get(Status.INCONCLUSIVE.value, 0)
    note = f"check alone {data['seconds']:.2f} s; {inconclusive} inconclusive; defaults {data['settings']}"
    row = Row("ours", seconds, sum(data["statuses"].values()), drift, note=note, extra=data)
    row.extra["inconclusive"] = inconclusive
    return row


def worker() -> None:
    """`--worker`: check the URLs read from stdin, print statuses and timings as JSON."""
    job = json.loads(sys.stdin.read())
    remapper = Remapper(tuple((src, dst) for src, dst in job["remaps"]))
    targets = [LinkTarget(url, url) for url in job["urls"]]
    settings = replace(LinkSettings(), **job["settings"])
    checker = LinkChecker(remapper, RetryPolicy(), settings)
    started = time.monotonic()
    results = run_sync(checker.run(targets))
    seconds = time.monotonic() - started
    statuses: dict[str, int] = {}
    for result in results.values():
        statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
    peaks = {host: stats.peak for host, stats in checker.host_stats().items()}
    shown = {k: getattr(settings, k) for k in ("concurrency", "per_host", "per_host_max", "per_host_delay")}
    print(json.dumps({"seconds": seconds, "statuses": statuses, "peaks": peaks, "settings": shown}))


def write_page(directory: Path, urls: list[str]) -> Path:
    directory.chmod(0o755)  # linkchecker drops root privileges to `nobody` and must still read it
    items = "\n".join(f'<li><a href="{url}">{url}</a></li>' for url in urls)
    page = directory / "index.html"
    page.write_text(f"<!doctype html><html><head><title>bench</title></head><body><ul>{items}</ul></body></html>")
    page.chmod(0o644)
    return page


def find_tool(name: str, cached: Path) -> str | None:
    return str(cached) if cached.exists() else shutil.which(name)


def run_linkchecker(page: Path) -> Row:
    tool = find_tool("linkchecker", LINKCHECKER)
    if tool is None:
        return Row("linkchecker", note="not installed: `pip install linkchecker` (or run this with --install)")
    command = [tool, "--check-extern", "--recursion-level", "1", "--no-status", "--verbose", "--output", "csv"]
    started = time.monotonic()
    proc = subprocess.run([*command, str(page)], capture_output=True, text=True, check=False, cwd=page.parent)
    seconds = time.monotonic() - started
    rows = [line.split(";") for line in proc.stdout.splitlines() if line.startswith("http")]
    header = next((line.split(";") for line in proc.stdout.splitlines() if line.startswith("urlname;")), [])
    valid = header.index("valid") if "valid" in header else 6
    broken = sum(1 for row in rows if len(row) > valid and row[valid] != "True")
    return Row("linkchecker", seconds, len(rows), broken, note=f"exit {proc.returncode}; default settings")


def run_linkinator(page: Path) -> Row:
    tool = find_tool("linkinator", LINKINATOR)
    if tool is None:
        return Row("linkinator", note="not installed: `npm i -g linkinator` (or run this with --install)")
    started = time.monotonic()
    proc = subprocess.run([tool, str(page), "--format", "json"], capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    try:
        links = [link for link in json.loads(proc.stdout)["links"] if link["url"].startswith("http")]
    except (json.JSONDecodeError, KeyError):
        return Row("linkinator", note=f"unreadable output (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    broken = sum(1 for link in links if link["state"] == "BROKEN")
    return Row("linkinator", seconds, len(links), broken, note=f"exit {proc.returncode}; default settings")


def install() -> None:
    """Put linkchecker and linkinator in ~/.cache/keyguide-bench (their registries, their clients)."""
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    if not LINKCHECKER.exists():
        print("installing linkchecker into", LINKCHECKER.parent.parent, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(LINKCHECKER.parent.parent)], check=True)
        subprocess.run([str(LINKCHECKER.parent / "pip"), "install", "-q", "linkchecker"], check=True)
    if not LINKINATOR.exists() and shutil.which("npm"):
        print("installing linkinator into", TOOLS_DIR / "npm", flush=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(TOOLS_DIR / "npm"), "linkinator"], check=True)


# -- report ------------------------------------------------------------------------------------------


def measure(scene: Scene, repeat: int, runs: list[tuple[Any, tuple[Any, ...]]]) -> list[Row]:
    """Each tool `repeat` times, taking turns (so a busy machine slows them alike); the median run of each."""
    seen: list[list[Row]] = [[] for _ in runs]
    for _ in range(repeat):
        for rows, (run, args) in zip(seen, runs, strict=True):
            scene.clear()
            row: Row = run(*args)
            row.requests, row.peak_per_host = scene.load()
            rows.append(row)
    return [median(rows) for rows in seen]


def median(rows: list[Row]) -> Row:
    rows = sorted(rows, key=lambda r: r.seconds if r.seconds is not None else float("inf"))
    middle = rows[len(rows) // 2]
    times = [f"{r.seconds:.2f}" for r in rows if r.seconds is not None]
    if len(times) > 1:
        middle.note = f"{middle.note}; runs: {', '.join(times)} s"
    return middle


def print_table(rows: list[Row], scene: Scene, latency: float, strict: bool = False) -> None:
    ours = next(r for r in rows if r.tool == "ours")
    name = "strict scene: 429 + Retry-After above 4 in flight per host" if strict else "healthy scene"
    print(
        f"\n{name}: {len(scene.urls)} links over {len(scene.hosts)} loopback hosts, "
        f"{latency * 1000:.0f} ms latency each\n"
    )
    print(
        f"{'tool':<12} {'wall s':>7} {'÷ ours':>7} {'checked':>8} {'false drift':>12} {'requests':>9} {'peak/host':>10}"
    )
    for row in rows:
        if row.seconds is None:
            print(f"{row.tool:<12} {'—':>7} {'—':>7} {'':>8} {'':>12} {'':>9} {'':>10}  {row.note}")
            continue
        ratio = row.seconds / ours.seconds if ours.seconds else 0.0
        print(
            f"{row.tool:<12} {row.seconds:>7.2f} {ratio:>6.2f}× {row.checked:>8} {row.broken:>12} "
            f"{row.requests:>9} {row.peak_per_host:>10}"
        )
    print()
    for row in rows:
        if row.note and row.seconds is not None:
            print(f"{row.tool}: {row.note}")
    if ours.extra.get("peaks"):
        print(f"ours, peak in flight per host as the checker counted it: {max(ours.extra['peaks'].values())}")
    verdicts = []
    inconclusive = int(ours.extra.get("inconclusive", 0))
    if strict:
        verdicts.append(f"{'met' if inconclusive == 0 else 'MISSED'}: zero inconclusive ({inconclusive})")
    else:
        fast = ours.seconds is not None and ours.seconds <= 0.8
        verdicts.append(f"{'met' if fast else 'MISSED'}: ours ≤ 0.8 s")
        for tool, factor in (("linkchecker", 3.0), ("linkinator", 1.0)):
            other = next((r for r in rows if r.tool == tool and r.seconds is not None), None)
            if other is not None and ours.seconds:
                ok = other.seconds / ours.seconds >= factor  # type: ignore[operator]
                verdicts.append(f"{'met' if ok else 'MISSED'}: ≥{factor:g}× vs {tool}")
    verdicts.append(f"{'met' if ours.broken == 0 else 'MISSED'}: zero false drift")
    print("target:", "; ".join(verdicts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds each host waits before answering")
    parser.add_argument("--install", action="store_true", help="install linkchecker and linkinator first")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the median is shown (default 3)")
    parser.add_argument("--skip-others", action="store_true", help="only our checker")
    parser.add_argument("--concurrency", type=int, help="override our global limit (for tuning)")
    parser.add_argument("--per-host", type=int, help="override our per-host starting width (for tuning)")
    parser.add_argument("--per-host-max", type=int, help="override our per-host widest window (for tuning)")
    parser.add_argument(
        "--scene", choices=("healthy", "strict", "both"), default="both", help="which scene(s) to run (default both)"
    )
    parser.add_argument("--per-host-delay", type=float, help="override our per-host spacing (for tuning)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker()
        return 0
    if args.install:
        install()
    names = ("concurrency", "per_host", "per_host_max", "per_host_delay")
    overrides = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    for strict in {"healthy": [False], "strict": [True], "both": [False, True]}[args.scene]:
        scene = start_scene(args.links, args.hosts, args.latency, strict)
        try:
            with tempfile.TemporaryDirectory(prefix="keyguide-bench-") as tmp:
                page = write_page(Path(tmp), scene.remapped())
                runs: list[tuple[Any, tuple[Any, ...]]] = [(run_ours, (scene, overrides))]
                if not args.skip_others:
                    runs += [(run_linkchecker, (page,)), (run_linkinator, (page,))]
                rows = measure(scene, args.repeat, runs)
            print_table(rows, scene, args.latency, strict)
        finally:
            for standin in scene.standins:
                standin.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
