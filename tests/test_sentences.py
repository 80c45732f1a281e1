"""Page baselines and watched pages, without a network: chrome is never a sentence, a quote's sentence is
the source check's, and a changelog's entries are read with their dates (checks/drift/sentences.py,
checks/drift/watch.py)."""

from __future__ import annotations

from checks.drift.outcomes import Status, Step
from checks.drift.sentences import PageCase, diff_sentences, judge, page_lines, sentences_of
from checks.drift.watch import Entry, WatchCase, entries_of, keyword_pattern
from checks.drift.watch import judge as judge_watch
from keyguide.baselines import Baseline

ARTICLE = """<!doctype html><html><body>
<header><a href="/">OpenAI Help Center</a><nav><a href="#">ChatGPT</a><a href="#">API</a></nav></header>
<div class="breadcrumbs">All Collections › API › API Platform</div>
<main><h1>Assign API key permissions</h1><p class="meta">Updated 3 days ago</p>
<p>Three levels of permissions are available: All, Restricted, and Read Only. Pick one per key.</p>
<p>Keys can be edited later.</p></main>
<section class="related-articles"><h2>Related Articles</h2>
<ul><li>How do I check my token usage today?</li></ul></section>
<footer>© 2026 OpenAI · Terms and privacy for everyone</footer>
<div id="onetrust-banner-sdk"><p>We use cookies to run the site. Accept all or manage your preferences.</p></div>
</body></html>"""


def test_the_article_without_its_chrome_as_sentences() -> None:
    assert sentences_of("", ARTICLE) == [
        "Assign API key permissions",
        "Three levels of permissions are available: All, Restricted, and Read Only.",
        "Pick one per key.",
        "Keys can be edited later.",
    ]


def test_text_read_in_a_browser_drops_chrome_lines_and_stops_at_related_articles() -> None:
    text = (
        "Skip to main content\nOpenAI Help Center\nAll Collections › API\nAssign API key permissions\n"
        "Updated over a week ago\nThree levels of permissions are available.\n"
        "We use cookies to run the site. Accept all or manage your preferences.\n"
        "Related Articles\nHow do I check my token usage today?\n© 2026 OpenAI"
    )
    assert page_lines(text) == ["Assign API key permissions", "Three levels of permissions are available."]
    assert sentences_of(text) == ["Assign API key permissions", "Three levels of permissions are available."]


BEFORE = ["Keys belong to projects.", "Three levels of permissions are available.", "Read the guide first."]
QUOTE = "Three levels of permissions are available."


def test_added_removed_and_reworded_sentences_no_quote_relies_on() -> None:
    after = ["Keys belong to a project.", QUOTE, "Read the guide first.", "Keys can now expire after a year."]
    diff = diff_sentences(BEFORE, after, [QUOTE])
    assert diff.reworded == [("Keys belong to projects.", "Keys belong to a project.")]
    assert diff.added == ["Keys can now expire after a year."] and diff.removed == []
    assert diff_sentences(BEFORE, BEFORE[:1] + BEFORE[2:], []).removed == [QUOTE]  # without the quote: review


def test_a_quotes_sentence_and_what_replaced_it_are_the_source_checks() -> None:
    after = ["Keys belong to projects.", "Four levels of permissions are available.", "Read the guide first."]
    assert not diff_sentences(BEFORE, after, [QUOTE]).changed
    assert not diff_sentences(BEFORE, [BEFORE[0], BEFORE[2]], [QUOTE]).changed
    # Typography alone is no change.
    assert not diff_sentences(["It's the key's owner."], ["It\u2019s the key\u2019s  owner."], []).changed


def test_a_review_links_each_added_sentence() -> None:
    case = PageCase("pages.help.openai.com/en/articles/1", "https://help.openai.com/en/articles/1", (("x", QUOTE),))
    baseline = Baseline(case.id, "page", case.url, case.url, True, "9", "2026-12-01T05:00:00+00:00", tuple(BEFORE))
    steps = [Step("create-key.md", 40, "Create the key › step 7")]
    result = judge(
        case, baseline, [*BEFORE, "Keys can now expire."], "https://help.openai.com/en/articles/1-slug", steps
    )
    assert result.status is Status.REVIEW and result.pages == ["create-key.md"]
    assert result.changes == [
        {
            "change": "added",
            "text": "Keys can now expire.",
            "link": "https://help.openai.com/en/articles/1-slug#:~:text=Keys%20can%20now%20expire.",
        }
    ]
    assert judge(case, baseline, list(BEFORE), "", steps).status is Status.OK


CHANGELOG = """Changelog
Keep track of changes to the OpenAI API.
December, 2026
Dec 2
Feature
v1/organization/projects/api_keys
Project API keys can now expire.
November, 2026
Nov 18
Update
v1/batch
Released priority tiers for the Batch API."""

RELEASE_NOTES = """Model Release Notes
Project API keys can now expire (September 10, 2026)
You can set an expiry date when you create a key.
Realtime voices (2026-10-02)
Two new voices."""


def test_entries_of_a_changelog_take_their_year_from_the_month_header() -> None:
    assert entries_of(CHANGELOG.splitlines()) == [
        Entry(
            "2026-12-02",
            "Project API keys can now expire.",
            "Feature v1/organization/projects/api_keys Project API keys can now expire.",
        ),
        Entry(
            "2026-11-18",
            "Released priority tiers for the Batch API.",
            "Update v1/batch Released priority tiers for the Batch API.",
        ),
    ]


def test_entries_of_release_notes_carry_the_date_in_their_heading() -> None:
    assert entries_of(RELEASE_NOTES.splitlines()) == [
        Entry("2026-09-10", "Project API keys can now expire", "You can set an expiry date when you create a key."),
        Entry("2026-10-02", "Realtime voices", "Two new voices."),
    ]


def test_keywords_match_whole_words_plurals_and_stems() -> None:
    pattern = keyword_pattern(["key", "expir*", "rate limit"])
    assert pattern.search("Two new keys") and pattern.search("an expiry date") and pattern.search("rate  limits")
    assert not pattern.search("a keyboard shortcut") and not pattern.search("the monkey")


def test_new_entries_naming_a_keyword_are_review_others_a_note_older_history_nothing() -> None:
    case = WatchCase("watch.api_changelog", "https://developers.openai.com/api/docs/changelog", "changelog", ("key",))
    old = Entry("2026-11-18", "Batch tiers", "Released priority tiers.")
    baseline = Baseline(case.id, "watch", case.url, "c", True, "9", "2026-12-01T05:00:00+00:00", (old.as_item(),))
    now = [
        Entry("2026-12-02", "Project API keys can now expire", "Expiry dates."),
        Entry("2026-12-01", "New voices", "Two voices."),
        old,
        Entry("2025-01-01", "Older history shown now", "About keys."),
    ]
    result = judge_watch(case, baseline, now, case.url)
    assert result.status is Status.REVIEW and [c["title"] for c in result.changes] == [
        "Project API keys can now expire"
    ]
    assert result.changes[0]["keywords"] == "key" and result.changes[0]["date"] == "2026-12-02"
    assert result.notes == ["new on 2026-12-01, names no keyword: “New voices”"]
    assert judge_watch(case, baseline, [old], case.url).status is Status.OK
    gone = judge_watch(case, baseline, [], case.url)
    assert gone.status is Status.INCONCLUSIVE and "found no dated entries" in gone.reason
