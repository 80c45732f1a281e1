"""The UI checks' browser context: routed by checks/drift/routing.py (write guard, remapping,
redirect stubs) on Playwright's sync API, with key masking installed before any page paints."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from playwright.sync_api import BrowserContext, Request, Route

from checks.drift.routing import (
    Router,
    drive_sync,
)
from checks.drift.ui.masking import mask_script


@dataclass
class Guard(Router):
    """Routes one browser context of the UI checks: `routing.Router` on Playwright's sync API.

    `routing` decides (remap, block writes to OpenAI, abort quietly outside OpenAI offline) and
    keeps the record (`blocked`, `challenge`, `quiet`, `failed`, `redirects`); this class does the
    I/O. Install it on a context created with `service_workers="block"` (see Router).
    """

    fetch_timeout_ms: float = 30_000

    def install(self, context: BrowserContext, *, mask_keys: bool = True) -> None:
        if mask_keys:
            context.add_init_script(script=mask_script())
        context.route("**/*", self._handle)
        _GUARDS[context] = self

    def _handle(self, route: Route, request: Request) -> None:
        steps = self.handling(request.method, request.url, request.is_navigation_request())
        drive_sync(steps, route, self.fetch_timeout_ms)


_GUARDS: weakref.WeakKeyDictionary[BrowserContext, Guard] = weakref.WeakKeyDictionary()


def guard_of(context: BrowserContext) -> Guard | None:
    """The Guard routing `context`, if one was installed (code that only has the page asks here)."""
    return _GUARDS.get(context)
