"""Screenshots that stay current: masked by allowlist, outlined, with provenance the build enforces.

Why: a picture of the button helps a reader only while it is true and only if it leaks nothing.
The masking proof needs no OCR: the same page rendered with different personal data planted next to
the element must give byte-identical shots. Stand-in shots are for tests only: every test writes to
a temporary folder or a fixture copy of the project, never to docs/.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from keyguide.build import BuildResult, build_site, copy_project
from keyguide.cli import main
from keyguide.facts import ROOT
from keyguide.macros import screenshot
from keyguide.screens import MANIFEST, SCREENS_DIR, Shot, check_screens, read_manifest, update_screens, write_manifest
from keyguide.usage import fact_usage

FACT = "ui.create_key_button"
PAGE_WEIGHT_BUDGET = 200 * 1024


def png(path: Path, size: tuple[int, int] = (240, 120), box: tuple[int, int, int, int] | None = None) -> Path:
    """A flat test image, with a dark rectangle where `box` says (a button that moved)."""
    image = Image.new("RGB", size, (250, 250, 250))
    if box is not None:
        image.paste((30, 30, 30), box)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


def shot_of(path: Path, fact: str = FACT, *, live: bool = True, taken_at: str = "2026-11-30T05:20:00+00:00") -> Shot:
    with Image.open(path) as image:
        width, height = image.size
    return Shot(
        fact=fact,
        file=path.name,
        url="https://platform.openai.com/settings/organization/api-keys",
        taken_at=taken_at,
        run_id="12345",
        live=live,
        width=width,
        height=height,
        bytes=path.stat().st_size,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def on_file(docs: Path, path: Path, **kwargs: object) -> Shot:
    """Put `path` in docs/assets/screens/ with a hand-made manifest entry."""
    target = docs / SCREENS_DIR
    target.mkdir(parents=True, exist_ok=True)
    if path.parent != target:
        shutil.copy2(path, target / path.name)
    shot = shot_of(target / path.name, **kwargs)  # type: ignore[arg-type]
    write_manifest(target, [shot])
    return shot


# -- the macro ----------------------------------------------------------------------------------


def test_macro_renders_a_figure_for_a_live_shot(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shot = on_file(docs, png(tmp_path / f"{FACT}.png"))
    html = screenshot("create_key_button", docs, "create-key/")
    soup = BeautifulSoup(html, "html.parser")
    img = soup.select_one("figure > img")
    assert img is not None, html
    assert img["src"] == f"../assets/screens/{FACT}.png"
    assert (img["width"], img["height"]) == (str(shot.width), str(shot.height))
    assert (img["loading"], img["decoding"]) == ("lazy", "async")
    assert img["alt"] == "The “Create new secret key” button on OpenAI's API keys page (screenshot)"
    caption = soup.select_one("figure > figcaption")
    assert caption is not None and caption.get_text() == "Screenshot taken 2026-11-30"
    assert screenshot("create_key_button", docs, "").startswith("<figure")
    assert 'src="assets/screens/' in screenshot("create_key_button", docs, "")


def test_macro_renders_nothing_without_a_live_shot(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    assert screenshot("create_key_button", docs, "create-key/") == ""
    on_file(docs, png(tmp_path / f"{FACT}.png"), live=False)
    assert screenshot("create_key_button", docs, "create-key/") == ""


# -- what the build refuses ---------------------------------------------------------------------


def test_check_refuses_stand_in_shots_and_wrong_hashes(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    assert check_screens(docs) == []  # no manifest: no shots, nothing to refuse
    on_file(docs, png(tmp_path / f"{FACT}.png"), live=False)
    assert check_screens(docs) == [
        f"docs/assets/screens/screens.json: {FACT}: taken in a stand-in or remapped run, not against OpenAI: "
        "stand-in shots never land in docs/"
    ]
    on_file(docs, png(tmp_path / f"{FACT}.png"))
    png(docs / SCREENS_DIR / f"{FACT}.png", box=(10, 10, 20, 20))
    [problem] = check_screens(docs)
    assert problem.startswith(f"docs/assets/screens/screens.json: {FACT}: sha256 does not match {FACT}.png")


def _build_errors(result: BuildResult) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("ERROR")]


@pytest.mark.parametrize("problem", ["stand-in", "hash"])
def test_the_build_refuses_the_shot_with_one_line(problem: str, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    docs = project / "docs"
    on_file(docs, png(tmp_path / f"{FACT}.png"), live=problem != "stand-in")
    if problem == "hash":
        png(docs / SCREENS_DIR / f"{FACT}.png", box=(0, 0, 40, 40))
    result = build_site(project)
    assert not result.ok
    errors = _build_errors(result)
    assert len(errors) == 1, result.output[-2000:]
    expected = "taken in a stand-in or remapped run" if problem == "stand-in" else "sha256 does not match"
    assert errors[0].startswith(f"ERROR   -  docs/assets/screens/screens.json: {FACT}: "), errors[0]
    assert expected in errors[0]
    assert "Traceback" not in result.output


# -- keyguide screens update --------------------------------------------------------------------


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return tmp_path / "artifacts" / "screens"


def _run(run_dir: Path, shots: list[tuple[str, Path, bool]]) -> None:
    write_manifest(run_dir, [shot_of(path, fact, live=live) for fact, path, live in shots])


def test_update_copies_changed_keeps_unchanged_refuses_stand_in(tmp_path: Path, run_dir: Path) -> None:
    docs = tmp_path / "docs"
    base = (200, 100)
    on_file(
        docs, png(tmp_path / "old" / f"{FACT}.png", base, box=(20, 20, 120, 50)), taken_at="2026-11-01T05:00:00+00:00"
    )
    # Same picture but one pixel: anti-aliasing noise, under the threshold.
    noisy = png(run_dir / f"{FACT}.png", base, box=(20, 20, 120, 50))
    with Image.open(noisy) as image:
        image.putpixel((150, 80), (0, 0, 0))
        image.save(noisy)
    moved = png(run_dir / "ui.key_name.png", base, box=(60, 40, 160, 70))
    standin = png(run_dir / "ui.owner_you.png", base)
    _run(run_dir, [(FACT, noisy, True), ("ui.key_name", moved, True), ("ui.owner_you", standin, False)])

    outcome = update_screens(run_dir, docs)
    assert [line.split(":")[0] for line in outcome.unchanged] == [FACT]
    assert [line.split(":")[0] for line in outcome.copied] == ["ui.key_name"]
    assert len(outcome.refused) == 1 and "ui.owner_you: not a live run" in outcome.refused[0]
    target = docs / SCREENS_DIR
    assert not (target / "ui.owner_you.png").exists(), "a stand-in shot reached docs/"
    kept = {s.fact: s for s in read_manifest(target / MANIFEST)}
    assert kept[FACT].taken_at.startswith("2026-11-01"), "an unchanged shot keeps its file and date"
    assert kept["ui.key_name"].sha256 == hashlib.sha256(moved.read_bytes()).hexdigest()
    assert check_screens(docs) == []

    # A real change of the first shot is copied the next time.
    changed = png(run_dir / f"{FACT}.png", base, box=(20, 60, 120, 90))
    _run(run_dir, [(FACT, changed, True)])
    again = update_screens(run_dir, docs)
    assert [line.split(":")[0] for line in again.copied] == [FACT]
    assert (target / f"{FACT}.png").read_bytes() == changed.read_bytes()


def test_update_command_refuses_a_stand_in_run(
    tmp_path: Path, run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    _run(run_dir, [(FACT, png(run_dir / f"{FACT}.png"), False)])
    assert main(["screens", "update", str(run_dir), "--root", str(project)]) == 1
    out = capsys.readouterr().out
    assert "refused:" in out and "never copied to docs/" in out
    assert not (project / "docs" / "assets").exists()
    assert main(["screens", "update", str(tmp_path / "none"), "--root", str(project)]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_coverage_lists_steps_without_a_shot(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--screens"]) == 0
    out = capsys.readouterr().out.splitlines()
    step = next(use.step for use in fact_usage(FACT) if use.page == "create-key.md")
    assert any(line.endswith(f"{FACT} has no screenshot on file") and f"step {step}" in line for line in out)
    assert out[-1].startswith("screenshots: ")
    assert main(["coverage", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"facts", "unattended", "manual", "unchecked", "screens"} <= set(data)


# -- in a browser, against the stand-in ---------------------------------------------------------

PLANTED = [
    ["ada.lovelace@example.com", "Acme Research Ltd", "sk-proj-" + "fakeFAKE" * 5],
    ["bob@example.org", "Globex", "sk-" + "notAkey0" * 6],
]


@pytest.fixture(scope="module")
def stand_in_shots(
    tmp_path_factory: pytest.TempPathFactory, standin_server: object, browser: Any
) -> Iterator[list[Path]]:
    """The API keys page shot twice, with different personal data planted next to the button.

    pytest-playwright's `browser`: a second sync Playwright cannot start while its loop runs."""
    from checks.drift.remap import Remapper
    from checks.drift.ui import Guard, UiOptions, check_ui, ui_cases
    from checks.drift.ui.options import ScreenOptions
    from checks.standin import StandIn, standin_storage_state
    from keyguide.facts import load_facts

    assert isinstance(standin_server, StandIn)
    facts = load_facts()
    case = next(c for c in ui_cases(facts) if c.id == FACT)
    folder = tmp_path_factory.mktemp("shots")
    state = folder / "state.json"
    standin_storage_state(state)
    shots = []
    try:
        for run, texts in enumerate(PLANTED):
            standin_server.faults.clear()
            standin_server.faults.inject({"kind": "plant", "fact": FACT, "texts": texts})
            context = browser.new_context(storage_state=str(state), service_workers="block")
            Guard(Remapper.parse(standin_server.remaps), facts).install(context)
            page = context.new_page()
            screens = ScreenOptions(folder / f"run{run}", live=False, run_id=f"test-{run}")
            options = UiOptions(timeout=5, settle=1, storage_state=state, session_problem=None, screens=screens)
            result = check_ui(page, case, facts, options, folder)
            assert result.status.value == "ok", result.as_dict()
            assert texts[0] in page.inner_text("main"), "the planted data was not on the page"
            context.close()
            shots.append(screens.directory / f"{FACT}.png")
    finally:
        standin_server.faults.clear()
    yield shots


