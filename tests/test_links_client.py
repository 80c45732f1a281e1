"""What the link checker's run costs before and around its requests: one pool per origin, no CA
bundle for plain http, and no browser code unless a link needs Chromium (benchmarks/links.py times
a subprocess, start-up and exit included)."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from checks.drift.http import OriginPools, RetryPolicy, async_client
from checks.drift.links import run_sync
from checks.drift.remap import Remapper
from checks.standin import StandIn
from keyguide.facts import ROOT


def test_one_pool_per_origin_and_no_ca_bundle_for_plain_http(standin: StandIn) -> None:
    pools = OriginPools(httpx.Limits(max_connections=8))

    other = StandIn(generic_pages=True).start()
    urls = [
        standin.url("https://a.example/page"),
        other.url("https://b.example/page"),
        standin.url("https://c.example/"),
    ]

    async def main() -> int:
        async with httpx.AsyncClient(transport=pools) as client:
            for url in urls:
                await client.head(url)
            return len(pools.pools)

    try:
        assert run_sync(main()) == 2, "two origins (the path, not the host, names the stand-in's site), two pools"
    finally:
        other.stop()
    assert pools._tls is None, "no https request: the CA bundle is never loaded"
    assert pools.pools == {}, "closed with the client"


def test_https_origins_share_one_tls_context() -> None:
    pools = OriginPools()
    first = pools.pool(httpx.URL("https://one.example/"))
    second = pools.pool(httpx.URL("https://two.example/"))
    assert first is not second and pools._tls is not None
    assert pools.pool(httpx.URL("https://one.example/other")) is first
    run_sync(pools.aclose())


def test_the_async_client_routes_through_the_remapper_and_the_pools(standin: StandIn) -> None:
    remapper = Remapper((("https://site.example", f"{standin.base_url}/site.example"),))

    async def main() -> httpx.Response:
        async with async_client(remapper, RetryPolicy(timeout=5.0)) as client:
            return await client.get("https://site.example/hello")

    response = run_sync(main())
    assert str(response.request.url) == "https://site.example/hello", "the response keeps the original request"
    assert [r.url for r in standin.requests] == ["https://site.example/hello"], "the stand-in served it"


def test_a_run_whose_links_all_answer_over_http_loads_no_browser_code() -> None:
    """The browser module (with Playwright's routing) loads when a link needs Chromium, not before."""
    script = """
import json, sys, httpx
from checks.drift.links import LinkChecker, LinkSettings, LinkTarget, run_sync
from checks.drift.remap import Remapper
client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
checker = LinkChecker(Remapper(), settings=LinkSettings(recheck=False), client=client)
results = run_sync(checker.run([LinkTarget("u", "https://one.example/page")]))
loaded = [m for m in ("checks.drift.links.browser", "checks.drift.routing", "playwright") if m in sys.modules]
print(json.dumps({"status": results["u"].status.value, "loaded": loaded}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == {"status": "ok", "loaded": []}
