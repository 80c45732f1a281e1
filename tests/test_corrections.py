"""The guide stays corrected against OpenAI's newest pages, and written for a reader who hands a key over (issue 19).

Why: a reread of every page against OpenAI's newest pages (2026-12-02) found statements that were
contradicted or stale, quotes that only older versions of OpenAI's pages still said, omissions that
cost a customer money or an outage, and writing that sent readers away from a show-once dialog. No
link, UI or API check can notice any of these, and the stand-in serves our own quotes back, so each
gets a test that fails on the text as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from keyguide.facts import load_facts
from keyguide.pages import read_page
from keyguide.platform import PlatformConfig, platform_config, site_extra
from tests.test_content import DOCS, _page, _rows

ROOT = Path(__file__).resolve().parent.parent
CLAIM = re.compile(r'claim\("(\w+)"\)')
STEP = re.compile(r"^(\d+)\. ")


def _platform() -> PlatformConfig:
    return platform_config(site_extra(ROOT / "mkdocs.yml"), "mkdocs.yml")


def _section(page: str, heading: str) -> str:
    """The body of the `## heading` section of a page (up to the next `## `)."""
    body = _page(page)
    start = body.index(f"## {heading}")
    end = body.find("\n## ", start + 1)
    return body[start : end if end != -1 else None]


# -- contradicted and stale statements (audit rows 15, 49, 52, 57, 70, 81, 82, 125, 135) -----------


def test_a_key_owned_by_you_is_not_promised_the_default_project() -> None:
    """Row 15: access to the Default project depends on the invitation."""
    assert "which works in the" not in _page("sign-up.md")
    assert 'the {{ value("default_project") }} works too' not in _page("create-key.md")
    assert 'claim("default_project_access_by_invite")' in _page("sign-up.md")
    quote = load_facts().claims["default_project_access_by_invite"].source.quote
    assert quote is not None and "Default-project access" in quote


def test_a_project_allowlist_replaces_the_organizations() -> None:
    """Row 70: the lists are not merged, so the organization's list doesn't help a project with its own."""
    assert "allowlist\nof your organization, or of the project" not in _page("troubleshooting.md")
    section = _section("connect.md", "If your organization uses an IP allowlist")
    assert 'claim("ip_allowlist_project_replaces_org")' in section
    assert "do not combine" in str(load_facts().claims["ip_allowlist_project_replaces_org"].source.quote)


def test_the_ip_allowlist_error_has_its_documented_code() -> None:
    """Row 125: OpenAI documents `ip_not_authorized`; the table must not say "not documented"."""
    fact = load_facts().errors["ip_not_authorized"]
    assert fact.code == "ip_not_authorized" and "code" not in fact.unverified
    assert _rows()["ip_not_authorized"][2] == "`ip_not_authorized`"
    assert "documents neither" not in _page("troubleshooting.md")


def test_current_sdks_fail_locally_on_an_empty_key() -> None:
    """Rows 81-82: an empty OPENAI_API_KEY no longer reaches OpenAI from the Python or Node.js SDK."""
    claims = load_facts().claims
    assert "sdk_stops_only_if_unset" not in claims
    assert "Missing credentials" in str(claims["sdk_missing_credentials"].source.quote)
    page = _page("test-key.md")
    assert 'claim("sdk_missing_credentials")' in page and '"Missing credentials"' in page


def test_model_calls_take_the_request_level() -> None:
    """Rows 49 and 52: Restricted offers request-level permissions, and model calls need Request, not Write."""
    claims = load_facts().claims
    assert "request-specific" in str(claims["permissions_restricted"].source.quote)
    assert "None, Read or Write for each endpoint" not in claims["permissions_restricted"].text
    scopes = {scope.resource: scope.permission for scope in _platform().scopes}
    assert scopes.get("Model capabilities") == "Request", scopes
    assert 'claim("permissions_request_level")' in _page("create-key.md")


def test_any_project_key_can_have_an_expiry_date() -> None:
    """Row 57: expiry is not only a policy; since 10 September 2026 any new project key can have one."""
    page = _page("create-key.md")
    assert "can have a policy that every new key expires" not in page
    assert 'claim("key_expiry_any_project_key")' in _section("create-key.md", "Set an expiry date")


STALE_QUOTES = [
    "Edit key button",  # help 8867743, March 2025
    "Enables the user to set None, Read, and Write",  # help 8867743, old Restricted wording
    "Three levels of permissions are available",  # help 8867743, gone from the newest version
    "select Create new secret key in API Keys page",  # help 8867743, gone from the newest version
    "The api_key client option must be set",  # openai-python before 2026-04-29
    'base_url = f"https://api.openai.com/v1"',  # openai-python before 2026-08-17
    "How can I solve 429",  # help 5955604's old title
    "are caused by hitting your organization's rate limit",  # help 5955604, old version
    "API keys should be provided via HTTP Bearer authentication",  # API reference, old wording
    "Organization IDs can be found on your organization settings page",  # API reference, old wording
    "If you belong to multiple organizations",  # API reference, old wording
]


@pytest.mark.parametrize("stale", STALE_QUOTES)
def test_no_fact_quotes_a_sentence_the_newest_page_dropped(stale: str) -> None:
    for fact_id, source in load_facts().sources():
        assert stale not in (source.quote or ""), f"{fact_id} still quotes {stale!r}"
    assert "administration/overview" not in (ROOT / "facts.yml").read_text(encoding="utf-8")


# -- handing the key to the platform -------------------------------------------------------------


def test_the_hand_over_page_is_linked_from_the_start_and_from_connect() -> None:
    for page in ("index.md", "connect.md"):
        assert "](hand-over-key.md" in _page(page), f"{page} doesn't link the hand-over page"
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nvalidation:")[0].split("nav:")[1])
    assert "hand-over-key.md" in str(nav)


def test_the_hand_over_page_says_what_handing_over_means() -> None:
    page = _page("hand-over-key.md")
    assert 'claim("key_sharing_against_terms")' in page
    quote = load_facts().claims["key_sharing_against_terms"].source.quote
    assert quote == "The sharing of API keys is against the Terms of Use."
    assert "You stay responsible for every one of those requests" in page
    for field in ("storage", "encryption", "access", "revoke"):
        assert f"platform.key_handling.{field}" in page, f"the page doesn't show key_handling.{field}"
    assert 'platform_ui("disconnect")' in _section("hand-over-key.md", "Take {{ platform.name }}'s access back")


def test_the_recommended_key_is_small_capped_and_revocable() -> None:
    section = _section("hand-over-key.md", "The key we recommend")
    for target in (
        "#create-a-project-for-the-platform",  # a dedicated project
        "create-key.md#choose-who-owns-the-key",  # a service account where possible
        "create-key.md#permissions-for-the-platform",  # least privilege
        "spend-limits.md#set-a-project-spend-limit",  # a spend cap
        "create-key.md#set-an-expiry-date",  # an expiry date and a rotation reminder
    ):
        assert f"]({target})" in section, f"the recommendation misses {target}"
    assert "reminder" in _section("create-key.md", "Set an expiry date")


def test_the_residency_advice_follows_the_platform_setting() -> None:
    page = _page("hand-over-key.md")
    assert "{% if platform.regional_hosts %}" in page and "Leave {{ platform.name }}'s project Global" in page
    assert _platform().regional_hosts == []  # our platform: global host only, so the page says "Global"


# -- order for a third-party integration ---------------------------------------------------------


def _order(page: str, targets: list[str]) -> list[int]:
    body = _page(page)
    return [body.index(f"]({target}") for target in targets]


def test_limits_come_before_the_key_and_the_test_before_connecting() -> None:
    steps = ["billing.md", "hand-over-key.md", "spend-limits.md#set-a-project-spend-limit"]
    steps += ["create-key.md", "test-key.md", "connect.md"]
    order = _order("index.md", steps)
    assert order == sorted(order), "index.md: limits before the key, and the test before connecting"
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    places = [nav.index(page) for page in ("spend-limits.md", "create-key.md", "test-key.md", "connect.md")]
    assert places == sorted(places), "the nav: limits, then the key, its test, and connecting it"
    before_you_start = _page("connect.md").split("## Add your key")[0]
    assert "](test-key.md)" in before_you_start, "connect.md: the key is tested before it is connected"


def test_auto_reload_gets_its_cap_inside_the_purchase() -> None:
    steps = _section("billing.md", "Buy credit")
    assert steps.index("monthly reload limit") < steps.index("Confirm the purchase")
    assert "keeps working when your balance runs low" not in _page("billing.md")


def test_cut_off_is_not_instant_and_a_negative_balance_is_deducted() -> None:
    assert 'claim("prepaid_cutoff_not_instant")' in _page("billing.md")
    quote = str(load_facts().claims["prepaid_cutoff_not_instant"].source.quote)
    assert "deducted from your next credit purchase" in quote
    assert 'claim("hard_limit_not_instant")' in _page("spend-limits.md")


# -- the audit's omissions 3 to 12 ----------------------------------------------------------------

COVERED = {
    # omission: (page, what the page must state)
    "3 key-creation governance": ("create-key.md", 'claim("key_creation_governance")'),
    "3 a person's key in production": ("hand-over-key.md", 'claim("user_key_acts_as_owner")'),
    "5 never more than its owner": ("create-key.md", 'claim("key_within_owner_role")'),
    "5 a service account without roles": ("create-key.md", 'claim("service_account_needs_roles")'),
    "4 the Check tool": ("connect.md", 'claim("ip_allowlist_check_tool")'),
    "4 an organization-wide list": ("connect.md", 'claim("ip_allowlist_org_affects_projects")'),
    "6 data residency": ("hand-over-key.md", 'claim("residency_regional_host")'),
    "7 shared and project rate limits": ("troubleshooting.md", 'claim("rate_limits_org_and_project")'),
    "7 Retry-After": ("troubleshooting.md", 'claim("retry_after")'),
    "7 slow_down": ("troubleshooting.md", 'error("slow_down")'),
    "8 model access": ("troubleshooting.md", "among the project's allowed models"),
    "9 the delay after buying credit": ("billing.md", 'claim("balance_update_delay")'),
    "9 a failed auto-reload payment": ("billing.md", 'claim("auto_reload_payment_fails")'),
    "10 refunds for used credit": ("keep-key-secret.md", 'claim("refund_used_credit")'),
    "10 deleting a key takes a role": ("keep-key-secret.md", 'claim("revoke_needs_owner")'),
    "11 the platform's own spend": ("spend-limits.md", "{ #check-what-the-platform-spends }"),
    "12 503 and the status page": ("troubleshooting.md", 'link("status_page")'),
    "13 OPENAI_ADMIN_KEY": ("troubleshooting.md", 'value("env_admin_key")'),
    "13 the custom-headers variable": ("troubleshooting.md", 'value("env_custom_headers")'),
}


@pytest.mark.parametrize("omission", sorted(COVERED))
def test_an_omission_of_the_audit_is_covered(omission: str) -> None:
    page, needle = COVERED[omission]
    assert needle in _page(page), f"{page} doesn't cover omission {omission}"


def test_a_leak_gets_the_refund_rule_for_used_credit() -> None:
    """Audit §3.8: a reader checking a leak was told about unused credit, the wrong half of the rule."""
    section = _section("keep-key-secret.md", "If your key leaked")
    assert 'claim("refund_used_credit")' in section and 'claim("refund_exceptions")' not in section


# -- writing (audit §3) ---------------------------------------------------------------------------

INTERNAL_SOURCING = [
    "we have seen",
    "OpenAI doesn't document",
    "OpenAI documents neither",
    "documents no error message",
    '"not documented" means',
    "The button may have a different name",
    "the button that confirms",
    "choose to create a project",
]


@pytest.mark.parametrize("page", sorted(path.name for path in DOCS.glob("*.md")))
def test_no_internal_sourcing_language_or_label_less_steps(page: str) -> None:
    body = _page(page)
    for phrase in INTERNAL_SOURCING:
        assert phrase.lower() not in body.lower(), f"{page} says {phrase!r}"


def test_documented_labels_replace_descriptions() -> None:
    assert 'ui("create_project")' in _page("hand-over-key.md")
    later = _section("billing.md", "Add credit later")
    assert 'ui("buy_credits")' in later and 'ui("add_to_credit_balance")' in later


def test_the_show_once_dialog_is_never_left_open_for_another_page() -> None:
    """Audit §3.5: between creating the key and closing its dialog, no step leads to another page."""
    body = _page("create-key.md")
    opened = body.index('ui("create_secret_key")')
    closed = body.index('ui("done_button")', opened)
    between = body[opened:closed]
    assert not re.search(r"\]\((?!#)[^)]*\)", between), "a link to another page while the key dialog is open"
    assert "platform_path()" not in between and "platform_ui(" not in between


def _procedures(body: str) -> list[tuple[int, str]]:
    """Each numbered procedure as (line of its last step, the text after it up to the next heading).

    A step's continuation lines are indented; Jinja lines (`{% if %}`) may sit between steps.
    """
    lines = body.split("\n")
    found = []
    in_list = False
    for number, line in enumerate(lines):
        inside = bool(STEP.match(line)) or (in_list and (line.startswith("   ") or line.startswith("{%")))
        if in_list and not inside:
            after = []
            for rest in lines[number:]:
                if rest.startswith("#"):
                    break
                after.append(rest)
            found.append((number, "\n".join(after).strip()))
        in_list = inside
    if in_list:  # the page ends with a step
        found.append((len(lines), ""))
    return found


@pytest.mark.parametrize("page", sorted(path.name for path in DOCS.glob("*.md")))
def test_every_procedure_says_what_the_reader_sees_next(page: str) -> None:
    """Audit §3.3: a procedure ends with its result (or where to go on), not with the next heading."""
    for line, after in _procedures(_page(page)):
        assert after, f"{page}: the procedure ending at body line {line} says nothing about its result"


def test_a_claim_lives_on_one_page() -> None:
    """Audit §3.8: link to the one place a claim lives instead of repeating it on several pages."""
    places: dict[str, set[str]] = {}
    for path in DOCS.glob("*.md"):
        for claim_id in CLAIM.findall(_page(path.name)):
            places.setdefault(claim_id, set()).add(path.name)
    repeated = {claim_id: sorted(pages) for claim_id, pages in places.items() if len(pages) > 1}
    assert not repeated, repeated


def _nav_entries(nav: object) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    for item in nav if isinstance(nav, list) else []:
        for title, target in item.items():
            if isinstance(target, str):
                entries.append((title, target))
            else:
                entries += _nav_entries(target)
    return entries


def test_nav_titles_and_page_titles_follow_one_convention() -> None:
    """Audit §3.11: a task page is "How to <task>" and its nav title "<Task>"; other pages match exactly."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = yaml.safe_load(text[text.index("\nnav:") : text.index("\nvalidation:")])["nav"]
    entries = _nav_entries(nav)
    assert {target for _, target in entries} == {path.name for path in DOCS.glob("*.md")}
    for title, target in entries:
        page_title = read_page(DOCS / target, DOCS).meta.title
        task = page_title.removeprefix("How to ")
        expected = task[0].upper() + task[1:]
        assert title == expected, f"{target}: nav title {title!r}, page title {page_title!r}"


