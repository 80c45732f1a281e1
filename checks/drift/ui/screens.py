"""Screenshots that stay current: the element a step names, in context, outlined, masked by allowlist.

After a check found its element, `take_shot` captures the element's dialog (or a crop around it)
with a 3px outline on the element. Privacy is by allowlist, not by guessing what is personal: every
visible leaf in the shot is masked except the element and the ones other ui facts of that page name
(role and accessible name) and their labels; form fields are masked even then (a value may be a
name). Text is masked by its block's box, so a mask does not give away a name's length either. Key-shaped
text is already masked in the DOM (checks/drift/ui/masking.py); a shot is withheld if any is left.
A shot never changes a verdict: any failure is a note on the result, and no shot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import Locator, Page

from checks.drift.outcomes import Result
from checks.drift.redact import current_redactor
from checks.drift.ui.cases import UiCase
from checks.drift.ui.options import ScreenOptions
from keyguide.facts import Facts
from keyguide.screens import BUDGET_BYTES, Shot, record_shot, sha256_of
from keyguide.usage import fact_usage

OUTLINE_RGB = (232, 23, 93)  # #e8175d: a colour no masked box and no page of OpenAI's uses
MASK_COLOR = "#c5cad3"
TARGET_ATTR, MASK_ATTR = "data-keyguide-target", "data-keyguide-mask"
OUTLINE_STYLE = (
    f"[{TARGET_ATTR}]{{outline:3px solid rgb{OUTLINE_RGB} !important;outline-offset:3px !important}}"
    "*{caret-color:transparent !important}"
)
# Margins (CSS px) around the element, widest first: a shot over budget is re-taken tighter.
MARGINS = ((200, 110), (120, 72), (64, 40))
MAX_WIDTH, MAX_HEIGHT = 820, 520

_MARK_JS = r"""
([target, allowed, clip, TARGET, MASK]) => {
  // Inside a modal dialog only the dialog counts: the page under it is behind the top layer.
  const root = target.closest("dialog[open], [role=dialog], [role=alertdialog], [aria-modal=true]");
  for (const el of document.querySelectorAll(`[${TARGET}],[${MASK}]`)) {
    el.removeAttribute(TARGET); el.removeAttribute(MASK);
  }
  target.setAttribute(TARGET, "");
  const ok = new Set([target, ...allowed]);
  for (const el of [...ok]) {  // the labels that name an allowlisted element are its name
    for (const label of el.labels || []) ok.add(label);
    for (const id of (el.getAttribute("aria-labelledby") || "").split(/\s+/)) {
      const named = id && document.getElementById(id); if (named) ok.add(named);
    }
  }
  const inside = (el) => { for (let e = el; e; e = e.parentElement) if (ok.has(e)) return true; return false; };
  const holds = (el) => { for (const o of ok) if (o !== el && el.contains(o)) return true; return false; };
  const FIELD = "input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=submit]):not([type=reset])"
    + ":not([type=hidden]),textarea,select,[contenteditable]:not([contenteditable=false])";
  const MEDIA = "img,svg,canvas,video,picture,iframe,object,embed";
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    if (r.right < clip.x || r.bottom < clip.y) return false;
    if (r.left > clip.x + clip.width || r.top > clip.y + clip.height) return false;
    const s = getComputedStyle(el);
    return s.visibility !== "hidden" && s.display !== "none" && Number(s.opacity) !== 0;
  };
  const inline = (el) => getComputedStyle(el).display.startsWith("inline")
    && !el.matches(MEDIA + ",input,select,textarea,button");
  const marks = new Set();
  for (const el of (root || document.body).querySelectorAll("*")) {
    if (el.closest("svg") && el.closest("svg") !== el) continue;  // the svg itself is the leaf
    if (!shown(el)) continue;
    if (el.matches(FIELD)) { marks.add(el); continue; }
    if (inside(el)) continue;
    const text = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.data.trim());
    const media = el.matches(MEDIA) || getComputedStyle(el).backgroundImage !== "none";
    if (!text && !media) continue;
    if (holds(el)) {  // mixed content around an allowlisted element: mask its own text only
      for (const n of [...el.childNodes]) {
        if (n.nodeType !== Node.TEXT_NODE || !n.data.trim()) continue;
        const span = document.createElement("span"); span.setAttribute(MASK, "");
        n.replaceWith(span); span.appendChild(n);
      }
      continue;
    }
    let box = el;  // an inline run is masked by its block: the box does not tell the text's length
    while (inline(box) && box.parentElement && box.parentElement !== document.body
           && !holds(box.parentElement) && !inside(box.parentElement)) box = box.parentElement;
    marks.add(box);
  }
  for (const el of marks) el.setAttribute(MASK, "");
  return marks.size;
}
"""

_CONTEXT_JS = """
(el) => {
  const dialog = el.closest("dialog[open], [role=dialog], [role=alertdialog], [aria-modal=true]");
  const box = (e) => {
    const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height};
  };
  return {element: box(el), dialog: dialog ? box(dialog) : null,
          viewport: {width: document.documentElement.clientWidth, height: window.innerHeight}};
}
"""

_VISIBLE_TEXT_JS = """
(els) => els.map((e) => e.innerText || e.textContent || "").join("\\n")
"""


@dataclass(frozen=True)
class Clip:
    x: int
    y: int
    width: int
    height: int

    def as_dict(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


def wants_shot(case: UiCase) -> bool:
    """Shots for facts a reader follows in a step, checked unattended (a manual fact has no run)."""
    return case.fact.check == "auto" and any(use.step for use in fact_usage(case.id))


def allowlist(page: Page, case: UiCase, facts: Facts) -> list[Locator]:
    """The elements a shot may show: the target, and those other ui facts of the same page name."""
    same_page = [f for f in facts.ui.values() if str(f.url) == str(case.fact.url) and f.check == "auto"]
    return [page.get_by_role(f.role, name=f.name, exact=True) for f in same_page]  # type: ignore[arg-type]


def clips(context: dict[str, Any]) -> list[Clip]:
    """Where to shoot, best first: the dialog, then crops around the element, tighter each time."""
    view = context["viewport"]
    element = context["element"]
    found: list[Clip] = []
    if context.get("dialog"):
        # The dialog alone; when it is over budget, crops around the element inside it.
        view = context["dialog"]
        found.append(_bounded(view, 0, 0, view))
    found += [_bounded(element, mx, my, view) for mx, my in MARGINS]
    return [c for c in dict.fromkeys(found) if c.width >= 8 and c.height >= 8]


def _bounded(box: dict[str, float], mx: int, my: int, bounds: dict[str, float]) -> Clip:
    """`box` grown by the margins, within `bounds` (the viewport or the dialog) and the size cap."""
    left, top = float(bounds.get("x", 0)), float(bounds.get("y", 0))
    x0, y0 = max(left, box["x"] - mx), max(top, box["y"] - my)
    x1 = min(left + float(bounds["width"]), box["x"] + box["width"] + mx, x0 + MAX_WIDTH)
    y1 = min(top + float(bounds["height"]), box["y"] + box["height"] + my, y0 + MAX_HEIGHT)
    return Clip(int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def take_shot(page: Page, case: UiCase, facts: Facts, options: ScreenOptions, result: Result) -> None:
    """Capture `case`'s element as DIR/<fact id>.png and record it; any failure is a note, never a verdict."""
    if not wants_shot(case):
        return
    try:
        note = _shoot(page, case, facts, options)
    except Exception as exc:  # a shot is evidence for readers, never a reason for a check to fail
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        note = f"no screenshot: {type(exc).__name__}: {first[:160]}"
    result.notes.append(current_redactor()(note))


