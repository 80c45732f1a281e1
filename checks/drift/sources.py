"""Source drift: is OpenAI's own wording, quoted as each fact's `source.quote`, still on its page?

A help article reworded from week to week is where the guide goes wrong without any link breaking,
so every fact with a quote gets one item (`-m sources`, `-k values.min_purchase`). The page is read
with the link checker's machinery, not a second one: its `Fetcher` (the one remapper, per-host
gates, Retry-After, the shared retry policy, redirects hop by hop) and its `ChromiumProbe` for bot
walls and 403s. Site quirks (Markdown twins, GitHub raw files, help-center slugs) are in
checks/drift/quirks.py. The quote is matched as a browser matches the text fragment `text=<quote>`
(checks/drift/textmatch.py): visible text only (checks/drift/rendering.py), whole words, folded.
Where the HTML alone cannot tell whether the quote is visible (stylesheets it cannot evaluate, or
scripts that may add text when the quote is missing), Chromium reads the page and decides.

- ok: the quote is on the page.
- drift: the page was served and the quote is gone (the closest passage now on the page is
  reported), or the page is gone (404/410).
- inconclusive: not reached, bot wall after Chromium, sign-in wall, timeout, 5xx/429 after retries,
  or any unexpected error inside the check (one line, never a traceback).

Every result carries `#:~:text=` links (checks/drift/passages.py) so a writer's click highlights the
quote, or for drift the passage that replaced it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from checks.drift.http import RetryPolicy
from checks.drift.links import (
    GONE,
    BrowserProbe,
    Fetcher,
    LinkSettings,
    NoBrowser,
    Probe,
    Visit,
    run_sync,
)
from checks.drift.links.browser import default_browser
from checks.drift.links.fetch import link_client
from checks.drift.links.judge import sign_in_hop
from checks.drift.outcomes import Result, Status, Step, bot_wall_reason, sign_in_reason, status_reason, transport_reason
from checks.drift.passages import PageText, Passage, Rendering, fragment_url, markdown_text, plain_text, render_html
from checks.drift.quirks import Reading, reading_plan
from checks.drift.remap import Remapper
from keyguide.facts import Facts
from keyguide.text import fold

PREFIX = "sources."
SHOWN_CHARS = 300  # a closest passage longer than this is cut in messages (the fragment link has it whole)


@dataclass(frozen=True)
class SourceCase:
    """One fact's source to check: item id `sources.<kind>.<id>`, so `-k values.min_purchase` selects it."""

    id: str
    fact: str
    url: str
    quote: str

    def __repr__(self) -> str:
        return f"SourceCase({self.id!r})"


def source_cases(facts: Facts) -> list[SourceCase]:
    """Every fact whose source has a quote, in file order."""
    return [
        SourceCase(PREFIX + fact_id, fact_id, source.url, source.quote)
        for fact_id, source in facts.sources()
        if source.quote is not None and source.url is not None
    ]


@dataclass
class Read:
    """What reading one document gave: its visible text, or why there is none."""

    reading: Reading
    page: PageText | None = None  # served: the visible text
    gone: int | None = None  # the HTTP status when the document is gone (404/410)
    problem: str | None = None  # why it could not be judged (an inconclusive reason)
    transient: bool = False  # the problem may pass (no answer, 429, 5xx): worth a final pass
    shown_at: str = ""  # the original URL a reader lands on (after redirects)
    html: str | None = None  # the served HTML, when the document is a page (the page baselines read it)
    evidence: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def text_of(reading: Reading, response: httpx.Response) -> Rendering:
    """The visible text of a served document, read as its plan (or its content type) says."""
    kind = response.headers.get("content-type", "").lower()
    body = response.text
    if reading.format == "markdown" or (reading.format == "auto" and "markdown" in kind):
        return Rendering.of_text(markdown_text(body))
    if reading.format == "html" or (reading.format == "auto" and ("html" in kind or not kind)):
        return render_html(body, str(response.url))
    return Rendering.of_text(plain_text(body))


