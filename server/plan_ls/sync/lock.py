"""An exclusive lock on a project's plan, shared by every plan-ls process on the machine.

`filelock` (an OS lock: `flock` on Unix, `LockFileEx` on Windows) on `.plan-ls/plan.lock`
under the project root. The lock file is never replaced or removed (the planning files are,
by write-to-temp-and-rename, which is why they cannot be the lock), so every process locks
the same inode, including plan-ls versions that called `flock` on it themselves. The kernel
drops the lock when the process dies, so a killed agent never leaves it held.

Everything that rewrites a planning file in place of the user takes it: `plan-ls next
--claim`, `plan-ls done`, and the server's check-offs and claims on files no editor has open
(see `fileio.replace_if_unchanged`). A script that takes it around its own read-modify-write
never loses a write to plan-ls, nor plan-ls to it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

LOCK_DIR = ".plan-ls"
LOCK_NAME = "plan.lock"
# Keeps `git status` clean without touching the project's own .gitignore.
_GITIGNORE = "# written by plan-ls: the lock file is local to this machine\nplan.lock\n.gitignore\n"
_POLL = 0.005  # seconds between tries: the critical section is a few ms


class LockTimeout(Exception):
    """Another process held the plan lock for longer than the caller would wait."""


def lock_path(root: Path) -> Path:
    return root / LOCK_DIR / LOCK_NAME


@contextlib.contextmanager
def plan_lock(root: Path, timeout: float = 30.0) -> Iterator[None]:
    """Hold the plan lock of the project at `root` (seconds to wait; LockTimeout after)."""
    from filelock import FileLock, Timeout  # not at start-up: only writers need it

    path = lock_path(root)
    _prepare(path.parent)
    lock = FileLock(path, timeout=timeout, poll_interval=_POLL, preserve_lock_file=True)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeout(
            f"another plan-ls holds the plan lock for over {timeout:g} s") from None
    try:
        yield
    finally:
        lock.release()


@contextlib.asynccontextmanager
async def plan_lock_async(root: Path, timeout: float = 30.0) -> AsyncIterator[None]:
    """`plan_lock` for the event loop: while another process holds the lock, the loop
    serves other requests between tries (asyncio.sleep) instead of sleeping. Each try is a
    non-blocking `flock` made on the loop, so an uncontended lock is taken without
    yielding: a command that writes sees the disk as the previous command left it."""
    from filelock import AsyncFileLock, Timeout

    path = lock_path(root)
    _prepare(path.parent)
    lock = AsyncFileLock(path, timeout=timeout, poll_interval=_POLL, preserve_lock_file=True,
                         run_in_executor=False)
    try:
        await lock.acquire()
    except Timeout:
        raise LockTimeout(
            f"another plan-ls holds the plan lock for over {timeout:g} s") from None
    try:
        yield
    finally:
        await lock.release()


def _prepare(folder: Path) -> None:
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    try:
        with open(ignore, "x", encoding="utf-8") as fh:
            fh.write(_GITIGNORE)
    except FileExistsError:  # another process won the race to create it
        pass
