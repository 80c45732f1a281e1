"""The built site in real Chromium, served on loopback, at desktop and phone widths.

Why: the static checks prove the HTML holds the right things; only a browser proves a reader can use
them — the steps and the "Last updated" line are visible on a phone, the navigation drawer opens, the
copy button copies, search (a web worker) finds "secret key", the feedback widget posts — and that
none of it makes a request to another origin.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from keyguide.build import build_site, copy_project, serve_site
from keyguide.pages import DOCS_DIR, all_pages
from keyguide.pages import Page as GuidePage

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LOCAL_SCHEMES = {"data", "blob", "about", "chrome-extension"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
STEP = re.compile(r"^(\d+)\.\s")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
TIMEOUT = 10_000


def _guide_pages() -> list[GuidePage]:
    return all_pages(DOCS_DIR)


def _steps(page: GuidePage) -> int:
    """How many numbered steps the page's source has (top-level items, outside code)."""
    count, fence = 0, False
    for line in page.body.splitlines():
        if FENCE.match(line):
            fence = not fence
        elif not fence and STEP.match(line):
            count += 1
    return count


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOOPBACK_HOSTS


# -- servers and browser contexts ---------------------------------------------------------------


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    with serve_site(built_site) as base:
        yield base


@pytest.fixture(scope="module")
def requests_seen() -> list[str]:
    """Every URL any page in this module asked for, in order."""
    return []


@pytest.fixture(autouse=True)
def only_loopback_requests(requests_seen: list[str]) -> Iterator[None]:
    """After each test: nothing it did (or the site did for it) left for another origin."""
    start = len(requests_seen)
    yield
    foreign = sorted({url for url in requests_seen[start:] if not _is_loopback(url)})
    assert not foreign, "requests to another origin:\n" + "\n".join(foreign)


def _context(browser: Browser, requests_seen: list[str], **options: Any) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT)
    context.on("request", lambda request: requests_seen.append(request.url))
    return context


