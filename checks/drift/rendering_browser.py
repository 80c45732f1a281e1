"""The same reading as `checks.drift.rendering`, done by Chromium on the live page: what the static
reader cannot settle (external stylesheets, scripts, shadow roots attached by script, frames loaded
from a URL) the browser's computed styles do.

`RENDERED_TEXT_JS` walks the flat tree (each shadow root, open or closed, in place of its host's
children; a `<slot>`'s assigned nodes where it stands) and returns the blocks a text fragment
searches: `display: none` and the search-invisible elements skipped, text of elements whose
computed `visibility` is not `visible` left out, a block boundary at every element that is not
inline. Same-origin frames are read as documents of their own. `CLOSED_ROOTS_JS` runs before the
page's scripts and remembers every shadow root attached, so closed ones can be read too.
"""

from __future__ import annotations

from typing import Any

from checks.drift.rendering import Rendering

CLOSED_ROOTS_JS = """(() => {
  const roots = new WeakMap();
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (...args) {
    const root = attach.apply(this, args);
    roots.set(this, root);
    return root;
  };
  Object.defineProperty(window, "__keyguideShadowRootOf", { value: (el) => roots.get(el) || null });
})();"""

RENDERED_TEXT_JS = """() => {
  const INLINE = new Set(["inline", "contents", "ruby", "ruby-base", "ruby-text", "ruby-base-container"]);
  const SKIP = new Set(["script", "style", "template", "noscript", "head", "title", "audio", "canvas",
    "embed", "img", "input", "math", "meter", "object", "picture", "progress", "svg", "textarea", "video"]);
  const read = (doc, frames) => {
    const win = doc.defaultView || window;
    const rootOf = (el) => el.shadowRoot || (win.__keyguideShadowRootOf ? win.__keyguideShadowRootOf(el) : null);
    const blocks = [];
    let line = [];
    const flush = () => {
      const text = line.join("").replace(/\\s+/g, " ").trim();
      if (text) blocks.push(text);
      line = [];
    };
    const styleOf = new Map();
    const style = (el) => {
      if (!styleOf.has(el)) styleOf.set(el, win.getComputedStyle(el));
      return styleOf.get(el);
    };
    const walk = (node) => {
      if (node.nodeType === Node.TEXT_NODE) {
        let parent = node.parentNode;
        if (parent && parent.nodeType === Node.DOCUMENT_FRAGMENT_NODE) parent = parent.host;
        if (parent && style(parent).visibility === "visible") line.push(node.data);
        return;
      }
      if (node.nodeType === Node.DOCUMENT_FRAGMENT_NODE) {
        for (const child of node.childNodes) walk(child);
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      const el = node;
      const tag = el.localName;
      if (tag === "iframe" || tag === "frame") {
        try {
          const inner = el.contentDocument;
          if (inner && inner.body) frames.push(inner);
        } catch (e) { /* another origin: not read */ }
        return;
      }
      if (SKIP.has(tag) || (tag === "select" && !el.multiple)) return;
      const computed = style(el);
      if (computed.display === "none") return;
      if (computed.contentVisibility === "hidden" && el.getAttribute("hidden") !== "until-found") return;
      const breaks = tag === "br" || !INLINE.has(computed.display);
      if (breaks) flush();
      const root = rootOf(el);
      if (root) walk(root);
      else if (tag === "slot") {
        const assigned = el.assignedNodes();
        for (const child of assigned.length ? assigned : el.childNodes) walk(child);
      } else for (const child of el.childNodes) walk(child);
      if (breaks) flush();
    };
    walk(doc.body || doc.documentElement);
    flush();
    return blocks;
  };
  const frames = [];
  const blocks = read(document, frames);
  const frameBlocks = [];
  for (let i = 0; i < frames.length && i < 20; i++) frameBlocks.push(read(frames[i], frames));
  return { blocks, frames: frameBlocks };
}"""


def rendering_of(data: Any) -> Rendering:
    """The walk's answer as a `Rendering` (what the browser shows is not in doubt)."""
    if not isinstance(data, dict):
        return Rendering(())
    blocks = tuple(str(block) for block in data.get("blocks") or [])
    frames = tuple(tuple(str(block) for block in frame) for frame in data.get("frames") or [])
    return Rendering(blocks, tuple(frame for frame in frames if frame))
