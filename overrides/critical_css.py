"""Regenerate overrides/partials/critical.html: the part of Material's CSS the guide's pages use.

    .venv/bin/python overrides/critical_css.py [--check]

Why: Material's main stylesheet (137 KB, 23 KB gzipped) blocks the first paint of every page on a
slow phone connection, and applying it later restyles and lays out the whole page again: on a long
page under a phone's CPU, the longest task of the load. overrides/main.html inlines the rules that
the guide's pages use (this file's output) and keeps Material's stylesheets unapplied (media="print")
until the reader's first action, when Material's bundle starts and adds what only it draws (search
results, tooltips); <noscript> links them normally.

How: the site is built and served on loopback; each page is opened in Chromium at a phone viewport
(Lighthouse's 412×823) and a desktop one (1440×900), in the light and the dark scheme, and given a
first action so that Material's bundle adds its elements too (copy buttons, the header title). A
rule of Material's main.css or palette.css is kept when its selector (pseudo-elements stripped)
matches an element of the page, before that first action or after it (the bundle wraps tables, so
`table + *` matches only before). States a reader brings about (:hover, :focus, :checked for the
drawer and search toggles, :target) are matched as if they held, so that the first hover, focus or
tap looks as it will once the full stylesheets apply. Custom properties that nothing kept (nor
guide.css) refers to are dropped from the kept rules. The rules stay in their original order.

The output names the two stylesheets it was cut from. overrides/main.html inlines it only while the
theme still links exactly those files: after a Material upgrade (new hashed names) the pages fall
back to Material's blocking stylesheets, which is slower but never wrong, until this is rerun.
--check exits 1 when the committed file differs from what would be generated now.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

OUT = HERE / "partials" / "critical.html"
GUIDE_CSS = HERE / "assets" / "guide.css"
VIEWPORTS = {
    "phone": {
        "viewport": {"width": 412, "height": 823},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 1.75,
    },
    "desktop": {"viewport": {"width": 1440, "height": 900}},
}
SCHEMES = ("light", "dark")
SHEETS = ("/assets/stylesheets/main.", "/assets/stylesheets/palette.")
# A first action (partials/bundle-on-first-use.html listens for scroll among others), then wait until
# Material's stylesheets apply (media="print" until then, "all" in the CSSOM after) and its bundle ran.
FIRST_ACTION_JS = "() => window.dispatchEvent(new Event('scroll'))"
FETCHED_JS = "() => [...document.querySelectorAll('link[rel=stylesheet]')].every(s => s.sheet)"
LOADED_JS = (
    "() => window.__guideBundle === 'started' && "
    "[...document.querySelectorAll('link[rel=stylesheet]')].every(s => s.sheet?.media.mediaText!='print')"
)

# In the page: which rules of Material's two stylesheets match an element of the page (in any state).
# A rule's key is "<sheet>:<index>[.<index>…]" (nested in @media / @supports).
MATCH_JS = r"""
() => {
  const sheets = [...document.styleSheets].filter(s => s.href && SHEETS.some(p => s.href.includes(p)));
  if (sheets.length !== SHEETS.length) throw new Error("stylesheets not found: " + sheets.map(s => s.href));
  // States a reader brings about (hover, focus, an open drawer's :checked toggle, a :target heading)
  // are matched as if they held, so that the first hover, focus or tap looks as it will later.
  const STATES = "hover|focus-visible|focus-within|focus|active|checked|target|visited|link|disabled|enabled"
    + "|indeterminate|placeholder-shown|invalid|valid";
  const STATE = new RegExp(":not\\(\\s*:(?:" + STATES + ")\\s*\\)|:(?:" + STATES + ")(?![\\w-])", "g");
  const PSEUDO = new RegExp("::?(?:before|after|marker|placeholder|selection|first-line|first-letter|backdrop"
    + "|file-selector-button|-webkit-[\\w-]+|-moz-[\\w-]+|-ms-[\\w-]+)(?:\\([^)]*\\))?", "g");
  const matches = (selector) => {
    // ":before, *" → ", *" → "*, *": a pseudo-element alone stands for the element it is on.
    // What stripping leaves empty stands for any element: "(,x)" → "(*,x)", "> .a" → "* > .a".
    const plain = selector.replace(PSEUDO, "").replace(STATE, "")
      .replace(/(^|,|\()\s*(?=[,)]|$)/g, "$1*")
      .replace(/(^|,|\()\s*(?=[>+~])/g, "$1* ")
      .replace(/([>+~])\s*(?=[,)]|$)/g, "$1 *");
    try { return document.querySelector(plain) !== null; } catch (e) { return false; }
  };
  const kept = [];
  const walk = (rules, key) => {
    [...rules].forEach((rule, i) => {
      const k = key + "." + i;
      if (rule instanceof CSSStyleRule) {
        if (matches(rule.selectorText)) kept.push(k);
      } else if (rule instanceof CSSMediaRule || rule instanceof CSSSupportsRule) {
        walk(rule.cssRules, k);
      } else {
        kept.push(k);  // @keyframes, @property, @layer statements and the like: small, keep
      }
    });
  };
  sheets.forEach((sheet, s) => walk(sheet.cssRules, String(SHEETS.findIndex(p => sheet.href.includes(p)))));
  return kept;
}
"""

# In the page: the kept rules as CSS text, in order, without custom properties nothing uses.
SERIALIZE_JS = r"""
([keep, extraText]) => {
  const wanted = new Set(keep);
  const sheets = SHEETS.map(p => [...document.styleSheets].find(s => s.href && s.href.includes(p)));
  const styleRules = [];
  const select = (rules, key) => {
    const out = [];
    [...rules].forEach((rule, i) => {
      const k = key + "." + i;
      if (rule instanceof CSSMediaRule || rule instanceof CSSSupportsRule) {
        const inner = select(rule.cssRules, k);
        if (inner.length) out.push({rule, inner});
      } else if (wanted.has(k)) {
        out.push({rule});
        if (rule instanceof CSSStyleRule) styleRules.push(rule);
      }
    });
    return out;
  };
  const tree = sheets.map((s, i) => select(s.cssRules, String(i))).flat();
  // Custom properties in use: referenced by a kept declaration or by guide.css, transitively.
  const VAR = /var\(\s*(--[\w-]+)/g;
  const used = new Set();
  const defs = new Map();
  const scan = (text) => { for (const m of text.matchAll(VAR)) used.add(m[1]); };
  scan(extraText);
  for (const rule of styleRules) {
    // The whole text: a var() inside a shorthand (border: … var(--x)) reads as "" from its longhands.
    scan(rule.style.cssText.replace(/(^|;)\s*--[\w-]+\s*:[^;]*/g, "$1"));
    for (const name of rule.style) {
      if (!name.startsWith("--")) continue;
      if (!defs.has(name)) defs.set(name, []);
      defs.get(name).push(rule.style.getPropertyValue(name));
    }
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const name of [...used]) for (const value of defs.get(name) || []) {
      for (const m of value.matchAll(VAR)) if (!used.has(m[1])) { used.add(m[1]); grew = true; }
    }
  }
  let dropped = 0;
  for (const rule of styleRules) {
    for (const name of [...rule.style]) {
      if (name.startsWith("--") && !used.has(name)) { rule.style.removeProperty(name); dropped++; }
    }
  }
  const text = (nodes) => nodes.map(({rule, inner}) => {
    if (inner) {
      const head = rule instanceof CSSMediaRule ? "@media " + rule.conditionText : "@supports " + rule.conditionText;
      return head + "{" + text(inner) + "}";
    }
    if (!(rule instanceof CSSStyleRule)) return rule.cssText;
    return rule.style.length ? rule.selectorText + "{" + rule.style.cssText + "}" : "";
  }).join("");
  return {css: text(tree), dropped};
}
"""

HEADER = """{#- Generated by overrides/critical_css.py: do not edit; rerun it after a Material upgrade or a change
    to the page structure. The rules of Material's stylesheets that the guide's pages use, in any
    state a reader brings about (phone and desktop, light and dark), inlined by overrides/main.html
    while Material still links exactly these files. -#}
"""


def minify(css: str) -> str:
    """Whitespace Chromium's serializer adds inside declaration blocks (selectors are left alone)."""
    out, depth = [], 0
    for chunk in re.split(r"([{}])", css):
        if chunk == "{":
            depth += 1
        elif chunk == "}":
            depth -= 1
        elif chunk and not chunk.lstrip().startswith("@") and "{" not in chunk and out and out[-1] == "{":
            chunk = re.sub(r";\s+", ";", chunk.strip())
            chunk = re.sub(r"^([\w-]+):\s+|(;[\w-]+):\s+", lambda m: (m.group(1) or m.group(2)) + ":", chunk)
            chunk = chunk.rstrip(";")
        out.append(chunk)
    return "".join(out)


def generate() -> str:
    import lighthouse as lh
    from playwright.sync_api import sync_playwright

    from checks.drift.browser import launch_options
    from keyguide.build import build_site

    with tempfile.TemporaryDirectory(prefix="keyguide-critical-") as tmp:
        build = build_site(ROOT, site_dir=Path(tmp) / "site")
        if not build.ok:
            raise SystemExit(f"the strict build failed:\n{build.output[-3000:]}")
        site = build.site_dir
        sheets = sorted(p.name for p in (site / "assets" / "stylesheets").glob("*.min.css"))
        kept: set[str] = set()
        order: dict[str, int] = {}
        with lh.serve(site, lh.base_path(), Path(tmp)) as base, sync_playwright() as p:
            browser = p.chromium.launch(**launch_options())
            js_sheets = "const SHEETS = " + repr(list(SHEETS)).replace("'", '"') + ";"
            for name, options in VIEWPORTS.items():
                for scheme in SCHEMES:
                    context = browser.new_context(**options, color_scheme=scheme)  # type: ignore[arg-type]
                    page = context.new_page()
                    for path in lh.site_pages(site):
                        page.goto(base + path, wait_until="load")
                        page.wait_for_function(FETCHED_JS)
                        # The page as the load leaves it, then as Material's bundle makes it (it wraps
                        # tables, adds copy buttons): both must look right from the inline rules alone.
                        found = page.evaluate(f"() => {{ {js_sheets} return ({MATCH_JS})(); }}")
                        page.evaluate(FIRST_ACTION_JS)
                        page.wait_for_function(LOADED_JS)
                        page.wait_for_timeout(200)  # the bundle's first round of components
                        found += page.evaluate(f"() => {{ {js_sheets} return ({MATCH_JS})(); }}")
                        for k in found:
                            order.setdefault(k, len(order))
                        kept.update(found)
                        print(f"{name:<7} {scheme:<5} {path:<20} {len(found)} rules", file=sys.stderr)
                    context.close()
            context = browser.new_context(**VIEWPORTS["desktop"])
            page = context.new_page()
            page.goto(base + "/", wait_until="load")
            page.evaluate(FIRST_ACTION_JS)
            page.wait_for_function(LOADED_JS)
            result = page.evaluate(
                f"(args) => {{ {js_sheets} return ({SERIALIZE_JS})(args); }}",
                [sorted(kept), GUIDE_CSS.read_text(encoding="utf-8")],
            )
            browser.close()
    css = minify(result["css"])
    print(
        f"{len(kept)} rules kept, {result['dropped']} unused custom properties dropped, {len(css)} bytes",
        file=sys.stderr,
    )
    if "{%" in css or "{#" in css or "{{" in css:
        raise SystemExit("the critical CSS contains Jinja syntax; cannot inline it")
    # A list literal, not a string to split: Zensical's template engine has no str.split().
    names = ", ".join(f'"{sheet}"' for sheet in sheets)
    return f"{HEADER}{{%- set sources = [{names}] -%}}\n{{%- macro css() -%}}\n{css}\n{{%- endmacro -%}}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed file is out of date")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        old = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), str(OUT), "now"))
            return 1
        print(f"{OUT.relative_to(ROOT)} is up to date")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
