"""One batch reads every document the source, page and watch checks need, each distinct document once.

OpenAI's help center and docs rate-limit and wall scripted clients, so the page baselines and the
watched pages do not read a second time what the source check read: one `SourceChecker` (the link
checker's fetcher, per-host gates, Retry-After, the Chromium re-check of walls) reads the quotes'
pages first, then the pages only the baselines need, from the same cache; documents that failed in a
way that may pass (no answer, 429, 5xx) get one more read after a pause, as the source check's do.
Then each page and watched page is judged against its baseline (checks/drift/sentences.py, watch.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks.drift.baselines import BaselineStore
from checks.drift.http import RetryPolicy
from checks.drift.links import LinkSettings, run_sync
from checks.drift.links.browser import default_browser
from checks.drift.links.fetch import link_client
from checks.drift.outcomes import Result, Status, Step
from checks.drift.quirks import reading_plan
from checks.drift.remap import Remapper
from checks.drift.sentences import PageCase, article_lines, sentences_of
from checks.drift.sentences import judge as judge_page
from checks.drift.sources import Read, SourceCase, SourceChecker, finish, new_result
from checks.drift.watch import Entry, WatchCase, entries_of
from checks.drift.watch import judge as judge_watch
from keyguide.baselines import Baseline, BaselineError
from keyguide.usage import fact_usage


@dataclass
class Batch:
    """The source checks' results and every other document read, by cited URL."""

    sources: dict[str, Result] = field(default_factory=dict)
    documents: dict[str, Read] = field(default_factory=dict)
    problem: str | None = None  # the whole batch could not run


async def _document(checker: SourceChecker, url: str) -> Read:
    """The first document of `url`'s reading plan that was served (a Markdown twin, else the page)."""
    plan = reading_plan(url)
    read = None
    for reading in plan:
        read = await checker.read(reading)
        if read.page is not None or not reading.fallback:
            break
    assert read is not None
    return read


async def _run(
    cases: list[SourceCase], urls: list[str], remapper: Remapper, policy: RetryPolicy, settings: LinkSettings
) -> Batch:
    client = link_client(remapper, policy, settings)
    browser = default_browser(remapper, settings)
    checker = SourceChecker(remapper, policy, settings, client=client, browser=browser)
    try:
        sources = await checker.run(cases)  # the quotes' pages first, with their own final pass
        reads = list(await asyncio.gather(*(_document(checker, url) for url in urls)))
        again = [i for i, read in enumerate(reads) if read.page is None and read.transient]
        if again and settings.recheck:
            await asyncio.sleep(settings.recheck_delay)
            for i in again:
                checker.forget(urls[i])
            for i, read in zip(again, await asyncio.gather(*(_document(checker, urls[i]) for i in again)), strict=True):
                read.notes.append("read again on the final pass")
                reads[i] = read
    finally:
        await client.aclose()
        await browser.aclose()
    return Batch(sources, dict(zip(urls, reads, strict=True)))


def read_batch(
    cases: list[SourceCase],
    urls: list[str],
    remapper: Remapper,
    policy: RetryPolicy | None = None,
    settings: LinkSettings | None = None,
) -> Batch:
    """Read everything at once; a failure of the whole batch makes every item inconclusive, never a crash."""
    urls = list(dict.fromkeys(urls))
    try:
        return run_sync(_run(cases, urls, remapper, policy or RetryPolicy(), settings or LinkSettings()))  # type: ignore[no-any-return]
    except Exception as exc:
        reason = f"the reading batch could not run: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        sources = {c.id: finish(c, new_result(c, Status.INCONCLUSIVE, "not judged", reason=reason)) for c in cases}
        return Batch(sources, {}, reason)


# -- the items ------------------------------------------------------------------------------------


def _unread(read: Read | None, batch: Batch) -> str | None:
    if read is None:
        return batch.problem or "the page was not read"
    if read.page is not None:
        return None
    if read.gone is not None:
        return f"the page is gone (HTTP {read.gone}); the source and link checks report it"
    return read.problem or "the page could not be read"


def _shown_at(read: Read, url: str) -> str:
    """Where a writer's click should land: the page a reader sees (never a .md twin or a raw file)."""
    return read.shown_at if read.reading.format in ("auto", "html") and read.shown_at else url


def page_steps(case: PageCase) -> list[Step]:
    """The places the guide states a fact quoted from this page."""
    steps = [Step(u.page, u.line, u.where) for fact_id, _ in case.quotes for u in fact_usage(fact_id)]
    return list({(s.page, s.line, s.where): s for s in steps}.values())


def check_page(case: PageCase, batch: Batch, store: BaselineStore) -> Result | str:
    """A cited page against its baseline: ok or review (a Result), or the "no baseline" message."""
    steps = page_steps(case)
    outcome = _against_baseline(
        "page",
        case.id,
        case.url,
        case.url,
        batch,
        store,
        lambda read: sentences_of(read.page.text if read.page else "", read.html),
        lambda baseline, now, read: judge_page(case, baseline, now, _shown_at(read, case.url), steps),
    )
    if isinstance(outcome, Result):
        outcome.steps = outcome.steps or steps
        outcome.pages = outcome.pages or list(dict.fromkeys(s.page for s in outcome.steps))
    return outcome


def check_watch(case: WatchCase, batch: Batch, store: BaselineStore) -> Result | str:
    """A watched page's new entries since its baseline: ok or review, or the "no baseline" message."""
    return _against_baseline(
        "watch",
        case.id,
        case.url,
        case.title,
        batch,
        store,
        lambda read: [e.as_item() for e in entries_of(article_lines(read.page.text if read.page else "", read.html))],
        lambda baseline, now, read: judge_watch(
            case, baseline, [Entry(**item) for item in now], _shown_at(read, case.url)
        ),
    )


def _against_baseline(
    kind: str,
    item_id: str,
    url: str,
    title: str,
    batch: Batch,
    store: BaselineStore,
    observe: Callable[[Read], list[Any]],
    judge: Callable[[Baseline, list[Any], Read], Result],
) -> Result | str:
    """Read the item's document, record what it says (--baseline-out), and judge it against its baseline."""
    try:
        baseline = store.baseline(kind, item_id)
    except BaselineError as exc:
        return _inconclusive(item_id, kind, url, store.unreadable(exc))
    read = batch.documents.get(url)
    problem = _unread(read, batch)
    now = observe(read) if read is not None and problem is None else None
    if now:
        store.record(kind, item_id, url, title, now)
    if baseline is None:
        return store.no_baseline(kind, item_id, url) + (f"; not recorded: {problem}" if problem else "")
    if read is None or now is None:
        return _inconclusive(item_id, kind, url, problem or "the page has no text")
    store.compared += 1
    result = judge(baseline, now, read)
    result.notes += read.notes
    return result


def _inconclusive(item_id: str, kind: str, url: str, reason: str) -> Result:
    return Result(item_id, kind, Status.INCONCLUSIVE, url, "a comparison with the baseline", reason, reason=reason)  # type: ignore[arg-type]
