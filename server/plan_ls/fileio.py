"""Reading and writing planning files safely: atomic writes, tolerant reads, byte-exact edits.

Text is read as UTF-8 with one U+FFFD per byte that does not decode. An edit on disk goes
through `replace_if_unchanged`, which decodes the same bytes with `surrogateescape` (the same
str indices, each bad byte kept as a lone surrogate) and encodes back the same way: the bytes
outside the edit, valid or not, are written back exactly as they were. It writes only over
the very file it read: compared again at the end, then swapped in with an atomic exchange of
names where Linux offers one (`renameat2`), so that a file another program put in place in
the last instant comes out of the swap and is put back.

Temporary files are named `.NAME.PID.RANDOM.tmp` beside their target (a rename must not cross
file systems). One left behind by a killed process is removed by the next write into that
folder, or by `clean_stale_temp_files`.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

MAX_READ_BYTES = 50 * 1024 * 1024
_CLEAN_EVERY = 10.0  # seconds between two looks for stale temporary files in one folder
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp")


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; done once, at import
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _replace_each_byte(exc: UnicodeError) -> tuple[str, int]:
    """One U+FFFD per undecodable byte (Python's "replace" gives one per bad sequence), so
    that str indices agree with a `surrogateescape` decode of the same bytes."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "\ufffd" * (exc.end - exc.start), exc.end


codecs.register_error("plan-ls-replace", _replace_each_byte)


class UnreadableFile(Exception):
    """A file that exists but cannot be used as text (binary, too large, no permission)."""


class FileChanged(Exception):
    """The file on disk is not the text an edit was computed from, or it changed while the
    edit was being written. Nothing was written."""


def decode(data: bytes) -> str:
    """UTF-8 bytes as text; each byte that does not decode becomes one U+FFFD."""
    return data.decode("utf-8", errors="plan-ls-replace")


def read_text(path: Path, max_bytes: int = MAX_READ_BYTES) -> str:
    """Read a text file, keeping CRLF and a BOM exactly as they are on disk.

    Raises FileNotFoundError for a missing file and UnreadableFile for binary or huge files.
    """
    return decode(_read_bytes(path, max_bytes)[0])


def _read_bytes(path: Path, max_bytes: int = MAX_READ_BYTES) -> tuple[bytes, tuple]:
    """The file's bytes and its identity (device, inode, size, mtime) as read."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_size > max_bytes:
                raise UnreadableFile(f"{path.name} is {st.st_size / 1e6:.1f} MB, over the "
                                     f"{max_bytes / 1e6:.0f} MB that plan-ls reads: split it "
                                     "into smaller files")
            data = fh.read()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    if b"\x00" in data[:8192]:
        raise UnreadableFile(f"{path}: looks like a binary file (NUL bytes), not markdown")
    return data, _identity(st)


def _identity(st: os.stat_result) -> tuple:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename: no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, text.encode("utf-8", errors="surrogateescape"))
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def replace_if_unchanged(path: Path, based_on: str, change: Callable[[str], str], *,
                         lock_root: Path | None = None, lock_timeout: float = 2.0,
                         attempts: int = 3) -> bool:
    """Rewrite `path` as `change(its text)`, only if its text is still `based_on`.

    `based_on` is the text as `read_text` gave it. `change` gets the file's text with each
    undecodable byte as a lone surrogate (at the index where `based_on` has U+FFFD) and
    returns the new text; bytes it leaves alone are written back unchanged, so a check-off
    changes one byte whatever the rest of the file holds.

    With `lock_root`, the whole read-compare-write holds that project's plan lock
    (sync/lock.py, `lock_timeout` seconds at most), so no other writer that takes it can
    interleave. Writers that do not take it are detected: the file's identity and content
    are compared again just before the swap (see `_exchange_in`), and a change there means
    a fresh read (up to `attempts` times). Returns False when there was nothing to change.

    Raises FileChanged (the text is not `based_on`, or kept changing), FileNotFoundError,
    UnreadableFile, LockTimeout and OSError. Nothing is written when it raises.
    """
    lock: contextlib.AbstractContextManager = contextlib.nullcontext()
    if lock_root is not None:
        from plan_ls.sync.lock import plan_lock

        lock = plan_lock(lock_root, timeout=lock_timeout)
    with lock:
        for _ in range(attempts):
            data, identity = _read_bytes(path)
            if decode(data) != based_on:
                raise FileChanged(f"{path.name} changed on disk after plan-ls read it")
            new = change(data.decode("utf-8", errors="surrogateescape"))
            new_data = new.encode("utf-8", errors="surrogateescape")
            if new_data == data:
                return False
            if _swap_in(path, new_data, data, identity):
                return True
    raise FileChanged(f"{path.name} kept changing while plan-ls wrote it")


def _swap_in(path: Path, new_data: bytes, old_data: bytes, identity: tuple) -> bool:
    """Put a temporary file holding `new_data` at `path` if `path` still holds `old_data`
    with the same identity; False (and nothing written) if it does not."""
    tmp = _write_temp(path, new_data)
    try:
        # The file stays open, so its inode cannot be reused while we compare against it.
        with open(path, "rb") as fh:
            # A writer that replaced the file shows as another inode; one that rewrote it in
            # place within the clock's granularity keeps its mtime, but not its content.
            if _identity(os.fstat(fh.fileno())) != identity or fh.read() != old_data:
                _unlink(tmp)
                return False
            exchange = _exchange()
            if exchange is not None:
                try:
                    return _exchange_in(exchange, tmp, path, fh.fileno())
                except _NoExchange:  # this file system cannot: as below
                    pass
            # the last look, as close to the rename as it gets: one stat
            if _identity(os.stat(path)) != identity:
                _unlink(tmp)
                return False
            os.replace(tmp, path)
            return True
    except BaseException:
        _unlink(tmp)
        raise


def _exchange_in(exchange: Callable[[str, str], None], tmp: str, path: Path,
                 read_fd: int) -> bool:
    """Swap `tmp` and `path` atomically, then look at what came out: if it is the file we
    read (open as `read_fd`), nothing was lost; if a writer replaced it in the instant
    before the swap, swap back so that its file is the one at `path`. A plain rename after
    a last look would leave that instant open: this is what closes it."""
    read = os.fstat(read_fd)
    ours = os.stat(tmp)
    try:
        exchange(tmp, str(path))
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise _NoExchange from exc
        raise
    came_out = os.stat(tmp)
    if os.path.samestat(came_out, read):
        _unlink(tmp)  # the old file: done
        return True
    exchange(tmp, str(path))  # theirs back at `path`; ours (or a still newer file) at tmp
    if not os.path.samestat(os.stat(tmp), ours):
        exchange(tmp, str(path))  # a third write landed on ours meanwhile: it is the newest
    _unlink(tmp)
    return False


class _NoExchange(Exception):
    """The file system does not support exchanging two names."""


_exchange_cache: list = []


def _exchange() -> Callable[[str, str], None] | None:
    """`renameat2(RENAME_EXCHANGE)` (Linux 3.15+, glibc 2.28+), or None where it is missing.
    Looked up on first use: ctypes is not worth loading at start-up."""
    if not _exchange_cache:
        _exchange_cache.append(_renameat2_exchange())
    return _exchange_cache[0]


def _renameat2_exchange() -> Callable[[str, str], None] | None:
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return None
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2

    def exchange(a: str, b: str) -> None:
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange):
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), b)

    return exchange


def _write_temp(path: Path, data: bytes) -> str:
    """A new temporary file beside `path` holding `data`, synced, with `path`'s mode."""
    clean_stale_temp_files(path.parent)
    while True:
        tmp = str(path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:  # keep the old file's mode, or the usual one for a new file
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~_UMASK
        os.chmod(tmp, mode)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


_cleaned: dict[str, float] = {}


def clean_stale_temp_files(folder: Path, force: bool = False) -> list[str]:
    """Remove the temporary files in `folder` that a killed plan-ls process left behind
    (its pid no longer runs). Looks at most every few seconds per folder unless `force`.
    Returns the names removed."""
    key = str(folder)
    now = time.monotonic()
    if not force and now - _cleaned.get(key, -_CLEAN_EVERY) < _CLEAN_EVERY:
        return []
    _cleaned[key] = now
    removed = []
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if e.name.endswith(".tmp") and e.name[0] == "."]
    except OSError:
        return []
    for name in names:
        m = _TEMP_NAME.fullmatch(name)
        if m is None or _alive(int(m.group("pid"))):
            continue
        if _unlink(os.path.join(folder, name)):
            removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows, os.kill(pid, 0) is a Ctrl+C
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or we cannot tell: leave its file alone
    return True


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:  # gone already, or not ours to remove
        return False
