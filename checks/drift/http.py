"""HTTP for the checks: clients that remap URLs, and one retry policy for 429, 5xx and hiccups.

A scheduled run must survive a rate limit or a blip without calling it drift, so every check asks
through `fetch()` (or its async twin): bounded attempts, exponential backoff with jitter, and
`Retry-After` honoured up to a cap. What is still failing after that is reported as is; the
caller's classification turns it into *inconclusive*.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from checks.drift.remap import AsyncRemapTransport, Remapper, RemapTransport

USER_AGENT = "openai-key-guide-drift/2.0 (+https://github.com/; docs drift checks)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.5  # seconds before the 2nd attempt; doubles each time
    retry_after_cap: float = 30.0  # never wait longer than this for one Retry-After
    timeout: float = 15.0


@dataclass
class Fetched:
    """The last answer (or failure) of a request, and how hard we tried."""

    response: httpx.Response | None
    error: BaseException | None
    attempts: int
    waited: float = 0.0
    history: list[str] = field(default_factory=list)  # "429 (Retry-After 2)", "ConnectError", …


def retry_delay(response: httpx.Response | None, attempt: int, policy: RetryPolicy) -> float:
    """Seconds to wait before the next attempt: Retry-After when given (capped), else backoff."""
    if response is not None:
        header = response.headers.get("retry-after")
        if header:
            seconds = _parse_retry_after(header)
            if seconds is not None:
                return min(max(seconds, 0.0), policy.retry_after_cap)
    return policy.backoff * (2 ** (attempt - 1)) * (1 + random.random() * 0.25)


def _parse_retry_after(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, IndexError):
        return None


def should_retry(response: httpx.Response | None, error: BaseException | None) -> bool:
    if error is not None:
        return isinstance(error, httpx.TransportError)
    return response is not None and response.status_code in RETRY_STATUSES


def _describe(response: httpx.Response | None, error: BaseException | None) -> str:
    if error is not None:
        return type(error).__name__
    assert response is not None
    after = response.headers.get("retry-after")
    return f"{response.status_code}" + (f" (Retry-After {after})" if after else "")


def sync_client(remapper: Remapper, policy: RetryPolicy = RetryPolicy()) -> httpx.Client:
    return httpx.Client(
        transport=RemapTransport(remapper, httpx.HTTPTransport()),
        timeout=policy.timeout,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


class OriginPools(httpx.AsyncBaseTransport):
    """One connection pool per origin, each made on its first request, TLS set up on the first https one.

    httpcore's single pool scans every connection and every queued request on each event, so a
    batch spread over many hosts pays for all of them on every answer; a pool per origin only
    for its own. The CA bundle is loaded when a request first needs it (a loopback run never does).
    """

    def __init__(self, limits: httpx.Limits | None = None) -> None:
        self.limits = limits or httpx.Limits()
        self.pools: dict[tuple[str, str, int | None], httpx.AsyncHTTPTransport] = {}
        self._tls: ssl.SSLContext | None = None

    def pool(self, url: httpx.URL) -> httpx.AsyncHTTPTransport:
        key = (url.scheme, url.host, url.port)
        if key not in self.pools:
            if url.scheme == "https" and self._tls is None:
                self._tls = httpx.create_ssl_context()
            self.pools[key] = httpx.AsyncHTTPTransport(verify=self._tls or _PLAIN, limits=self.limits)
        return self.pools[key]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.pool(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        pools, self.pools = list(self.pools.values()), {}
        for pool in pools:
            await pool.aclose()


# For plain-http pools, which never use it: a context without the CA bundle (cheap to make).
_PLAIN = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def async_client(
    remapper: Remapper, policy: RetryPolicy = RetryPolicy(), limits: httpx.Limits | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=AsyncRemapTransport(remapper, OriginPools(limits)),
        timeout=policy.timeout,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


class Attempts:
    """The retry bookkeeping both `fetch` and `afetch` share: record an answer, get the next delay."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.result = Fetched(None, None, 0)

    def record(self, response: httpx.Response | None, error: BaseException | None) -> float | None:
        """Seconds to wait before trying again, or None when this answer is final."""
        result = self.result
        result.attempts += 1
        result.response, result.error = response, error
        result.history.append(_describe(response, error))
        if result.attempts >= self.policy.attempts or not should_retry(response, error):
            return None
        delay = retry_delay(response, result.attempts, self.policy)
        result.waited += delay
        return delay


def fetch(
    send: Callable[[], httpx.Response], policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep
) -> Fetched:
    """Call `send` until it gives a final answer or attempts run out."""
    attempts = Attempts(policy)
    while True:
        try:
            response, error = send(), None
        except httpx.HTTPError as exc:
            response, error = None, exc
        delay = attempts.record(response, error)
        if delay is None:
            return attempts.result
        sleep(delay)


async def afetch(send: Callable[[], Awaitable[httpx.Response]], policy: RetryPolicy) -> Fetched:
    """`fetch` for asyncio callers (the link checker)."""
    attempts = Attempts(policy)
    while True:
        try:
            response, error = await send(), None
        except httpx.HTTPError as exc:
            response, error = None, exc
        delay = attempts.record(response, error)
        if delay is None:
            return attempts.result
        await asyncio.sleep(delay)
