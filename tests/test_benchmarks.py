"""Every benchmark script still runs: each one at a tiny size, one run, our tool only.

Why: nothing ran the benchmarks, so build_scaling.py broke unseen when mkdocs.yml gained a watch
list. These smoke runs fail when a script is broken; the figures they print are not checked (they
depend on the machine). Lighthouse itself comes from npm: where it is not installed, a stand-in
`node` answers for it, so the script's own path (build, serve, run, read the report, print) still runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from keyguide.facts import ROOT

BENCHMARKS = ROOT / "benchmarks"
SMOKE_ARGS = {
    "build_scaling.py": ["--smoke"],
    "links.py": ["--links", "4", "--hosts", "2", "--latency", "0", "--repeat", "1", "--skip-others"],
    "lighthouse.py": ["--pages", "/", "--runs", "1", "--warmup", "0"],
    "sources.py": ["--smoke"],
    "suite.py": ["--smoke"],
}


def run(script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    command = [sys.executable, str(BENCHMARKS / script), *args]
    done = subprocess.run(
        command, cwd=ROOT, env=env or dict(os.environ), capture_output=True, text=True, timeout=timeout, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{script} {' '.join(args)} failed (exit {done.returncode}):\n{output[-3000:]}"
    return output


def test_every_benchmark_script_has_a_smoke_run() -> None:
    assert sorted(SMOKE_ARGS) == sorted(p.name for p in BENCHMARKS.glob("*.py"))


def test_build_scaling_builds_both_sites() -> None:
    output = run("build_scaling.py", *SMOKE_ARGS["build_scaling.py"])
    assert "stock Material" in output and "our config" in output and "ratio" in output, output


def test_links_checks_every_link() -> None:
    output = run("links.py", *SMOKE_ARGS["links.py"])
    assert "4 links over 2 loopback hosts" in output and "\nours " in output, output


def test_sources_checks_every_quote_against_the_standin() -> None:
    output = run("sources.py", *SMOKE_ARGS["sources.py"])
    assert "source check against the stand-in:" in output and " ok" in output and "median " in output, output


def test_suite_times_a_fresh_clone_and_lists_the_slowest_tests() -> None:
    output = run("suite.py", *SMOKE_ARGS["suite.py"])
    assert re.search(r"(?m)^ +1 +\d+:\d\d\.\d +\d+:\d\d\.\d +\d+:\d\d\.\d +\d+ passed", output), output
    assert "median " in output and "5 slowest tests" in output and "tests/test_coverage.py" in output, output


# A stand-in for `node <lighthouse cli> URL --output-path=…`: fetches the page as Lighthouse would and
# writes a report with the fields lighthouse.py reads.
FAKE_NODE = """#!{python}
import json, sys, urllib.request
args = sys.argv[1:]
url = args[1]
out = next(a.split("=", 1)[1] for a in args if a.startswith("--output-path="))
categories = next(a.split("=", 1)[1] for a in args if a.startswith("--only-categories=")).split(",")
with urllib.request.urlopen(url, timeout=30) as answer:
    body = answer.read()
    assert answer.status == 200 and b"<html" in body.lower(), (answer.status, body[:200])
audits = {{
    "total-byte-weight": {{"numericValue": len(body), "score": 1, "scoreDisplayMode": "numeric", "title": "bytes"}},
    "network-requests": {{"details": {{"items": [{{"url": url}}]}}, "score": None, "scoreDisplayMode": "informative"}},
}}
refs = [{{"id": "total-byte-weight", "weight": 0}}]
report = {{
    "requestedUrl": url,
    "categories": {{c: {{"score": 1, "auditRefs": refs}} for c in categories}},
    "audits": audits,
}}
open(out, "w").write(json.dumps(report))
"""


def test_lighthouse_script_runs_up_to_lighthouse(tmp_path: Path) -> None:
    """Build, serve, run "Lighthouse" on one page, read its report, print the table: all but Lighthouse itself."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    node = bin_dir / "node"
    node.write_text(FAKE_NODE.format(python=sys.executable), encoding="utf-8")
    node.chmod(0o755)
    cli = tmp_path / "lighthouse" / "node_modules" / "lighthouse" / "cli" / "index.js"
    cli.parent.mkdir(parents=True)
    cli.write_text("// stand-in: the fake node above does the work\n", encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "KEYGUIDE_LIGHTHOUSE_DIR": str(cli.parents[3]),
    }
    out = tmp_path / "reports"
    output = run("lighthouse.py", *SMOKE_ARGS["lighthouse.py"], "--out", str(out), env=env)
    assert [p.name for p in out.glob("*.json")] == ["index.1.json"]
    assert json.loads((out / "index.1.json").read_text(encoding="utf-8"))["requestedUrl"].endswith("/openai-key-guide/")
    table = [line for line in output.splitlines() if line.startswith("/ ")]
    assert len(table) == 1 and " 100  100  100  100 " in table[0], output


def test_lighthouse_itself_on_one_page(tmp_path: Path) -> None:
    """The real Lighthouse (pinned in tests/node, which `make test` installs) on one page, once."""
    cli = ROOT / "tests" / "node" / "node_modules" / "lighthouse" / "cli" / "index.js"
    assert cli.exists(), f"Lighthouse is not installed at {cli}: `make test` installs it (npm ci --prefix tests/node)"
    output = run("lighthouse.py", *SMOKE_ARGS["lighthouse.py"], "--out", str(tmp_path / "reports"), timeout=600)
    assert any(line.startswith("/ ") for line in output.splitlines()), output
