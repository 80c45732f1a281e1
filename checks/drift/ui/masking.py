"""No key on screen or in a trace: key-shaped text masked in the DOM before it is painted (shadow roots
and frames too), screenshots taken only of masked pages, and retained traces rewritten through the
redactor (cookies, bearer tokens)."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from checks.drift.redact import KEY_SHAPE, SECRET_ENV_VARS, Redactor, current_redactor
from keyguide.facts import Facts


def mask_patterns(facts: Facts | None = None, secrets: Iterable[str] | None = None) -> list[str]:
    """JavaScript regex sources for key-shaped text: KEY_SHAPE, the facts' patterns, the configured keys."""
    if facts is None:
        from keyguide.facts import load_facts

        facts = load_facts()
    patterns = [KEY_SHAPE.pattern, *(p.pattern for p in facts.secret_patterns.values())]
    if secrets is None:
        secrets = (os.environ.get(name, "") for name in SECRET_ENV_VARS)
    patterns += [re.escape(s) for s in secrets if s and len(s) >= 8]
    return patterns


_MASK_JS = r"""
(() => {
  const SOURCES = __PATTERNS__;
  const regexes = [];
  for (const source of SOURCES) {
    try { regexes.push(new RegExp(source, "g")); } catch (e) { /* Python-only syntax: KEY_SHAPE still covers */ }
  }
  const mask = (text) => {
    if (typeof text !== "string" || text.length < 8) return text;
    let out = text;
    for (const re of regexes) {
      re.lastIndex = 0;
      out = out.replace(re, (m) => { const p = m.match(/^sk-(?:[a-z]+-)?/); return (p ? p[0] : "") + "[REDACTED]"; });
    }
    return out;
  };
  const ATTRS = ["value", "title", "aria-label", "aria-description", "placeholder", "alt", "data-value", "content"];
  const scrubOne = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const masked = mask(node.data);
      if (masked !== node.data) node.data = masked;
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    for (const name of ATTRS) {
      const value = node.getAttribute(name);
      if (value) { const masked = mask(value); if (masked !== value) node.setAttribute(name, masked); }
    }
    if ((node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement) && node.value) {
      const masked = mask(node.value); if (masked !== node.value) node.value = masked;
    }
  };
  // Shadow roots (web components) are outside the document's tree walker and its observer: every
  // one, open or closed, is caught as it is attached (this script runs before the page's own).
  const shadows = new Set();
  let adopt = () => {};
  const scrub = (root) => {
    if (!root) return;
    scrubOne(root);
    if (root.nodeType !== Node.ELEMENT_NODE && root.nodeType !== Node.DOCUMENT_NODE
        && root.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      scrubOne(node);
      if (node.shadowRoot) adopt(node.shadowRoot);
    }
  };
  // Values set from JavaScript (a key shown in a read-only input) never become attributes.
  for (const proto of [HTMLInputElement.prototype, HTMLTextAreaElement.prototype]) {
    const d = Object.getOwnPropertyDescriptor(proto, "value");
    if (d && d.set) {
      Object.defineProperty(proto, "value", {
        configurable: true, enumerable: d.enumerable, get: d.get,
        set(v) { d.set.call(this, mask(String(v))); },
      });
    }
  }
  // Mutation records are delivered as microtasks, before the next paint.
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "childList") for (const n of r.addedNodes) scrub(n);
      else scrubOne(r.target);
    }
  });
  const OBSERVE = { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRS };
  observer.observe(document, OBSERVE);
  adopt = (root) => {
    if (shadows.has(root)) return;
    shadows.add(root);
    observer.observe(root, OBSERVE);
    scrub(root);
  };
  const attachShadow = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (...args) {
    const root = attachShadow.apply(this, args);
    adopt(root);
    return root;
  };
  const scrubAll = () => { scrub(document); for (const root of shadows) scrub(root); };
  Object.defineProperty(window, "__keyguideMask", { value: scrubAll, configurable: false });
  // Every shadow root, closed ones included, for the screenshot's last look (page_text).
  Object.defineProperty(window, "__keyguideShadowRoots", { value: () => [...shadows], configurable: false });
})();
"""


def mask_script(facts: Facts | None = None, secrets: Iterable[str] | None = None) -> str:
    """The init script that keeps key-shaped text out of the painted page."""
    return _MASK_JS.replace("__PATTERNS__", json.dumps(mask_patterns(facts, secrets)))


