"""The site around an article, as OpenAI's help center and docs draw it: navigation, breadcrumbs,
"Updated 3 days ago", related articles, a feedback widget, a footer and a cookie banner.

Real pages carry all of this, and parts of it change from one visit to the next ("Updated 3 days
ago" becomes "Updated 4 days ago", related articles rotate). The stand-in does the same, from a
counter, so the page baselines must leave it out or every run would have something to review.
"""

from __future__ import annotations

import itertools
from html import escape

from checks.standin.sitemap import host_of

_VISITS = itertools.count(1)
RELATED = (
    "Best practices for prompt engineering with the OpenAI API",
    "How do I check my token usage?",
    "Understanding the usage dashboard and its charts",
    "What is the OpenAI Developer Forum?",
    "Why am I getting a 401 error when I call the API?",
)
_COOKIES = (
    '<div id="onetrust-banner-sdk" class="cookie-banner" role="region" aria-label="Cookie banner">'
    "<p>We use cookies and similar technologies to run the site and to understand how it is used. "
    "You can accept all cookies, reject non-essential cookies or manage your preferences.</p>"
    '<button type="button">Accept all</button><button type="button">Reject non-essential</button></div>'
)


def page_document(url: str, title: str, article: str) -> str:
    """A whole page: the article inside the site's chrome (help center or docs, by host)."""
    visit = next(_VISITS)
    host = host_of(url)
    related = "".join(f"<li><a href='https://{host}/en/articles/{i}'>{escape(t)}</a></li>" for i, t in _rotated(visit))
    if host == "help.openai.com":
        top = (
            "<header><a href='https://help.openai.com/'>OpenAI Help Center</a>"
            "<nav aria-label='Collections'><a href='#'>ChatGPT</a> <a href='#'>API</a> <a href='#'>Billing</a></nav>"
            "<input type='search' aria-label='Search for articles...'></header>"
            "<div class='breadcrumbs'>All Collections › API › API Platform</div>"
        )
        updated = f"<p class='article-meta'>Updated {visit % 6 + 1} days ago</p>"
        after = (
            f"<section class='related-articles'><h2>Related Articles</h2><ul>{related}</ul></section>"
            "<div class='article-feedback'><p>Did this answer your question?</p></div>"
        )
    else:
        top = (
            f"<header><a href='https://{host}/'>OpenAI Developers</a></header>"
            "<nav aria-label='Docs'><a href='#'>Overview</a> <a href='#'>Quickstart</a> <a href='#'>Models</a></nav>"
        )
        updated, after = "", f"<aside><h2>On this page</h2><ul>{related}</ul></aside>"
    article = article.replace("</h1>", "</h1>" + updated, 1)
    footer = f"<footer><p>© 2026 OpenAI · Terms · Privacy · Visit {visit}</p></footer>"
    body = f"{top}\n{article}\n{after}\n{footer}\n{_COOKIES}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def _rotated(visit: int) -> list[tuple[int, str]]:
    start = visit % len(RELATED)
    order = [*RELATED[start:], *RELATED[:start]][:3]
    return [(5000 + RELATED.index(title), title) for title in order]
