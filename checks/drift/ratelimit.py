"""Per-host politeness that adapts: polite where a host pushes back, fast where it does not.

OpenAI's sites sit behind Cloudflare, which answers a burst with 429s and challenges; every one of
those is an inconclusive item in the daily run. A fixed limit is either too slow for hosts that
don't mind or too fast for those that do. So each host gets a window, as TCP does: it starts narrow
and, until the host first pushes back, widens by one for each clean answer (slow start: it doubles
every round trip); it halves at once on a 429, a 503, a Retry-After or a bot challenge (down to 1);
after a push-back it widens only by one per window of clean answers. A Retry-After also pauses
every request to the host, not just the one that was told.

A host that has never answered in this pass and has failed `UNREACHABLE_AFTER` requests in a row
(no DNS, no route, every connection refused or timed out) is unreachable: its remaining requests
fail at once instead of each waiting out a timeout. The network being down in CI then costs seconds,
not a timeout per link; the final pass gives the host one more real try (`HostGate.try_again`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

PUSHBACK_STATUSES = (429, 503)
# Failed requests in a row, from a host that never answered, before it counts as unreachable: more
# than one starting window, so a resolver that drops some lookups of a burst never trips it.
UNREACHABLE_AFTER = 8


@dataclass
class HostStats:
    requests: int = 0
    active: int = 0
    peak: int = 0
    narrowed: int = 0  # times the host pushed back
    widest: int = 0  # the widest window the host earned
    unreachable: bool = False  # given up on (no answer, UNREACHABLE_AFTER failures in a row)


class HostGate:
    """One host's limits: an adaptive in-flight window, spaced starts, and pauses on Retry-After."""

    def __init__(self, start: int, spacing: float, maximum: int | None = None) -> None:
        self.width = max(1, start)
        self.maximum = max(self.width, maximum if maximum is not None else self.width)
        self.spacing = spacing
        self.next_start = 0.0
        self.paused_until = 0.0
        self.stats = HostStats(widest=self.width)
        self._holders = 0
        self._clean = 0  # clean answers since the window last changed
        self._pushed_back = False  # after the first push-back, widen carefully
        self._waiting: deque[asyncio.Future[None]] = deque()  # first come, first served
        self._ever_answered = False
        self._failures_in_a_row = 0  # requests that got no answer at all, since the last answer

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            loop = asyncio.get_running_loop()
            while True:  # a Retry-After may arrive while we wait
                now = loop.time()
                start = max(now, self.next_start, self.paused_until)
                if start <= now:
                    break
                await asyncio.sleep(start - now)
            self.next_start = loop.time() + self.spacing
            yield
        finally:
            self._holders -= 1
            self._grant()

    async def _acquire(self) -> None:
        if self._holders < self.width and not self._waiting:
            self._holders += 1
            return
        granted = asyncio.get_running_loop().create_future()
        self._waiting.append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():  # granted, then cancelled: pass the slot on
                self._holders -= 1
                self._grant()
            else:
                self._waiting.remove(granted)
            raise

    def _grant(self) -> None:
        """Hand free slots to the longest waiting requests, one wake-up each (not every waiter per change)."""
        while self._waiting and self._holders < self.width:
            granted = self._waiting.popleft()
            if not granted.done():
                self._holders += 1
                granted.set_result(None)

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count a request that holds every slot it needs (what the host really sees)."""
        self.stats.requests += 1
        self.stats.active += 1
        self.stats.peak = max(self.stats.peak, self.stats.active)
        try:
            yield
        finally:
            self.stats.active -= 1

    @property
    def unreachable(self) -> bool:
        """The host never answered and its last UNREACHABLE_AFTER requests got no answer at all."""
        return not self._ever_answered and self._failures_in_a_row >= UNREACHABLE_AFTER

    def no_answer(self) -> None:
        """A request to the host got no answer (DNS, connect, reset, timeout)."""
        self._failures_in_a_row += 1
        self.stats.unreachable = self.stats.unreachable or self.unreachable

    def try_again(self) -> None:
        """The final pass: an unreachable host gets another real try."""
        self._failures_in_a_row = 0

    def pause(self, seconds: float) -> None:
        """The host asked us to wait: every request to it waits, not just the one that was told."""
        self.paused_until = max(self.paused_until, asyncio.get_running_loop().time() + seconds)

    async def answered(self, pushed_back: bool) -> None:
        """Adapt the window to one answer: halve it on push-back; widen it by one per clean answer
        until the first push-back, then by one per window of clean answers."""
        self._ever_answered, self._failures_in_a_row = True, 0
        if pushed_back:
            self.stats.narrowed += 1
            self.width = max(1, self.width // 2)
            self._clean = 0
            self._pushed_back = True
            return
        self._clean += 1
        needed = self.width if self._pushed_back else 1
        if self._clean >= needed and self.width < self.maximum:
            self.width += 1
            self._clean = 0
            self.stats.widest = max(self.stats.widest, self.width)
            self._grant()


def pushes_back(status: int, headers: Mapping[str, str], challenged: bool) -> bool:
    """A 429, a 503, any Retry-After, or a bot challenge: the host wants us slower."""
    return status in PUSHBACK_STATUSES or "retry-after" in headers or challenged
