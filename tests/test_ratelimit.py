"""Adaptive per-host politeness: start at 4, widen while clean, narrow at once on push-back."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys

import httpx
import pytest

from checks.drift.http import RetryPolicy
from checks.drift.links import LinkChecker, LinkSettings, LinkTarget, run_sync
from checks.drift.outcomes import Status
from checks.drift.ratelimit import UNREACHABLE_AFTER, HostGate, pushes_back
from checks.drift.remap import Remapper
from keyguide.facts import ROOT

FAST = RetryPolicy(attempts=4, backoff=0.01, retry_after_cap=1.0, timeout=5.0)


def checker(handler: object, settings: LinkSettings) -> LinkChecker:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return LinkChecker(Remapper(), FAST, settings, client=client)


def test_defaults_start_polite_and_may_grow() -> None:
    settings = LinkSettings()
    assert settings.per_host <= 4
    assert settings.per_host_max == 10


def test_help_shows_the_starting_width() -> None:
    """`pytest checks --help` shows the starting width, at most 4, and the maximum."""
    command = [sys.executable, "-m", "pytest", "checks", "--help", "-p", "no:cacheprovider"]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout
    flat = " ".join(out.split())
    assert re.search(r"--per-host-concurrency=PER_HOST_CONCURRENCY .*?\(default 4\)", flat)
    assert re.search(r"--per-host-max=PER_HOST_MAX .*?\(default 10\)", flat)


def run_gate(gate: HostGate, answers: list[bool]) -> None:
    async def main() -> None:
        for pushed in answers:
            await gate.answered(pushed)

    run_sync(main())  # on its own loop in a thread: a browser test may hold this thread's loop


def test_the_window_doubles_per_round_trip_until_the_first_push_back_and_stops_at_the_maximum() -> None:
    gate = HostGate(start=4, spacing=0.0, maximum=10)
    run_gate(gate, [False] * 4)
    assert gate.width == 8, "slow start: one wider per clean answer"
    run_gate(gate, [False] * 100)
    assert gate.width == 10 and gate.stats.widest == 10


def test_after_a_push_back_the_window_widens_by_one_per_clean_window() -> None:
    gate = HostGate(start=8, spacing=0.0, maximum=10)
    run_gate(gate, [True])
    assert gate.width == 4
    run_gate(gate, [False] * 3)
    assert gate.width == 4, "a window of 4 needs 4 clean answers before it grows"
    run_gate(gate, [False])
    assert gate.width == 5


def test_push_back_halves_the_window_down_to_one() -> None:
    gate = HostGate(start=4, spacing=0.0, maximum=10)
    run_gate(gate, [True])
    assert gate.width == 2
    run_gate(gate, [True, True, True])
    assert gate.width == 1 and gate.stats.narrowed == 4


def test_a_free_slot_goes_to_the_longest_waiting_request_and_a_cancelled_wait_frees_nothing() -> None:
    gate = HostGate(start=1, spacing=0.0, maximum=2)
    order: list[str] = []

    async def request(name: str, hold: asyncio.Event) -> None:
        async with gate.slot():
            order.append(name)
            await hold.wait()

    async def main() -> None:
        first, rest = asyncio.Event(), asyncio.Event()
        running = asyncio.ensure_future(request("a", first))
        await asyncio.sleep(0)
        waiting = [asyncio.ensure_future(request(name, rest)) for name in "bcd"]
        await asyncio.sleep(0)
        waiting[0].cancel()  # b gives up while it waits
        await asyncio.sleep(0)
        await gate.answered(False)  # a clean answer: one wider, so c starts beside a
        await asyncio.sleep(0)
        assert order == ["a", "c"] and gate.width == 2
        first.set()
        rest.set()
        await asyncio.gather(running, *waiting[1:])
        assert order == ["a", "c", "d"]
        assert gate._holders == 0 and not gate._waiting

    run_sync(main())


@pytest.mark.parametrize(
    ("status", "headers", "challenged", "expected"),
    [
        (429, {}, False, True),
        (503, {}, False, True),
        (200, {"retry-after": "1"}, False, True),
        (403, {}, True, True),
        (200, {}, False, False),
        (404, {}, False, False),
    ],
)
def test_what_counts_as_push_back(status: int, headers: dict[str, str], challenged: bool, expected: bool) -> None:
    assert pushes_back(status, httpx.Headers(headers), challenged) is expected


def test_a_clean_host_gets_more_than_the_starting_width() -> None:
    active = {"now": 0, "peak": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        active["now"] += 1
        active["peak"] = max(active["peak"], active["now"])
        await asyncio.sleep(0.02)
        active["now"] -= 1
        return httpx.Response(200)

    targets = [LinkTarget(f"u{i}", f"https://one.example/p{i}") for i in range(80)]
    settings = LinkSettings(per_host=4, per_host_max=10, per_host_delay=0.0, browser=False, recheck=False)
    results = run_sync(checker(handler, settings).run(targets))
    assert {r.status for r in results.values()} == {Status.OK}
    assert 4 < active["peak"] <= 10


def test_a_host_that_429s_above_four_in_flight_ends_with_nothing_inconclusive() -> None:
    """What Cloudflare does: more than 4 at once earns a 429 with Retry-After. The window must settle."""
    active = {"now": 0, "peak": 0, "refused": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        active["now"] += 1
        try:
            if active["now"] > 4:
                active["refused"] += 1
                return httpx.Response(429, headers={"retry-after": "0.05"})
            active["peak"] = max(active["peak"], active["now"])
            await asyncio.sleep(0.02)
            return httpx.Response(200)
        finally:
            active["now"] -= 1

    targets = [LinkTarget(f"u{i}", f"https://strict.example/p{i}") for i in range(60)]
    settings = LinkSettings(per_host=4, per_host_max=10, per_host_delay=0.0, browser=False, recheck=False)
    link_checker = checker(handler, settings)
    results = run_sync(link_checker.run(targets))
    assert [r.id for r in results.values() if r.status is not Status.OK] == []
    stats = link_checker.host_stats()["strict.example"]
    assert stats.narrowed >= 1  # it did push back once the window grew past 4, and we narrowed


def test_a_host_that_never_answers_is_given_up_on_and_tried_again_on_the_final_pass() -> None:
    """The network down in CI: after UNREACHABLE_AFTER failures in a row, the host's other links fail at
    once (inconclusive, saying why) instead of each waiting out its timeout; the final pass tries again."""
    sent = {"down.example": 0, "up.example": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        sent[request.url.host] += 1
        if request.url.host == "down.example":
            raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)
        return httpx.Response(200)

    targets = [LinkTarget(f"d{i}", f"https://down.example/p{i}") for i in range(40)]
    targets += [LinkTarget(f"u{i}", f"https://up.example/p{i}") for i in range(10)]
    settings = LinkSettings(per_host=4, per_host_delay=0.0, browser=False, recheck=True, recheck_delay=0.0)
    link_checker = checker(handler, settings)
    results = run_sync(link_checker.run(targets))
    down = [r for r in results.values() if r.id.startswith("d")]
    assert {r.status for r in down} == {Status.INCONCLUSIVE}
    assert {r.status for r in results.values() if r.id.startswith("u")} == {Status.OK}
    assert any("not sent: down.example has not answered any request" in r.reason for r in down), down[-1]
    # Each pass: the failures that trip it, plus what was already in flight; never 40 links × 4 attempts.
    assert 2 * UNREACHABLE_AFTER <= sent["down.example"] <= 2 * (UNREACHABLE_AFTER + 4)
    assert link_checker.host_stats()["down.example"].unreachable
    assert not link_checker.host_stats()["up.example"].unreachable


def test_a_host_that_answered_once_is_never_given_up_on() -> None:
    gate = HostGate(4, 0.0)

    async def main() -> None:
        await gate.answered(pushed_back=False)

    run_sync(main())  # not asyncio.run: Playwright's sync API may already run a loop in this worker
    for _ in range(3 * UNREACHABLE_AFTER):
        gate.no_answer()
    assert not gate.unreachable
    fresh = HostGate(4, 0.0)
    for _ in range(UNREACHABLE_AFTER - 1):
        fresh.no_answer()
    assert not fresh.unreachable
    fresh.no_answer()
    assert fresh.unreachable
    fresh.try_again()
    assert not fresh.unreachable


def test_against_a_stand_in_that_429s_a_crowd_nothing_is_inconclusive() -> None:
    """The benchmark's strict scene, small: the stand-in's crowd_limit fault, our checker's defaults."""
    from checks.standin import Fault, StandIn

    with StandIn(generic_pages=True) as standin:
        standin.faults.inject(Fault(kind="crowd_limit", route="https://crowd.example", limit=4, seconds=0.2))
        standin.faults.inject(Fault(kind="latency", route="https://crowd.example", seconds=0.05))
        remapper = Remapper((("https://crowd.example", f"{standin.base_url}/crowd.example"),))
        targets = [LinkTarget(f"u{i}", f"https://crowd.example/p{i}") for i in range(40)]
        link_checker = LinkChecker(remapper, FAST, LinkSettings(browser=False))
        results = run_sync(link_checker.run(targets))
        refused = [r for r in standin.requests if r.status == 429]
    assert [r.id for r in results.values() if r.status is not Status.OK] == []
    stats = link_checker.host_stats()["crowd.example"]
    assert stats.widest > 4 and stats.narrowed >= 1 and refused, "the window grew, met the limit, and narrowed"