class SourceChecker:
    """Checks a batch of sources concurrently: each distinct document is read once for all its facts."""

    def __init__(
        self,
        remapper: Remapper,
        policy: RetryPolicy | None = None,
        settings: LinkSettings | None = None,
        client: httpx.AsyncClient | None = None,
        browser: BrowserProbe | None = None,
    ) -> None:
        self.remapper = remapper
        self.policy = policy or RetryPolicy()
        self.settings = settings or LinkSettings()
        self._client = client
        self._browser = browser
        self.browser: BrowserProbe = browser or NoBrowser()
        self.fetcher: Fetcher | None = None
        self._reads: dict[tuple[str, str], asyncio.Task[Read]] = {}
        self._looks: dict[str, asyncio.Task[Visit]] = {}  # Chromium's reading of a page, once per page
        self.wall_time = 0.0

    async def run(self, cases: list[SourceCase]) -> dict[str, Result]:
        started = time.monotonic()
        client = self._client or link_client(self.remapper, self.policy, self.settings)
        if self._browser is None:
            self.browser = default_browser(self.remapper, self.settings)
        self.fetcher = Fetcher(client, self.remapper, self.policy, self.settings)
        try:
            results = await asyncio.gather(*(self.check_safely(case) for case in cases))
            if self.settings.recheck:
                results = await self._final_pass(cases, results)
        finally:
            if self._client is None:
                await client.aclose()
            if self._browser is None:
                await self.browser.aclose()
        self.wall_time = time.monotonic() - started
        return {result.id: result for result in results}

    async def _final_pass(self, cases: list[SourceCase], results: list[Result]) -> list[Result]:
        """One more read, after a pause, of documents that failed in a way that may pass (as the
        link checker does): a network hiccup or a 429 burst should not leave a fact unverified."""
        again = [
            i for i, case in enumerate(cases) if results[i].status is Status.INCONCLUSIVE and self._transient(case)
        ]
        if not again:
            return results
        await asyncio.sleep(self.settings.recheck_delay)
        for i in again:
            self.forget(cases[i].url)
        second = await asyncio.gather(*(self.check_safely(cases[i]) for i in again))
        for i, result in zip(again, second, strict=True):
            results[i] = result.after_final_pass(results[i], settled=result.status is not Status.INCONCLUSIVE)
        return results

    def _transient(self, case: SourceCase) -> bool:
        """Whether a document this case read failed in a way that may pass."""
        tasks = [self._reads.get((r.url, r.format)) for r in reading_plan(case.url)]
        done = [t for t in tasks if t is not None and t.done() and not t.cancelled() and t.exception() is None]
        return any(t.result().transient for t in done)

    async def check_safely(self, case: SourceCase) -> Result:
        """`check`, with any unexpected error turned into an inconclusive result (never a crash)."""
        try:
            return await self.check(case)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            reason = f"the source check failed: {type(exc).__name__}" + (f": {first}" if first else "")
            return finish(case, new_result(case, Status.INCONCLUSIVE, "not judged", reason=reason))

    # -- reading -----------------------------------------------------------------------------

    def forget(self, url: str) -> None:
        """Drop what was read for a cited URL, so the next read asks again (a final pass)."""
        assert self.fetcher is not None
        for reading in reading_plan(url):
            self._reads.pop((reading.url, reading.format), None)
            self.fetcher.forget(reading.url)

    def read(self, reading: Reading) -> asyncio.Task[Read]:
        key = (reading.url, reading.format)
        if key not in self._reads:
            self._reads[key] = asyncio.ensure_future(self._read(reading))
        return self._reads[key]

    async def _read(self, reading: Reading) -> Read:
        assert self.fetcher is not None
        probe = await self.fetcher.probe(reading.url, True)
        read = Read(reading, shown_at=probe.final_url, evidence=[hop.describe() for hop in probe.chain])
        if len(probe.chain) > 1 and probe.response is not None and not probe.response.is_redirect:
            read.notes.append(f"{reading.url} redirects to {probe.final_url} (followed)")
        response, status = probe.response, probe.status
        if response is None:
            read.problem = transport_reason(probe.error) if probe.error else "no answer"
            read.transient = True
            return read
        if reason := sign_in_hop(probe):
            read.problem = reason
            return read
        wall = bot_wall_reason(status or 0, response.headers, probe.body)
        if wall or status == 403:
            return await self._in_browser(read, probe, wall or "forbidden to scripted clients (HTTP 403)")
        if status in GONE:
            read.gone = status
        elif status == 401:
            read.problem = "needs a signed-in session (HTTP 401)"
        elif status is not None and (status == 429 or status >= 500):
            read.problem = status_reason(status) or f"HTTP {status}"
            read.transient = True
        elif response.is_redirect:
            read.problem = f"redirects in a loop or more than {len(probe.chain) - 1} times"
        elif status is not None and status >= 400:
            read.problem = f"the server refused the request (HTTP {status})"
        else:
            read.page = PageText(text_of(reading, response))
            if "html" in response.headers.get("content-type", "").lower() and reading.format in ("auto", "html"):
                read.html = response.text
        return read

    async def _in_browser(self, read: Read, probe: Probe, why: str) -> Read:
        """A bot wall or a 403: what real Chromium sees decides; if it is walled too, inconclusive."""
        visit: Visit = await self.browser.visit(probe.final_url, "", text=True)
        shown = "no answer" if visit.status is None else f"HTTP {visit.status}"
        read.evidence.append(f"Chromium {probe.final_url} → {visit.error or visit.wall or shown} at {visit.final_url}")
        read.notes += visit.notes
        if visit.error or visit.status is None:
            read.problem = f"{why}; {visit.error or 'Chromium got no answer'}"
        elif visit.wall:
            read.problem = f"{why}; Chromium did not get past it either"
        elif sign_in_reason(visit.final_url):
            read.problem = f"{why}; in Chromium the page {sign_in_reason(visit.final_url)}"
        elif visit.status in GONE:
            read.gone = visit.status
        elif not visit.served or visit.rendering is None:
            read.problem = f"{why}; Chromium got {shown}"
        else:
            read.page = PageText(visit.rendering)
            read.shown_at = visit.final_url
            read.notes.append(f"{why}; read in real Chromium ({shown})")
        return read

    async def _has_quote(self, read: Read, quote: str, notes: list[str]) -> bool:
        """Whether the read page has the quote; where its HTML cannot settle that (styles it cannot
        evaluate; scripts or frames when the quote is missing), what Chromium shows decides. Without
        Chromium (`--link-browser off`, or it could not load the page) the HTML's answer stands, noted:
        the doubt is about the page's styles and scripts, the document itself was read. Notes about
        this quote go to `notes` (the read is shared by every fact citing the page)."""
        assert read.page is not None
        found = read.page.contains(quote)
        rendering = read.page.rendering
        doubt = rendering.styles_unsure if found else (rendering.styles_unsure or rendering.content_unsure)
        if not doubt:
            return found
        if read.shown_at not in self._looks:
            self._looks[read.shown_at] = asyncio.ensure_future(self.browser.visit(read.shown_at, "", text=True))
        visit = await self._looks[read.shown_at]
        if not visit.served or visit.rendering is None:
            why = visit.error or visit.wall or f"HTTP {visit.status}"
            notes.append(f"not confirmed in Chromium ({why}): {doubt}")
            return found
        seen = PageText(visit.rendering).contains(quote)
        notes.append(f"read in Chromium as well ({doubt})")
        if seen != found:
            notes.append("Chromium shows the quote" if seen else "Chromium does not show the quote (hidden)")
        return seen

    # -- judging -----------------------------------------------------------------------------

    async def check(self, case: SourceCase) -> Result:
        reads: list[Read] = []
        notes: list[str] = []
        for reading in reading_plan(case.url):
            read = await self.read(reading)
            reads.append(read)
            if read.page is not None and await self._has_quote(read, case.quote, notes):
                result = ok(case, read, reads)
                result.notes += notes
                return finish(case, result)
            if not reading.fallback:
                break
            what = "does not have the quote" if read.page is not None else (read.problem or f"HTTP {read.gone}")
            read.notes.append(f"{reading.why or reading.url}: {what}; reading the next document")
        result = judged(case, reads)
        result.notes += notes
        return finish(case, result)


