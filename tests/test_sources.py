"""Source drift checks: quotes matched as a browser matches a text fragment, against the stand-in's faults.

Each source fault ends as issue 10 asks: quote reworded, number changed, sentence removed and page
gone are drift (with the closest passage now on the page), a bot wall is inconclusive. Unit tests
cover the folding-based matching, the closest passage (and its speed), text-fragment encoding and
the quirks' URL mapping. One subprocess run proves the `pytest checks -m sources` wiring.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from checks.drift.http import RetryPolicy
from checks.drift.links import LinkSettings
from checks.drift.outcomes import Result, Status
from checks.drift.passages import (
    PageText,
    encode_term,
    fragment_url,
    markdown_text,
    split_fragment,
    text_directive,
    visible_text,
)
from checks.drift.quirks import github_raw, help_article_number, markdown_twin, reading_plan
from checks.drift.remap import Remapper
from checks.drift.report import render_markdown, summary_table
from checks.drift.sources import Read, SourceCase, SourceChecker, check_sources, source_cases
from checks.standin import Fault, StandIn
from checks.standin.sources import changed_number, reworded
from keyguide.facts import ROOT, load_facts
from keyguide.usage import fact_usage

FACTS = load_facts()
CASES = {case.fact: case for case in source_cases(FACTS)}
HELP = "values.min_purchase"  # a help article cited by number, with a number in its quote
DOCS = "links.quickstart"  # a developers.openai.com page: read through its .md twin
BLOB = "values.env_api_key"  # a github.com blob: read raw

FAST = RetryPolicy(attempts=2, backoff=0.05, retry_after_cap=1.0, timeout=3.0)
SETTINGS = LinkSettings(recheck_delay=0.05, challenge_wait=1.5, browser_timeout=10.0)
NO_BROWSER = LinkSettings(browser=False, recheck_delay=0.05)


def check(standin: StandIn, *facts: str, settings: LinkSettings = NO_BROWSER) -> dict[str, Result]:
    """The named facts' sources through the real checker, remapped to the stand-in; by fact id."""
    cases = [CASES[fact] for fact in facts]
    results = check_sources(cases, Remapper.parse(standin.remaps), FAST, settings)
    return {case.fact: results[case.id] for case in cases}


def one(standin: StandIn, fact: str, settings: LinkSettings = NO_BROWSER) -> Result:
    return check(standin, fact, settings=settings)[fact]


def test_the_facts_quote_the_sources_these_tests_use() -> None:
    assert {HELP, DOCS, BLOB} <= set(CASES)
    assert help_article_number(CASES[HELP].url) and any(c.isdigit() for c in CASES[HELP].quote)
    assert markdown_twin(CASES[DOCS].url) and github_raw(CASES[BLOB].url)


# -- against the stand-in: clean ---------------------------------------------------------------


def test_clean_standin_every_source_is_ok_and_each_document_is_read_once(standin: StandIn) -> None:
    started = time.monotonic()
    results = check(standin, *CASES)
    elapsed = time.monotonic() - started
    bad = {fact: r.message() for fact, r in results.items() if r.status is not Status.OK}
    assert not bad, bad
    assert elapsed < 15, elapsed
    gets = [r.url for r in standin.requests if r.method == "GET"]
    assert len(gets) == len(set(gets)), "a document cited by several facts is fetched once"


def test_a_docs_page_is_read_through_its_markdown_twin(standin: StandIn) -> None:
    result = one(standin, DOCS)
    assert result.status is Status.OK, result.message()
    twin = markdown_twin(CASES[DOCS].url)
    assert twin is not None and twin in result.observed
    assert not standin.requests.find(url_prefix=CASES[DOCS].url + "?")  # the page itself was not needed
    assert [r.url for r in standin.requests if r.url == CASES[DOCS].url] == []


def test_a_missing_twin_falls_back_to_the_page(standin: StandIn) -> None:
    twin = markdown_twin(CASES[DOCS].url)
    standin.faults.inject(Fault(kind="status", route=twin, status=404))
    result = one(standin, DOCS)
    assert result.status is Status.OK, result.message()
    assert any("Markdown twin" in note and "404" in note for note in result.notes)


def test_a_github_blob_is_read_raw(standin: StandIn) -> None:
    result = one(standin, BLOB)
    assert result.status is Status.OK, result.message()
    assert "https://raw.githubusercontent.com/" in result.observed


