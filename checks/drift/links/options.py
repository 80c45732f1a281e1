"""How hard and how politely the link checks run: their command-line options and settings."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest


def parse_duration(text: str) -> float:
    """Seconds from "90", "90s", "15m", "12h" or "7d" (cache ages are easier to say in days)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 3600, 90m, 12h, 7d)")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def add_options(group: pytest.OptionGroup) -> None:
    """Command-line options of the links checks; called by the drift plugin."""
    defaults = LinkSettings()
    group.addoption(
        "--link-cache",
        metavar="PATH",
        help="JSON cache of link results (ok and drift only, never inconclusive); off by default",
    )
    group.addoption(
        "--link-cache-max-age",
        type=parse_duration,
        default=parse_duration("1d"),
        metavar="AGE",
        help="reuse cached link results younger than AGE (seconds, or 90m, 12h, 7d; default 1d)",
    )
    group.addoption(
        "--link-concurrency",
        type=int,
        default=defaults.concurrency,
        help=f"link requests in flight at once, all hosts together (default {defaults.concurrency})",
    )
    group.addoption(
        "--per-host-concurrency",
        type=int,
        default=defaults.per_host,
        help=f"link requests in flight at once to one host at the start; the window widens while the host "
        f"answers cleanly and narrows on a 429, 503, Retry-After or bot challenge (default {defaults.per_host})",
    )
    group.addoption(
        "--per-host-max",
        type=int,
        default=defaults.per_host_max,
        help=f"the widest the per-host window may grow (default {defaults.per_host_max})",
    )
    group.addoption(
        "--per-host-delay",
        type=float,
        default=defaults.per_host_delay,
        metavar="SECONDS",
        help=f"least time between two request starts to one host (default {defaults.per_host_delay})",
    )
    group.addoption(
        "--link-browser",
        choices=("on", "off"),
        default="on",
        help="re-check bot walls, 403s and JavaScript-built fragments in Chromium (default on; off: inconclusive)",
    )
    group.addoption(
        "--recheck-delay",
        type=float,
        default=defaults.recheck_delay,
        metavar="SECONDS",
        help="pause before the final pass over links and sources that got no answer, a 429 or a 5xx "
        f"(default {defaults.recheck_delay})",
    )
    group.addoption(
        "--link-site",
        metavar="DIR",
        help="collect links from this already built site instead of building the guide into a temp dir",
    )


@dataclass(frozen=True)
class LinkSettings:
    """How hard and how politely to check. Defaults: polite to one host, fast across many."""

    # Tuned with benchmarks/links.py (200 links, 20 hosts, 300 ms): what a host sees is bounded by
    # `per_host` and `per_host_delay`; `concurrency` only bounds our own sockets.
    concurrency: int = 256
    per_host: int = 4  # in flight at once to one host at the start (checks/drift/ratelimit.py adapts it)
    per_host_max: int = 10  # the widest a host that answers cleanly gets (lychee's fixed default)
    per_host_delay: float = 0.01  # least time between two request starts to one host
    max_redirects: int = 10
    browser: bool = True
    browser_timeout: float = 20.0
    challenge_wait: float = 10.0  # how long Chromium may sit on a challenge page before we give up
    fragment_wait: float = 3.0  # how long a JavaScript-built page may take to add its headings
    browser_pages: int = 4
    recheck: bool = True
    recheck_delay: float = 2.0  # pause before the final pass over what stayed inconclusive
    body_limit: int = 5_000_000

    @classmethod
    def from_config(cls, config: pytest.Config) -> LinkSettings:
        return cls(
            concurrency=max(1, config.getoption("link_concurrency")),
            per_host=max(1, config.getoption("per_host_concurrency")),
            per_host_max=max(1, config.getoption("per_host_max")),
            per_host_delay=max(0.0, config.getoption("per_host_delay")),
            browser=config.getoption("link_browser") == "on",
            recheck_delay=max(0.0, config.getoption("recheck_delay")),
        )