def new_result(case: SourceCase, status: Status, observed: str, **fields: str) -> Result:
    return Result(
        id=case.id,
        kind="source",
        status=status,
        url=case.url,
        expected=f"the source page says “{case.quote}”",
        observed=observed,
        evidence=[f"the quote on the page: {fragment_url(case.url, case.quote)}"],
        **fields,
    )


def _link_page(case: SourceCase, read: Read) -> str:
    """Where a writer's click should land: the HTML page a reader sees (never a .md twin or raw file)."""
    return read.shown_at if read.reading.format in ("auto", "html") and read.shown_at else case.url


def _attach(result: Result, reads: list[Read]) -> Result:
    for read in reads:
        result.evidence += [line for line in read.evidence if line not in result.evidence]
        result.notes += [note for note in read.notes if note not in result.notes]
    return result


def ok(case: SourceCase, read: Read, reads: list[Read]) -> Result:
    result = new_result(case, Status.OK, f"the quote is on the page ({read.reading.url})")
    return _attach(result, reads)


def judged(case: SourceCase, reads: list[Read]) -> Result:
    """No document had the quote: drift if one was served (or the page is gone), else inconclusive."""
    last = reads[-1]
    served = [read for read in reads if read.page is not None]
    if last.gone is not None and not served:
        result = new_result(
            case,
            Status.DRIFT,
            f"the source page is gone (HTTP {last.gone})",
            suggestion=(
                f"the source page is gone (HTTP {last.gone}): find where OpenAI says this now and update "
                f"{case.fact} and its source.url and source.quote in facts.yml"
            ),
        )
        return _attach(result, reads)
    if not served or last.problem is not None:
        reason = last.problem or "the source page could not be read"
        if served:
            reason += f"; {served[0].reading.why or served[0].reading.url} does not have the quote"
        return _attach(new_result(case, Status.INCONCLUSIVE, "not judged", reason=reason), reads)
    return _attach(drifted(case, served), reads)


