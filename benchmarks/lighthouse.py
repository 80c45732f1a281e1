"""Lighthouse 12 on every built page, mobile preset: the four scores, FCP and TBT, bytes, third-party requests.

Targets (issue 14): 100 / 100 / 100 / 100 in every run, at most 85 KiB per page, zero third-party
requests. The table has one row per page per run (scores, FCP, LCP, TBT, CLS, KiB), so a score that
wobbles between runs shows.
The site is built strictly, served on loopback as a static host serves it (gzip for text), and each
page is audited by Lighthouse (npm `lighthouse@12.2.3`) driving the system Chromium headless. For
every audit that costs points, the ids, titles and offending elements are printed, so whoever owns
the theme knows what to fix.

    .venv/bin/python benchmarks/lighthouse.py [--site DIR] [--runs 3] [--warmup 1] [--out artifacts/lighthouse]

One audit of the first page runs first and is not recorded (--warmup): right after the build, the first
Chromium pays for the machine's cold caches, and its first page showed a 200-300 ms task no other run had.

Theme work that these figures steer: overrides/main.html (the pages' CSS inline, one first paint),
overrides/partials/bundle-on-first-use.html (Material's bundle and stylesheets at the reader's first
action) and overrides/critical_css.py (regenerates the inline rules).

Lighthouse comes from tests/node (pinned in its package-lock.json; `make test` and `make bench` install it),
or from $KEYGUIDE_LIGHTHOUSE_DIR.
A figure-printing script, not a test: it exits 0 unless the build or Lighthouse itself fails
(--check: exit 1 when a run of a page misses a target).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keyguide.build import build_site
from keyguide.facts import ROOT
from keyguide.platform import read_site_config

NODE_TOOLS = ROOT / "tests" / "node"  # package.json pins lighthouse 12.2.3 (13 needs Node 22)
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = " ".join(
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGET_SCORE, TARGET_KIB = 100, 85
# The metrics behind the performance score (ms, except CLS), as the table shows them.
METRICS = {
    "fcp": "first-contentful-paint",
    "lcp": "largest-contentful-paint",
    "tbt": "total-blocking-time",
    "cls": "cumulative-layout-shift",
}
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map")


# -- serving the site as a static host would ------------------------------------------------------


class StaticHandler(SimpleHTTPRequestHandler):
    """Files from the site folder; text gzip-compressed when the browser asks, as any static host does."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                return super().send_head()  # the redirect to the trailing-slash URL
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not path.is_file() or not accepts or path.suffix not in COMPRESSIBLE:
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        return io.BytesIO(body)


def base_path() -> str:
    """The path the site is published under (site_url's path, "/openai-key-guide/"), for absolute links."""
    site_url = str(read_site_config(ROOT / "mkdocs.yml").get("site_url") or "")  # resolves its !ENV tag
    path = urlsplit(site_url).path.strip("/")
    return f"/{path}/" if path else "/"


