"""`plan-ls serve` whose workspace watch takes half a second to set up, as in a big
repository: it widens the gap between the first read of the planning files and the watch
being in place, where a write used to be missed (issue 13, item 8)."""

from __future__ import annotations

import sys
import time

from plan_ls.cli import main
from plan_ls.sync.watcher import WorkspaceWatcher

SETUP_SECONDS = 0.5
_start = WorkspaceWatcher._start


def _slow_start(self: WorkspaceWatcher) -> None:
    time.sleep(SETUP_SECONDS)  # inotify watches on a big tree take this long
    _start(self)


WorkspaceWatcher._start = _slow_start  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(["serve"]))
