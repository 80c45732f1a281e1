"""Run the stand-in in-process: uvicorn in a background thread on a free loopback port."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from checks.standin.app import EXPIRED_SESSION, StandInState, build_app
from checks.standin.faults import FaultBook
from checks.standin.requestlog import RequestLog
from checks.standin.sitemap import SESSION_COOKIE, host_of
from checks.standin.sources import source_origins
from keyguide.facts import Facts, load_facts


def remap_pairs(base_url: str, origins: list[str]) -> list[tuple[str, str]]:
    """(original origin, stand-in prefix) for each origin: https://h → {base}/h."""
    base = base_url.rstrip("/")
    return [(origin.rstrip("/"), f"{base}/{host_of(origin)}") for origin in origins]


class StandIn:
    """The local OpenAI stand-in, as a context manager: `with StandIn() as s: s.base_url`.

    `facts=None` serves the current facts.yml (re-read when it changes); `generic_pages=True`
    answers any unknown path on any host with a small 200 page; `canary` is shown as a key on the
    API keys page. `faults` and `requests` may be used before, during and after a run.
    """

    def __init__(
        self,
        facts: Facts | None = None,
        generic_pages: bool = False,
        *,
        canary: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._state = StandInState(facts=facts, generic_pages=generic_pages, canary=canary)
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._bound_port: int | None = None
        self._socket: socket.socket | None = None

    # -- what tests use ---------------------------------------------------------------------

    @property
    def faults(self) -> FaultBook:
        return self._state.faults

    @property
    def requests(self) -> RequestLog:
        return self._state.requests

    @property
    def facts(self) -> Facts:
        return self._state.facts or load_facts()

    @property
    def canary(self) -> str | None:
        return self._state.canary

    @canary.setter
    def canary(self, value: str | None) -> None:
        self._state.canary = value

    @property
    def base_url(self) -> str:
        if self._bound_port is None:
            raise RuntimeError("the stand-in is not running: call start() first")
        return f"http://{self._host}:{self._bound_port}"

    @property
    def remap_pairs(self) -> list[tuple[str, str]]:
        site = self._state.site()
        return remap_pairs(self.base_url, [*self.facts.origins, *source_origins(site)])

    @property
    def remaps(self) -> list[str]:
        """`FROM=TO` strings for `pytest checks --remap`."""
        return [f"{src}={dst}" for src, dst in self.remap_pairs]

    def url(self, original: str) -> str:
        """Where the stand-in serves an original URL (any host): https://h/p → {base}/h/p."""
        scheme, _, rest = original.partition("://")
        return f"{self.base_url}/{rest}" if scheme in ("http", "https") else original

    def settle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being answered (a client that gave up on a slow answer leaves it
        running), so the next test's log starts clean; False if one is still open after `timeout`."""
        deadline = time.monotonic() + timeout
        while self._state.open_requests > 0:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> StandIn:
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # so asyncio sets TCP_NODELAY
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self._bound_port = sock.getsockname()[1]
        config = uvicorn.Config(
            build_app(self._state),
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=1,
            server_header=False,
        )
        self._state.closing.clear()
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="standin", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError("the stand-in did not start")
            time.sleep(0.005)
        self._server, self._thread, self._socket = server, thread, sock
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._state.closing.set()
        server.should_exit = True
        thread.join(timeout=5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = None
        self._socket = None
        self._bound_port = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def standin_storage_state(
    path: Path | str | None = None, *, expired: bool = False, facts: Facts | None = None
) -> dict[str, Any]:
    """A Playwright storage state with a stand-in session cookie (value "expired" if expired).

    The cookie is set on each host of a signed-in ui fact (platform.openai.com). With `path`, the
    JSON is also written there with mode 0600, as the real `login` command does.
    """
    facts = facts or load_facts()
    hosts = sorted({host_of(ui.url) for ui in facts.ui.values() if ui.signed_in})
    cookie = {
        "name": SESSION_COOKIE,
        "value": EXPIRED_SESSION if expired else "standin-signed-in",
        "path": "/",
        "expires": time.time() + 86_400,
        "httpOnly": True,
        "secure": True,
        "sameSite": "Lax",
    }
    state: dict[str, Any] = {"cookies": [{**cookie, "domain": host} for host in hosts], "origins": []}
    if path is not None:
        target = Path(path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=2)
        target.chmod(0o600)
    return state
