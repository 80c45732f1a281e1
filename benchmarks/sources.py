"""Benchmark the source check against the stand-in: every fact's quote, the whole batch. Prints figures; not a test.

    .venv/bin/python benchmarks/sources.py [--repeat 7] [--smoke]

The scene is what `pytest checks -m sources --target standin` checks: every fact with a `source.quote`,
read from a stand-in of OpenAI started here (its pages are built from facts.yml), with the default
retry policy and settings (Chromium on, as in CI). One unrecorded warm-up run first (imports, the
stand-in's first renders), then `--repeat` measured runs; the median is the figure, wall time and
CPU time (on a shared machine the CPU time is the steadier one). Also printed:
how many documents were fetched, how many Chromium loaded (confirmations count towards the time),
and the outcomes (a clean stand-in must give ok for every quote).

Target (issue 20): the matcher that follows the Text Fragments spec costs at most 10 % over the
plain substring search it replaced (benchmarks/README.md has both figures).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks.drift.http import RetryPolicy  # noqa: E402
from checks.drift.links import LinkSettings  # noqa: E402
from checks.drift.remap import Remapper  # noqa: E402
from checks.drift.sources import check_sources, source_cases  # noqa: E402
from checks.standin import StandIn  # noqa: E402
from keyguide.facts import load_facts  # noqa: E402


def one_run(standin: StandIn, cases: list, remapper: Remapper) -> tuple[float, float, Counter[str], int, int]:
    standin.requests.clear()
    started, cpu = time.perf_counter(), time.process_time()
    results = check_sources(cases, remapper, RetryPolicy(), LinkSettings())
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    requests = standin.requests.all()
    chromium = sum(1 for r in requests if "Chrome" in r.user_agent and r.method == "GET")
    return seconds, cpu, Counter(r.status.value for r in results.values()), len(requests), chromium


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="measured runs (default 7); the median is shown")
    parser.add_argument("--smoke", action="store_true", help="one run, no warm-up: does the script still run")
    args = parser.parse_args(argv)
    cases = source_cases(load_facts())
    with StandIn() as standin:
        remapper = Remapper.parse(standin.remaps)
        if not args.smoke:
            one_run(standin, cases, remapper)  # warm-up, not recorded
        runs = [one_run(standin, cases, remapper) for _ in range(1 if args.smoke else args.repeat)]
    times = [seconds for seconds, *_ in runs]
    cpus = [cpu for _, cpu, *_ in runs]
    _, _, outcomes, requests, chromium = runs[-1]
    print(
        f"source check against the stand-in: {len(cases)} quotes, {requests} requests, {chromium} Chromium page loads"
    )
    print(f"outcomes: {', '.join(f'{count} {status}' for status, count in sorted(outcomes.items()))}")
    print(f"median {statistics.median(times):.3f} s over {len(times)} runs: {', '.join(f'{t:.3f}' for t in times)}")
    print(f"CPU (this process, the stand-in's threads included): median {statistics.median(cpus):.3f} s")
    return 0 if set(outcomes) == {"ok"} else 1


if __name__ == "__main__":
    raise SystemExit(main())
