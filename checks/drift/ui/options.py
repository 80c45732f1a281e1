"""How the UI checks run: the storage state of a signed-in session, timeouts, and their options."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from checks.drift.baselines import run_id

DEFAULT_STORAGE_STATE = Path(".auth/openai.storage-state.json")
STORAGE_STATE_ENV = "KEYGUIDE_STORAGE_STATE"
NEEDS_SESSION = "needs a signed-in session"


def add_options(group: pytest.OptionGroup) -> None:
    """Command-line options of the ui checks; called by the drift plugin."""
    group.addoption(
        "--storage-state",
        metavar="PATH",
        default=os.environ.get(STORAGE_STATE_ENV) or None,
        help=(
            "Playwright storage state of a signed-in OpenAI session, for the signed-in pages "
            f"(default: ${STORAGE_STATE_ENV}, else {DEFAULT_STORAGE_STATE} if it exists; "
            "make one with `python -m checks.login`)"
        ),
    )
    group.addoption(
        "--ui-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a UI element may take to appear after the page loaded (default 10)",
    )
    group.addoption(
        "--ui-settle",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="longest wait for a page's load event before looking for elements (default 5)",
    )
    group.addoption(
        "--ui-stable-pause",
        type=float,
        default=0.4,
        metavar="SECONDS",
        help="a screen's inventory is taken once two accessibility snapshots this far apart agree (default 0.4)",
    )
    group.addoption(
        "--ui-look-elsewhere",
        choices=("on", "off"),
        default="on",
        help="on drift, look for a missing element on the other pages the facts name (default on)",
    )
    group.addoption(
        "--screenshots",
        metavar="DIR",
        default=None,
        help="for each ui fact a step names, write a masked screenshot of the element in its context to "
        "DIR/<fact id>.png and DIR/screens.json (fact, url, taken_at, run id, live); `keyguide screens update`",
    )


@dataclass(frozen=True)
class ScreenOptions:
    """Where shots go and their provenance: only a run against OpenAI itself is `live`."""

    directory: Path
    live: bool
    run_id: str


@dataclass(frozen=True)
class UiOptions:
    timeout: float = 10.0  # seconds an element may take to appear
    settle: float = 5.0  # longest wait for the load event (network idle when judging from a snapshot)
    storage_state: Path | None = None
    # Why signed-in pages cannot be checked (no state, unreadable, expired); None when they can.
    session_problem: str | None = f"{NEEDS_SESSION}: no storage state (run `python -m checks.login`)"
    look_elsewhere: bool = True
    screens: ScreenOptions | None = None  # --screenshots: None takes none
    stable_pause: float = 0.4  # seconds between the snapshots of a screen that must agree

    @property
    def timeout_ms(self) -> float:
        return self.timeout * 1000


def resolve_storage_state(option: str | None, standin: Any = None, workdir: Path | None = None) -> Path | None:
    """The state to use: the option, else the stand-in's own session, else the login default."""
    if option:
        return Path(option)
    if standin is not None:
        from checks.standin import standin_storage_state

        path = Path(tempfile.mkdtemp(prefix="keyguide-ui-")) / "standin.storage-state.json"
        standin_storage_state(path)
        return path
    default = (workdir or Path.cwd()) / DEFAULT_STORAGE_STATE
    return default if default.exists() else None


def session_problem(path: Path | None, now: float | None = None) -> str | None:
    """Why the storage state cannot sign us in, without asking OpenAI; None if it may."""
    if path is None:
        return f"{NEEDS_SESSION}: no storage state (run `python -m checks.login`, then pass --storage-state)"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"{NEEDS_SESSION}: storage state {path} not found (run `python -m checks.login`)"
    except (OSError, ValueError) as exc:
        return f"{NEEDS_SESSION}: storage state {path} is unreadable ({type(exc).__name__})"
    cookies = state.get("cookies") if isinstance(state, dict) else None
    if not isinstance(cookies, list):
        return f"{NEEDS_SESSION}: {path} is not a Playwright storage state"
    now = time.time() if now is None else now
    ours = [c for c in cookies if isinstance(c, dict) and str(c.get("domain", "")).endswith("openai.com")]
    if ours and all(0 < float(c.get("expires", -1)) < now for c in ours):
        return f"{NEEDS_SESSION}: every OpenAI cookie in {path} has expired (run `python -m checks.login` again)"
    return None


def options_from_config(config: pytest.Config, standin: Any = None) -> UiOptions:
    state = resolve_storage_state(config.getoption("storage_state"), standin, config.invocation_params.dir)
    return UiOptions(
        timeout=config.getoption("ui_timeout"),
        settle=config.getoption("ui_settle"),
        storage_state=state,
        session_problem=session_problem(state),
        look_elsewhere=config.getoption("ui_look_elsewhere") == "on",
        screens=screen_options(config),
        stable_pause=max(0.0, config.getoption("ui_stable_pause")),
    )


def screen_options(config: pytest.Config) -> ScreenOptions | None:
    """--screenshots DIR with the run's provenance: live means OpenAI itself, not the stand-in nor a remap."""
    directory = config.getoption("screenshots")
    if not directory:
        return None
    live = config.getoption("target") == "live" and not config.getoption("remap")
    return ScreenOptions(Path(directory), live, run_id())  # one run id for its screenshots and its baselines