def drifted(case: SourceCase, served: list[Read]) -> Result:
    """The page was served and the quote is gone: say what the page says now, and link to it."""
    best: tuple[float, str, Read] | None = None
    needle = fold(case.quote)
    for read in served:
        assert read.page is not None
        # Its letters still there, but only inside longer words ($5 in $50): that sentence is the one.
        inside = next((text for text in read.page.sentences if needle in fold(text)), None)
        passage = Passage(inside, 1.0) if inside else read.page.closest(case.quote)
        if passage is not None and (best is None or passage.score > best[0]):
            best = (passage.score, passage.text, read)
    if best is None:
        observed = "the quote is not on the page (the page has no text)"
        return new_result(
            case,
            Status.DRIFT,
            observed,
            suggestion=f"the source page no longer has the quote: check {case.fact} and its source.quote in facts.yml",
        )
    score, passage, read = best
    shown = passage if len(passage) <= SHOWN_CHARS else passage[:SHOWN_CHARS].rsplit(" ", 1)[0] + " …"
    link = fragment_url(_link_page(case, read), passage)
    partial = needle in fold(passage)
    gone = "the quote is only part of longer words on the page" if partial else "the quote is gone"
    result = new_result(
        case,
        Status.DRIFT,
        f"{gone}; now says: “{shown}”",
        suggestion=(
            f"now says: “{shown}” — check {case.fact} against it and update the fact and its source.quote "
            f"in facts.yml (closest passage: {link})"
        ),
    )
    result.evidence.append(f"closest passage now on the page ({score:.0%} alike): {link}")
    return result


def finish(case: SourceCase, result: Result) -> Result:
    """Name every page and step that states the fact (the result's id is not the fact's own id)."""
    from keyguide.usage import fact_usage

    result.steps = [Step(use.page, use.line, use.where) for use in fact_usage(case.fact)]
    result.pages = list(dict.fromkeys(step.page for step in result.steps))
    return result


def check_sources(
    cases: list[SourceCase],
    remapper: Remapper,
    policy: RetryPolicy | None = None,
    settings: LinkSettings | None = None,
    checker: SourceChecker | None = None,
) -> dict[str, Result]:
    """Check a batch concurrently and return a Result per case id; a failure of the whole batch makes
    every case inconclusive with its one-line reason."""
    checker = checker or SourceChecker(remapper, policy, settings)
    try:
        results: dict[str, Result] = run_sync(checker.run(cases)) if cases else {}
    except Exception as exc:
        reason = f"the source checks could not run: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        results = {c.id: finish(c, new_result(c, Status.INCONCLUSIVE, "not judged", reason=reason)) for c in cases}
    return {case.id: results[case.id] for case in cases}