def test_a_help_article_cited_by_number_follows_its_slug_redirect(standin: StandIn) -> None:
    result = one(standin, HELP)
    assert result.status is Status.OK, result.message()
    assert any("redirects to" in note for note in result.notes)


def test_results_name_the_facts_pages_and_steps_and_link_the_quote(standin: StandIn) -> None:
    result = one(standin, HELP)
    uses = fact_usage(HELP)
    assert uses, "the guide states the minimum purchase"
    assert [(s.page, s.line, s.where) for s in result.steps] == [(u.page, u.line, u.where) for u in uses]
    assert result.id == f"sources.{HELP}" and result.kind == "source"
    link = next(e for e in result.evidence if e.startswith("the quote on the page: "))
    assert "#:~:text=" in link and unquote(link.split("text=", 1)[1]).startswith("The minimum purchase is $5")


# -- against the stand-in: faults --------------------------------------------------------------


def test_a_reworded_quote_is_drift(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="quote_reworded", fact=HELP))
    result = one(standin, HELP)
    assert result.status is Status.DRIFT, result.message()
    assert "now says: “The now minimum purchase" in result.observed


def test_a_changed_number_is_drift_and_says_what_the_page_says_now(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="number_changed", fact=HELP))
    results = check(standin, HELP, "values.credit_expiry")
    result = results[HELP]
    assert result.status is Status.DRIFT, result.message()
    assert "now says: “The minimum purchase is $10, and the default amount is $10.”" in result.suggestion
    closest = next(e for e in result.evidence if e.startswith("closest passage"))
    assert "#:~:text=" in closest and "%2410" in closest
    assert results["values.credit_expiry"].status is Status.OK  # the rest of the page is unchanged


def test_a_quote_left_only_inside_a_longer_word_is_drift(standin: StandIn) -> None:
    """A renamed error code that keeps the old one as its start (`…_exhausted_v2`) is drift, not a
    substring match: quotes are matched on whole words, as a text fragment is."""
    fact = "errors.credit_balance_exhausted"
    standin.faults.inject(Fault(kind="quote_reworded", fact=fact, message=CASES[fact].quote + "_v2"))
    result = one(standin, fact)
    assert result.status is Status.DRIFT, result.message()
    assert result.observed.startswith("the quote is only part of longer words on the page; now says: “")
    assert "credit_balance_exhausted_v2" in result.observed


def test_a_removed_sentence_is_drift_with_the_closest_passage(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="sentence_removed", fact=HELP))
    result = one(standin, HELP)
    assert result.status is Status.DRIFT, result.message()
    assert "now says: “" in result.observed
    assert any(e.startswith("closest passage now on the page") and "#:~:text=" in e for e in result.evidence)


def test_a_source_page_gone_is_drift(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="status", route=CASES[HELP].url, status=404))
    result = one(standin, HELP)
    assert result.status is Status.DRIFT, result.message()
    assert "gone (HTTP 404)" in result.suggestion and "source.url" in result.suggestion


@pytest.mark.browser
def test_a_bot_wall_chromium_cannot_pass_is_inconclusive(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", route=CASES[HELP].url, passes_browser=False))
    result = one(standin, HELP, settings=SETTINGS)
    assert result.status is Status.INCONCLUSIVE
    assert "bot wall" in result.reason and "Chromium did not get past it" in result.reason


@pytest.mark.browser
def test_a_bot_wall_chromium_passes_is_read_in_the_browser(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", route=CASES[HELP].url, passes_browser=True))
    result = one(standin, HELP, settings=SETTINGS)
    assert result.status is Status.OK, result.message()
    assert any("read in real Chromium" in note for note in result.notes)


def test_a_bot_wall_without_a_browser_is_inconclusive(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="bot_challenge", route=CASES[HELP].url))
    result = one(standin, HELP)
    assert result.status is Status.INCONCLUSIVE and result.reason.startswith("bot wall")


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault(kind="server_error", route=CASES[HELP].url), "server error (HTTP 500) after retries"),
        (Fault(kind="retry_after", route=CASES[HELP].url, seconds=0), "rate limited"),
        (Fault(kind="signin_wall", route=CASES[HELP].url), "needs a signed-in session"),
        (Fault(kind="drop", route=CASES[HELP].url), "connection dropped"),
    ],
    ids=["5xx", "429", "sign-in", "drop"],
)
def test_unreachable_sources_are_inconclusive(standin: StandIn, fault: Fault, reason: str) -> None:
    standin.faults.inject(fault)
    result = one(standin, HELP)
    assert result.status is Status.INCONCLUSIVE
    assert reason in result.reason


