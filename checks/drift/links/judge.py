"""Judge: the shared outcomes applied to links. 404/410, an unexpected permanent redirect and a
missing `#fragment` or text passage are drift; bot walls and 403s wait for the browser; unreachable,
5xx, 429 and sign-in walls are inconclusive.

A link that names a passage (`#id:~:text=…`) is judged by the passage, as a browser scrolls to it
(checks/drift/links/passage.py); the id is then only where the browser falls back to.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Literal

from checks.drift.links.collect import LinkTarget
from checks.drift.links.fetch import Hop, Probe
from checks.drift.links.page import fragment_ids, has_id, is_html, may_build_headings
from checks.drift.links.passage import confirmed, passages
from checks.drift.outcomes import (
    Result,
    Status,
    Step,
    bot_wall_reason,
    sign_in_reason,
    status_reason,
    transport_reason,
)

if TYPE_CHECKING:
    from checks.drift.links.browser import Visit
    from checks.drift.rendering import Rendering

PERMANENT = (301, 308)
GONE = (404, 410)
# What only a browser can settle: a wall, a fragment or passage the HTML lacks, or a passage the HTML
# has but whose visibility depends on styles it cannot evaluate ("confirm": ok unless Chromium disagrees).
Pending = Literal["wall", "fragment", "confirm"] | None


def _expected(target: LinkTarget) -> str:
    text = "the page is served (HTTP 2xx, no permanent redirect)"
    if target.expect_redirect_to:
        text = f"the page is served, after a redirect to {target.expect_redirect_to}…"
    if target.text_directives:
        text += ", with the passage " + " or ".join(d.describe() for d in target.text_directives)
        if target.fragment:
            text += f" (else a browser falls back to the element id “{target.fragment}”)"
    elif target.fragment:
        text += f", with an element id “{target.fragment}”"
    return text


def _observed(probe: Probe) -> str:
    parts = []
    for hop in probe.chain:
        parts.append("no answer" if hop.status is None else str(hop.status))
        if hop.location:
            parts.append(hop.location)
    return " → ".join(parts)


def _fix_where(target: LinkTarget) -> str:
    if target.id.startswith("links."):
        return f"in facts.yml ({target.id})"
    pages = ", ".join(dict.fromkeys(use.page for use in target.uses)) or "the page"
    return f"in {pages}"


def _with_fragment(url: str, target: LinkTarget) -> str:
    fragment = target.url.partition("#")[2]
    return f"{url}#{fragment}" if fragment and "#" not in url else url


def _permanent_move(target: LinkTarget, probe: Probe) -> Hop | None:
    """The last unexpected permanent redirect of the chain, if any."""
    moves = [h for h in probe.chain if h.status in PERMANENT and h.location and h.location != h.url]
    if not moves:
        return None
    later = [h.url for h in probe.chain[1:]]
    if target.expect_redirect_to and any(u.startswith(target.expect_redirect_to) for u in later):
        return None
    if any(sign_in_reason(u) for u in later):
        return None  # moved to a sign-in page: a wall, not a new address
    return moves[-1]


def sign_in_hop(probe: Probe) -> str | None:
    """A redirect that ended on a sign-in page (linking to a sign-in page itself is fine)."""
    for hop in probe.chain[1:]:
        reason = sign_in_reason(hop.url)
        if reason:
            return reason
    return None


def judge(target: LinkTarget, probe: Probe) -> tuple[Result, Pending]:
    """Classify a probe; the second value says what only a browser can settle."""
    result = Result(
        id=target.id,
        kind="link",
        status=Status.OK,
        url=target.url,
        expected=_expected(target),
        observed=_observed(probe),
        evidence=[hop.describe() for hop in probe.chain],
    )
    response, status = probe.response, probe.status

    def inconclusive(reason: str) -> tuple[Result, Pending]:
        result.status, result.reason = Status.INCONCLUSIVE, reason
        return result, None

    if response is None:
        return inconclusive(transport_reason(probe.error) if probe.error else "no answer")
    sign_in = sign_in_hop(probe)
    if sign_in:
        return inconclusive(sign_in)
    wall = bot_wall_reason(status or 0, response.headers, probe.body)
    if wall:
        result.status, result.reason = Status.INCONCLUSIVE, wall
        return result, "wall"
    if status in GONE:
        return _gone(target, probe, result), None
    if status == 401:
        return inconclusive("needs a signed-in session (HTTP 401)")
    if status == 403:
        result.status, result.reason = Status.INCONCLUSIVE, "forbidden to scripted clients (HTTP 403)"
        return result, "wall"
    if status is not None and (status == 429 or status >= 500):
        return inconclusive(status_reason(status) or f"HTTP {status}")
    if response.is_redirect:
        return inconclusive(f"redirects in a loop or more than {len(probe.chain) - 1} times")
    if status is not None and status >= 400:
        return inconclusive(f"the server refused the request (HTTP {status})")
    return served(target, probe, result)


def _gone(target: LinkTarget, probe: Probe, result: Result) -> Result:
    result.status = Status.DRIFT
    moved = _permanent_move(target, probe)
    if moved is not None:
        result.suggestion = (
            f"the link redirects to {moved.location}, which answers HTTP {probe.status}: "
            f"find the page's new address and update the link {_fix_where(target)}"
        )
    else:
        result.suggestion = (
            f"the page is gone (HTTP {probe.status}): find its new address and update the link {_fix_where(target)}"
        )
    return result


def served(
    target: LinkTarget,
    probe: Probe,
    result: Result,
    fragment_found: bool | None = None,
    rendering: Rendering | None = None,
) -> tuple[Result, Pending]:
    """The page is served: what remains is an unexpected permanent redirect, a missing fragment id or
    a missing text passage. `fragment_found` and `rendering` come from Chromium when it loaded the page."""
    moved = _permanent_move(target, probe)
    if moved is not None and moved.location:
        new = _with_fragment(moved.location, target)
        result.status = Status.DRIFT
        result.suggestion = f"update the link {_fix_where(target)} to {new}"
        result.notes.append(f"permanent redirect (HTTP {moved.status}) from {moved.url}")
        if target.id.startswith("links."):
            result.fix = {"field": f"{target.id}.url", "old": target.url, "new": new}
        return result, None
    hops = [h for h in probe.chain if h.location]
    if hops:
        kind = "expected redirect" if any(h.status in PERMANENT for h in hops) else "temporary redirect"
        result.notes.append(f"{kind}: {_observed(probe)}")
    if target.names_passage:
        return passages(target, probe, result, rendering, _fix_where(target))
    if target.fragment and fragment_found is False:
        return missing_fragment(target, result, set()), None
    if target.fragment and fragment_found is None:
        if not is_html(probe.response):
            result.notes.append(f"#{target.fragment} not checked: the target is not HTML")
            return result, None
        ids = fragment_ids(probe.body)
        if not has_id(target.fragment, ids):
            if may_build_headings(probe.body):
                result.status, result.reason = Status.INCONCLUSIVE, f"#{target.fragment} not in the static HTML"
                return result, "fragment"
            return missing_fragment(target, result, ids), None
    return result, None


def missing_fragment(target: LinkTarget, result: Result, ids: set[str]) -> Result:
    result.status = Status.DRIFT
    result.reason = ""
    result.observed = f"{result.observed}; no element id “{target.fragment}”"
    near = difflib.get_close_matches(target.fragment, sorted(ids), n=1, cutoff=0.5)
    better = f"; the nearest id on the page is “{near[0]}”" if near else ""
    result.suggestion = f"the page has no #{target.fragment}{better}: update the link {_fix_where(target)}"
    return result


def after_browser(target: LinkTarget, probe: Probe, result: Result, pending: Pending, visit: Visit) -> Result:
    """Settle what only the browser could: a bot wall or 403, or a fragment built by JavaScript."""
    if pending == "confirm":
        return confirmed(target, probe, result, visit, _fix_where(target))
    shown = "no answer" if visit.status is None else f"HTTP {visit.status}"
    result.evidence += [f"Chromium followed a redirect: {redirect}" for redirect in visit.redirects]
    result.evidence.append(f"Chromium {probe.final_url} → {visit.error or visit.wall or shown} at {visit.final_url}")
    result.notes += visit.notes  # a write the page tried is blocked and noted; it is never drift
    if visit.error or visit.status is None:
        result.reason = f"{result.reason}; {visit.error or 'Chromium got no answer'}"
        return result
    if visit.wall:
        result.reason = f"{result.reason}; Chromium did not get past it either"
        return result
    if visit.final_url != probe.final_url and sign_in_reason(visit.final_url):
        result.reason = f"{result.reason}; in Chromium the page {sign_in_reason(visit.final_url)}"
        return result
    if visit.status in GONE:
        result.status = Status.DRIFT
        result.suggestion = (
            f"Chromium also gets HTTP {visit.status}: find the page's new address and update the link "
            f"{_fix_where(target)}"
        )
        return result
    if not visit.served:
        result.reason = f"{result.reason}; Chromium got HTTP {visit.status}"
        return result
    result.status, previous = Status.OK, result.reason
    result.reason = ""
    # The static ids help suggest a near one; a wall's probe holds the challenge page, not the page.
    static = pending == "fragment" and is_html(probe.response)
    ids = fragment_ids(probe.body) if static else set()
    if pending == "wall":
        result.observed = f"{result.observed} ({previous}); in Chromium {shown}"
        result.notes.append(f"{previous}; real Chromium got the page ({shown})")
        if target.fragment and visit.fragment_found is False and not target.names_passage:
            return missing_fragment(target, result, ids)
        found = visit.fragment_found if target.fragment else None
        return served(target, probe, result, found, visit.rendering)[0]
    if target.names_passage:
        return passages(target, probe, result, visit.rendering, _fix_where(target))[0]
    if target.fragment and not visit.fragment_found:
        return missing_fragment(target, result, ids)
    if target.fragment and not has_id(target.fragment, ids):
        result.notes.append(f"#{target.fragment} is built by JavaScript: found in Chromium")
    return result


NEEDS_SIGN_IN = "needs a signed-in session"


def after_sign_in(target: LinkTarget, probe: Probe, result: Result, visit: Visit) -> Result:
    """Settle a link behind sign-in with what the signed-in browser saw."""
    shown = "no answer" if visit.status is None else f"HTTP {visit.status}"
    result.evidence.append(
        f"signed-in Chromium {target.page_url} → {visit.error or visit.wall or shown} at {visit.final_url}"
    )
    result.notes += visit.notes
    if visit.error or visit.status is None:
        result.reason = f"{result.reason}; signed in: {visit.error or 'Chromium got no answer'}"
        return result
    if sign_in_reason(visit.final_url):
        result.reason = f"{result.reason}; even with the session (--storage-state): expired, or no access?"
        return result
    if visit.wall:
        result.reason = f"{result.reason}; signed in: {visit.wall}"
        return result
    if visit.status in GONE:
        result.status, result.reason = Status.DRIFT, ""
        result.suggestion = (
            f"signed in, the page answers HTTP {visit.status}: find its new address and update the link "
            f"{_fix_where(target)}"
        )
        return result
    if not visit.served:
        result.reason = f"{result.reason}; signed in: Chromium got {shown}"
        return result
    result.status, previous = Status.OK, result.reason
    result.reason = ""
    result.observed = f"{result.observed} ({previous}); signed in, {shown} at {visit.final_url}"
    result.notes.append("behind sign-in: verified in a browser signed in with the session (--storage-state)")
    if target.fragment and visit.fragment_found is False and not target.names_passage:
        return missing_fragment(target, result, set())
    return (
        passages(target, probe, result, visit.rendering, _fix_where(target))[0]
        if visit.rendering is not None
        else result
    )


def finish(target: LinkTarget, result: Result) -> Result:
    """Name the guide pages: fact usage for facts, the pages where readers click it otherwise."""
    steps = []
    if target.id.startswith("links."):
        from keyguide.usage import fact_usage

        steps = [Step(u.page, u.line, u.where) for u in fact_usage(target.id)]
    covered = {step.page for step in steps}
    steps += [Step(u.page, u.line, u.where) for u in target.uses if u.page not in covered]
    result.steps = steps
    result.pages = list(dict.fromkeys(step.page for step in steps))
    texts = list(dict.fromkeys(f"“{u.text}” on {u.page}" for u in target.uses if u.text))
    if texts:
        result.notes.append("linked as " + "; ".join(texts))
    return result
