"""Link drift checks: collection, the checker against the stand-in's faults, the cache, the suite end to end.

Every injected fault ends in ok or inconclusive, never drift; every injected break ends in drift with
an actionable suggestion. The library is tested directly (fast); two subprocess runs prove the
`pytest checks -m links` wiring: a clean run, and one where exactly the broken link fails.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest

from checks.drift.http import RetryPolicy
from checks.drift.links import (
    Fetcher,
    Hop,
    LinkCache,
    LinkChecker,
    LinkSettings,
    LinkTarget,
    LinkUse,
    Probe,
    check_links,
    collect,
    collect_site_links,
    collect_targets,
    judge,
    page_links,
    parse_duration,
    run_sync,
)
from checks.drift.outcomes import Result, Status
from checks.drift.remap import AsyncRemapTransport, Remapper
from checks.standin import Fault, StandIn
from checks.test_links import marker_selectable
from keyguide.facts import ROOT, load_facts

FACTS = load_facts()
QUICKSTART = FACTS.links["quickstart"].url
REFERENCE = FACTS.links["api_reference_auth"].url  # has #authentication
SLUGGED = FACTS.links["find_api_key_help"]  # cited by number: 301 to number + slug, expected
MOVED_TO = FACTS.links["api_keys_guide"].url

FAST = RetryPolicy(attempts=3, backoff=0.05, retry_after_cap=2.0, timeout=2.0)
SETTINGS = LinkSettings(recheck_delay=0.05, challenge_wait=6.0, browser_timeout=10.0, fragment_wait=1.0)


def check(
    standin: StandIn,
    url: str = QUICKSTART,
    *,
    expect_redirect_to: str | None = None,
    policy: RetryPolicy = FAST,
    settings: LinkSettings = SETTINGS,
    remaps: tuple[str, ...] = (),
) -> Result:
    """One link through the real checker, remapped to the stand-in."""
    target = LinkTarget("links.under_test", url, expect_redirect_to)
    checker = LinkChecker(Remapper.parse([*remaps, *standin.remaps]), policy, settings)
    return run_sync(checker.run([target]))["links.under_test"]


# -- drift: what a writer must fix -------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_gone_is_drift(standin: StandIn, status: int) -> None:
    standin.faults.inject(Fault(kind="status", fact="links.quickstart", status=status))
    result = check(standin)
    assert result.status is Status.DRIFT
    assert f"HTTP {status}" in result.suggestion and "links.under_test" in result.suggestion


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_is_drift_with_the_new_url(standin: StandIn, status: int) -> None:
    standin.faults.inject(Fault(kind="redirect", fact="links.quickstart", location=MOVED_TO, status=status))
    result = check(standin)
    assert result.status is Status.DRIFT
    assert result.suggestion.endswith(f"to {MOVED_TO}")
    assert result.observed == f"{status} → {MOVED_TO} → 200"  # the chain, in original URLs


def test_permanent_redirect_keeps_the_fragment_in_the_suggestion(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="redirect", route=REFERENCE.split("#")[0], location=QUICKSTART, status=301))
    result = check(standin, REFERENCE, settings=LinkSettings(browser=False))
    assert result.status is Status.DRIFT
    assert result.suggestion.endswith(f"to {QUICKSTART}#authentication")


def test_expected_redirect_is_ok(standin: StandIn) -> None:
    result = check(standin, SLUGGED.url, expect_redirect_to=SLUGGED.expect_redirect_to)
    assert result.status is Status.OK, result.message()
    assert result.observed.startswith("301 → https://help.openai.com/en/articles/4936850-")


def test_unexpected_slug_redirect_is_drift(standin: StandIn) -> None:
    """The same 301 without `expect_redirect_to`: the guide should link the final URL."""
    result = check(standin, SLUGGED.url)
    assert result.status is Status.DRIFT
    assert "4936850-" in result.suggestion


@pytest.mark.parametrize("status", [302, 303, 307])
def test_temporary_redirect_is_ok_and_recorded(standin: StandIn, status: int) -> None:
    standin.faults.inject(Fault(kind="redirect", fact="links.quickstart", location=MOVED_TO, status=status))
    result = check(standin)
    assert result.status is Status.OK, result.message()
    assert any(note.startswith("temporary redirect") for note in result.notes)
    assert f"HTTP {status} → {MOVED_TO}" in result.evidence[0]


@pytest.mark.browser
def test_missing_fragment_is_drift(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="missing_fragment", fact="links.api_reference_auth"))
    result = check(standin, REFERENCE)
    assert result.status is Status.DRIFT
    assert "no #authentication" in result.suggestion
    assert any(line.startswith("Chromium") for line in result.evidence)  # confirmed in a real browser


def test_fragment_in_static_html_needs_no_browser(standin: StandIn) -> None:
    result = check(standin, REFERENCE, settings=LinkSettings(browser=False))
    assert result.status is Status.OK, result.message()


# -- faults: ok after a retry, a fallback or a browser; else inconclusive. Never drift. ---------


@pytest.mark.browser
def test_js_rendered_fragment_is_ok_via_the_browser(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="js_fragment", fact="links.api_reference_auth"))
    result = check(standin, REFERENCE)
    assert result.status is Status.OK, result.message()
    assert any("built by JavaScript" in note for note in result.notes)


def test_js_rendered_fragment_without_a_browser_is_inconclusive(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="js_fragment", fact="links.api_reference_auth"))
    result = check(standin, REFERENCE, settings=LinkSettings(browser=False))
    assert result.status is Status.INCONCLUSIVE
    assert "#authentication not in the static HTML" in result.reason


def test_head_refused_falls_back_to_get(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="head_refused", fact="links.quickstart"))
    result = check(standin)
    assert result.status is Status.OK, result.message()
    served = [(r.method, r.status) for r in standin.requests.find(url_prefix=QUICKSTART)]
    assert served == [("HEAD", 405), ("GET", 200)]


@pytest.mark.browser
def test_bot_wall_a_browser_passes_is_ok(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", fact="links.quickstart", passes_browser=True))
    result = check(standin)
    assert result.status is Status.OK, result.message()
    assert any("cf-mitigated" in note and "Chromium got the page" in note for note in result.notes)
    # The browser's requests went through the same remapper, and carried the clearance cookie.
    assert any("cf_clearance" in r.headers.get("cookie", "") for r in standin.requests.find(url_prefix=QUICKSTART))


@pytest.mark.browser
def test_bot_wall_a_browser_does_not_pass_is_inconclusive(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", fact="links.quickstart", passes_browser=False))
    result = check(standin, settings=LinkSettings(challenge_wait=1.5))
    assert result.status is Status.INCONCLUSIVE
    assert "bot wall" in result.reason and "Chromium did not get past it" in result.reason


def test_bot_wall_without_a_browser_is_inconclusive(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", fact="links.quickstart", passes_browser=True))
    result = check(standin, settings=LinkSettings(browser=False))
    assert result.status is Status.INCONCLUSIVE
    assert result.reason.startswith("bot wall")


def test_429_three_times_with_retry_after_then_ok(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="retry_after", fact="links.quickstart", status=429, seconds=1, times=3))
    result = check(standin, policy=RetryPolicy(attempts=4, backoff=0.05, retry_after_cap=2.0, timeout=2.0))
    assert result.status is Status.OK, result.message()
    times = [r.time for r in standin.requests.find(url_prefix=QUICKSTART)]
    assert len(times) == 4
    assert all(later - earlier >= 0.9 for earlier, later in itertools.pairwise(times))  # Retry-After: 1


def test_503_then_ok(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="server_error", fact="links.quickstart", status=503, times=1))
    result = check(standin)
    assert result.status is Status.OK, result.message()
    assert "503" in result.evidence[0]


def test_persistent_5xx_is_inconclusive_after_a_final_pass(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="server_error", fact="links.quickstart", status=502))
    result = check(standin)
    assert result.status is Status.INCONCLUSIVE
    assert "server error (HTTP 502)" in result.reason
    assert "still inconclusive on the final pass" in result.notes


def test_inconclusive_first_then_ok_on_the_final_pass(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="server_error", fact="links.quickstart", status=500, times=6))
    result = check(standin)  # HEAD ×3 then GET ×3 all fail; the final pass succeeds
    assert result.status is Status.OK, result.message()
    assert any("settled on the final pass" in note for note in result.notes)


def test_timeout_is_inconclusive(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="latency", fact="links.quickstart", seconds=1.0))
    result = check(standin, policy=RetryPolicy(attempts=1, backoff=0.05, timeout=0.2))
    assert result.status is Status.INCONCLUSIVE
    assert result.reason.startswith("timeout")


def test_dropped_connection_once_is_ok_after_a_retry(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="drop", fact="links.quickstart", times=1))
    result = check(standin)
    assert result.status is Status.OK, result.message()


def test_dropped_connection_always_is_inconclusive(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="drop", fact="links.quickstart"))
    result = check(standin)
    assert result.status is Status.INCONCLUSIVE
    assert result.reason.startswith("connection dropped")


def test_dns_failure_is_inconclusive(standin: StandIn) -> None:
    result = check(standin, "https://gone.example/page", remaps=("https://gone.example=http://nonexistent.invalid",))
    assert result.status is Status.INCONCLUSIVE
    assert result.reason.startswith("DNS lookup failed")


def test_connection_refused_is_inconclusive(standin: StandIn) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    result = check(standin, "https://closed.example/", remaps=(f"https://closed.example=http://127.0.0.1:{port}",))
    assert result.status is Status.INCONCLUSIVE
    assert result.reason.startswith("could not connect")


def test_sign_in_wall_is_inconclusive(standin: StandIn) -> None:
    result = check(standin, FACTS.links["api_keys"].url)
    assert result.status is Status.INCONCLUSIVE
    assert "sign in" in result.reason


FAULTS = [
    Fault(kind="latency", fact="links.quickstart", seconds=0.3),
    Fault(kind="retry_after", fact="links.quickstart", status=503, seconds=0.2, times=2),
    Fault(kind="server_error", fact="links.quickstart", status=500),
    Fault(kind="drop", fact="links.quickstart", times=2),
    Fault(kind="head_refused", fact="links.quickstart"),
    Fault(kind="bot_challenge", fact="links.quickstart", passes_browser=False),
    Fault(kind="signin_wall", fact="links.quickstart"),
    Fault(kind="status", fact="links.quickstart", status=403),
    Fault(kind="status", fact="links.quickstart", status=401),
    Fault(kind="status", fact="links.quickstart", status=429),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f"{f.kind}-{f.status or ''}" for f in FAULTS])
def test_no_fault_ends_in_drift(standin: StandIn, fault: Fault) -> None:
    """Without a browser the walls stay inconclusive: what matters here is that nothing cries wolf."""
    standin.faults.inject(fault)
    result = check(standin, settings=LinkSettings(browser=False, recheck_delay=0.05))
    assert result.status is not Status.DRIFT, result.message()


# -- politeness and mechanics, with httpx.MockTransport ----------------------------------------


def mock_checker(handler: Any, settings: LinkSettings, policy: RetryPolicy = FAST) -> LinkChecker:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return LinkChecker(Remapper(), policy, settings, client=client)


def test_per_host_and_global_limits_hold() -> None:
    active: dict[str, int] = {}
    peak: dict[str, int] = {}
    overall = {"active": 0, "peak": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        active[host] = active.get(host, 0) + 1
        overall["active"] += 1
        peak[host] = max(peak.get(host, 0), active[host])
        overall["peak"] = max(overall["peak"], overall["active"])
        await asyncio.sleep(0.05)
        active[host] -= 1
        overall["active"] -= 1
        return httpx.Response(200, html="<p>ok</p>")

    targets = [LinkTarget(f"u{h}-{i}", f"https://h{h}.example/p{i}") for h in range(4) for i in range(12)]
    settings = LinkSettings(concurrency=6, per_host=2, per_host_max=2, per_host_delay=0.0, browser=False)
    checker = mock_checker(handler, settings)
    results = run_sync(checker.run(targets))
    assert {r.status for r in results.values()} == {Status.OK}
    assert max(peak.values()) == 2 and overall["peak"] == 6
    assert {s.peak for s in checker.host_stats().values()} == {2}


def test_per_host_delay_spaces_request_starts() -> None:
    starts: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        starts.append(asyncio.get_running_loop().time())
        return httpx.Response(200)

    targets = [LinkTarget(f"u{i}", f"https://one.example/p{i}") for i in range(5)]
    run_sync(mock_checker(handler, LinkSettings(per_host=5, per_host_delay=0.05, browser=False)).run(targets))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.045


def test_retry_after_pauses_the_whole_host() -> None:
    """One 429 with Retry-After holds back the host's other requests too, not only the one told."""
    calls: list[tuple[str, float]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        now = asyncio.get_running_loop().time()
        calls.append((request.url.path, now))
        if request.url.path == "/a" and len([c for c in calls if c[0] == "/a"]) == 1:
            return httpx.Response(429, headers={"retry-after": "0.5"})
        await asyncio.sleep(0.05)
        return httpx.Response(200)

    targets = [LinkTarget("a", "https://one.example/a"), LinkTarget("b", "https://one.example/b")]
    settings = LinkSettings(per_host=1, per_host_delay=0.0, browser=False)
    results = run_sync(mock_checker(handler, settings).run(targets))
    assert results["a"].status is Status.OK and results["b"].status is Status.OK
    first = calls[0][1]
    assert all(t - first >= 0.45 for _, t in calls[1:])


def test_redirect_chain_is_recorded_in_original_urls() -> None:
    """A Location in remapped space is mapped back: reports never show the stand-in's address."""
    remapper = Remapper.parse(["https://docs.example=http://127.0.0.1:9/docs.example"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/docs.example/old":
            return httpx.Response(301, headers={"location": "http://127.0.0.1:9/docs.example/new"})
        return httpx.Response(200)

    async def run() -> Probe:
        client = httpx.AsyncClient(transport=AsyncRemapTransport(remapper, httpx.MockTransport(handler)))
        return await Fetcher(client, remapper, FAST, LinkSettings()).probe("https://docs.example/old", False)

    probe = run_sync(run())
    assert [hop.url for hop in probe.chain] == ["https://docs.example/old", "https://docs.example/new"]


def test_shared_urls_are_fetched_once() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        return httpx.Response(200)

    targets = [LinkTarget("links.a", "https://one.example/p"), LinkTarget("links.b", "https://one.example/p")]
    run_sync(mock_checker(handler, LinkSettings(browser=False)).run(targets))
    assert seen == ["HEAD https://one.example/p"]


def test_a_page_linked_with_and_without_a_fragment_is_fetched_once() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        return httpx.Response(200, html='<h2 id="usage">Usage</h2>')

    targets = [LinkTarget("plain", "https://one.example/p"), LinkTarget("frag", "https://one.example/p#usage")]
    results = run_sync(mock_checker(handler, LinkSettings(browser=False)).run(targets))
    assert {r.status for r in results.values()} == {Status.OK}
    assert seen == ["GET https://one.example/p"]


def test_redirect_loop_is_inconclusive() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        other = "/b" if request.url.path == "/a" else "/a"
        return httpx.Response(302, headers={"location": other})

    checker = mock_checker(handler, LinkSettings(browser=False, recheck=False))
    result = run_sync(checker.run([LinkTarget("x", "https://loop.example/a")]))["x"]
    assert result.status is Status.INCONCLUSIVE and "loop" in result.reason


def test_sign_in_redirect_after_a_permanent_one_is_not_drift() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "app.example":
            return httpx.Response(301, headers={"location": "https://auth.openai.com/log-in"})
        return httpx.Response(200)

    checker = mock_checker(handler, LinkSettings(browser=False, recheck=False))
    result = run_sync(checker.run([LinkTarget("x", "https://app.example/settings")]))["x"]
    assert result.status is Status.INCONCLUSIVE and "sign in" in result.reason


# -- collection -----------------------------------------------------------------------------------


PAGE = """
<html><body>
<p>See the <a href="https://docs.example/guide">guide</a> and <a href="/internal/">us</a>.</p>
<pre><code>curl <a href="https://api.example/v1/models">https://api.example/v1/models</a></code></pre>
<p>Inline <code><a href="https://code.example/">code link</a></code>.</p>
<blockquote>Incorrect API key provided. You can find your API key at
<a href="https://platform.example/account/api-keys">https://platform.example/account/api-keys</a>.</blockquote>
<p><a href="https://platform.example/account/api-keys">the old page, linked on purpose</a></p>
<p><a class="link-check-skip" href="https://skip.example/">skipped</a>
<a href="https://site.example/guide/page/">our own site</a> <a href="mailto:x@example.com">mail</a></p>
</body></html>
"""


def test_page_links_skip_code_quoted_errors_internal_and_opted_out() -> None:
    quotes = ["Incorrect API key provided. You can find your API key at https://platform.example/account/api-keys."]
    links = page_links(PAGE, quotes, internal="https://site.example/guide/")
    assert links == [
        ("https://docs.example/guide", "guide"),
        ("https://platform.example/account/api-keys", "the old page, linked on purpose"),
    ]


def test_targets_merge_facts_and_site_links(tmp_path: Path) -> None:
    (tmp_path / "page").mkdir()
    quickstart = f'<a href="{QUICKSTART}">Start here</a> <a href="https://other.example/x">x</a>'
    (tmp_path / "page" / "index.html").write_text(quickstart + '<a href="https://other.example/x">again</a>')
    links = collect_site_links(tmp_path, docs_dir=tmp_path / "no-docs")
    targets = {t.id: t for t in collect_targets(FACTS, links)}
    assert set(targets) == {f"links.{k}" for k in FACTS.links} | {"https://other.example/x"}
    assert targets["links.quickstart"].uses == [LinkUse("page/index.html", "Start here", 1, "link “Start here”")]
    assert [u.text for u in targets["https://other.example/x"].uses] == ["x", "again"]


def test_the_guide_builds_and_every_link_names_its_page() -> None:
    collected = collect(FACTS)
    assert collected.build_error is None
    by_id = {t.id: t for t in collected.targets}
    assert {f"links.{k}" for k in FACTS.links} <= set(by_id)
    used = [t for t in collected.targets if t.uses]
    assert used and all(u.page.endswith(".md") and u.line >= 1 for t in used for u in t.uses)
    # Old URLs quoted inside OpenAI's error messages are not links a reader clicks.
    assert "https://platform.openai.com/account/api-keys" not in by_id


# -- cache ----------------------------------------------------------------------------------------


def result_of(status: Status) -> Result:
    return Result(id="links.a", kind="link", status=status, url="https://a.example/", expected="e", observed="o")


def test_cache_keeps_ok_and_drift_but_never_inconclusive(tmp_path: Path) -> None:
    path = tmp_path / "links.json"
    cache = LinkCache(path, max_age=3600)
    targets = {s: LinkTarget("links.a", f"https://a.example/{s.value}") for s in Status}
    for status, target in targets.items():
        cache.put(target, result_of(status))
    cache.save()
    again = LinkCache(path, max_age=3600)
    assert again.get(targets[Status.OK]).status is Status.OK  # type: ignore[union-attr]
    assert again.get(targets[Status.DRIFT]).status is Status.DRIFT  # type: ignore[union-attr]
    assert again.get(targets[Status.INCONCLUSIVE]) is None


def test_cache_entries_expire(tmp_path: Path) -> None:
    now = [1000.0]
    cache = LinkCache(tmp_path / "links.json", max_age=60, clock=lambda: now[0])
    target = LinkTarget("links.a", "https://a.example/")
    cache.put(target, result_of(Status.OK))
    now[0] += 59
    assert cache.get(target) is not None
    now[0] += 2
    assert cache.get(target) is None


def test_cache_key_includes_the_expected_redirect(tmp_path: Path) -> None:
    cache = LinkCache(tmp_path / "links.json", max_age=60)
    cache.put(LinkTarget("links.a", "https://a.example/", "https://a.example/x"), result_of(Status.OK))
    assert cache.get(LinkTarget("links.a", "https://a.example/")) is None


def test_a_cached_result_is_not_fetched_again(standin: StandIn, tmp_path: Path) -> None:
    cache = LinkCache(tmp_path / "links.json", max_age=3600)
    target = LinkTarget("links.quickstart", QUICKSTART)
    remapper = Remapper.parse(standin.remaps)
    first = check_links([target], remapper, FAST, SETTINGS, cache)["links.quickstart"]
    standin.requests.clear()
    standin.faults.inject(Fault(kind="status", fact="links.quickstart", status=404))
    second = check_links([target], remapper, FAST, SETTINGS, LinkCache(tmp_path / "links.json", 3600))
    assert first.status is Status.OK and second["links.quickstart"].status is Status.OK
    assert len(standin.requests) == 0
    assert any(n.startswith("from the link cache") for n in second["links.quickstart"].notes)


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("12h", 43200), ("7d", 604800)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


# -- end to end: `pytest checks -m links` -----------------------------------------------------------


def run_suite(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    report = tmp_path / "drift.json"
    command = [sys.executable, "-m", "pytest", "checks", "-m", "links", "-p", "no:cacheprovider"]
    command += ["--drift-report", str(report), "--link-browser", "off", *args]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert report.exists(), proc.stdout + proc.stderr
    return proc, json.loads(report.read_text(encoding="utf-8"))


def test_suite_against_the_standin_is_clean(tmp_path: Path) -> None:
    proc, report = run_suite(tmp_path, "--target", "standin")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert report["summary"]["drift"] == 0
    links = {r["id"] for r in report["results"] if r["kind"] == "link"}
    assert {f"links.{k}" for k in FACTS.links} <= links
    assert report["summary"]["ok"] >= len(FACTS.links) // 2


def test_suite_fails_exactly_the_broken_link(standin: StandIn, tmp_path: Path) -> None:
    standin.faults.inject(Fault(kind="status", fact="links.quickstart", status=404))
    remaps = [arg for remap in standin.remaps for arg in ("--remap", remap)]
    proc, report = run_suite(tmp_path, *remaps)
    assert proc.returncode == 1, proc.stdout[-3000:]
    drifted = [r for r in report["results"] if r["status"] == "drift"]
    assert [r["id"] for r in drifted] == ["links.quickstart"]
    assert drifted[0]["url"] == QUICKSTART and drifted[0]["pages"]
    assert all(page.endswith(".md") for page in drifted[0]["pages"])
    assert "1 failed" in proc.stdout and "FAILED checks/test_links.py::test_link[links.quickstart]" in proc.stdout
    assert f"stated in: {drifted[0]['pages'][0]}:" in proc.stdout  # the writer is told which page to fix


# -- fragments follow the browser's rules (lychee's fixtures/fragments cases) --------------------

FRAGMENT_PAGE = """<!doctype html><html><head><title>Fragments</title></head><body>
<h1 id="in-the-beginning">In the beginning</h1>
<h2 id="Upper-ÄÖö">Upper ÄÖö</h2>
<h2 id="a-word">A word</h2><p>Word of the day: fragments.</p>
<a name="named-anchor"></a><p>Some <b>bold</b> text, then more.</p>
</body></html>"""


def judged_on_fixture(url: str) -> Result:
    """One link judged against the fixture page, no server: how the fragment alone is classified."""
    response = httpx.Response(200, html=FRAGMENT_PAGE, request=httpx.Request("GET", url.split("#")[0]))
    probe = Probe([Hop("GET", url.split("#")[0], 200)], response, None)
    return judge(LinkTarget("links.fixture", url), probe)[0]


@pytest.mark.parametrize(
    ("fragment", "status"),
    [
        ("in-the-beginning", Status.OK),
        ("Upper-ÄÖö", Status.OK),
        ("Upper-%C3%84%C3%96%C3%B6", Status.OK),  # as written, then percent-decoded
        ("named-anchor", Status.OK),
        ("a-word:~:text=Word", Status.OK),  # an id plus a text directive: both parts checked
        (":~:text=bold%20text%2C%20then", Status.OK),  # a text directive alone, across inline tags
        (":~:text=Some,more", Status.OK),  # textStart,textEnd
        ("top", Status.OK),
        ("missing-id", Status.DRIFT),
        ("a-word:~:text=Sentence%20not%20there", Status.DRIFT),  # the id is there, the passage is not
        ("missing-id:~:text=Word", Status.OK),  # the passage decides: a browser scrolls to it, id or not
    ],
)
def test_fragments_are_matched_as_a_browser_does(fragment: str, status: Status) -> None:
    result = judged_on_fixture(f"https://example.test/page#{fragment}")
    assert result.status is status, result.message()


def test_an_id_with_a_text_directive_is_split_never_one_id() -> None:
    target = LinkTarget("x", "https://example.test/p#a-word:~:text=pre-,Word,-of")
    assert target.fragment == "a-word"
    [directive] = target.text_directives
    assert (directive.prefix, directive.start, directive.end, directive.suffix) == ("pre", "Word", "", "of")
    assert LinkTarget("x", "https://example.test/p#:~:text=Word").fragment == ""
    assert LinkTarget("x", "https://example.test/p#TOP").text_directives == []


def test_a_missing_passage_is_drift_with_the_closest_one() -> None:
    result = judged_on_fixture("https://example.test/page#a-word:~:text=Word%20of%20the%20week")
    assert result.status is Status.DRIFT
    assert "“Word of the week”" in result.suggestion and "Word of the day: fragments." in result.suggestion


def test_text_directive_against_the_standin(standin: StandIn) -> None:
    assert check(standin, f"{REFERENCE}:~:text=Authentication").status is Status.OK
    result = check(standin, f"{REFERENCE}:~:text=Nothing%20like%20this")
    assert result.status is Status.DRIFT, result.message()
    assert "no passage" in result.observed


@pytest.mark.browser
def test_a_text_directive_on_a_page_built_by_javascript_is_checked_in_the_browser(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="js_fragment", fact="links.api_reference_auth"))
    assert check(standin, f"{REFERENCE}:~:text=Authentication").status is Status.OK
    standin.faults.inject(Fault(kind="js_fragment", fact="links.api_reference_auth"))
    missing = check(standin, f"{REFERENCE}:~:text=Nothing%20like%20this")
    assert missing.status is Status.DRIFT, missing.message()


# -- links behind sign-in, with a session (issue 10 part 6) ---------------------------------------


def check_signed_in(standin: StandIn, url: str, session: Path) -> Result:
    target = LinkTarget("links.under_test", url)
    checker = LinkChecker(Remapper.parse(standin.remaps), FAST, SETTINGS, session=session)
    return run_sync(checker.run([target]))["links.under_test"]


@pytest.mark.browser
def test_a_link_behind_sign_in_is_ok_in_the_signed_in_browser(standin: StandIn, tmp_path: Path) -> None:
    from checks.standin import standin_storage_state

    session = tmp_path / "state.json"
    standin_storage_state(session)
    result = check_signed_in(standin, FACTS.links["api_keys"].url, session)
    assert result.status is Status.OK, result.message()
    assert any("verified in a browser signed in" in note for note in result.notes)
    assert any(line.startswith("signed-in Chromium") for line in result.evidence)


@pytest.mark.browser
def test_a_link_behind_sign_in_with_an_expired_session_stays_inconclusive(standin: StandIn, tmp_path: Path) -> None:
    from checks.standin import standin_storage_state

    session = tmp_path / "state.json"
    standin_storage_state(session, expired=True)
    result = check_signed_in(standin, FACTS.links["api_keys"].url, session)
    assert result.status is Status.INCONCLUSIVE
    assert "needs a signed-in session" in result.reason and "even with the session" in result.reason


@pytest.mark.parametrize(
    ("expression", "selectable"),
    [("", True), ("links", True), ("links or ui", True), ("not ui", True), ("ui", False), ("not links", False),
     ("ui and links", False), ("api or sources", False)],
)  # fmt: skip
def test_a_run_that_selects_no_link_does_not_build_the_guide_to_collect_links(
    expression: str, selectable: bool
) -> None:
    """`pytest checks -m ui` makes no link items, so it skips the strict build link collection needs."""
    config = cast(pytest.Config, SimpleNamespace(option=SimpleNamespace(markexpr=expression)))
    assert marker_selectable(config, "links") is selectable
