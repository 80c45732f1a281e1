"""The project's own test suite, as CI meets it: a fresh clone, `CI=true bash .ci/run`, no caches.

Prints, per run, the whole time (installs included), the tests' time and counts, then the median of
the runs, the 5 slowest tests and the time per test file (from the run's JUnit file). The target
(issue 21): the median run at most 5 minutes in all and 4 minutes of tests, on 2 cores, 0 skipped.

    .venv/bin/python benchmarks/suite.py --runs 3     # ~15 min on 2 cores; run it on a quiet machine
    .venv/bin/python benchmarks/suite.py --smoke      # one tiny test file, to prove the script works
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"=+ (?P<counts>.*?) in (?P<seconds>[\d.]+)s")


@dataclass
class Run:
    total: float
    tests: float
    counts: dict[str, int]
    durations: dict[str, float] = field(default_factory=dict)  # test id → seconds

    @property
    def installs(self) -> float:
        return self.total - self.tests


def counts_of(text: str) -> dict[str, int]:
    """`1042 passed, 1 warning` → {"passed": 1042, "warning": 1}."""
    return {name.rstrip("s"): int(n) for n, name in re.findall(r"(\d+) (\w+)", text)}


def junit_durations(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    root = ElementTree.parse(path).getroot()
    return {
        pytest_id(case.get("classname", ""), case.get("name", "")): float(case.get("time") or 0)
        for case in root.iter("testcase")
    }


def pytest_id(classname: str, name: str) -> str:
    """JUnit's `tests.test_ui` + `test_x[a.b]` → pytest's `tests/test_ui.py::test_x[a.b]`."""
    parts = classname.split(".")
    module = next((i for i, part in enumerate(parts) if part[:1].isupper()), len(parts))
    return "::".join(["/".join(parts[:module]) + ".py", *parts[module:], name])


def one_run(command: list[str], junit: str, env: dict[str, str]) -> Run:
    with tempfile.TemporaryDirectory(prefix="keyguide-suite-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        started = time.monotonic()
        done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True, check=False)
        total = time.monotonic() - started
        output = done.stdout + done.stderr
        found = SUMMARY.findall(output)
        if done.returncode != 0 or not found:
            log = Path(tempfile.gettempdir()) / "keyguide-suite-failed.log"
            log.write_text(output, encoding="utf-8")
            summary = "\n".join(line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR")))
            tail = done.stdout[-2000:]
            sys.exit(f"error: {' '.join(command)} failed (exit {done.returncode}); whole log: {log}\n{summary}\n{tail}")
        counts, seconds = found[-1]
        return Run(total, float(seconds), counts_of(counts), junit_durations(clone / junit))


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def report(runs: list[Run], slowest: int = 5) -> None:
    print(f"{'run':>4}  {'in all':>8}  {'installs':>8}  {'tests':>8}  counts")
    for i, run in enumerate(runs, 1):
        counts = ", ".join(f"{n} {name}" for name, n in run.counts.items())
        print(f"{i:>4}  {minutes(run.total):>8}  {minutes(run.installs):>8}  {minutes(run.tests):>8}  {counts}")
    median = {key: statistics.median(getattr(r, key) for r in runs) for key in ("total", "installs", "tests")}
    print(
        f"median  {minutes(median['total']):>6}  {minutes(median['installs']):>8}  {minutes(median['tests']):>8}"
        f"  (of {len(runs)} fresh run{'s' if len(runs) > 1 else ''})"
    )
    tests: dict[str, list[float]] = defaultdict(list)
    files: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        per_file: dict[str, float] = defaultdict(float)
        for test_id, seconds in run.durations.items():
            tests[test_id].append(seconds)
            per_file[test_id.split("::")[0]] += seconds
        for name, seconds in per_file.items():
            files[name].append(seconds)
    if not tests:
        return
    print(f"\n{slowest} slowest tests (median seconds over the runs; parallel workers overlap them)")
    ranked = sorted(tests.items(), key=lambda kv: -statistics.median(kv[1]))
    for test_id, seconds in ranked[:slowest]:
        print(f"  {statistics.median(seconds):6.1f}  {test_id}")
    print("\nper test file (median seconds, summed over the file's tests)")
    for name, seconds in sorted(files.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"  {statistics.median(seconds):6.1f}  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh clones to run (default 3)")
    parser.add_argument("--slowest", type=int, default=5, help="how many of the slowest tests to list")
    parser.add_argument("--keep-caches", action="store_true", help="let pip and npm use their caches")
    parser.add_argument("--smoke", action="store_true", help="run one small test file instead of .ci/run, once")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OPENAI_", "GITHUB_"))}
    env["CI"] = "true"
    with tempfile.TemporaryDirectory(prefix="keyguide-npm-cache-") as npm_cache:
        if not args.keep_caches:  # what a new machine has: nothing downloaded yet
            env |= {"PIP_NO_CACHE_DIR": "1", "npm_config_cache": npm_cache}
        if args.smoke:
            junit = "smoke.xml"
            command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/test_coverage.py"]
            runs = [one_run([*command, f"--junitxml={junit}"], junit, env)]
        else:
            runs = [one_run(["bash", ".ci/run"], "artifacts/junit.xml", env) for _ in range(args.runs)]
    report(runs, args.slowest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
