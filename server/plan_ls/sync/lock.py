"""An exclusive lock on a project's plan, shared by every plan-ls process on the machine.

`fcntl.flock` on `.plan-ls/plan.lock` under the project root. The lock file is never replaced
(the plan itself is, by write-to-temp-and-rename, which is why the plan cannot be the lock).
The kernel drops the lock when the process dies, so a killed agent never leaves it held.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_DIR = ".plan-ls"
LOCK_NAME = "plan.lock"
# Keeps `git status` clean without touching the project's own .gitignore.
_GITIGNORE = "# written by plan-ls: the lock file is local to this machine\nplan.lock\n.gitignore\n"


class LockTimeout(Exception):
    pass


def lock_path(root: Path) -> Path:
    return root / LOCK_DIR / LOCK_NAME


@contextlib.contextmanager
def plan_lock(root: Path, timeout: float = 30.0) -> Iterator[None]:
    path = lock_path(root)
    _prepare(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, timeout)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


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


def _acquire(fd: int, timeout: float) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no flock; fall back to msvcrt's byte-range lock
        _acquire_windows(fd, timeout)
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:  # poll instead of a blocking flock so that a timeout is possible
        time.sleep(delay)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise LockTimeout(
                    f"another plan-ls holds the plan lock for over {timeout:g} s") from None
            delay = min(delay * 2, 0.01)  # the critical section is a few ms


def _acquire_windows(fd: int, timeout: float) -> None:
    import msvcrt

    deadline = time.monotonic() + timeout
    while True:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return
        except OSError:
            if time.monotonic() > deadline:
                raise LockTimeout("another plan-ls holds the plan lock") from None
            time.sleep(0.02)