# -- the platform's key handling and residency render from mkdocs.yml -----------------------------


def _text(html_path: Path) -> str:
    from bs4 import BeautifulSoup

    return " ".join(BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser").get_text(" ").split())


def test_key_handling_and_residency_show_what_mkdocs_yml_says(built_site: Path) -> None:
    platform = _platform()
    text = _text(built_site / "hand-over-key" / "index.html")
    for field in ("storage", "encryption", "access", "revoke"):
        sentence = getattr(platform.key_handling, field)
        assert " ".join(sentence.split()) in text, f"key_handling.{field} is not on the page"
    assert f"Leave {platform.name}'s project Global" in text


def test_changing_mkdocs_yml_changes_the_hand_over_page(tmp_path: Path) -> None:
    from keyguide.build import build_site, copy_project

    project = copy_project(tmp_path / "project")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    new = {
        "storage": "Keys live in the Acme vault in Frankfurt.",
        "encryption": "Sealed with a per-tenant key from the Acme HSM.",
        "access": "Only the on-call engineer, after a ticket, can reach it.",
        "revoke": "Disconnecting wipes the key within one minute.",
    }
    for field, sentence in new.items():
        text, count = re.subn(rf"(?m)^(      {field}:).*$", rf"\1 {sentence}", text)
        assert count == 1, field
    text = text.replace("regional_hosts: []", "regional_hosts: [eu.api.openai.com]")
    config.write_text(text, encoding="utf-8")
    result = build_site(project)
    assert result.returncode == 0, result.output[-2000:]
    page = _text(result.site_dir / "hand-over-key" / "index.html")
    for sentence in new.values():
        assert sentence in page
    assert "Relay keeps your key in a secrets vault" not in page
    assert "can send requests to these regional addresses of OpenAI: eu.api.openai.com" in page
    assert "project Global" not in page


def test_whats_new_shows_every_pages_latest_change(built_site: Path) -> None:
    """Every page's newest changelog entry reaches readers on What's new, with its page and version."""
    from keyguide.pages import all_pages

    text = _text(built_site / "whats-new" / "index.html")
    for page in all_pages(DOCS):
        newest = page.meta.changelog[0]
        entry = f"{newest.date.isoformat()} · {page.meta.title} · version {newest.version}: {newest.summary}"
        assert " ".join(entry.split()) in text, f"What's new lacks {page.path}: {entry[:80]}"
