"""Build the site from a copy of the project, so tests can break a copy without touching the real one.

A copy holds what a build reads: mkdocs.yml, docs/, overrides/, baselines/ and facts.yml. The keyguide package is
linked, not copied, so the copy builds with the code under test. The build runs in a subprocess exactly
as a writer runs it (`mkdocs build --strict`), with the copy's facts and no verification file unless
the copy has one.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from keyguide.facts import ROOT

# What a build reads; everything else in the repository is irrelevant to it.
PROJECT_FILES = ("mkdocs.yml", "facts.yml")
PROJECT_DIRS = ("docs", "overrides", "baselines")  # baselines/: the build refuses one not from a live run


@dataclass(frozen=True)
class BuildResult:
    """A finished build: its exit code, its combined output, and where the site went."""

    returncode: int
    output: str
    site_dir: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def copy_project(dest: Path, root: Path = ROOT) -> Path:
    """Copy the buildable project into `dest` (created) and return it."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(root / name, dest / name)
    for name in PROJECT_DIRS:
        if (root / name).is_dir():
            shutil.copytree(root / name, dest / name, dirs_exist_ok=True)
    link = dest / "keyguide"
    if not link.exists():
        link.symlink_to(root / "keyguide", target_is_directory=True)
    return dest


def build_env(project: Path) -> dict[str, str]:
    """The environment a build of `project` runs in: its own facts, its own (usually absent) verification."""
    return {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "KEYGUIDE_FACTS": str(project / "facts.yml"),
        "KEYGUIDE_VERIFICATION": str(project / "verification.json"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def build_site(project: Path, site_dir: Path | None = None, timeout: float = 300) -> BuildResult:
    """Run `mkdocs build --strict` on the copy at `project`; never raises on a failed build."""
    site = site_dir or project / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean"]
    command += ["-f", str(project / "mkdocs.yml"), "-d", str(site)]
    result = subprocess.run(
        command, cwd=project, env=build_env(project), capture_output=True, text=True, timeout=timeout, check=False
    )
    return BuildResult(result.returncode, result.stdout + result.stderr, site)


# -- Serving a built site on loopback ------------------------------------------------------------

COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt")


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, quietly; gzip for text when asked, as any real host does (Lighthouse counts it)."""

    gzip = False

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self) -> BinaryIO | None:
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.gzip and accepts and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        data = gzip.compress(path.read_bytes())
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return io.BytesIO(data)


@contextmanager
def serve_site(site_dir: Path, compress: bool = False) -> Iterator[str]:
    """Serve `site_dir` on a free loopback port in a thread; yields the base URL (ending in /)."""
    handler = type("Handler", (_SiteHandler,), {"gzip": compress})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site_dir)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