@pytest.mark.browser
def test_planted_personal_data_never_changes_a_byte(stand_in_shots: list[Path]) -> None:
    first, second = stand_in_shots
    assert first.is_file() and second.is_file()
    assert hashlib.sha256(first.read_bytes()).hexdigest() == hashlib.sha256(second.read_bytes()).hexdigest()
    assert first.stat().st_size <= 60 * 1024
    manifest = read_manifest(first.parent / MANIFEST)
    assert [(s.fact, s.live, s.sha256) for s in manifest] == [
        (FACT, False, hashlib.sha256(first.read_bytes()).hexdigest())
    ]


@pytest.mark.browser
def test_the_shot_outlines_the_target(stand_in_shots: list[Path]) -> None:
    from checks.drift.ui.screens import OUTLINE_RGB

    with Image.open(stand_in_shots[0]) as image:
        rgb = image.convert("RGB")
        outlined = [(x, y) for x in range(rgb.width) for y in range(rgb.height) if rgb.getpixel((x, y)) == OUTLINE_RGB]
    assert len(outlined) > 200, f"{len(outlined)} outline-coloured pixels"
    xs, ys = [x for x, _ in outlined], [y for _, y in outlined]
    assert max(xs) - min(xs) > 60 and max(ys) - min(ys) > 15, "the outline is not a box around the button"


