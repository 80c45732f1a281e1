"""Site-specific ways to read a source page, in one place (like lychee's quirks).

The source check (checks/drift/sources.py) asks `reading_plan(url)` which documents to fetch for a
cited URL, in order, and how to turn each into text. Everything it knows about particular sites is
here, so the checker stays generic and a new quirk is one function:

- developers.openai.com docs pages publish a Markdown twin (the page URL plus `.md`): plain text a
  script can read without running the site's JavaScript. It is read first; the page is the fallback.
- github.com/<owner>/<repo>/blob/<ref>/<path> is an HTML viewer around the file; the file itself is
  at raw.githubusercontent.com/<owner>/<repo>/<ref>/<path>, which no bot wall guards.
- help.openai.com/en/articles/<number> (how the guide cites an article) redirects to the article's
  slug URL; that redirect is how the help center works, not drift, so it is followed and noted.
- Bot walls (Cloudflare's challenge pages, other captcha vendors) and OpenAI's sign-in hosts and
  paths: what the shared outcomes (checks/drift/outcomes.py) treat as "cannot judge", never drift.
- Cookie-consent banners: the labels of their reject and accept buttons (the UI checks reject).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

Format = Literal["html", "markdown", "text", "auto"]

# -- bot walls and sign-in walls ---------------------------------------------------------------

BOT_WALL_TITLES = re.compile(
    r"<title>\s*(Just a moment\.\.\.|Attention Required! \| Cloudflare|Access denied|Verifying you are human)",
    re.IGNORECASE,
)
BOT_WALL_MARKERS = ("challenge-platform", "cf-chl-", "_cf_chl_opt", "captcha-delivery", "px-captcha")
SIGN_IN_HOSTS = ("auth.openai.com", "auth0.openai.com")
SIGN_IN_PATHS = re.compile(r"^/(log-?in|sign-?in|auth)(/|$|\?)", re.IGNORECASE)

# -- reading source pages --------------------------------------------------------------------

DOCS_HOST = "developers.openai.com"
HELP_ARTICLE = re.compile(r"^/(?P<lang>[a-z]{2}(?:-[a-z]{2})?)/articles/(?P<number>\d+)/?$", re.IGNORECASE)
GITHUB_BLOB = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)/blob/(?P<rest>.+)$")
MARKDOWN_PATH = re.compile(r"\.(md|markdown|mdx)$", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """One document to fetch for a source, and how to read it.

    `fallback`: when this document is missing (4xx) or unreadable, the next one is tried instead;
    only the last reading of a plan can prove that a source page is gone.
    """

    url: str
    format: Format
    why: str = ""
    fallback: bool = False


def page_url(url: str) -> str:
    """`url` without its fragment: what is fetched (a `#:~:text=` never reaches the server)."""
    return url.split("#", 1)[0]


def markdown_twin(url: str) -> str | None:
    """The `.md` twin of a developers.openai.com docs page, or None for other URLs."""
    parts = urlsplit(page_url(url))
    if parts.netloc.lower() != DOCS_HOST or parts.path in ("", "/") or MARKDOWN_PATH.search(parts.path):
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + ".md", parts.query, ""))


def github_raw(url: str) -> str | None:
    """raw.githubusercontent.com for a github.com blob URL (the file, not its HTML viewer), else None."""
    parts = urlsplit(page_url(url))
    if parts.netloc.lower() not in ("github.com", "www.github.com"):
        return None
    match = GITHUB_BLOB.match(parts.path)
    if match is None:
        return None
    return f"https://raw.githubusercontent.com/{match['owner']}/{match['repo']}/{match['rest']}"


def help_article_number(url: str) -> str | None:
    """The article number of a help.openai.com/<lang>/articles/<number> URL cited without its slug."""
    parts = urlsplit(page_url(url))
    if parts.netloc.lower() != "help.openai.com":
        return None
    match = HELP_ARTICLE.match(parts.path)
    return match["number"] if match else None


def format_of(url: str) -> Format:
    """How to read a document we know nothing else about: Markdown by its name, else by its type."""
    return "markdown" if MARKDOWN_PATH.search(urlsplit(url).path) else "auto"


def reading_plan(url: str) -> list[Reading]:
    """The documents to read for a cited source URL, first choice first."""
    page = page_url(url)
    twin = markdown_twin(page)
    if twin is not None:
        return [
            Reading(twin, "markdown", "the docs page's Markdown twin", fallback=True),
            Reading(page, "auto", "the docs page itself"),
        ]
    raw = github_raw(page)
    if raw is not None:
        return [Reading(raw, format_of(raw) if format_of(raw) == "markdown" else "text", "the file behind the blob")]
    if help_article_number(page) is not None:
        return [Reading(page, "auto", "help article cited by number: its redirect to the slug URL is expected")]
    return [Reading(page, format_of(page))]


# -- cookie consent (the UI checks, checks/drift/ui.py) ---------------------------------------------
# A consent banner or modal can cover a page a new visitor opens; a check dismisses it with its reject
# button (found by role button and accessible name) and NEVER accepts. Accept labels only help to
# recognise a banner: they are never clicked. Add a site's wording here, nowhere else.

CONSENT_REJECT_LABELS: tuple[str, ...] = (
    "Reject all",
    "Reject all cookies",
    "Reject non-essential",
    "Reject non-essential cookies",
    "Reject optional cookies",
    "Reject additional cookies",
    "Decline",
    "Decline all",
    "Decline optional cookies",
    "Only necessary",
    "Only necessary cookies",
    "Necessary only",
    "Necessary cookies only",
    "Use necessary cookies only",
    "Allow necessary cookies only",
    "Refuse all",
    "Deny",
    "Deny all",
    "Continue without accepting",
)
CONSENT_ACCEPT_LABELS: tuple[str, ...] = (
    "Accept all",
    "Accept all cookies",
    "Accept",
    "Accept cookies",
    "Allow all",
    "Allow all cookies",
    "I agree",
    "Agree",
    "Got it",
)
# Where banners live: dialogs and regions, the common consent platforms, anything named cookie/consent.
CONSENT_CONTAINERS = ", ".join(
    (
        '[role="dialog"]',
        '[role="alertdialog"]',
        "dialog[open]",
        '[aria-modal="true"]',
        '[role="region"]',
        "#onetrust-banner-sdk",
        "#CybotCookiebotDialog",
        '[id*="cookie" i]',
        '[class*="cookie" i]',
        '[id*="consent" i]',
        '[class*="consent" i]',
    )
)
# A container is a consent banner only if it speaks of cookies or consent and offers a choice.
CONSENT_WORDS = re.compile(r"\b(cookies?|consent|tracking technologies)\b", re.IGNORECASE)


def button_name_pattern(labels: tuple[str, ...]) -> re.Pattern[str]:
    """An accessible-name pattern matching any of `labels` whole, ignoring case and spacing."""
    alternatives = "|".join(r"\s+".join(map(re.escape, label.split())) for label in labels)
    return re.compile(rf"^\s*(?:{alternatives})\s*$", re.IGNORECASE)


# -- page chrome (the page baselines, checks/drift/sentences.py) -------------------------------------
# A cited page's baseline keeps what the article says, not what the site wraps around it. With the
# page's HTML, navigation, header, footer, asides and these containers go before the text is read;
# with text only (a page read in Chromium), these lines are dropped, and everything from an end
# marker on (related articles, the feedback widget, the footer) is cut.

CHROME_CONTAINERS = ", ".join(
    (
        "nav",
        "header",
        "footer",
        "aside",
        '[role="navigation"]',
        '[role="banner"]',
        '[role="contentinfo"]',
        '[role="complementary"]',
        '[role="search"]',
        '[aria-label*="breadcrumb" i]',
        '[class*="breadcrumb" i]',
        '[class*="related" i]',
        '[id*="related" i]',
        '[class*="feedback" i]',
        '[class*="reaction" i]',
        "#onetrust-consent-sdk",
        "#onetrust-banner-sdk",
        '[id*="cookie" i]',
        '[class*="cookie" i]',
        '[id*="consent" i]',
        '[class*="consent" i]',
    )
)
CHROME_LINES = re.compile(
    r"^(skip to (main )?content|all collections\b.*|search( for articles)?(\.\.\.|…)?|table of contents|on this page"
    r"|openai (help center|developers|platform)|©.*|.*\ball rights reserved\b.*"
    r"|copy page|ask chatgpt|was this (article|page) helpful\??|(written|updated) by .{0,60}"
    r"|updated (over |about )?(a|an|\d+) (second|minute|hour|day|week|month|year)s? ago|updated (today|yesterday)"
    r"|last updated:? .{0,40}|edit (this|on) (page|github)|share( this article)?|print|previous|next)$",
    re.IGNORECASE,
)
END_MARKERS = re.compile(
    r"^(related articles?|related (guides|resources)|did this answer your question\??|was this helpful\??"
    r"|still need help\??|more in this collection)$",
    re.IGNORECASE,
)
