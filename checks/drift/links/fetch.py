"""Fetch: HEAD first (GET where HEAD is refused or a body is needed), redirects one hop at a time in
original URLs, inside the run's and each host's limits (checks/drift/ratelimit.py), with the shared
retry policy (Retry-After honoured, capped, and pausing the whole host).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from checks.drift.http import Fetched, RetryPolicy, afetch, async_client, retry_delay
from checks.drift.links.options import LinkSettings
from checks.drift.outcomes import (
    bot_wall_reason,
)
from checks.drift.ratelimit import HostGate, HostStats, pushes_back
from checks.drift.remap import Remapper


@dataclass
class Hop:
    """One request of a redirect chain, in original URLs."""

    method: str
    url: str
    status: int | None
    location: str | None = None
    tries: str = ""  # the retry history when there was more than one attempt

    def describe(self) -> str:
        answer = "no answer" if self.status is None else f"HTTP {self.status}"
        moved = f" → {self.location}" if self.location else ""
        tries = f" (attempts: {self.tries})" if self.tries else ""
        return f"{self.method} {self.url} → {answer}{moved}{tries}"


@dataclass
class Probe:
    """What fetching one page (without its fragment) gave: the chain and the last answer."""

    chain: list[Hop]
    response: httpx.Response | None
    error: BaseException | None

    @property
    def final_url(self) -> str:
        return self.chain[-1].url

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status_code

    @property
    def body(self) -> str:
        return "" if self.response is None else self.response.text


class HostUnreachable(httpx.ConnectError):
    """Not sent: the host never answered and its last requests got no answer (checks/drift/ratelimit.py)."""


HEAD_OK_BELOW = 400  # a HEAD answer >= 400 is confirmed with GET: many servers refuse or mishandle HEAD
STRIP_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class Fetcher:
    """Requests for the link checks: limits, the shared retry policy, HEAD→GET, redirects hop by hop."""

    def __init__(
        self, client: httpx.AsyncClient, remapper: Remapper, policy: RetryPolicy, settings: LinkSettings
    ) -> None:
        self.client = client
        self.remapper = remapper
        self.policy = policy
        self.settings = settings
        self.global_slots = asyncio.Semaphore(settings.concurrency)
        self.gates: dict[str, HostGate] = {}
        self._probes: dict[tuple[str, bool], asyncio.Task[Probe]] = {}

    def gate(self, url: str) -> HostGate:
        host = urlsplit(url).netloc.lower()
        if host not in self.gates:
            settings = self.settings
            self.gates[host] = HostGate(settings.per_host, settings.per_host_delay, settings.per_host_max)
        return self.gates[host]

    async def send(self, method: str, url: str) -> httpx.Response:
        """One request inside the host's and the run's limits; GET bodies read up to a cap."""
        gate = self.gate(url)
        async with gate.slot(), self.global_slots:
            request = self.client.build_request(method, url)
            if gate.unreachable:
                raise HostUnreachable(f"not sent: {request.url.host} has not answered any request", request=request)
            with gate.in_flight():
                try:
                    response = await self.client.send(request, stream=True)
                except httpx.TransportError:
                    gate.no_answer()
                    raise
                try:
                    body = await _read_capped(response, self.settings.body_limit) if method == "GET" else b""
                finally:
                    await response.aclose()
        if response.status_code in (429, 503) and "retry-after" in response.headers:
            gate.pause(retry_delay(response, 1, self.policy))
        challenged = bot_wall_reason(response.status_code, response.headers, body[:20000].decode("utf-8", "replace"))
        await gate.answered(pushes_back(response.status_code, response.headers, challenged is not None))
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in STRIP_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=body, request=response.request)

    async def request(self, method: str, url: str) -> Fetched:
        return await afetch(lambda: self.send(method, url), self.policy)

    async def answer(self, url: str, need_body: bool) -> tuple[str, Fetched]:
        """HEAD when a status is enough; GET when HEAD is refused, looks wrong, or a body is needed."""
        if not need_body:
            head = await self.request("HEAD", url)
            response = head.response
            if head.error is not None:
                return "HEAD", head  # no answer at all: GET would only time out again
            if (
                response is not None
                and response.status_code < HEAD_OK_BELOW
                and bot_wall_reason(response.status_code, response.headers, "") is None
            ):
                return "HEAD", head
            status = "no answer" if response is None else f"HTTP {response.status_code}"
            return f"GET (HEAD: {status})", await self.request("GET", url)
        return "GET", await self.request("GET", url)

    def probe(self, url: str, need_body: bool) -> Awaitable[Probe]:
        """The probe of `url`, shared by every target that links to it."""
        key = (url, need_body)
        if key not in self._probes:
            self._probes[key] = asyncio.ensure_future(self._probe(url, need_body))
        return self._probes[key]

    def forget(self, url: str) -> None:
        """Drop cached probes of `url` so the final pass asks again (its host included, if given up on)."""
        for key in [k for k in self._probes if k[0] == url]:
            del self._probes[key]
        self.gate(url).try_again()

    async def _probe(self, url: str, need_body: bool) -> Probe:
        chain: list[Hop] = []
        current = url
        while True:
            try:
                method, fetched = await self.answer(current, need_body)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
                chain.append(Hop("GET", current, None))
                return Probe(chain, None, exc)
            response = fetched.response
            tries = ", ".join(fetched.history) if fetched.attempts > 1 else ""
            hop = Hop(method, current, None if response is None else response.status_code, tries=tries)
            chain.append(hop)
            if response is None or not response.is_redirect:
                return Probe(chain, response, fetched.error)
            hop.location = self.next_url(current, response.headers["location"])
            seen = {h.url for h in chain}
            if len(chain) > self.settings.max_redirects or hop.location in seen:
                return Probe(chain, response, None)
            current = hop.location

    def next_url(self, current: str, location: str) -> str:
        """Where a redirect points, in original URLs (a Location in remapped space is mapped back)."""
        return self.remapper.original(urljoin(current, location.strip())).split("#", 1)[0]

    def host_stats(self) -> dict[str, HostStats]:
        return {host: gate.stats for host, gate in self.gates.items()}


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)


def link_client(remapper: Remapper, policy: RetryPolicy, settings: LinkSettings) -> httpx.AsyncClient:
    """The one client a batch of link or source checks shares, sized to the run's concurrency."""
    limits = httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
    return async_client(remapper, policy, limits)
