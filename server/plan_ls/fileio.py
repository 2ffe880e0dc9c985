"""Reading and writing planning files safely: atomic writes, tolerant reads."""

from __future__ import annotations

import os
from pathlib import Path

MAX_READ_BYTES = 50 * 1024 * 1024


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; done once, at import
    os.umask(mask)
    return mask


_UMASK = _read_umask()


class UnreadableFile(Exception):
    """A file that exists but cannot be used as text (binary, too large, no permission)."""


def read_text(path: Path, max_bytes: int = MAX_READ_BYTES) -> str:
    """Read a text file, keeping CRLF and a BOM exactly as they are on disk.

    Raises FileNotFoundError for a missing file and UnreadableFile for binary or huge files.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise UnreadableFile(f"{path.name} is {size / 1e6:.1f} MB, over the "
                             f"{max_bytes / 1e6:.0f} MB that plan-ls reads: split it into "
                             "smaller files")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    if b"\x00" in data[:8192]:
        raise UnreadableFile(f"{path}: looks like a binary file (NUL bytes), not markdown")
    # newline="" semantics: decode bytes ourselves so "\r\n" survives.
    return data.decode("utf-8", errors="replace")


def write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename: no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # it imports shutil, bz2 and lzma: not at start-up

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); keep the old file's mode, or the usual one
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
