"""Text fragments as a browser matches them: one case per conformance situation, run through the link
checker and the source check alike, and the expectations themselves checked against real Chromium.

The situations are those of the Text Fragments spec ("parse a text directive", "find a range from a
text directive") and of what web-platform-tests require of it (scroll-to-text-fragment.html: 39
navigations; find-range-from-text-directive.html: 60), written here as our own pages
(tests/fixtures/fragments/) and our own cases, plus the visibility rules the guide depends on.

A case is a link fragment and the verdict a reader would give: *ok* when the browser highlights the
passage the link names (or, naming none, lands on the element it names or the top), *drift* when it
does not (a passage gone, or a `text=` no browser can parse). Cases with a single plain term are
also quotes: `source.quote` is matched as `text=<quote>` is, except that a reader also sees a
same-origin frame (the quote check reads it; a link's fragment does not search it).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

from checks.drift.fragments import parse_fragment
from checks.drift.http import RetryPolicy
from checks.drift.links import LinkChecker, LinkSettings, LinkTarget, run_sync
from checks.drift.outcomes import Result, Status
from checks.drift.passages import PageText, render_html
from checks.drift.remap import Remapper
from checks.drift.sources import SourceCase, SourceChecker
from checks.drift.textmatch import explain, is_word_boundary, match_fold

FIXTURES = Path(__file__).parent / "fixtures" / "fragments"
FAST = RetryPolicy(attempts=1, backoff=0.05, timeout=5.0)
SETTINGS = LinkSettings(recheck=False, browser_timeout=10.0, fragment_wait=0.5, challenge_wait=1.0)
OK, DRIFT = Status.OK, Status.DRIFT


@dataclass(frozen=True)
class Case:
    page: str
    fragment: str  # everything after '#'
    link: Status  # the reader's verdict on a link with this fragment
    quote: Status | None = None  # the verdict on the same single term as a source.quote (None: not a quote)
    why: str = ""

    @property
    def id(self) -> str:
        return f"{self.page.removesuffix('.html')}#{self.fragment}"

    @property
    def term(self) -> str:
        """The quote this case stands for: its one plain term, percent-decoded."""
        return unquote(self.fragment.removeprefix(":~:text="))


def q(page: str, text: str, link: Status, why: str = "", quote: Status | None = None) -> Case:
    """A one-term case, also checked as a quote (its verdict as a quote is the link's unless given)."""
    return Case(page, f":~:text={text}", link, quote or link, why)


def c(page: str, fragment: str, link: Status, why: str = "") -> Case:
    return Case(page, fragment, link, None, why)


R, A, V = "ranges.html", "article.html", "visibility.html"
CASES = [
    # -- find a range from a text directive (ranges.html) --
    q(R, "leapt", OK, "a whole word"),
    c(R, ":~:text=e-,apt", DRIFT, "a prefix must start on a word boundary"),
    c(R, ":~:text=le-,apt", OK, "a prefix need not end on one"),
    c(R, ":~:text=zebra-,A%20swift", DRIFT, "the prefix is not on the page"),
    c(R, ":~:text=tick%20tick-,tock", OK, "overlapping prefixes"),
    c(R, ":~:text=x%20x-,y", OK, "overlapping one-letter prefixes"),
    c(R, ":~:text=swift%20gray-,gray%20heron", DRIFT, "the prefix overlaps the match"),
    c(R, ":~:text=swift%20gray-,heron", OK, "the match right after the prefix"),
    c(R, ":~:text=Alpha-,Omega", OK, "invisible content between prefix and match"),
    c(R, ":~:text=closes%20the%20document-,heron", DRIFT, "the prefix ends the document"),
    c(R, ":~:text=heron-,lea,across", DRIFT, "an end makes the start end on a word boundary"),
    c(R, ":~:text=heron-,lea", DRIFT, "no end or suffix: the start ends on a word boundary"),
    c(R, ":~:text=heron-,lea,-pt", OK, "a suffix lets the start end mid-word"),
    c(R, ":~:text=lea-,pt", OK, "after a prefix the start need not start on a word boundary"),
    c(R, ":~:text=leapt-,zebra", DRIFT, "a prefix with no match"),
    c(R, ":~:text=leapt-,zebra,creek", DRIFT, "a prefix with no range"),
    c(R, ":~:text=gray-,leapt", DRIFT, "the match does not follow the prefix"),
    c(R, ":~:text=tick-,tock", OK, "the match follows a later instance of the prefix"),
    c(R, ":~:text=lookup-,Three,spoon", OK, "generated content (::before) is not text"),
    c(R, ":~:text=lea,across", DRIFT, "no prefix; an end makes the start end on a word boundary"),
    q(R, "lea", DRIFT, "no prefix, end or suffix: the start ends on a word boundary"),
    c(R, ":~:text=lea,-pt", OK, "no prefix; a suffix lets the start end mid-word"),
    q(R, "eapt", DRIFT, "the start must start on a word boundary"),
    q(R, "zebra", DRIFT, "not on the page"),
    c(R, ":~:text=zebra,creek", DRIFT, "no start for the range"),
    c(R, ":~:text=y%20y,-z", OK, "overlapping exact matches with a suffix"),
    c(R, ":~:text=tick%20tick,-tock", OK, "overlapping word matches with a suffix"),
    c(R, ":~:text=gray,heron", OK, "a range"),
    c(R, ":~:text=heron,swift", DRIFT, "an inverted range"),
    c(R, ":~:text=swift,her", DRIFT, "no suffix: the end ends on a word boundary"),
    c(R, ":~:text=swift,her,-on", OK, "a suffix lets the end end mid-word"),
    c(R, ":~:text=swift,ero,-n", DRIFT, "the end must start on a word boundary"),
    c(R, ":~:text=her,on", DRIFT, "the end must start on a word boundary, even if the range is bounded"),
    c(R, ":~:text=swift,zebra", DRIFT, "the end is not on the page"),
    c(R, ":~:text=swift,leapt,-heron", DRIFT, "the suffix comes before the end"),
    c(R, ":~:text=A-,swift,gray", OK, "a range with a prefix and no suffix"),
    c(R, ":~:text=A-,swift,heron,-gray", DRIFT, "the suffix comes before the end"),
    c(R, ":~:text=Alpha-,Omega,Middle,-Zeta", OK, "invisible content between the end and the suffix"),
    c(R, ":~:text=swift,-gra", DRIFT, "a suffix must end on a word boundary"),
    c(R, ":~:text=sw,-ift", OK, "a suffix need not start on one"),
    c(R, ":~:text=swift,-zebra", DRIFT, "the suffix is not on the page"),
    c(R, ":~:text=swift,-heron", DRIFT, "words between the match and the suffix"),
    c(R, ":~:text=pick,-tail2", OK, "the suffix fails at the first candidates"),
    c(R, ":~:text=lead-,pick,-tail3", OK, "the search goes on to the prefix's match"),
    c(R, ":~:text=lead-,pick,goal,-tail5", OK, "the end moves on until the suffix follows"),
    q(R, "Words%20around%20a%20display%20none", OK, "display: none inside the passage is skipped"),
    q(R, "Words%20around%20a%20hidden%20block", DRIFT, "a visibility: hidden block still breaks the block"),
    q(R, "Words%20around%20a%20hidden%20inline", OK, "a visibility: hidden inline is skipped"),
    q(R, "Words%20around%20a%20frame", OK, "a frame inside the passage is skipped"),
    q(R, "Words%20around%20an%20image", OK, "an image inside the passage is skipped"),
    c(R, ":~:text=grabbed,and%20a", OK, "the end matches after an overlapping rejected candidate"),
    q(R, "q", DRIFT, "an inline element's edge is not a word boundary"),
    q(R, "Which%20was", OK, "across a broken image"),
    q(R, "she%27s", OK, "an apostrophe inside a word"),
    q(R, "she", DRIFT, "a word does not end before an apostrophe"),
    q(R, "%27t", OK, "a term that starts with an apostrophe"),
    q(R, "7", DRIFT, "not inside a number (4.7)"),
    q(R, "4%2E", DRIFT, "a number does not end at its decimal point"),
    q(R, "9", DRIFT, "not inside a number split over inline elements (61.9)"),
    c(R, ":~:text=x-,the%20dog", DRIFT, "the prefix must start on a word boundary, at the start of an element too"),
    # -- navigating to a text fragment (article.html) --
    c(A, "", OK, "no fragment: the top of the page"),
    c(A, ":~:text=here,is,sample,article", DRIFT, "four terms without context marks do not parse"),
    c(A, "anchor:~:directive", OK, "an unknown directive is ignored; the element is there"),
    c(A, ":~:TEXT=sample", DRIFT, "directive names are case-sensitive: TEXT= is not text="),
    q(A, "sample", OK, "a word, no context"),
    c(A, ":~:text=here%20is%20a-,sample", OK, "with a prefix"),
    c(A, ":~:text=sample,-article", OK, "with a suffix"),
    c(A, ":~:text=here%20is%20a-,sample,-article", OK, "with a prefix and a suffix"),
    c(A, ":~:text=tick-,tick,-tock", OK, "the prefix equals the match"),
    c(A, ":~:text=here,article", OK, "a range"),
    c(A, ":~:text=here-,is,sample", OK, "a range with a prefix"),
    c(A, ":~:text=here,sample,-article", OK, "a range with a suffix"),
    c(A, ":~:text=here-,is,sample,-article", OK, "a range with both"),
    c(A, ":~:text=here,zebra", DRIFT, "the end is not on the page"),
    c(A, ":~:text=zebra,article", DRIFT, "the start is not on the page"),
    c(A, ":~:text=here-,is,article,-zebra", DRIFT, "the suffix is not on the page"),
    c(A, ":~:text=zebra-,here,sample,-article", DRIFT, "the prefix is not on the page"),
    q(A, "here%20is%20a%20sample%20article", OK, "percent-encoded spaces"),
    q(A, "sample%20artic", DRIFT, "not a whole word"),
    q(A, "%26%2C%2D", OK, "the syntax characters &,- percent-encoded"),
    q(A, "%E3%83%8D%E3%82%B3", OK, "percent-encoded Katakana, a word of its own"),
    q(A, "~!$'()*+./:;=?@_", OK, "every other character a term may hold as it is"),
    c(A, ":~:text=here&text=sample,article", OK, "two directives, both on the page"),
    c(A, ":~:text=sampl&text=rticle", DRIFT, "two directives, neither a whole word"),
    c(A, ":~:text=zebra&text=sample%20article", OK, "the second of two directives is enough"),
    c(A, ":~:text=sample%20article&directive", OK, "a text directive, then an unknown one"),
    c(A, ":~:text=sample&directive&text=article", OK, "text directives around an unknown one"),
    c(A, "anchor:~:text=sample", OK, "an element id and a passage, both there"),
    c(A, "nowhere:~:text=sample", OK, "a missing id does not matter when the passage is there"),
    c(A, "anchor:~:text=zebra", DRIFT, "the passage is gone (a browser falls back to the element)"),
    c(A, "nowhere:~:text=zebra", DRIFT, "neither the passage nor the id"),
    c(A, ":~:text=another-,sample%20article", OK, "a prefix picks the second of two matches"),
    c(A, ":~:text=sample%20article,-paragraph", OK, "a suffix picks the second of two matches"),
    c(A, ":~:text=another-,sample%20article,-paragraph", OK, "prefix and suffix pick it"),
    c(A, ":~:text=before-,sample%20article,-after", OK, "context in the neighbouring paragraphs"),
    q(A, "shadowed%20words", OK, "in a shadow root attached by script (only a browser reads it)"),
    q(A, "concealed%20words", DRIFT, "visibility: hidden from a <style> rule"),
    q(A, "gone%20words", DRIFT, "display: none from a <style> rule"),
    q(A, "sideways%20words", OK, "far to the side, still on the page"),
    # -- what a reader can see (visibility.html, whose stylesheet is a file of its own) --
    q(V, "%245", DRIFT, "$5 is not in $50"),
    q(V, "%2450", OK, "$50 is"),
    q(V, "openai", DRIFT, "not inside OPENAI_API_KEY"),
    q(V, "attribute%20hidden%20words", DRIFT, "the hidden attribute"),
    q(V, "inline%20style%20hidden%20words", DRIFT, "display: none in a style attribute"),
    q(V, "sheet%20hidden%20words", DRIFT, "display: none from an external stylesheet (Chromium tells)"),
    q(V, "sheet%20shown%20words", OK, "an external stylesheet that hides nothing here"),
    q(V, "template%20words", DRIFT, "a <template> is never rendered"),
    q(V, "noscript%20words", DRIFT, "<noscript> is not rendered where scripts run"),
    q(V, "closed%20dialog%20words", DRIFT, "a closed <dialog> is not rendered"),
    q(V, "closed%20details%20words", OK, "a closed <details> is found and opened"),
    q(V, "until%20found%20words", OK, "hidden=until-found is found and revealed"),
    q(V, "declared%20shadow%20words", OK, "a declarative shadow root"),
    q(V, "slotted%20words", OK, "a light child assigned to a slot"),
    q(V, "unslotted%20words", DRIFT, "a light child no slot shows"),
    q(V, "closed%20shadow%20words", OK, "a closed shadow root attached by script"),
    q(V, "framed%20page%20words", DRIFT, "a link's fragment does not search a frame", quote=OK),
    q(V, "transparent%20words", OK, "opacity: 0 is still text on the page"),
]


def test_the_cases_are_one_per_situation() -> None:
    assert len({case.id for case in CASES}) == len(CASES)
    assert sum(1 for case in CASES if case.page == R) == 60
    assert sum(1 for case in CASES if case.page == A) == 39


# -- a local site for the fixture pages ---------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The fixture pages over HTTP on 127.0.0.1 (as the checkers and Chromium read any page)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(FIXTURES)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def url_of(site: str, case: Case) -> str:
    return f"{site}{case.page}" + (f"#{case.fragment}" if case.fragment else "")


@pytest.fixture(scope="module")
def link_results(site: str) -> dict[str, Result]:
    """Every case as a link, one batch through the real link checker (Chromium where it must look)."""
    targets = [LinkTarget(case.id, url_of(site, case)) for case in CASES]
    return run_sync(LinkChecker(Remapper(()), FAST, SETTINGS).run(targets))


@pytest.fixture(scope="module")
def quote_results(site: str) -> dict[str, Result]:
    """Every one-term case as a fact's quote, one batch through the real source check."""
    quotes = [case for case in CASES if case.quote]
    cases = [SourceCase(case.id, "values.min_purchase", f"{site}{case.page}", case.term) for case in quotes]
    return run_sync(SourceChecker(Remapper(()), FAST, SETTINGS).run(cases))


@pytest.mark.browser
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_link_checker_agrees_with_the_browser(case: Case, link_results: dict[str, Result]) -> None:
    result = link_results[case.id]
    assert result.status is case.link, f"{case.why}: {result.message()}"


@pytest.mark.browser
@pytest.mark.parametrize("case", [case for case in CASES if case.quote], ids=[case.id for case in CASES if case.quote])
def test_the_source_check_agrees_with_the_browser(case: Case, quote_results: dict[str, Result]) -> None:
    result = quote_results[case.id]
    assert result.status is case.quote, f"{case.why}: {result.message()}"


# -- the expectations are what Chromium does ----------------------------------------------------

# Where Chromium before 156 (Debian's 150) departs from the spec and web-platform-tests: it treats an
# iframe, an image and a visibility: hidden inline as a block boundary, an inline element's edge as a
# word boundary, and stops an end search at the first rejected candidate. Chromium 156 (Debian's
# 156.0.8078.114) agrees with the spec on all of them. Our checkers follow the spec; a new machine
# gets whichever Chromium Debian ships that day, so the test holds each version to what it does.
CHROMIUM_AGREES_FROM = 156
CHROMIUM_DEPARTS = {
    "ranges#:~:text=Words%20around%20a%20hidden%20inline": "a visibility: hidden inline breaks Chromium's block",
    "ranges#:~:text=Words%20around%20a%20frame": "an iframe breaks Chromium's block",
    "ranges#:~:text=Words%20around%20an%20image": "an image breaks Chromium's block",
    "ranges#:~:text=Which%20was": "a broken image breaks Chromium's block",
    "ranges#:~:text=grabbed,and%20a": "Chromium gives up after a rejected overlapping end",
    "ranges#:~:text=q": "Chromium breaks words at an inline element's edge",
    "ranges#:~:text=9": "Chromium breaks words at an inline element's edge",
}
# Where Chromium went: scrolled to a passage, or not (still at the top, or on the #anchor element).
LANDED_JS = """() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => {
  const anchor = document.getElementById("anchor");
  const rect = anchor ? anchor.getBoundingClientRect() : null;
  const onAnchor = !!rect && rect.top >= 0 && rect.top <= innerHeight;
  done((scrollY > 0 || scrollX > 0) && !onAnchor);
})))"""


async def chromium_finds(site: str, cases: list[Case]) -> tuple[dict[str, bool], int]:
    """Open each case in real Chromium (four tabs at a time): did it scroll to a passage? And the
    browser's major version."""
    import asyncio

    from playwright.async_api import async_playwright

    from checks.drift.browser import launch_options

    found: dict[str, bool] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        context = await browser.new_context()

        async def tab(chunk: list[Case]) -> None:
            page = await context.new_page()
            for n, case in enumerate(chunk):
                # A query of its own per case: a new document each time, never a same-document jump.
                base, _, fragment = url_of(site, case).partition("#")
                await page.goto(f"{base}?case={n}#{fragment}", wait_until="load")
                found[case.id] = bool(await page.evaluate(LANDED_JS))

        await asyncio.gather(*(tab(cases[i::4]) for i in range(4)))
        major = int(browser.version.split(".")[0])
        await browser.close()
    return found, major


@pytest.mark.browser
def test_chromium_highlights_exactly_the_passages_the_cases_call_ok(site: str) -> None:
    """Every case with a `text=` (or `TEXT=`) directive, opened in real Chromium: it scrolls to a passage
    exactly when the case is ok, but where a Chromium before 156 departs from the spec (listed)."""
    cases = [case for case in CASES if "text=" in case.fragment.lower()]
    found, major = run_sync(chromium_finds(site, cases))
    departs = set(CHROMIUM_DEPARTS) if major < CHROMIUM_AGREES_FROM else set()
    wrong = [
        f"{case.id}: Chromium {major} {'found' if found[case.id] else 'did not find'} it ({case.why})"
        for case in cases
        if (found[case.id] == (case.link is OK)) == (case.id in departs)
    ]
    assert not wrong, "\n".join(wrong)


# -- the parts, without a server ----------------------------------------------------------------


def test_word_boundaries_are_unicode_words_with_a_full_stop_between_letters() -> None:
    text = match_fold("e.g. he's 3.5 $50 snake_case gpt-4o")
    bounds = [i for i in range(len(text) + 1) if is_word_boundary(text, i)]
    assert {0, 1, 2, 3} <= set(bounds)  # e | . | g: a full stop between letters breaks (as Chromium)
    assert text.index("'") not in bounds  # he's is one word
    assert text.index(".5") not in bounds and text.index("0 ") + 1 in bounds
    assert text.index("_case") not in bounds and text.index("-4o") in bounds


def test_folding_is_the_browsers_primary_strength() -> None:
    assert match_fold("Un CAFÉ  noir\u00a0— Straße") == "un cafe noir - strasse"
    assert match_fold("It\u2019s") == "it's"


def test_a_failed_directive_names_the_term_that_failed() -> None:
    page = PageText(render_html((FIXTURES / "ranges.html").read_text(encoding="utf-8")))
    for fragment, term in [
        ("zebra-,heron", "prefix"),
        ("gray-,leapt", "prefix"),
        ("zebra,creek", "start"),
        ("swift,zebra", "end"),
        ("swift,-heron", "suffix"),
    ]:
        [directive] = parse_fragment(f":~:text={fragment}").directives
        miss = explain(directive, page)
        assert miss.term == term, (fragment, miss)
    [directive] = parse_fragment(":~:text=swift,-heron").directives
    assert explain(directive, page).describe() == "the suffix “heron” is not right after the passage"


def test_the_static_reader_says_when_only_a_browser_can_tell() -> None:
    article = render_html((FIXTURES / "article.html").read_text(encoding="utf-8"))
    assert not article.styles_unsure and "scripts" in article.content_unsure
    assert "concealed words" not in article.text and "gone words" not in article.text
    visibility = render_html((FIXTURES / "visibility.html").read_text(encoding="utf-8"), "http://x.test/v.html")
    assert "visibility.css" in visibility.styles_unsure and "http://x.test/frame.html" in visibility.content_unsure
    assert "closed details words" in visibility.text and "unslotted words" not in visibility.text
