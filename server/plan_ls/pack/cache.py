"""A token-count cache shared by every pack on this machine: content digest -> token count.

Counting is most of a pack's work and most files do not change between two packs, so the
counts are kept by the BLAKE2 digest of each file's bytes, one JSON file per encoding, under
the user's cache directory. It holds digests and numbers only, never paths or contents.
Losing it, or finding it corrupt, only costs time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..fileio import write_atomic

MAX_ENTRIES = 500_000  # beyond this, keep only the current pack's entries


def default_dir() -> Path:
    env = os.environ.get("PLAN_LS_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "plan-ls"


def _file(folder: Path, encoding: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in encoding)
    return folder / f"token-counts-{safe}.json"


def load(folder: Path, encoding: str) -> dict[str, int]:
    try:
        data = json.loads(_file(folder, encoding).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    counts = data.get("counts") if isinstance(data, dict) else None
    if not isinstance(counts, dict):
        return {}
    return {k: v for k, v in counts.items() if isinstance(k, str) and isinstance(v, int)}


def save(folder: Path, encoding: str, old: Mapping[str, int], used: Mapping[str, int]) -> None:
    """Store the counts of this pack (used) together with the ones already stored (old)."""
    if all(old.get(k) == v for k, v in used.items()):
        return  # nothing new: skip the write
    merged = {**old, **used}
    if len(merged) > MAX_ENTRIES:
        merged = dict(used)
    try:
        write_atomic(
            _file(folder, encoding),
            json.dumps(
                {"version": 1, "encoding": encoding, "counts": merged}, separators=(",", ":")
            ),
        )
    except OSError:
        pass  # a read-only home or full disk must not fail the pack
