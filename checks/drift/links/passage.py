"""A link's passage (`#id:~:text=…`), judged as a browser scrolls to it: any one of its text directives
found on the page is ok, the id is only where the browser falls back to, and a `text=` no browser can
parse is drift (it highlights nothing). The passage is matched by `checks.drift.textmatch` on the
page's visible text (`checks.drift.rendering`); where the HTML alone cannot settle it (stylesheets,
scripts) the browser's reading decides, and a drift names the term that failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from checks.drift.links.collect import LinkTarget
from checks.drift.links.fetch import Probe
from checks.drift.links.page import fragment_ids, has_id, is_html
from checks.drift.outcomes import Result, Status

if TYPE_CHECKING:
    from checks.drift.fragments import TextDirective
    from checks.drift.links.browser import Visit
    from checks.drift.passages import PageText
    from checks.drift.rendering import Rendering

# What only Chromium can settle: a passage the HTML lacks but scripts or styles might show
# ("fragment"), or one the HTML has but its stylesheets might hide ("confirm": ok unless Chromium disagrees).
Waiting = Literal["fragment", "confirm"] | None


def passages(
    target: LinkTarget, probe: Probe, result: Result, rendering: Rendering | None, where: str
) -> tuple[Result, Waiting]:
    """The link's text directives (`#:~:text=…`): ok when any one is on the page, as a browser
    highlights the first it finds; a `text=` no browser can parse is drift (it highlights nothing).

    `rendering` is Chromium's reading when it loaded the page; else the static HTML's.
    """
    from checks.drift.fragments import malformed_reason
    from checks.drift.passages import PageText, render_html
    from checks.drift.textmatch import find_range

    directives = target.text_directives
    if not directives:
        if not target.malformed_directives:
            return result, None
        bad = target.malformed_directives[0]
        result.status, result.reason = Status.DRIFT, ""
        result.observed = f"{result.observed}; the text fragment “{bad}” is malformed"
        result.suggestion = f"browsers ignore the text fragment “{bad}”: {malformed_reason(bad)}; fix the link {where}"
        return result, None
    static = rendering is None
    if rendering is None:
        if not is_html(probe.response):
            result.notes.append("the text fragment was not checked: the target is not HTML")
            return result, None
        rendering = render_html(probe.body, probe.final_url)
    page = PageText(rendering)
    result.notes += [f"browsers ignore “{bad}”: {malformed_reason(bad)}" for bad in target.malformed_directives]
    if any(find_range(directive, page) is not None for directive in directives):
        if target.fragment and static and not has_id(target.fragment, fragment_ids(probe.body)):
            result.notes.append(f"#{target.fragment} is not on the page: a browser scrolls to the passage instead")
        if static and rendering.styles_unsure:
            return result, "confirm"
        return result, None
    doubt = rendering.styles_unsure or rendering.content_unsure
    if static and doubt:
        result.status = Status.INCONCLUSIVE
        result.reason = f"text {directives[0].describe()} not in the static HTML ({doubt})"
        return result, "fragment"
    result.status, result.reason = Status.DRIFT, ""
    shown = " or ".join(d.describe() for d in directives)
    result.observed = f"{result.observed}; no passage {shown} on the page"
    result.suggestion = (
        f"the page no longer says {shown}: {_misses(directives, page)}; update the link's text fragment {where}"
    )
    return result, None


def _misses(directives: list[TextDirective], page: PageText) -> str:
    """For each directive, the term that failed and the closest passage now on the page for it."""
    from checks.drift.textmatch import explain, find_range

    parts = []
    for directive in directives:
        if find_range(directive, page, frames=True) is not None:
            parts.append(f"{directive.describe()} is only in a frame of the page, where a text fragment never looks")
            continue
        miss = explain(directive, page)
        if miss.where:
            parts.append(f"{miss.describe()} (it is in “{_shorten(miss.where)}”)")
            continue
        near = page.closest(miss.near)
        closest = f" (the closest passage now is “{_shorten(near.text)}”)" if near else ""
        parts.append(f"{miss.describe()}{closest}")
    return "; ".join(parts)


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def confirmed(target: LinkTarget, probe: Probe, result: Result, visit: Visit, where: str) -> Result:
    """A passage the static HTML has, read again in Chromium because stylesheets might hide it: what
    Chromium shows decides; if Chromium could not show the page, the static verdict stands, noted."""
    result.evidence.append(f"Chromium {probe.final_url} → {visit.error or visit.wall or visit.status} (visibility)")
    if not visit.served or visit.rendering is None:
        why = visit.error or visit.wall or f"HTTP {visit.status}"
        result.notes.append(f"the passage is in the HTML; not confirmed in Chromium ({why}): stylesheets might hide it")
        return result
    result.notes.append("the passage's visibility was confirmed in Chromium (the page's stylesheets)")
    return passages(target, probe, result, visit.rendering, where)[0]
