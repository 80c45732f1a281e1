"""Baselines as files: readable, with provenance, refused by the build unless a live run wrote them and
nobody edited them since, proposed with a readable diff, counted by `keyguide coverage`
(keyguide/baselines.py), and chosen per run (checks/drift/baselines.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from checks.drift.baselines import BaselineStore
from keyguide.baselines import (
    Baseline,
    check_baselines,
    coverage,
    file_name,
    read_baseline,
    screens,
    update_baselines,
    write_baseline,
)
from keyguide.build import copy_project
from keyguide.cli import main
from keyguide.facts import ROOT, load_facts

DIALOG = "screens.dialog.create_key_button"


def baseline(*, live: bool = True, items: tuple[str, ...] = ('textbox "Name"',), run: str = "77") -> Baseline:
    return Baseline(
        DIALOG, "screen", "https://platform.openai.com/x", "Create new secret key dialog", live, run,
        "2026-12-02T05:17:00+00:00", items,
    )  # fmt: skip


def test_a_baseline_is_readable_yaml_with_its_provenance(tmp_path: Path) -> None:
    path = write_baseline(tmp_path, baseline())
    assert path == tmp_path / "screens" / "dialog.create_key_button.yml"
    text = path.read_text(encoding="utf-8")
    assert "live: true\nrun_id: '77'\nrecorded_at: '2026-12-02T05:17:00+00:00'\n" in text
    assert text.endswith('controls:\n- textbox "Name"\n')
    assert read_baseline(path) == baseline()
    assert file_name("pages.help.openai.com/en/articles/8867743") == "help.openai.com_en_articles_8867743.yml"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: t.replace("live: true", "live: false"), "recorded in a stand-in or remapped run (77), not against"),
        (lambda t: t.replace('textbox "Name"', 'textbox "Key name"'), "digest does not match its controls"),
        (lambda t: t.replace("kind: screen", "kind: screenshot"), "kind must be one of screen, page, watch"),
        (lambda t: t.replace("run_id: '77'\n", ""), "missing run_id"),
        (lambda t: t.replace("controls:", "controls: {"), "not a readable baseline"),
    ],
)
def test_the_build_refuses_a_baseline_not_from_a_live_run_or_edited_since(edit, problem: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_baseline(tmp_path / "baselines", baseline())
    assert check_baselines(tmp_path) == []
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    (found,) = check_baselines(tmp_path)
    assert found.startswith("baselines/screens/dialog.create_key_button.yml: ") and problem in found


def test_keyguide_check_refuses_a_stand_in_baseline_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_project(tmp_path / "project")
    monkeypatch.setenv("KEYGUIDE_FACTS", str(project / "facts.yml"))
    write_baseline(project / "baselines", baseline(live=False))
    assert main(["check", "--root", str(project)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: baselines/screens/dialog.create_key_button.yml: recorded in a stand-in or remapped run (77), "
        "not against OpenAI: only a live run's baselines may be committed"
    ]


def test_update_copies_changed_keeps_unchanged_refuses_stand_in_and_shows_the_diff(tmp_path: Path) -> None:
    root, run = tmp_path / "repo", tmp_path / "run"
    write_baseline(root / "baselines", baseline(items=('textbox "Name"', 'button "Create secret key"'), run="1"))
    write_baseline(run, baseline(items=('textbox "Name"', 'combobox "Expires"', 'button "Create secret key"')))
    other = Baseline("watch.api_changelog", "watch", "https://x", "c", False, "8", "2026-12-02T00:00:00+00:00", ())
    write_baseline(run, other)
    update = update_baselines(run, root)
    assert update.copied == [
        f"{DIALOG}: copied to baselines/screens/dialog.create_key_button.yml (changed since live run 1 of 2026-12-02)"
    ]
    assert update.refused == [
        "run/watch/api_changelog.yml: watch.api_changelog: not a live run (stand-in or remapped): never committed"
    ]
    assert '+combobox "Expires"' in update.diffs[DIALOG] and "-" not in update.diffs[DIALOG].split("@@")[-1]
    assert "```diff" in update.markdown() and "### Baselines (1)" in update.markdown()
    assert read_baseline(root / "baselines" / "screens" / "dialog.create_key_button.yml").run_id == "77"
    again = update_baselines(run, root)
    assert again.copied == [] and again.unchanged == [f"{DIALOG}: unchanged since live run 77 of 2026-12-02: kept"]


def test_the_update_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "project")
    write_baseline(tmp_path / "run", baseline())
    assert (
        main(
            ["baselines", "update", str(tmp_path / "run"), "--root", str(project), "--markdown", str(tmp_path / "b.md")]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "(new)" in out and '+textbox "Name"' in out and out.rstrip().endswith("1 copied, 0 unchanged, 0 refused")
    assert (project / "baselines" / "screens" / "dialog.create_key_button.yml").is_file()
    write_baseline(tmp_path / "stand-in", baseline(live=False))
    assert main(["baselines", "update", str(tmp_path / "stand-in"), "--root", str(project)]) == 1
    assert main(["baselines", "update", str(tmp_path / "nothing"), "--root", str(project)]) == 1
    assert "no baselines (run `pytest checks --baseline-out" in capsys.readouterr().err


def test_coverage_counts_screens_and_pages_with_a_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = load_facts()
    empty = coverage(facts, tmp_path)
    n_screens, n_watched = len(screens(facts)), len(facts.watch)
    assert n_screens >= 6 and n_watched >= 2
    assert empty["screen"] == {"total": n_screens, "with_baseline": 0}
    assert empty["watch"] == {"total": n_watched, "with_baseline": 0}
    write_baseline(tmp_path / "baselines", baseline())
    assert coverage(facts, tmp_path)["screen"]["with_baseline"] == 1
    assert main(["coverage"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith(f"baselines: 0 of {n_screens} screens, 0 of ") and "watched pages have one" in lines[-2]


def _config(**options: object) -> SimpleNamespace:
    values = {"baseline": None, "baseline_out": None, **options}
    return SimpleNamespace(getoption=lambda name: values[name])


def test_a_run_compares_with_committed_baselines_only_when_live(tmp_path: Path) -> None:
    live = BaselineStore.from_config(_config(), live=True)  # type: ignore[arg-type]
    assert live.compare_dir == ROOT / "baselines"
    standin = BaselineStore.from_config(_config(), live=False)  # type: ignore[arg-type]
    assert standin.compare_dir is None and "compares with nothing unless given --baseline DIR" in standin.why
    chosen = BaselineStore.from_config(_config(baseline=str(tmp_path), baseline_out=str(tmp_path / "o")), live=False)  # type: ignore[arg-type]
    assert chosen.compare_dir == tmp_path and chosen.recording
    message = chosen.no_baseline("screen", DIALOG, "https://x")
    assert message == "no baseline: nothing compared: no baselines/screens/dialog.create_key_button.yml yet"
    assert chosen.report()["missing"][0]["id"] == DIALOG


def test_what_a_run_records_is_redacted(tmp_path: Path) -> None:
    store = BaselineStore(None, "recording", out_dir=tmp_path, live=False)
    key = "sk-proj-" + "A1b2" * 12
    path = store.record("page", "pages.help.openai.com/en/articles/1", "https://x", "x", [f"Your key is {key}."])
    assert path is not None and key not in path.read_text(encoding="utf-8")
