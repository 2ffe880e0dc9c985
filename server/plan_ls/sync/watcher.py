"""The workspace watcher: watchdog events, filtered on watchdog's thread, debounced on asyncio's.

Watchdog calls us on its own thread. There we keep only events that touch a planning file
(a set lookup for the rest), add their paths to a set under a lock, and wake the asyncio loop
once per batch with `call_soon_threadsafe`. Memory stays bounded by the number of distinct
planning files, not by the number of events.

On the loop, a debounce turns a burst into one update. Most events say that a write is under
way (created, modified, deleted, renamed away): for those we wait for a quiet spell, so that
an editor's save (delete + create + rename) or a truncate-and-write is read once, whole. Two
events say that a write is finished: a file closed after writing, and a file renamed onto a
planning file (the last step of an atomic save). After those we update almost at once, which
is what keeps an agent's check-off fast. A storm that never pauses (`git checkout`) still
gets an update `max_wait` after its first event.
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

QUIET = 0.05  # seconds without a relevant event before an update, while a write is under way
SETTLE = 0.002  # after a write finished: just long enough to take the rest of the batch
MAX_WAIT = 0.25  # an update at the latest this long after the first event of a burst


class Debouncer:
    """Collects paths from any thread; calls `flush(paths)` on the loop, once per burst."""

    def __init__(self, loop: asyncio.AbstractEventLoop, flush: Callable[[set[Path]], None],
                 quiet: float = QUIET, max_wait: float = MAX_WAIT,
                 settle: float = SETTLE) -> None:
        self.loop, self.flush = loop, flush
        self.quiet, self.max_wait, self.settle = quiet, max_wait, settle
        self._lock = threading.Lock()
        self._incoming: set[str] = set()
        self._finished = False  # a write finished since the last batch
        self._posted = False
        self._pending: set[str] = set()
        self._first: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.flushes = 0

    def add_threadsafe(self, paths: Iterable[str], finished: bool = False) -> None:
        """`finished`: the event ends a write (closed after writing, renamed into place)."""
        with self._lock:
            self._incoming.update(paths)
            self._finished |= finished
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
            finished, self._finished = self._finished, False
            self._posted = False
        self._pending |= incoming
        now = self.loop.time()
        if self._first is None:
            self._first = now
        if self._timer is not None:
            self._timer.cancel()
        wait = self.settle if finished else self.quiet
        delay = max(0.0, min(wait, self._first + self.max_wait - now))
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
        self._handler = _Handler(self)
        self._subtrees: dict[str, object] = {}  # top-level folder -> its recursive watch
        self._lock = threading.Lock()
        self._tree_lock = threading.RLock()
        self._started = threading.Event()
        self._stopped = False

    # --- life cycle -----------------------------------------------------------------------
    def start(self, background: bool = True) -> None:
        """Start watching. Watchdog walks the tree to add its watches, which can take a while
        in a big repository, so by default that happens off the caller's thread."""
        if background:
            threading.Thread(target=self._start, name="plan-ls-watch-start", daemon=True).start()
        else:
            self._start()

    def wait_started(self, timeout: float | None = None) -> bool:
        return self._started.wait(timeout)

    def _start(self) -> None:
        """The root alone, plus one recursive watch per top-level folder that is not pruned:
        so `.git`, `node_modules`, `.venv` and gitignored folders at the top cost no kernel
        watches and no events at all. Deeper ignored folders are watched, and their events
        dropped by the filter."""
        from watchdog.observers import Observer

        observer = Observer()
        observer.start()
        with self._lock:
            self._observer = observer
        try:
            try:
                self._schedule(str(self.root), recursive=False)
                with os.scandir(self.root) as entries:
                    folders = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
                for folder in folders:
                    self._watch_subtree(folder)
                self.mode = "recursive"
            except OSError as exc:  # e.g. the inotify watch limit: the planning dirs only
                log.warning("cannot watch %s recursively (%s); watching the planning files' "
                            "folders only", self.root, exc)
                with self._tree_lock:
                    observer.unschedule_all()
                    self._subtrees.clear()
                for folder in sorted({os.path.dirname(p) for p in self.filter.literal}):
                    if os.path.isdir(folder):
                        self._schedule(folder, recursive=False)
                self.mode = "planning dirs"
        except _Stopped:
            pass
        except OSError:
            log.exception("cannot watch %s", self.root)
        self._started.set()
        if self._stopped:  # stop() came while we were starting
            self.stop()

    def _schedule(self, path: str, recursive: bool):
        observer = self._observer
        if observer is None:
            raise _Stopped
        return observer.schedule(self._handler, path, recursive=recursive,
                                 event_filter=_event_types())

    def _watch_subtree(self, folder: str) -> None:
        # the start thread and watchdog's thread both get here
        with self._tree_lock:
            if folder in self._subtrees or self.filter.prunes(folder):
                return
            try:
                self._subtrees[folder] = self._schedule(folder, recursive=True)
            except FileNotFoundError:  # gone again already
                pass

    def _unwatch_subtree(self, folder: str) -> None:
        with self._tree_lock:
            watch = self._subtrees.pop(folder, None)
            observer = self._observer
            if watch is not None and observer is not None:
                try:
                    observer.unschedule(watch)
                except (KeyError, OSError):  # watchdog dropped it when the folder went away
                    pass

    def stop(self) -> None:
        self._stopped = True
        self.debouncer.cancel()
        with self._lock:
            observer, self._observer = self._observer, None
        self.mode = "stopped"
        if observer is not None:
            observer.stop()
            observer.join(timeout=2)

    # --- called on watchdog's thread ------------------------------------------------------
    def _on_event(self, event) -> None:
        self.events += 1
        f = self.filter
        src = _text(event.src_path)
        if event.is_directory:
            dest = _text(event.dest_path) if event.event_type == "moved" else ""
            self._top_level_folder(event.event_type, src, dest)
            paths = f.dir_paths(src) + (f.dir_paths(dest) if dest else [])
            finished = False
        elif event.event_type == "moved":
            dest = _text(event.dest_path)
            landed = [] if f.quick_reject(dest) else f.file_paths(dest)
            paths = landed + ([] if f.quick_reject(src) else f.file_paths(src))
            finished = bool(landed)  # renamed onto a planning file: the save is complete
        else:
            paths = [] if f.quick_reject(src) else f.file_paths(src)
            finished = event.event_type == "closed"
        if paths:
            self.relevant += 1
            self.debouncer.add_threadsafe(paths, finished)

    def _top_level_folder(self, kind: str, src: str, dest: str) -> None:
        """Keep one recursive watch per top-level folder as folders come and go."""
        root = str(self.root)
        if self.mode != "recursive":
            return
        if kind in ("deleted", "moved") and os.path.dirname(src) == root:
            self._unwatch_subtree(src)
        new = src if kind == "created" else dest
        if new and os.path.dirname(new) == root:
            try:
                self._watch_subtree(new)
            except OSError as exc:  # the watch limit: this folder's planning files go unseen
                log.warning("cannot watch %s: %s", new, exc)


class _Stopped(Exception):
    """stop() was called while the watches were being set up."""


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
