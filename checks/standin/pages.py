"""HTML for the stand-in's pages: every ui fact as a real element with its ARIA role and name.

Pages use only inline CSS and JavaScript (no external scripts, no third-party origins), and every
href and form action is an absolute ORIGINAL-space URL, as on the live site.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from html import escape
from http import HTTPStatus
from itertools import count
from urllib.parse import quote

from checks.standin.account import DATA_SETS, DEFAULT, account_bar, extra_control, key_list, project_options
from checks.standin.sitemap import SIGNIN_URL, Page, SiteMap, host_of, page_key, slugify
from keyguide.facts import UiFact

# Roles whose consecutive facts share a container, and the container role that may name it.
_GROUPED = {"radio": "radiogroup", "option": "listbox", "menuitem": "menu", "tab": "tablist"}
_CSS = """
body{font-family:system-ui,sans-serif;margin:0;color:#202123}
header{padding:.6rem 1rem;border-bottom:1px solid #ddd;display:flex;gap:1rem}
.layout{display:flex}nav{min-width:13rem;padding:1rem;display:flex;flex-direction:column;gap:.4rem}
main{padding:1rem 2rem;max-width:48rem}fieldset{margin:.6rem 0}label{display:block;margin:.4rem 0}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:.3rem .8rem;text-align:left}
dialog{min-width:24rem}button{margin:.3rem .3rem .3rem 0}
"""
_SCRIPT = """
function standinHtml(b64){return new TextDecoder().decode(Uint8Array.from(atob(b64),c=>c.charCodeAt(0)));}
function standinInsert(slot,b64){const el=document.querySelector('[data-standin-slot="'+slot+'"]');
  if(el){el.insertAdjacentHTML('beforebegin',standinHtml(b64));el.remove();}}
document.addEventListener('click',function(e){
  const opener=e.target.closest('[data-opens]');
  if(opener){const d=document.getElementById(opener.dataset.opens);if(d&&!d.open){d.showModal();}
    e.preventDefault();return;}
  const closer=e.target.closest('[data-closes]');
  if(closer){const d=closer.closest('dialog');if(d){d.close();}return;}
  const sw=e.target.closest('[role="switch"]');
  if(sw){sw.setAttribute('aria-checked',sw.getAttribute('aria-checked')==='true'?'false':'true');}
});
"""


@dataclass
class ElementState:
    """How one ui fact is rendered after faults: its name, role and an optional JS delay."""

    name: str
    role: str
    delay: float | None = None
    planted: list[str] = field(default_factory=list)  # a plant fault's strings, shown after it
    added: list[tuple[str, str]] = field(default_factory=list)  # control_added: (role, name) right after it


@dataclass
class RenderPlan:
    """The faults that shape one page render (built, and used up, by the app)."""

    states: dict[str, ElementState] = field(default_factory=dict)  # absent: removed or moved away
    moved_in: list[str] = field(default_factory=list)
    js_fragment: bool = False
    # A cookie-consent modal over the page: None none, True with a reject button, False without.
    consent_reject: bool | None = None
    strip_ids: set[str] = field(default_factory=set)
    strip_all_ids: bool = False
    data_set: str = DEFAULT  # the account's data (checks/standin/account.py); the data_set fault swaps it


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def document(title: str, body: str, scripts: list[str] | None = None) -> str:
    script = "\n".join([_SCRIPT, *(scripts or [])])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n"
        f"<script>{script}</script>\n</body></html>\n"
    )


class _PageWriter:
    """Renders one page; collects the scripts (delayed elements) as it goes."""

    def __init__(self, site: SiteMap, page: Page, plan: RenderPlan, *, signed_in: bool, canary: str | None) -> None:
        self.site = site
        self.facts = site.facts
        self.page = page
        self.plan = plan
        self.signed_in = signed_in
        self.canary = canary
        self.scripts: list[str] = []
        self._ids = count(1)
        on_page = [fid for fid in page.ui_ids if signed_in or not self.facts.ui[fid].signed_in]
        self.rendered = [fid for fid in [*on_page, *plan.moved_in] if fid in plan.states]
        self.openers = {self.facts.ui[f].inside for f in self.rendered} & set(self.rendered)
        self.h1_done = False
        self._radio_group = "options"
        self.data = DATA_SETS[plan.data_set]

    # -- elements --------------------------------------------------------------------------

    def _moved_alone(self, fid: str) -> bool:
        return fid in self.plan.moved_in and self.ui(fid).inside not in self.openers

    def ui(self, fid: str) -> UiFact:
        return self.facts.ui[fid]

    def heading_id(self, fid: str) -> str | None:
        ident = slugify(self.ui(fid).name)
        if self.plan.strip_all_ids or ident in self.plan.strip_ids:
            return None
        return ident

    def element(self, fid: str, inner: str = "") -> str:
        """One ui fact as HTML, delayed by JavaScript when a slow_render fault says so."""
        state = self.plan.states[fid]
        markup = self._markup(fid, state, inner) + _planted(state.planted)
        markup += "".join(extra_control(role, name, f"added-{fid}-{i}") for i, (role, name) in enumerate(state.added))
        if state.delay is None:
            return markup
        slot = f"slot-{fid}"
        self.scripts.append(
            f"setTimeout(function(){{standinInsert({slot!r},{_b64(markup)!r});}},{state.delay * 1000:.0f});"
        )
        return f'<span data-standin-slot="{slot}"></span>'

    def _markup(self, fid: str, state: ElementState, inner: str) -> str:
        name, role = escape(state.name), state.role
        opens = f' data-opens="dlg-{fid}"' if fid in self.openers else ""
        uid = f"f-{fid}"
        if role == "button":
            return f'<button type="button"{opens}>{name}</button>'
        if role == "link":
            return f'<a href="{escape(self._href(fid))}"{opens}>{name}</a>'
        if role == "heading":
            ident = self.heading_id(fid)
            tag = "h2" if self.h1_done else "h1"
            self.h1_done = True
            id_attr = f' id="{ident}"' if ident else ""
            return f"<{tag}{id_attr}{opens}>{name}</{tag}>"
        if role == "textbox":
            return f'<label for="{uid}">{name}</label><input id="{uid}" type="text"{opens}>'
        if role == "spinbutton":
            return f'<label for="{uid}">{name}</label><input id="{uid}" type="number"{opens}>'
        if role == "combobox":
            project = self.facts.values.get("default_project")
            options = project_options(project.value if project else "Default project", self.data)
            return f'<label for="{uid}">{name}</label><select id="{uid}"{opens}>{options}</select>'
        if role == "radio":
            group = escape(self._radio_group)
            return f'<label><input type="radio" name="{group}" id="{uid}"{opens}> {name}</label>'
        if role == "checkbox":
            return f'<label><input type="checkbox" id="{uid}" checked{opens}> {name}</label>'
        if role == "switch":
            return f'<button type="button" role="switch" aria-checked="false"{opens}>{name}</button>'
        if role == "radiogroup":
            legend = f"legend-{fid}"
            return (
                f'<fieldset role="radiogroup" aria-labelledby="{legend}"{opens}>'
                f'<legend id="{legend}">{name}</legend>{inner}</fieldset>'
            )
        if role == "navigation":
            return f'<nav aria-label="{name}"{opens}>{inner or name}</nav>'
        if role == "img":
            svg = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='16' height='16'/%3E"
            return f'<img alt="{name}" src="{svg}" width="16" height="16"{opens}>'
        if role in ("menuitem", "tab", "option"):
            selected = ' aria-selected="false"' if role != "menuitem" else ""
            return f'<button type="button" role="{role}"{selected}{opens}>{name}</button>'
        # Other roles (dialog, listbox, …): a labelled box, with text so that it is visible.
        return f'<div role="{role}" aria-label="{name}" tabindex="0"{opens}>{inner or name}</div>'

    def _href(self, fid: str) -> str:
        """Where a link fact points: the link fact titled like it, else its own page."""
        wanted = self.ui(fid).name.casefold()
        for link in self.facts.links.values():
            if _nav_label(link.title).casefold() == wanted:
                return link.url
        return self.page.url

    def container(self, fids: list[str]) -> str:
        """Elements in order, with runs of radios (menu items, tabs, options) in one group."""
        parts: list[str] = []
        i = 0
        while i < len(fids):
            fid = fids[i]
            role = self.ui(fid).role
            group_role = _GROUPED.get(role)
            explicit = role in _GROUPED.values()
            if group_role is None and not explicit:
                parts.append(self.element(fid))
                i += 1
                continue
            child_role = role if not explicit else next(k for k, v in _GROUPED.items() if v == role)
            j = i + 1 if explicit else i
            self._radio_group = f"group-{fid}"
            while j < len(fids) and self.ui(fids[j]).role == child_role:
                j += 1
            children = "".join(self.element(f) for f in fids[i + 1 if explicit else i : j])
            if explicit:
                parts.append(self.element(fid, children))
            else:
                parts.append(_anonymous_group(child_role, fids[i:j], children))
            i = j
        return "\n".join(parts)

    # -- page ------------------------------------------------------------------------------

    def render(self) -> str:
        # A dialog's fields show only in its dialog; one moved here on its own is shown openly.
        top = [f for f in self.rendered if self.ui(f).inside is None or self._moved_alone(f)]
        # Manual facts need account states the stand-in's account is not in: present but hidden.
        manual = [f for f in top if self.ui(f).check == "manual"]
        shown = [f for f in top if f not in manual]
        nav_links = [f for f in shown if self.page.layout == "app" and self.ui(f).role == "link"]
        body_ids = [f for f in shown if f not in nav_links]
        headings = [f for f in body_ids if self.ui(f).role == "heading"]
        main: list[str] = []
        if self.page.layout == "docs" or not headings:
            main.append(f"<h1>{escape(self._page_heading())}</h1>")
            self.h1_done = True
        else:  # the page's first heading comes first
            body_ids.remove(headings[0])
            body_ids.insert(0, headings[0])
        main.append(self.container(body_ids))
        main.append(self._fragments())
        main.append(f"<p>{escape(self._blurb())}</p>")
        if manual:
            main.append(f'<section hidden aria-label="Other account states">{self.container(manual)}</section>')
        if self.signed_in and self._is_api_keys_page():
            main.append(key_list(self.data, self.canary, _ui_names(self.site)))
        main_html = "\n".join(m for m in main if m)
        if self.plan.js_fragment:
            self.scripts.insert(0, f"document.querySelector('main').innerHTML=standinHtml({_b64(main_html)!r});")
            main_html = "<p>Loading…</p>"
        dialogs = "\n".join(self._dialog(opener) for opener in self.rendered if opener in self.openers)
        body = (
            f"{self._header()}\n<div class='layout'>\n{self._nav(nav_links)}\n"
            f"<main>\n{main_html}\n</main>\n</div>\n{dialogs}"
        )
        if self.plan.consent_reject is not None:
            body += "\n" + consent_modal(reject=self.plan.consent_reject)
        return document(self.page.title, body, self.scripts)

    def _page_heading(self) -> str:
        if self.page.layout == "docs":
            return self.page.title
        label = _nav_label(self.page.title)
        return label if label.casefold() not in _ui_names(self.site) else f"{label} overview"

    def _fragments(self) -> str:
        heading_ids = {slugify(self.ui(f).name) for f in self.rendered if self.ui(f).role == "heading"}
        parts = []
        for ident, text in self.page.fragments:
            if ident in heading_ids:
                continue
            stripped = self.plan.strip_all_ids or ident in self.plan.strip_ids
            id_attr = "" if stripped else f' id="{escape(ident)}"'
            parts.append(f"<h2{id_attr}>{escape(text)}</h2><p>About {escape(text.lower())}.</p>")
        return "\n".join(parts)

    def _blurb(self) -> str:
        return f"This is the local stand-in for {self.page.url}; it mirrors what the guide states."

    def _header(self) -> str:
        host = host_of(self.page.url)
        login = ""
        if self.page.layout == "app" and not self.signed_in:
            login = f'<a href="{SIGNIN_URL}">Log in</a>'
        elif self.page.layout == "app":
            login = account_bar(self.data)
        return f'<header><a href="https://{host}/">{escape(host)}</a>{login}</header>'

    def _nav(self, nav_links: list[str]) -> str:
        if self.page.layout != "app":
            return ""
        names = _ui_names(self.site)
        generic = []
        for link in self.facts.links.values():
            label = _nav_label(link.title)
            on_app = host_of(link.url) in self.site.signin_hosts and not link.expect_redirect_to
            if on_app and label.casefold() not in names:
                generic.append(f'<a href="{escape(link.url)}">{escape(label)}</a>')
        items = "\n".join([*(self.element(f) for f in nav_links), *generic])
        return f'<nav aria-label="Settings">\n{items}\n</nav>'

    def _dialog(self, opener: str) -> str:
        children = [f for f in self.rendered if self.ui(f).inside == opener]
        name = escape(self.plan.states[opener].name)
        return (
            f'<dialog id="dlg-{opener}" aria-label="{name}">\n<p><strong>{name}</strong></p>\n'
            f"{self.container(children)}\n<p><button type='button' data-closes>Cancel</button></p>\n</dialog>"
        )

    def _is_api_keys_page(self) -> bool:
        link = self.facts.links.get("api_keys")
        if link is not None:
            return page_key(link.url) == self.page.url
        return "create_key_button" in self.page.ui_ids


def consent_modal(*, reject: bool) -> str:
    """A cookie-consent modal as consent platforms draw one: a fixed overlay over the whole page that
    takes every click until a choice is made. The choice is kept in `document.body.dataset.consent`
    (and a cookie), so a test can tell a rejection from an acceptance. Like real consent platforms it
    also saves the choice with a POST to the site, which the suite's write guard must block without
    failing the check (the check did not ask for it)."""
    choose = (
        "function standinConsent(c){document.cookie='standin_consent='+c+'; path=/';"
        "fetch('/api/consent',{method:'POST',body:c}).catch(function(){});"
        "document.body.dataset.consent=c;document.getElementById('standin-consent').remove();}"
    )
    reject_button = (
        '<button type="button" onclick="standinConsent(\'rejected\')">Reject non-essential</button>' if reject else ""
    )
    return (
        '<div id="standin-consent" class="cookie-consent" style="position:fixed;inset:0;z-index:2147483647;'
        'background:rgba(0,0,0,.45);display:flex;align-items:flex-end;justify-content:center">'
        '<div role="dialog" aria-modal="true" aria-label="Cookie preferences" '
        'style="background:#fff;padding:1rem 1.5rem;margin:1rem;max-width:40rem">'
        "<h2>We use cookies</h2><p>We use cookies and similar technologies to run the site, to understand "
        "how it is used and to improve it. Choose which cookies you allow.</p>"
        f'<button type="button" onclick="standinConsent(\'accepted\')">Accept all</button>{reject_button}'
        '<button type="button">Manage cookies</button>'
        f"</div></div><script>{choose}</script>"
    )


def _planted(texts: list[str]) -> str:
    """Planted personal data, each string in a fixed-size box, as account menus and key rows are."""
    style = "width:18rem;height:1.4rem;overflow:hidden;white-space:nowrap"
    return "".join(f'<div class="standin-planted" style="{style}">{escape(t)}</div>' for t in texts)


def _nav_label(title: str) -> str:
    label = title.removesuffix(" page").strip()
    return label[:1].upper() + label[1:]


def _ui_names(site: SiteMap) -> set[str]:
    return {ui.name.casefold() for ui in site.facts.ui.values()}


def _anonymous_group(child_role: str, fids: list[str], children: str) -> str:
    """A group for radios (…) that no fact names: labelled from their ids' common prefix."""
    common = fids[0].split("_")[0] if all(f.split("_")[0] == fids[0].split("_")[0] for f in fids) else "options"
    label = escape(common.replace("-", " ").capitalize())
    if child_role == "radio":
        return f"<fieldset><legend>{label}</legend>{children}</fieldset>"
    return f'<div role="{_GROUPED[child_role]}" aria-label="{label}">{children}</div>'


def render_page(site: SiteMap, page: Page, plan: RenderPlan, *, signed_in: bool, canary: str | None = None) -> str:
    return _PageWriter(site, page, plan, signed_in=signed_in, canary=canary).render()


def signin_location(return_to: str) -> str:
    return f"{SIGNIN_URL}?return_to={quote(return_to, safe='')}"


def render_signin(callback_url: str, return_to: str) -> str:
    """The sign-in page: heading "Welcome back", an Email textbox, a Continue button (GET form)."""
    body = (
        "<main>\n<h1>Welcome back</h1>\n"
        f'<form method="get" action="{escape(callback_url)}">'
        f'<input type="hidden" name="return_to" value="{escape(return_to)}">'
        '<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email">'
        '<button type="submit">Continue</button></form>\n</main>'
    )
    return document("Log in | OpenAI", body)


def render_challenge(host: str, *, passes_browser: bool, token: str) -> str:
    """A Cloudflare-like interstitial; its script earns `cf_clearance` only when passes_browser."""
    solve = (
        f"setTimeout(function(){{document.cookie='cf_clearance={token}; path=/; max-age=3600';"
        "location.reload();},150);"
        if passes_browser
        else ""
    )
    body = (
        f'<main><h1>{escape(host)}</h1><h2 id="challenge-running">Verifying you are human. '
        "This may take a few seconds.</h2>"
        f"<p>{escape(host)} needs to review the security of your connection before proceeding.</p>"
        "<noscript>Enable JavaScript and cookies to continue</noscript></main>"
    )
    return document("Just a moment...", body, [solve])


def render_error(status: int, url: str) -> str:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = f"<main><h1>{status} {escape(phrase)}</h1><p>{escape(url)}</p></main>"
    return document(f"{status} {phrase}", body)


def render_generic(url: str) -> str:
    """A small page for any path on any host (generic_pages=True, for benchmarks)."""
    return document(url, f"<main><h1>{escape(url)}</h1><p>Generic stand-in page.</p></main>")
