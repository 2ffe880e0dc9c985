"""Live sync with the disk: the workspace watcher feeds the one plan-state update path.

The watcher starts with the first plan change after `initialized` (documents.py owns that
handler and ends it with `plan_changed()`), and restarts when the root or the planning-file
settings change. Changed paths arrive debounced on the server's loop and go through
`state.disk_changed`, which ignores files open in the editor: there the editor's text wins
until the editor itself reloads the file (didChange) or closes it (didClose re-reads disk).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types as t

from plan_ls.features.arguments import command
from plan_ls.server import PlanServer
from plan_ls.sync.watcher import WorkspaceWatcher

log = logging.getLogger(__name__)


@attrs.define
class _SyncState:
    watcher: WorkspaceWatcher | None = None
    key: tuple | None = None
    updates: int = 0


def register(server: PlanServer) -> None:
    sync = _SyncState()
    server.sync = sync  # type: ignore[attr-defined]  # read by tests and planLs.syncStatus
    server.on_plan_changed.append(lambda ls: _ensure_watcher(ls, sync))

    @server.feature(t.SHUTDOWN)
    def on_shutdown(ls: PlanServer, params: Any = None) -> None:
        _stop(sync)

    @command(server, "planLs.syncStatus")
    def sync_status(ls: PlanServer) -> dict[str, Any]:
        """What the watcher is doing: for tests, benchmarks and bug reports."""
        w = sync.watcher
        return {
            "mode": w.mode if w else "stopped",
            "root": str(w.root) if w else None,
            "events": w.events if w else 0,
            "relevant": w.relevant if w else 0,
            "updates": sync.updates,
            "rssKb": _rss_kb(),
        }


def _ensure_watcher(ls: PlanServer, sync: _SyncState) -> None:
    files = ls.settings.files
    key = (ls.root, files.todo, files.plan, files.spec, files.interview) if ls.root else None
    if key == sync.key:
        return
    _stop(sync)
    sync.key = key
    if ls.root is None or not ls.root.is_dir():
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not on the server's loop (a unit test calling plan_changed)
        sync.key = None
        return
    watcher = WorkspaceWatcher(ls.root.resolve(),
                               [files.todo, files.plan, files.spec, files.interview],
                               lambda paths: _on_disk(ls, sync, paths), loop)
    watcher.start()
    sync.watcher = watcher


def _on_disk(ls: PlanServer, sync: _SyncState, paths: set[Path]) -> None:
    changed = False
    for path in sorted(paths):
        if ls.state.disk_changed(path):
            changed = True
    if changed:
        sync.updates += 1
        ls.plan_changed()


def _stop(sync: _SyncState) -> None:
    watcher, sync.watcher, sync.key = sync.watcher, None, None
    if watcher is not None:
        watcher.stop()


def _rss_kb() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None
