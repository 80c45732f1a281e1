"""`python -m checks.login`: sign in to OpenAI once, by hand, and keep the session for the UI checks.

The signed-in pages (API keys, limits, billing) can only be checked with a real session, and no
script should ever type an OpenAI password. So a person signs in in a real, visible browser; this
command only watches the address bar and, once the browser is back on platform.openai.com, saves
Playwright's storage state (cookies and local storage) with file mode 0600 to a gitignored path:

    python -m checks.login                      # → .auth/openai.storage-state.json
    pytest checks -m ui --storage-state .auth/openai.storage-state.json

The file is a live session: keep it out of the repository and out of CI logs; sign out at OpenAI
(or delete the file) to end it. When it expires, the UI checks say "needs a signed-in session".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from checks.drift.browser import launch_options
from checks.drift.outcomes import SIGN_IN_HOSTS, sign_in_reason
from checks.drift.remap import RemapError, Remapper
from checks.drift.ui import DEFAULT_STORAGE_STATE, Guard
from keyguide.facts import load_facts

LOGIN_URL = "https://platform.openai.com/login"
PLATFORM_HOST = "platform.openai.com"
# After the redirect back, the app stores its tokens; give it this long without navigating.
SETTLE_SECONDS = 3.0


def is_signed_in_url(url: str, platform_host: str = PLATFORM_HOST) -> bool:
    """Back on the platform, and not on a sign-in page of it."""
    return urlsplit(url).hostname == platform_host and sign_in_reason(url) is None


def write_private(path: Path, text: str) -> None:
    """Write `text` so that only the owner can read it, whatever was there before."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, text.encode("utf-8"))
    finally:
        os.close(descriptor)


def wait_for_sign_in(
    context: BrowserContext,
    timeout: float,
    *,
    visited: list[str] | None = None,
    platform_host: str = PLATFORM_HOST,
    poll: float = 0.5,
    settle: float = SETTLE_SECONDS,
) -> bool:
    """True once the browser went through the sign-in host and stayed back on the platform for `settle` s.

    `visited` collects every URL a tab showed (see `track_navigations`), so a sign-in faster than
    one poll still counts.
    """
    visited = visited if visited is not None else []
    deadline = time.monotonic() + timeout
    back_since: float | None = None
    while time.monotonic() < deadline:
        urls = []
        for page in list(context.pages):
            try:
                urls.append(page.url)
            except PlaywrightError:
                continue
        if not urls:
            return False  # the person closed the browser
        seen_auth = any(urlsplit(u).hostname in SIGN_IN_HOSTS for u in [*visited, *urls])
        if seen_auth and any(is_signed_in_url(u, platform_host) for u in urls):
            back_since = back_since or time.monotonic()
            if time.monotonic() - back_since >= settle:
                return True
        else:
            back_since = None
        context.pages[0].wait_for_timeout(poll * 1000)
    return False


def track_navigations(context: BrowserContext, visited: list[str]) -> None:
    """Record each top-level URL of every tab, popups included."""

    def watch(page: Page) -> None:
        page.on("framenavigated", lambda frame: visited.append(frame.url) if frame.parent_frame is None else None)

    for page in context.pages:
        watch(page)
    context.on("page", watch)


def login(
    out: Path,
    url: str = LOGIN_URL,
    timeout: float = 600.0,
    *,
    headless: bool = False,
    remapper: Remapper | None = None,
    human: Callable[[Page], None] | None = None,
    settle: float = SETTLE_SECONDS,
    browser: Browser | None = None,
) -> int:
    """Open `url`, wait for a person to sign in, save the storage state to `out`; an exit status.

    `human` stands in for the person in tests, called once the sign-in page is open; `browser`
    lets tests reuse theirs (the sync API cannot start a second Playwright in one thread).
    """
    if browser is not None:
        return _login_with(browser, out, url, timeout, remapper, human, settle)
    with sync_playwright() as playwright:
        try:
            own = playwright.chromium.launch(**{**launch_options(), "headless": headless})
        except PlaywrightError as exc:
            print(f"error: could not start a browser window: {exc.message.splitlines()[0]}", file=sys.stderr)
            print("Sign in on a machine with a display, then copy the file here (mode 0600).", file=sys.stderr)
            return 2
        try:
            return _login_with(own, out, url, timeout, remapper, human, settle)
        finally:
            own.close()


def _login_with(
    browser: Browser,
    out: Path,
    url: str,
    timeout: float,
    remapper: Remapper | None,
    human: Callable[[Page], None] | None,
    settle: float,
) -> int:
    platform_host = urlsplit(url).hostname or PLATFORM_HOST
    if platform_host in SIGN_IN_HOSTS:
        platform_host = PLATFORM_HOST
    context = browser.new_context()
    try:
        if remapper:
            # Signing in posts forms: the write guard is for the checks, not for a person.
            Guard(remapper, load_facts(), block_writes=False).install(context, mask_keys=False)
        visited: list[str] = []
        track_navigations(context, visited)
        page = context.new_page()
        try:
            page.goto(url, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            print(f"error: could not open {url}: {exc.message.splitlines()[0]}", file=sys.stderr)
            return 1
        print(f"Sign in to OpenAI in the browser window ({url}).", flush=True)
        print(f"Waiting up to {timeout:.0f} s for you to be back on {platform_host}…", flush=True)
        if human is not None:
            human(page)
        if not wait_for_sign_in(context, timeout, visited=visited, platform_host=platform_host, settle=settle):
            print("error: not signed in (timed out or the window was closed); nothing saved", file=sys.stderr)
            return 1
        state = context.storage_state()
    finally:
        context.close()
    write_private(out, json.dumps(state, indent=2))
    print(f"Saved the session to {out} (mode 0600). Use it with: pytest checks -m ui --storage-state {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m checks.login",
        description="Sign in to OpenAI in a real browser and save the session for the UI drift checks.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_STORAGE_STATE,
        help=f"where to save the storage state (default {DEFAULT_STORAGE_STATE}, gitignored)",
    )
    parser.add_argument("--url", default=LOGIN_URL, help=f"the page to start from (default {LOGIN_URL})")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for you (default 600)")
    parser.add_argument("--remap", action="append", default=[], metavar="FROM=TO", help=argparse.SUPPRESS)
    parser.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        remapper = Remapper.parse(args.remap)
    except RemapError as exc:
        parser.error(str(exc))
    return login(args.out, args.url, args.timeout, headless=args.headless, remapper=remapper)


if __name__ == "__main__":
    raise SystemExit(main())