def _page_weight(site: Path, page_dir: str) -> tuple[int, int]:
    """Bytes a reader downloads for the page (text gzipped, as served) and of which the image."""
    html_path = site / page_dir / "index.html"
    soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
    total = len(gzip.compress(html_path.read_bytes()))
    image = 0
    base = f"http://site/{page_dir}"
    refs = [t.get("href") for t in soup.select("link[rel=stylesheet]")] + [
        t.get("src") for t in soup.select("script[src], img[src]")
    ]
    for ref in dict.fromkeys(r for r in refs if isinstance(r, str)):
        path = urljoin(base, ref).removeprefix("http://site/").split("?")[0]
        file = site / path
        if not file.is_file():
            continue
        data = file.read_bytes()
        size = len(data) if file.suffix == ".png" else len(gzip.compress(data))
        total += size
        image += size if file.suffix == ".png" else 0
    return total, image


@pytest.mark.browser
def test_a_page_with_a_shot_stays_within_its_weight(stand_in_shots: list[Path], tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    # A stand-in shot with a hand-made live manifest, in a fixture copy only: never in docs/.
    on_file(project / "docs", stand_in_shots[0])
    result = build_site(project)
    assert result.ok, result.output[-2000:]
    html = (result.site_dir / "create-key" / "index.html").read_text(encoding="utf-8")
    assert f'src="../assets/screens/{FACT}.png"' in html
    total, image = _page_weight(result.site_dir, "create-key/")
    assert image == stand_in_shots[0].stat().st_size
    assert total <= PAGE_WEIGHT_BUDGET, f"create-key weighs {total} bytes"
    print(f"create-key page weight with the shot: {total} bytes ({image} of them the screenshot)")
    assert not (ROOT / "docs" / "assets" / "screens").exists(), "a test wrote into the real docs/"