def _shoot(page: Page, case: UiCase, facts: Facts, options: ScreenOptions) -> str:
    fact = case.fact
    target = page.get_by_role(fact.role, name=fact.name, exact=True).first  # type: ignore[arg-type]
    target.scroll_into_view_if_needed(timeout=5_000)
    handle = target.element_handle(timeout=5_000)
    allowed = [h for locator in allowlist(page, case, facts) for h in locator.element_handles()]
    page.evaluate("() => window.__keyguideMask && window.__keyguideMask()")
    shown = str(page.evaluate(_VISIBLE_TEXT_JS, [handle, *allowed]))
    if current_redactor()(shown) != shown:
        return "no screenshot: key-shaped text in an element the shot would show"
    context = page.evaluate(_CONTEXT_JS, handle)
    options.directory.mkdir(parents=True, exist_ok=True)
    path = options.directory / f"{case.id}.png"
    candidates = clips(context)
    if not candidates:
        return "no screenshot: the element has no box on screen"
    for clip in candidates:
        page.evaluate(_MARK_JS, [handle, allowed, clip.as_dict(), TARGET_ATTR, MASK_ATTR])
        png = page.screenshot(
            clip=clip.as_dict(),  # type: ignore[arg-type]
            mask=[page.locator(f"[{MASK_ATTR}]")],
            mask_color=MASK_COLOR,
            style=OUTLINE_STYLE,
            animations="disabled",
            caret="hide",
            scale="css",
            type="png",
            timeout=10_000,
        )
        if len(png) <= BUDGET_BYTES:
            path.write_bytes(png)
            break
    else:
        return f"no screenshot: over the {BUDGET_BYTES // 1024} KiB budget even at {clip.width}x{clip.height}"
    shot = Shot(
        fact=case.id,
        file=path.name,
        url=str(fact.url),
        taken_at=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=options.run_id,
        live=options.live,
        width=clip.width,
        height=clip.height,
        bytes=len(png),
        sha256=sha256_of(path),
    )
    record_shot(options.directory, shot)
    return f"screenshot: {path} ({clip.width}x{clip.height}, {len(png)} bytes{'' if options.live else ', not live'})"
