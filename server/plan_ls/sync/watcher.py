"""The workspace watcher: watchdog events, filtered on watchdog's thread, debounced on asyncio's.

Watchdog calls us on its own thread. There we keep only events that touch a planning file
(a set lookup for the rest), add their paths to a set under a lock, and wake the asyncio loop
once per batch with `call_soon_threadsafe`. On the loop, a debounce waits for a short quiet
spell (an editor's atomic save is several events within a millisecond or two) but never
longer than `max_wait` after the first event, so a long storm (`git checkout`) still shows
progress. Memory stays bounded by the number of distinct planning files, not by the number
of events.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from plan_ls.sync.pathfilter import PathFilter

log = logging.getLogger(__name__)

QUIET = 0.02  # seconds without a relevant event before an update
MAX_WAIT = 0.25  # an update at the latest this long after the first event of a burst


class Debouncer:
    """Collects paths from any thread; calls `flush(paths)` on the loop, once per burst."""

    def __init__(self, loop: asyncio.AbstractEventLoop, flush: Callable[[set[Path]], None],
                 quiet: float = QUIET, max_wait: float = MAX_WAIT) -> None:
        self.loop, self.flush = loop, flush
        self.quiet, self.max_wait = quiet, max_wait
        self._lock = threading.Lock()
        self._incoming: set[str] = set()
        self._posted = False
        self._pending: set[str] = set()
        self._first: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.flushes = 0

    def add_threadsafe(self, paths: Iterable[str]) -> None:
        with self._lock:
            self._incoming.update(paths)
            if self._posted:
                return
            self._posted = True
        try:
            self.loop.call_soon_threadsafe(self._take)
        except RuntimeError:  # the loop is closed: the server is going away
            pass

    def _take(self) -> None:
        with self._lock:
            incoming, self._incoming = self._incoming, set()
            self._posted = False
        self._pending |= incoming
        now = self.loop.time()
        if self._first is None:
            self._first = now
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, min(self.quiet, self._first + self.max_wait - now))
        self._timer = self.loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        paths, self._pending = self._pending, set()
        self._first, self._timer = None, None
        self.flushes += 1
        self.flush({Path(p) for p in paths})

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class WorkspaceWatcher:
    """Watches `root` recursively and reports changed planning files, debounced, on `loop`."""

    def __init__(self, root: Path, patterns: Iterable[str], on_change: Callable[[set[Path]], None],
                 loop: asyncio.AbstractEventLoop, quiet: float = QUIET,
                 max_wait: float = MAX_WAIT) -> None:
        self.root = root
        self.filter = PathFilter(root, patterns)
        self.debouncer = Debouncer(loop, on_change, quiet, max_wait)
        self.events = 0  # every event watchdog delivered
        self.relevant = 0  # the events that touched a planning file
        self.mode = "stopped"  # "recursive", "planning dirs" (fallback) or "stopped"
        self._observer = None
        self._started = threading.Event()

    # --- life cycle -----------------------------------------------------------------------
    def start(self, background: bool = True) -> None:
        """Start watching. Watchdog walks the whole tree to add its watches, which can take
        a while in a big repository, so by default that happens off the caller's thread."""
        if background:
            threading.Thread(target=self._start, name="plan-ls-watch-start", daemon=True).start()
        else:
            self._start()

    def wait_started(self, timeout: float | None = None) -> bool:
        return self._started.wait(timeout)

    def _start(self) -> None:
        from watchdog.observers import Observer

        observer = Observer()
        handler = _Handler(self)
        try:
            observer.schedule(handler, str(self.root), recursive=True, event_filter=_event_types())
            observer.start()
            self.mode = "recursive"
        except OSError as exc:  # e.g. the inotify watch limit: watch only the planning dirs
            log.warning("cannot watch %s recursively (%s); watching the planning files' "
                        "folders only", self.root, exc)
            observer = Observer()
            for folder in sorted({os.path.dirname(p) for p in self.filter.literal}):
                if os.path.isdir(folder):
                    observer.schedule(handler, folder, recursive=False,
                                      event_filter=_event_types())
            observer.start()
            self.mode = "planning dirs"
        self._observer = observer
        self._started.set()

    def stop(self) -> None:
        self.debouncer.cancel()
        observer, self._observer = self._observer, None
        self.mode = "stopped"
        if observer is not None:
            observer.stop()
            observer.join(timeout=2)

    # --- called on watchdog's thread ------------------------------------------------------
    def _on_event(self, event) -> None:
        self.events += 1
        paths = self._paths_of(event)
        if paths:
            self.relevant += 1
            self.debouncer.add_threadsafe(paths)

    def _paths_of(self, event) -> list[str]:
        f = self.filter
        sources = [_text(event.src_path)]
        if event.event_type == "moved":
            sources.append(_text(event.dest_path))
        out: list[str] = []
        for path in sources:
            if event.is_directory:
                out.extend(f.dir_paths(path))
            elif not f.quick_reject(path):
                out.extend(f.file_paths(path))
        return out


class _Handler:
    """A minimal watchdog handler: watchdog only needs `dispatch(event)`."""

    def __init__(self, watcher: WorkspaceWatcher) -> None:
        self.watcher = watcher

    def dispatch(self, event) -> None:
        try:
            self.watcher._on_event(event)
        except Exception:  # never let one bad event stop watchdog's thread
            log.exception("watch event %r failed", event)


def _text(path: str | bytes) -> str:
    return os.fsdecode(path)


def _event_types() -> list[type]:
    from watchdog import events as e

    # Opened/closed-without-writing events are noise: not asking for them saves work per file.
    return [e.FileCreatedEvent, e.FileModifiedEvent, e.FileDeletedEvent, e.FileMovedEvent,
            e.FileClosedEvent, e.DirCreatedEvent, e.DirDeletedEvent, e.DirMovedEvent]