@contextmanager
def serve(site: Path, base: str, workdir: Path) -> Iterator[str]:
    """The site on http://127.0.0.1:<free port><base>, as it is published (404.html links absolutely)."""
    root = workdir / "www"
    mount = root / base.strip("/") if base.strip("/") else root
    mount.parent.mkdir(parents=True, exist_ok=True)
    if base.strip("/"):
        mount.symlink_to(site.resolve(), target_is_directory=True)
    else:
        root = site
    handler = functools.partial(StaticHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{base.rstrip('/')}"
    finally:
        server.shutdown()
        server.server_close()


# -- running Lighthouse -------------------------------------------------------------------------------


def lighthouse_cli() -> Path:
    """The Lighthouse CLI script: tests/node's pinned copy (installed with `npm ci` if missing)."""
    prefix = Path(os.environ.get("KEYGUIDE_LIGHTHOUSE_DIR") or NODE_TOOLS)
    cli = prefix / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.exists():
        print(f"installing the pinned Node.js tools into {prefix} …", file=sys.stderr)
        npm = ["npm", "ci", "--prefix", str(prefix), "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run(npm, check=True)
    return cli


def run_lighthouse(cli: Path, url: str, out: Path) -> dict[str, Any]:
    """One Lighthouse run (mobile: its default form factor and throttling); the JSON report."""
    command = [
        "node",
        str(cli),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    env = {**os.environ, "CHROME_PATH": CHROME}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse failed on {url}: {result.stderr.strip()[-2000:]}")
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse on {url}: {report['runtimeError']}")
    return report


# -- reading a report -----------------------------------------------------------------------------------


@dataclass
class Failing:
    """An audit that cost points on a page."""

    id: str
    category: str
    title: str
    weight: float
    score: float
    display: str
    items: list[str]


@dataclass
class PageResult:
    """One Lighthouse run of one page."""

    page: str
    scores: dict[str, int]
    total_bytes: int
    third_party: list[str]
    failing: list[Failing] = field(default_factory=list)
    errored: dict[str, str] = field(default_factory=dict)  # audits Lighthouse could not run: id -> why
    metrics: dict[str, float | None] = field(default_factory=dict)  # fcp/lcp/tbt (ms), cls; None if absent
    run: int = 1

    def meets_targets(self) -> bool:
        return (
            all(s >= TARGET_SCORE for s in self.scores.values())
            and self.total_bytes <= TARGET_KIB * 1024
            and not self.third_party
        )


def _item_text(item: dict[str, Any]) -> str:
    node = item.get("node") if isinstance(item.get("node"), dict) else None
    if node:
        explanation = " ".join(str(node.get("explanation", "")).split())[:300]
        return f"{node.get('selector', '')} {node.get('snippet', '')[:160]} {explanation}".strip()
    for key in ("url", "source", "description", "label"):
        value = item.get(key)
        if isinstance(value, str) and value:
            return value[:200]
        if isinstance(value, dict) and value.get("url"):
            return str(value["url"])[:200]
    return json.dumps(item)[:200]


def read_report(page: str, report: dict[str, Any], run: int = 1) -> PageResult:
    """One report's figures; a request is third-party when its host is not the audited page's host."""
    host = urlsplit(report["requestedUrl"]).netloc
    audits = report["audits"]
    scores = {c: round((report["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}
    total = int(audits["total-byte-weight"]["numericValue"])
    requests = audits["network-requests"]["details"]["items"]
    third = [
        r["url"]
        for r in requests
        if urlsplit(r["url"]).scheme in {"http", "https"} and urlsplit(r["url"]).netloc != host
    ]
    failing = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = audits[ref["id"]]
            mode = audit.get("scoreDisplayMode")
            if audit.get("score") is None or mode in {"informative", "notApplicable", "manual", "error"}:
                continue
            if audit["score"] >= 1 or (ref["weight"] == 0 and audit["score"] >= 0.9):
                continue
            items = (audit.get("details") or {}).get("items") or []
            failing.append(
                Failing(
                    id=ref["id"],
                    category=category,
                    title=audit["title"],
                    weight=ref["weight"],
                    score=audit["score"],
                    display=str(audit.get("displayValue", "")),
                    items=[_item_text(i) for i in items[:4] if isinstance(i, dict)],
                )
            )
    errored = {
        audit_id: str(audit.get("errorMessage", ""))[:160]
        for audit_id, audit in audits.items()
        if audit.get("scoreDisplayMode") == "error"
    }
    metrics: dict[str, float | None] = {}
    for key, audit_id in METRICS.items():
        value = (audits.get(audit_id) or {}).get("numericValue")
        metrics[key] = float(value) if isinstance(value, int | float) else None
    return PageResult(page, scores, total, third, failing, errored, metrics, run)


# -- the whole site ----------------------------------------------------------------------------------------


def site_pages(site: Path) -> list[str]:
    """Every built HTML page as a URL path ("/", "/create-key/", "/404.html")."""
    pages = []
    for html in sorted(site.rglob("*.html")):
        rel = html.relative_to(site).as_posix()
        pages.append("/" + (rel.removesuffix("index.html") if rel.endswith("index.html") else rel))
    return sorted(pages, key=lambda p: (p != "/", p))


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def print_table(runs: list[list[PageResult]]) -> None:
    """One row per page per run (the page named on its first run only); then how many pages met every target."""
    header = (
        f"{'page':<20} {'run':>3} {'perf':>4} {'a11y':>4} {'best':>4} {'seo':>4} "
        f"{'FCP ms':>6} {'LCP ms':>6} {'TBT ms':>6} {'CLS':>5} {'KiB':>6} {'3rd':>3}  targets"
    )
    print(header)
    print("-" * len(header))
    for page_runs in runs:
        for n, r in enumerate(page_runs):
            s, m = r.scores, r.metrics
            cls = "–" if m.get("cls") is None else f"{m['cls']:.3f}"
            print(
                f"{r.page if n == 0 else '':<20} {r.run:>3} {s['performance']:>4} {s['accessibility']:>4} "
                f"{s['best-practices']:>4} {s['seo']:>4} {_ms(m.get('fcp')):>6} {_ms(m.get('lcp')):>6} "
                f"{_ms(m.get('tbt')):>6} {cls:>5} {r.total_bytes / 1024:>6.1f} {len(r.third_party):>3}  "
                f"{'met' if r.meets_targets() else 'MISSED'}"
            )
    met = sum(all(r.meets_targets() for r in page_runs) for page_runs in runs)
    print(
        f"targets: {TARGET_SCORE}/{TARGET_SCORE}/{TARGET_SCORE}/{TARGET_SCORE} in every run, ≤ {TARGET_KIB} KiB, "
        f"0 third-party: met on every run by {met} of {len(runs)} page(s)"
    )


def print_failing(results: list[PageResult]) -> None:
    by_audit: dict[tuple[str, str], list[tuple[PageResult, Failing]]] = {}
    for r in results:
        for f in r.failing:
            by_audit.setdefault((f.category, f.id), []).append((r, f))
    if not by_audit:
        print("\nNo audit lost points on any page.")
        return
    print("\nAudits that cost points (category / id: title — page#run):")
    for (category, audit_id), hits in sorted(by_audit.items()):
        f = hits[0][1]
        scored = f"weight {f.weight:g}" if f.weight else "diagnostic, weight 0"
        print(f"- {category} / {audit_id} ({scored}): {f.title}")
        pages = [f"{r.page}#{r.run} {hit.display or ''} ({hit.score:.2f})".replace("  ", " ") for r, hit in hits]
        print(f"    on {len(hits)} page(s): {', '.join(pages)}")
        for item in f.items:
            print(f"    · {item}")
    errored = {audit_id: why for r in results for audit_id, why in r.errored.items()}
    if errored:
        print("\nAudits Lighthouse could not run (not scored; their diagnosis is missing):")
        for audit_id, why in sorted(errored.items()):
            print(f"- {audit_id}: {why}")
    third = sorted({u for r in results for u in r.third_party})
    for url in third:
        print(f"- third-party request: {url}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="an already built site (default: build one now, strictly)")
    parser.add_argument("--pages", nargs="*", help="only these URL paths, e.g. / /create-key/")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; scores are the median (default 1)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="audits of the first page run first and not recorded (default 1): the first Chromium after a build "
        "pays for the machine's cold caches",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "lighthouse", help="where the JSON reports go")
    parser.add_argument("--check", action="store_true", help="exit 1 when a page misses a target")
    parser.add_argument("--reports", type=Path, help="print the figures of an earlier run's JSON reports; run nothing")
    args = parser.parse_args(argv)

    runs = from_reports(args.reports) if args.reports else measure(args)
    print_table(runs)
    print_failing([r for page_runs in runs for r in page_runs])
    print(f"\nJSON reports: {args.reports or args.out}")
    return 1 if args.check and not all(r.meets_targets() for page_runs in runs for r in page_runs) else 0


def from_reports(folder: Path) -> list[list[PageResult]]:
    """The runs of an earlier measurement, from its `<page>.<run>.json` reports."""
    runs: dict[str, list[PageResult]] = {}
    base = base_path().rstrip("/")
    for file in sorted(folder.glob("*.json"), key=lambda f: (f.name.split(".")[0], _run_number(f))):
        report = json.loads(file.read_text(encoding="utf-8"))
        page = urlsplit(report["requestedUrl"]).path.removeprefix(base) or "/"
        runs.setdefault(page, []).append(read_report(page, report, _run_number(file)))
    return [runs[p] for p in sorted(runs, key=lambda p: (p != "/", p))]


def _run_number(file: Path) -> int:
    """The run a report belongs to, from its name (`create-key.2.json` → 2)."""
    parts = file.name.split(".")
    return int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else 1


def measure(args: argparse.Namespace) -> list[list[PageResult]]:
    """Build (unless --site), serve, and run Lighthouse on each page --runs times."""
    cli = lighthouse_cli()
    with tempfile.TemporaryDirectory(prefix="keyguide-lh-") as tmp:
        site = args.site
        if site is None:
            build = build_site(ROOT, site_dir=Path(tmp) / "site")
            if not build.ok:
                raise SystemExit(f"the strict build failed:\n{build.output}")
            site = build.site_dir
        pages = args.pages or site_pages(site)
        args.out.mkdir(parents=True, exist_ok=True)
        results = []
        with serve(site, base_path(), Path(tmp)) as base_url:
            for _ in range(args.warmup):
                run_lighthouse(cli, base_url + pages[0], Path(tmp) / "warmup.json")
            for page in pages:
                runs = []
                for n in range(args.runs):
                    name = (page.strip("/").replace("/", "_") or "index") + f".{n + 1}.json"
                    report = run_lighthouse(cli, base_url + page, args.out / name)
                    runs.append(read_report(page, report, n + 1))
                results.append(runs)
                print(f"measured {page}", file=sys.stderr)
    return results


if __name__ == "__main__":
    sys.exit(main())
