"""The last drift run's verdict per page (`verification.json`), shown to readers as a stamp.

The drift suite writes the file; the build reads it. Without the file every page says
"Not yet verified": a missing run is never shown as a passed one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from keyguide.facts import ROOT, FactsError

DEFAULT_PATH = ROOT / "verification.json"


def load_verification(path: str | Path | None = None) -> dict[str, Any] | None:
    """The parsed verification file, or None when there is none."""
    # $KEYGUIDE_VERIFICATION wins, so a test build of a fixture copy never reads the root's last run.
    override = os.environ.get("KEYGUIDE_VERIFICATION")
    file = Path(override or path or DEFAULT_PATH)
    if not file.is_absolute():
        file = ROOT / file
    if not file.exists():
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FactsError(f"{file.name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or "run_date" not in data or not isinstance(data.get("pages"), dict):
        raise FactsError(f"{file.name}: expected an object with run_date and pages")
    return data
