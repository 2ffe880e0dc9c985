"""Live sync with the disk: the workspace watcher feeds the one plan-state update path.

The watcher starts with the first plan change after `initialized` (documents.py owns that
handler and ends it with `plan_changed()`), and restarts when the root or the planning-file
settings change. The first read of the files happens before the watches are in place, so a
file written in between sends no event: once they are, the files are read once more.
Changed paths arrive debounced on the server's loop and go through
`state.disk_changed`, which ignores files open in the editor: there the editor's text wins
until the editor itself reloads the file (didChange) or closes it (didClose re-reads disk).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types as t

from plan_ls.features.arguments import command
from plan_ls.features.feature import Feature
from plan_ls.server import PlanServer
from plan_ls.settings import CONFIG_FILE

if TYPE_CHECKING:
    from plan_ls.sync.watcher import WorkspaceWatcher

log = logging.getLogger(__name__)

# Where a plan may appear (globs relative to the root; the filter keeps ignored and gitignored
# folders out): an event on one of these makes the server look for the plans again.
PLAN_GLOBS = ("**/tasks.md", "**/todo.md", "**/prompt_plan.md", "**/requirements.md")


@attrs.define
class _SyncState:
    watcher: WorkspaceWatcher | None = None
    key: tuple | None = None
    updates: int = 0


class Sync(Feature):
    """The workspace watcher: started and restarted after plan changes, stopped at
    shutdown. Its state (`self.sync`) is what planLs.syncStatus reports."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        self.sync = _SyncState()

    def register(self) -> None:
        self.server.on_plan_changed.append(self.ensure_watcher)
        self.feature(t.SHUTDOWN, self.on_shutdown)
        command(self.server, "planLs.syncStatus")(self.sync_status)

    def ensure_watcher(self, ls: PlanServer) -> None:
        """Watch what the settings name now (a no-op when that did not change)."""
        _ensure_watcher(ls, self.sync)

    def on_shutdown(self, ls: PlanServer, params: Any = None) -> None:
        _stop(self.sync)

    def sync_status(self, ls: PlanServer) -> dict[str, Any]:
        """What the watcher is doing: for tests, benchmarks and bug reports."""
        sync = self.sync
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
    names = [*ls.plans.watch_names(), files.interview, CONFIG_FILE, *PLAN_GLOBS]
    key = (ls.root, *names) if ls.root else None
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
    from plan_ls.sync.watcher import WorkspaceWatcher  # watchdog: not before initialize

    watcher = WorkspaceWatcher(ls.root.resolve(), names,
                               lambda paths: _on_disk(ls, sync, paths), loop)
    watcher.start()
    sync.watcher = watcher
    loop.create_task(_read_again_when_watching(ls, sync, watcher))


async def _read_again_when_watching(ls: PlanServer, sync: _SyncState,
                                    watcher: WorkspaceWatcher) -> None:
    """Read the planning files again once the watch is in place: what was written between
    the first read and now sent no event. Also removes the temporary files that a killed
    writer left beside them."""
    from plan_ls.fileio import clean_stale_temp_files
    from plan_ls.sync.state import ROLES

    paths = {state.path_of(role) for state in ls.plans for role in ROLES}
    started = await asyncio.to_thread(watcher.wait_started, 60.0)
    if not started or sync.watcher is not watcher:  # stopped or replaced meanwhile
        return
    for folder in sorted({p.parent for p in paths}):  # before the news goes out
        await asyncio.to_thread(clean_stale_temp_files, folder, True)
    if sync.watcher is not watcher:
        return
    # the settings file too: it may have changed while no watch was in place
    _on_disk(ls, sync, paths | ({ls.root / CONFIG_FILE} if ls.root is not None else set()))


def _on_disk(ls: PlanServer, sync: _SyncState, paths: set[Path]) -> None:
    changed = False
    if ls.root is not None and ls.root / CONFIG_FILE in paths and ls.reload_settings():
        from plan_ls.features.documents import _reapply_open_documents

        ls.load_plans()
        _reapply_open_documents(ls)
        changed = True
    for path in sorted(paths):
        if ls.state_of_path(path).disk_changed(path):
            changed = True
    # a planning file no plan has, or one of a plan's files gone: a plan came, moved or went
    if any(ls.plans.state_for(p) is None or not p.exists() for p in paths) and ls.rediscover():
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