@pytest.mark.parametrize("kind", ["server_error", "drop"])
def test_a_source_that_fails_for_a_moment_settles_on_the_final_pass(standin: StandIn, kind: str) -> None:
    """A hiccup that outlasts the retries (every attempt of the first pass fails) is read again after a pause."""
    fault = Fault(kind=kind, route=CASES[HELP].url, times=FAST.attempts)
    standin.faults.inject(fault)
    without = one(standin, HELP, settings=LinkSettings(browser=False, recheck=False))
    assert without.status is Status.INCONCLUSIVE  # the first pass alone gives up
    standin.faults.clear()
    standin.faults.inject(fault)
    result = one(standin, HELP)
    assert result.status is Status.OK, result.reason
    assert any(note.endswith("settled on the final pass") for note in result.notes), result.notes
    assert "final pass:" in result.evidence


def test_a_source_that_stays_down_is_still_inconclusive_after_the_final_pass(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="server_error", route=CASES[HELP].url))
    result = one(standin, HELP)
    assert result.status is Status.INCONCLUSIVE and "still inconclusive on the final pass" in result.notes


def test_an_error_inside_a_check_is_inconclusive_never_a_crash(standin: StandIn) -> None:
    class Broken(SourceChecker):
        async def _read(self, reading: object) -> Read:
            raise RuntimeError("boom\nsecond line")

    case = CASES[HELP]
    checker = Broken(Remapper.parse(standin.remaps), FAST, NO_BROWSER)
    result = check_sources([case], checker.remapper, checker=checker)[case.id]
    assert result.status is Status.INCONCLUSIVE
    assert result.reason == "the source check failed: RuntimeError: boom"
    assert result.steps  # still names where the guide states it


def test_the_markdown_report_and_terminal_show_a_source_drift_readably(standin: StandIn) -> None:
    standin.faults.inject(Fault(kind="number_changed", fact=HELP))
    result = one(standin, HELP)
    data = {"target": "standin", "generated_at": "2026-12-01T22:00:00+00:00", "results": [result.as_dict()]}
    markdown = render_markdown(data)
    assert "- **DRIFT** `sources.values.min_purchase` (source)" in markdown
    assert "now says: “The minimum purchase is $10, and the default amount is $10.”" in markdown
    assert "closest passage now on the page (" in markdown and ": <https://help.openai.com/" in markdown
    assert "the quote on the page: <https://help.openai.com/en/articles/8264644#:~:text=" in markdown
    assert "\\#:~:text" not in markdown  # the links are not mangled by escaping
    assert any("#:~:text=" in line for line in summary_table([result]))


# -- the stand-in's source faults --------------------------------------------------------------


def test_source_faults_need_a_fact_with_a_quote(standin: StandIn) -> None:
    with pytest.raises(ValueError, match="not route"):
        Fault(kind="quote_reworded", route="https://help.openai.com/en/articles/1")
    with pytest.raises(ValueError, match=r"no source\.url"):
        standin.faults.inject(Fault(kind="sentence_removed", fact="values.time_needed"))


def test_changed_number_and_reworded() -> None:
    assert changed_number("The minimum purchase is $5, and the default is $10.") == (
        "The minimum purchase is $10, and the default is $10."
    )
    assert changed_number("up to 2,000 projects") == "up to 4,000 projects"
    assert reworded("Purchased credits expire after 1 year.") != "Purchased credits expire after 1 year."


# -- matching, closest passage, fragments, quirks (no server) -----------------------------------


def test_matching_folds_whitespace_case_and_typography_over_visible_text_only() -> None:
    html = (
        "<html><head><title>The secret sentence</title><style>p{}</style></head><body>"
        "<p>You can\u2019t   add <b>members</b>\nto the DEFAULT project \u2014 ever.</p>"
        "<script>document.write('hidden words in a script')</script><noscript>hidden words</noscript>"
        "<div hidden>hidden words in a hidden div</div><template>hidden words</template></body></html>"
    )
    page = PageText(visible_text(html))
    assert page.contains("You can't add members to the Default project - ever.")
    assert not page.contains("hidden words")
    assert not page.contains("The secret sentence")
    assert PageText(visible_text("<p>one</p><p>two</p>")).text == "one\ntwo"  # blocks never run together


