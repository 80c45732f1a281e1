"""Which Chromium the suite drives, with which flags, and how to install one.

Playwright's own Chromium is preferred. Where its download is impossible (this project's CI and
sandboxes), the system's Chromium (Debian's `chromium`) is used instead; `CHROMIUM_PATH` overrides.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

# Without these, Chromium phones home at start-up; on a closed network that is a burst of refused
# connections and, in a check, noise that is not about OpenAI at all.
QUIET_FLAGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
SYSTEM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


@lru_cache(maxsize=1)
def bundled_chromium() -> Path | None:
    """Playwright's own Chromium, if it was downloaded."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = Path(p.chromium.executable_path)
    except Exception:
        return None
    return path if path.exists() else None


def system_chromium() -> Path | None:
    override = os.environ.get("CHROMIUM_PATH")
    if override:
        return Path(override)
    for candidate in SYSTEM_CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    return None


def launch_options() -> dict[str, Any]:
    """Keyword arguments for `browser_type.launch()`."""
    args = list(QUIET_FLAGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox on
    options: dict[str, Any] = {"args": args}
    if os.environ.get("CHROMIUM_PATH") or bundled_chromium() is None:
        system = system_chromium()
        if system is not None:
            options["executable_path"] = str(system)
    return options


INSTALL_HINT = "run `make test` or `python -m checks.drift.browser` to install one"
PROBE_TIMEOUT_S = 30.0


@lru_cache(maxsize=1)
def chromium_problem() -> str | None:
    """None when Chromium launches with launch_options(); else one line naming the cause and what to run.

    Probed once per run, in a thread of its own: the caller may already be inside Playwright's sync
    API (a pytest-playwright session), where a second sync_playwright() in the same thread fails.
    """
    found: list[str | None] = []
    worker = threading.Thread(target=lambda: found.append(_launch_problem()), name="chromium-probe", daemon=True)
    worker.start()
    worker.join(timeout=PROBE_TIMEOUT_S + 15)
    if not found:
        return f"no Chromium started within {PROBE_TIMEOUT_S + 15:.0f} s; {INSTALL_HINT}"
    return found[0]


def _launch_problem() -> str | None:
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            playwright.chromium.launch(**launch_options(), timeout=PROBE_TIMEOUT_S * 1000).close()
    except Exception as exc:
        # Playwright's message is a 20-line "install" box; its first line names the cause.
        detail = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        detail = detail.removeprefix("BrowserType.launch: ")[:200]
        return f"no Chromium can be launched here ({detail}); {INSTALL_HINT}"
    return None


def install() -> int:
    """Make a Chromium available: Playwright's download where it works, else the system package."""
    print("Installing Chromium for Playwright…", flush=True)
    result = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], capture_output=True, text=True)
    bundled_chromium.cache_clear()
    if result.returncode == 0 and bundled_chromium() is not None:
        print(f"Using Playwright's Chromium: {bundled_chromium()}")
        return 0
    if system_chromium() is not None:
        print(f"Playwright's download is unavailable here; using {system_chromium()}")
        return 0
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        print("Playwright's download failed; installing Debian's chromium package…", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        ok = subprocess.run([apt, "install", "-y", "-q", "chromium"], env=env, capture_output=True).returncode == 0
        if not ok:
            subprocess.run([apt, "update", "-q"], env=env, capture_output=True)
            ok = subprocess.run([apt, "install", "-y", "-q", "chromium"], env=env, capture_output=True).returncode == 0
        if ok and system_chromium() is not None:
            print(f"Using {system_chromium()}")
            return 0
    print(
        "error: no Chromium available. Run `python -m playwright install chromium`, or install your "
        "system's chromium package (Debian: `sudo apt-get install chromium`), or set CHROMIUM_PATH.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(install())
