"""The one URL-remapping function, used by httpx (a transport) and by Playwright (routing).

`--remap https://platform.openai.com=http://127.0.0.1:8700/platform.openai.com` sends every request
for the first prefix to the second, so the same check code runs live and against the stand-in.
Everything the checks record (reports, redirect chains) stays in original URLs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx


class RemapError(ValueError):
    """A --remap value that is not FROM=TO with two absolute URLs."""


@dataclass(frozen=True)
class Remapper:
    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, specs: Iterable[str]) -> Remapper:
        pairs = []
        for spec in specs:
            source, sep, target = spec.partition("=")
            if (
                not sep
                or not source.startswith(("http://", "https://"))
                or not target.startswith(("http://", "https://"))
            ):
                raise RemapError(f"--remap {spec!r}: expected FROM=TO with two absolute URLs")
            pairs.append((source.rstrip("/"), target.rstrip("/")))
        return cls(tuple(pairs))

    def extended(self, pairs: Iterable[tuple[str, str]]) -> Remapper:
        """Later pairs only fill in what explicit --remap values did not cover."""
        known = {source for source, _ in self.pairs}
        return Remapper(self.pairs + tuple((s.rstrip("/"), t.rstrip("/")) for s, t in pairs if s not in known))

    def apply(self, url: str) -> str:
        """The URL to request for `url` (the longest matching FROM prefix wins)."""
        return _rewrite(url, self.pairs)

    def original(self, url: str) -> str:
        """The inverse: the URL a remapped request stands for."""
        return _rewrite(url, tuple((target, source) for source, target in self.pairs))

    def __bool__(self) -> bool:
        return bool(self.pairs)


def _rewrite(url: str, pairs: tuple[tuple[str, str], ...]) -> str:
    best: tuple[str, str] | None = None
    for source, target in pairs:
        # Match whole path segments: https://a.com must not capture https://a.com.evil.
        if (url == source or url.startswith(source + "/") or url.startswith((source + "?", source + "#"))) and (
            best is None or len(source) > len(best[0])
        ):
            best = (source, target)
    if best is None:
        return url
    return best[1] + url[len(best[0]) :]


def _remapped_request(request: httpx.Request, remapper: Remapper) -> httpx.Request:
    target = httpx.URL(remapper.apply(str(request.url)))
    headers = request.headers.copy()
    headers["Host"] = target.netloc.decode("ascii")
    return httpx.Request(request.method, target, headers=headers, stream=request.stream, extensions=request.extensions)


class RemapTransport(httpx.BaseTransport):
    """Sends each request to its remapped URL; the response keeps the original request."""

    def __init__(self, remapper: Remapper, inner: httpx.BaseTransport | None = None) -> None:
        self.remapper = remapper
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(_remapped_request(request, self.remapper))
        response.request = request
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncRemapTransport(httpx.AsyncBaseTransport):
    """The asyncio twin of RemapTransport, for the link checker's shared AsyncClient."""

    def __init__(self, remapper: Remapper, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.remapper = remapper
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(_remapped_request(request, self.remapper))
        response.request = request
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