def test_markdown_twin_text_is_what_a_reader_sees() -> None:
    text = markdown_text("# Keys\n\nThe *minimum* purchase is **$5**.\n\n- `OPENAI_API_KEY`\n")
    assert PageText(text).contains("The minimum purchase is $5.") and "OPENAI_API_KEY" in text


def test_closest_passage_is_the_changed_sentence_and_fast_on_a_long_page() -> None:
    random.seed(10)
    words = ["organization", "project", "billing", "credit", "limit", "key", "usage", "member", "owner", "reader"]
    sentences = [" ".join(random.choice(words) for _ in range(12)).capitalize() + "." for _ in range(4200)]
    sentences[3000] = "The minimum purchase is $10, and the default amount is $10."
    page = PageText("\n".join(" ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)))
    assert len(page.text.split()) > 50_000
    started = time.perf_counter()
    passage = page.closest("The minimum purchase is $5, and the default amount is $10.")
    assert time.perf_counter() - started < 1.0
    assert passage is not None and passage.text == sentences[3000]


def test_text_fragment_encoding_follows_the_spec() -> None:
    assert encode_term("Pay-as-you-go, $5 & more") == "Pay%2Das%2Dyou%2Dgo%2C%20%245%20%26%20more"
    url = fragment_url("https://help.openai.com/en/articles/1", "You can't add members")
    assert url == "https://help.openai.com/en/articles/1#:~:text=You%20can%27t%20add%20members"
    long = "Enforcement is not instantaneous, so recorded spend can slightly exceed the configured amount today."
    assert (
        text_directive(long)
        == "text=Enforcement%20is%20not%20instantaneous%2C%20so,exceed%20the%20configured%20amount%20today."
    )
    assert fragment_url("https://x.test/p#usage", "a b") == "https://x.test/p#usage:~:text=a%20b"
    element, directives = split_fragment(fragment_url("https://x.test/p#usage", long).split("#", 1)[1])
    assert element == "usage" and directives[0].start.startswith("Enforcement") and directives[0].end.endswith("today.")


def test_quirks_map_urls() -> None:
    assert markdown_twin("https://developers.openai.com/api/docs/guides/api-keys#x") == (
        "https://developers.openai.com/api/docs/guides/api-keys.md"
    )
    assert markdown_twin("https://developers.openai.com/api/docs/quickstart/") == (
        "https://developers.openai.com/api/docs/quickstart.md"
    )
    assert markdown_twin("https://developers.openai.com/") is None
    assert markdown_twin("https://help.openai.com/en/articles/1") is None
    assert github_raw("https://github.com/openai/openai-python/blob/main/src/openai/_client.py#L10") == (
        "https://raw.githubusercontent.com/openai/openai-python/main/src/openai/_client.py"
    )
    assert github_raw("https://github.com/openai/openai-go/issues/565") is None
    assert help_article_number("https://help.openai.com/en/articles/8264644") == "8264644"
    assert help_article_number("https://help.openai.com/en/articles/8264644-prepaid-billing") is None
    docs = reading_plan("https://developers.openai.com/api/docs/quickstart")
    assert [(r.url.rsplit("/", 1)[-1], r.format, r.fallback) for r in docs] == [
        ("quickstart.md", "markdown", True),
        ("quickstart", "auto", False),
    ]
    assert reading_plan("https://github.com/o/r/blob/main/README.md")[0].format == "markdown"
    assert reading_plan("https://github.com/o/r/blob/main/a.py")[0].format == "text"


def test_item_ids_and_cases() -> None:
    case = CASES[HELP]
    assert case == SourceCase(f"sources.{HELP}", HELP, FACTS.values["min_purchase"].source.url or "", case.quote)
    assert all(c.id.startswith("sources.") for c in CASES.values())


# -- the suite's wiring ------------------------------------------------------------------------


def test_pytest_checks_m_sources_k_selects_one_fact(tmp_path: Path) -> None:
    report = tmp_path / "drift.json"
    command = [
        sys.executable, "-m", "pytest", "checks", "-m", "sources", "-k", "values.min_purchase",
        "--target", "standin", "-p", "no:cacheprovider", "-q", f"--drift-report={report}",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    assert [(r["id"], r["status"]) for r in results] == [("sources.values.min_purchase", "ok")]