# One frame's visible text, form values and title, open shadow roots included (walked here, so a page
# without the mask script is read whole too), and every root the mask script caught (closed ones too).
_FRAME_TEXT_JS = """() => {
  const parts = [document.title];
  const seen = new Set();
  const read = (root) => {
    if (seen.has(root)) return;
    seen.add(root);
    parts.push(root === document ? (document.body ? document.body.innerText : "")
      : [...root.children].map((el) => (el instanceof HTMLElement ? el.innerText : el.textContent) || "").join("\\n"));
    for (const el of root.querySelectorAll("*")) {
      if ((el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) && el.value) parts.push(el.value);
      if (el.shadowRoot) read(el.shadowRoot);
    }
  };
  read(document);
  for (const root of window.__keyguideShadowRoots ? window.__keyguideShadowRoots() : []) read(root);
  return parts.join("\\n");
}"""


def page_text(page: Page) -> str:
    """What a screenshot could show: every frame's visible text, form values and title, shadow DOM included."""
    texts = [str(page.evaluate(_FRAME_TEXT_JS))]
    for frame in page.frames:
        if frame is page.main_frame:
            continue
        try:
            texts.append(str(frame.evaluate(_FRAME_TEXT_JS)))
        except PlaywrightError:
            continue  # a frame that went away while it was read shows nothing either
    return "\n".join(texts)


def safe_screenshot(page: Page, path: Path, redactor: Redactor | None = None) -> str | None:
    """Screenshot `page` to `path` unless key-shaped text is on screen; None, or why it was withheld."""
    redactor = redactor or current_redactor()
    try:
        for frame in page.frames:
            frame.evaluate("() => window.__keyguideMask && window.__keyguideMask()")
        text = page_text(page)
    except PlaywrightError as exc:
        return f"screenshot not taken: {exc.message.splitlines()[0]}"
    if redactor(text) != text:
        return "screenshot withheld: key-shaped text was on the page"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(path), full_page=True, timeout=10_000)
    except PlaywrightError as exc:
        return f"screenshot not taken: {exc.message.splitlines()[0]}"
    return None


# A retained trace holds request headers: a signed-in session's cookies and bearer tokens.
_HEADER_VALUE = re.compile(
    rb'("name"\s*:\s*"(?:cookie|set-cookie|authorization|openai-sentinel[^"]*)"\s*,\s*"value"\s*:\s*")(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)
_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def trace_redactor(storage_state: Path | None = None) -> Redactor:
    """The run's redactor, plus the session's cookie and local-storage values as secrets."""
    base = current_redactor()
    secrets = list(base.secrets)
    if storage_state is not None:
        try:
            state = json.loads(storage_state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {}
        secrets += [str(c.get("value", "")) for c in state.get("cookies", []) if isinstance(c, dict)]
        for origin in state.get("origins", []):
            secrets += [str(item.get("value", "")) for item in origin.get("localStorage", [])]
    return Redactor([s for s in secrets if len(s) >= 12], [p.pattern for p in base.patterns if p is not KEY_SHAPE])


def redact_bytes(data: bytes, redactor: Redactor) -> bytes:
    """Mask secrets in any bytes: keys are ASCII, so latin-1 maps each byte to one character."""
    data = _HEADER_VALUE.sub(rb'\1[REDACTED]"', data)
    data = _JWT.sub(b"[REDACTED-JWT]", data)
    return redactor(data.decode("latin-1")).encode("latin-1")


def redact_trace(path: Path, redactor: Redactor | None = None) -> bool:
    """Rewrite a Playwright trace zip with every member redacted; True if anything changed."""
    redactor = redactor or trace_redactor()
    changed = False
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".zip", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                clean = redact_bytes(data, redactor)
                changed |= clean != data
                target.writestr(info, clean, compress_type=zipfile.ZIP_DEFLATED)
        if changed:
            shutil.move(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)
    return changed


def redact_traces(root: Path, redactor: Redactor | None = None) -> list[Path]:
    """Redact every trace zip under `root`; the ones that contained a secret."""
    if not root.is_dir():
        return []
    redactor = redactor or trace_redactor()
    return [p for p in sorted(root.rglob("*.zip")) if _is_zip(p) and redact_trace(p, redactor)]


def _is_zip(path: Path) -> bool:
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


class TraceRedactor:
    """A pytest plugin: redacts each retained trace as soon as pytest-playwright has moved it out."""

    def __init__(self, storage_state: Path | None) -> None:
        self.storage_state = storage_state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        for name, value in report.user_properties:
            if name == "playwright_trace" and Path(str(value)).exists():
                redact_trace(Path(str(value)), trace_redactor(self.storage_state))