@pytest.fixture(scope="module")
def desktop(browser: Browser, requests_seen: list[str]) -> Iterator[Page]:
    context = _context(browser, requests_seen, viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def phone(browser: Browser, requests_seen: list[str]) -> Iterator[Page]:
    context = _context(browser, requests_seen, viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


class FeedbackReceiver(http.server.BaseHTTPRequestHandler):
    """A feedback endpoint on loopback: answers CORS, records each JSON body it is sent."""

    received: list[dict[str, Any]]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _cors(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "POST")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_OPTIONS(self) -> None:
        self._cors(204)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.received.append({"path": self.path, "type": self.headers.get("Content-Type"), "json": json.loads(body)})
        self._cors(204)


@pytest.fixture(scope="module")
def feedback_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A build of the site with extra.feedback_endpoint set to a loopback receiver: (site URL, bodies received)."""
    received: list[dict[str, Any]] = []
    handler = type("Receiver", (FeedbackReceiver,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/feedback"
    project = copy_project(tmp_path_factory.mktemp("feedback-project"))
    config = project / "mkdocs.yml"
    text, count = re.subn(
        r"^(\s*feedback_endpoint:).*$", rf'\g<1> "{endpoint}"', config.read_text(encoding="utf-8"), flags=re.M
    )
    assert count == 1, "mkdocs.yml has no extra.feedback_endpoint line to set"
    config.write_text(text, encoding="utf-8")
    result = build_site(project)
    assert result.ok, result.output[-2000:]
    try:
        with serve_site(result.site_dir) as base:
            yield base, received
    finally:
        server.shutdown()
        server.server_close()


# -- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("guide_page", _guide_pages(), ids=lambda p: p.path.as_posix())
def test_page_renders_title_meta_line_and_steps(
    guide_page: GuidePage, width: str, site_url: str, desktop: Page, phone: Page
) -> None:
    page = desktop if width == "desktop" else phone
    page.goto(site_url + guide_page.url)
    title = page.locator("article h1#page-title")
    expect(title).to_have_text(guide_page.meta.title)
    expect(title).to_be_in_viewport()
    meta = page.locator("article [data-guide-meta]")
    expect(meta).to_be_visible()
    updated, version = guide_page.meta.updated.isoformat(), guide_page.meta.version
    expect(meta).to_contain_text(re.compile(rf"Last updated {updated}\s*·\s*Version {version}"))
    steps = _steps(guide_page)
    if steps:
        items = page.locator("article.md-content__inner ol > li")
        assert items.count() >= steps, f"{guide_page.path}: {items.count()} list items for {steps} steps"
        expect(items.first).to_be_visible()
        # Outside code (a GitHub Actions sample legitimately shows `${{ … }}`), no macro syntax is left.
        prose = items.evaluate_all(
            "items => items.map(li => { const c = li.cloneNode(true);"
            " c.querySelectorAll('pre, code').forEach(n => n.remove()); return c.textContent; })"
        )
        assert not [t for t in prose if "{{" in t or "{%" in t], "a step shows unrendered macro syntax"
    else:
        expect(page.locator("article.md-content__inner > :is(p, table, ul, ol)").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the {width} viewport (sideways scrolling)"


def test_navigation_drawer_opens_on_phone(phone: Page, site_url: str) -> None:
    phone.goto(site_url)
    drawer_button = phone.locator('label.md-header__button[for="__drawer"]')
    expect(drawer_button).to_be_visible()
    nav = phone.locator("nav.md-nav--primary")
    expect(nav).not_to_be_in_viewport()
    drawer_button.click()
    expect(nav).to_be_in_viewport()
    # A top-level page other than this one; Material makes nav links absolute under instant navigation.
    target = nav.locator("> ul > li:not(.md-nav__item--nested):not(.md-nav__item--active) > a").first
    expect(target).to_be_in_viewport()
    href = target.get_attribute("href") or ""
    target.click()
    expect(phone).to_have_url(re.compile(re.escape(urlsplit(href).path.strip("./")) + r"/?$"))
    expect(phone.locator("article h1#page-title")).to_be_in_viewport()
    expect(nav).not_to_be_in_viewport()


def test_copy_button_copies_the_code(desktop: Page, site_url: str) -> None:
    with_code = [p for p in _guide_pages() if "```" in p.body]
    assert with_code, "no page has a code block"
    desktop.goto(site_url + with_code[0].url)
    block = desktop.locator("article .highlight pre").filter(visible=True).first
    block.hover()
    button = block.get_by_role("button", name="Copy to clipboard")
    expect(button).to_be_visible()
    desktop.evaluate("navigator.clipboard.writeText('')")
    button.click()
    expected = block.locator("code").inner_text().strip()
    assert expected, "the code block is empty"
    copied = ""
    for _ in range(50):  # the copy is asynchronous
        copied = str(desktop.evaluate("navigator.clipboard.readText()")).strip()
        if copied:
            break
        desktop.wait_for_timeout(100)
    assert copied == expected


def test_search_finds_secret_key(desktop: Page, site_url: str) -> None:
    desktop.goto(site_url)
    box = desktop.get_by_role("textbox", name="Search")
    box.click()
    box.press_sequentially("secret key")
    results = desktop.locator(".md-search-result__item")
    expect(results.first).to_be_visible()
    expect(desktop.locator(".md-search-result__meta")).to_contain_text(re.compile(r"\d+ matching"))
    # Both words are highlighted in the best match, and the phrase itself is among the results
    # (some in collapsed "N more on this page" blocks, hence text_content rather than inner_text).
    marks = {m.lower() for m in results.first.locator("mark").all_inner_texts()}
    assert {"secret", "key"} <= marks, f"the best match highlights only {marks}"
    text = " ".join(results.all_text_contents())
    assert re.search(r"secret\s+key", text, re.IGNORECASE), text[:500]
    expect(desktop.get_by_role("dialog", name="Search")).to_be_visible()


def test_skip_link_moves_focus_to_the_title(desktop: Page, site_url: str) -> None:
    """Titles come from our template, so guide.js points "Skip to content" at them, also after instant navigation."""
    desktop.goto(site_url + "create-key/")
    for _ in range(2):
        skip = desktop.locator("a.md-skip")
        expect(skip).to_have_attribute("href", "#page-title")
        desktop.locator("body").press("Tab")
        expect(skip).to_be_focused()
        desktop.keyboard.press("Enter")
        expect(desktop.locator("#page-title")).to_be_focused()
        desktop.locator("a.md-footer__link--next").click()  # instant navigation: no reload
        expect(desktop).not_to_have_url(re.compile(r"/create-key/$"))


def test_feedback_widget_absent_without_endpoint(desktop: Page, site_url: str) -> None:
    desktop.goto(site_url + "create-key/")
    expect(desktop.locator("article h1#page-title")).to_be_visible()
    expect(desktop.locator("[data-guide-feedback]")).to_have_count(0)
    expect(desktop.get_by_text("Was this page helpful?")).to_have_count(0)


def test_feedback_widget_posts_json(
    browser: Browser, requests_seen: list[str], feedback_site: tuple[str, list[dict[str, Any]]]
) -> None:
    base, received = feedback_site
    context = _context(browser, requests_seen, viewport=PHONE, is_mobile=True, has_touch=True)
    pages = []
    try:
        page = context.new_page()
        page.goto(base + "create-key/")
        for answer in ("Yes", "No"):
            widget = page.get_by_role("group", name="Was this page helpful?")
            expect(widget).to_be_visible()
            pages.append(page.locator("[data-guide-feedback]").get_attribute("data-page"))
            widget.get_by_role("button", name=answer).click()
            expect(page.locator(".guide-feedback__status")).to_have_text("Thanks for telling us.")
            expect(widget.get_by_role("button", name=answer)).to_be_disabled()
            # The second page is reached by instant navigation (no reload): the widget must be wired again.
            page.locator("a.md-footer__link--next").click()
            expect(page).not_to_have_url(re.compile(r"/create-key/$"))
    finally:
        context.close()
    assert pages[0] == "create-key.md" and pages[1] not in {None, "create-key.md"}
    assert [r["path"] for r in received] == ["/feedback", "/feedback"]
    assert all(r["type"] == "application/json" for r in received)
    first, second = received[0]["json"], received[1]["json"]
    assert first["page"] == "create-key.md" and first["helpful"] is True
    assert second["page"] == pages[1] and second["helpful"] is False
    assert isinstance(first["version"], int) and first["title"] and first["path"].endswith("/create-key/")


def _fresh_page(browser: Browser, requests_seen: list[str], **options: Any) -> tuple[BrowserContext, Page]:
    """A page no earlier test has touched: the bundle must not have been started by anyone."""
    context = _context(browser, requests_seen, **options)
    return context, context.new_page()


def _bundle_requests(requests_seen: list[str], start: int) -> list[str]:
    return [url for url in requests_seen[start:] if "/javascripts/bundle." in url]


def test_material_bundle_waits_for_the_first_action(browser: Browser, site_url: str, requests_seen: list[str]) -> None:
    """Nothing of Material's bundle runs during the load (issue 14's long task); one pointer move starts it."""
    with_code = [p for p in _guide_pages() if "```" in p.body]
    context, page = _fresh_page(browser, requests_seen, viewport=DESKTOP)
    try:
        start = len(requests_seen)
        page.goto(site_url + with_code[0].url, wait_until="load")
        page.wait_for_timeout(500)
        assert _bundle_requests(requests_seen, start) == [], "the bundle was fetched before any action"
        assert page.evaluate("window.__guideBundle") == "waiting"
        assert page.locator("article .md-code__button, article .md-clipboard").count() == 0
        # Our own script did not wait: the skip link already points at the title.
        expect(page.locator("a.md-skip")).to_have_attribute("href", "#page-title")
        page.mouse.move(200, 200)
        page.wait_for_function("window.__guideBundle === 'started'")
        assert len(_bundle_requests(requests_seen, start)) == 1
        copy = page.locator("article .highlight").first.get_by_role("button", name="Copy to clipboard")
        expect(copy).to_be_attached()
    finally:
        context.close()


# Computed style of every element, kept in the page, then compared there: what differs is returned.
_SNAPSHOT_JS = """() => {
  const props = `display position float visibility box-sizing width max-width margin-top margin-right margin-bottom
    margin-left padding-top padding-right padding-bottom padding-left border-top-width border-bottom-width font-family
    font-size font-weight line-height color background-color text-align white-space overflow-x transform opacity
    z-index`.split(/\\s+/);
  const pseudo = ["", "::before", "::after"];
  return [...document.querySelectorAll("body *")].map(el => pseudo.map(p => {
    const s = getComputedStyle(el, p || null);
    return props.map(name => s.getPropertyValue(name)).join("|") + (p ? "|" + s.content : "");
  }).join("||"));
}"""


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_inline_css_styles_every_page_as_materials_stylesheets_do(
    browser: Browser, site_url: str, requests_seen: list[str], viewport: str
) -> None:
    """Applying Material's full stylesheets (the reader's first action) changes nothing on any page:
    the inline rules (overrides/critical_css.py) are all the first paint needs, so nothing moves later."""
    options: dict[str, Any] = {"viewport": PHONE} if viewport == "phone" else {"viewport": DESKTOP}
    context, page = _fresh_page(browser, requests_seen, **options)
    try:
        problems = []
        for guide_page in [*_guide_pages(), None]:
            path = guide_page.url if guide_page else "404.html"
            page.goto(site_url + path, wait_until="load")
            page.wait_for_function("[...document.querySelectorAll('link[data-guide-deferred]')].every(l => l.sheet)")
            assert page.evaluate("window.__guideBundle") == "waiting"
            before = page.evaluate(_SNAPSHOT_JS)
            page.evaluate(
                "document.querySelectorAll('link[data-guide-deferred]').forEach(l => l.sheet.media.mediaText = 'all')"
            )
            after = page.evaluate(_SNAPSHOT_JS)
            assert len(before) == len(after)
            changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
            if changed:
                first = page.evaluate(
                    "(i) => { const el = document.querySelectorAll('body *')[i]; return el.outerHTML.slice(0, 120); }",
                    changed[0],
                )
                problems.append(f"{path}: {len(changed)} element(s) restyled, first {first}")
        assert not problems, "rerun overrides/critical_css.py:\n" + "\n".join(problems)
    finally:
        context.close()


def test_search_shortcut_as_the_first_action_opens_search(
    browser: Browser, site_url: str, requests_seen: list[str]
) -> None:
    """A reader whose first act is "/" still lands in the search box: the key is replayed once Material listens."""
    context, page = _fresh_page(browser, requests_seen, viewport=DESKTOP)
    try:
        page.goto(site_url + "billing/", wait_until="load")
        assert page.evaluate("window.__guideBundle") == "waiting"
        page.keyboard.press("/")
        box = page.get_by_role("textbox", name="Search")
        expect(box).to_be_focused()
        box.press_sequentially("secret key")
        expect(page.locator(".md-search-result__item").first).to_be_visible()
    finally:
        context.close()


def test_first_touch_on_a_phone_starts_the_bundle(browser: Browser, site_url: str, requests_seen: list[str]) -> None:
    context, page = _fresh_page(browser, requests_seen, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto(site_url + "test-key/", wait_until="load")
        assert page.evaluate("window.__guideBundle") == "waiting"
        page.touchscreen.tap(20, 400)
        page.wait_for_function("window.__guideBundle === 'started'")
    finally:
        context.close()


def test_loopback_check_flags_other_origins() -> None:
    """The request guard proves itself: loopback and data URLs pass, anything else does not."""
    assert _is_loopback("http://127.0.0.1:8123/assets/x.css") and _is_loopback("data:image/svg+xml,<svg/>")
    assert not _is_loopback("https://fonts.googleapis.com/css?family=Roboto")
    assert not _is_loopback("https://unpkg.com/mermaid@11/dist/mermaid.min.js")
