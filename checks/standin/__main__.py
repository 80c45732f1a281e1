"""`python -m checks.standin`: serve the stand-in until Ctrl-C, for writers running `pytest checks`."""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import signal
import sys
import time
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from checks.standin.api import TEST_KEYS
from checks.standin.server import StandIn


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m checks.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=8700, help="loopback port (0: any free port; default 8700)")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="JSON", help="a fault to inject, as JSON (repeatable)"
    )
    parser.add_argument("--generic-pages", action="store_true", help="answer unknown paths on any host with 200")
    parser.add_argument("--canary", help="a string the API keys page shows as a key (redaction tests)")
    return parser.parse_args(argv)


def banner(standin: StandIn) -> str:
    remaps = " ".join(f"--remap {shlex.quote(r)}" for r in standin.remaps)
    keys = ", ".join(["sk-standin-ok…", *TEST_KEYS])
    return "\n".join(
        [
            f"OpenAI stand-in at {standin.base_url}",
            f"Run the drift suite against it:\n  pytest checks {remaps}",
            f"Faults: POST/GET/DELETE {standin.base_url}/_standin/faults",
            f"Requests served: GET {standin.base_url}/_standin/requests",
            f"Test keys: {keys}",
            "Ctrl-C to stop.",
        ]
    )


def _until_interrupted() -> None:
    """Sleep until Ctrl-C; SIGTERM stops it the same way."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    while True:
        time.sleep(3600)


def run(argv: Sequence[str] | None = None, wait: Callable[[], None] | None = None) -> int:
    """Start, inject the --fault arguments, print the banner, wait (default: until Ctrl-C), stop."""
    args = parse_args(argv)
    standin = StandIn(generic_pages=args.generic_pages, canary=args.canary, port=args.port)
    try:
        faults = [json.loads(text) for text in args.fault]
        for fault in faults:
            standin.faults.inject(fault)
    except (json.JSONDecodeError, ValidationError, ValueError) as exc:
        print(f"error: bad --fault: {exc}", file=sys.stderr)
        return 2
    with standin:
        print(banner(standin), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (wait or _until_interrupted)()
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
