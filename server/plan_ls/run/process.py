"""Run a child process in its own process group: stream its output, stop it on time-out,
on cancel, or on Ctrl-C, and leave nothing of its group behind.

POSIX only (process groups, `killpg`); the agents plan-ls drives run there.
"""

from __future__ import annotations

import codecs
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

KEEP_BYTES = 1_000_000  # output kept in memory per process (the tail); the log has all
_POLL = 0.02  # seconds between looks at the child, the deadline and the cancel flag


@dataclass
class Finished:
    """How a child ended. `exit_code` is None when plan-ls stopped it."""

    exit_code: int | None
    output: str  # the last KEEP_BYTES of its stdout and stderr, interleaved as written
    duration: float  # seconds
    timed_out: bool = False
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def run_process(command: Sequence[str] | str, *, cwd: Path, env: Mapping[str, str] | None = None,
                stdin: Path | None = None, log: Path | None = None,
                on_output: Callable[[str], None] | None = None, timeout: float | None = None,
                cancel: threading.Event | None = None, grace: float = 2.0) -> Finished:
    """Run `command` (an argv list, or a string for the shell) with `cwd`, in a new session
    (so its own process group, which the terminal's Ctrl-C does not reach), and wait.

    Its stdout and stderr go, as they come, to `log` (appended, bytes as written) and to
    `on_output` (text). `stdin`: a file to read from (default: nothing). After `timeout`
    seconds, or when `cancel` is set, the whole group gets SIGTERM, then SIGKILL after
    `grace` seconds. KeyboardInterrupt while waiting stops the group the same way and is
    raised again. When the child exits, what is left of its group is stopped too.

    Raises OSError when the command cannot be started (not found, not executable)."""
    start = time.monotonic()
    stdin_fh = open(stdin, "rb") if stdin is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(command, cwd=cwd, env=dict(env) if env is not None else None,
                                stdin=stdin_fh, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, shell=isinstance(command, str),
                                start_new_session=True)
    finally:
        if stdin_fh is not subprocess.DEVNULL:
            stdin_fh.close()
    kept = bytearray()
    reader = threading.Thread(target=_pump, args=(proc, log, on_output, kept), daemon=True)
    reader.start()
    timed_out = cancelled = False
    deadline = start + timeout if timeout else None
    try:
        while proc.poll() is None:
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            if deadline is not None and time.monotonic() >= deadline:
                timed_out = True
                break
            try:
                proc.wait(timeout=_POLL)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        stop_group(proc, grace)
        reader.join(timeout=grace)
        raise
    stop_group(proc, grace)  # stopped on purpose, or leftovers of a child that exited
    reader.join(timeout=grace)
    code = None if (timed_out or cancelled) else proc.returncode
    return Finished(code, _decode_tail(bytes(kept)), time.monotonic() - start,
                    timed_out=timed_out, cancelled=cancelled)


def stop_group(proc: subprocess.Popen, grace: float = 2.0) -> None:
    """SIGTERM to the child's process group, SIGKILL after `grace` seconds if the child
    is still there; a group that is already gone is fine."""
    pgid = proc.pid  # start_new_session: the child leads its own group
    _signal_group(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal_group(pgid, signal.SIGKILL)
        proc.wait()
    # members that outlived the leader (an agent's own children) go too
    _signal_group(pgid, signal.SIGKILL)


def group_alive(pgid: int) -> bool:
    """Whether a live process is left in the process group `pgid`. Zombies (dead, not yet
    reaped by their new parent) do not count; Linux's /proc tells them apart."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after ")"
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _pump(proc: subprocess.Popen, log: Path | None, on_output: Callable[[str], None] | None,
          kept: bytearray) -> None:
    """Copy the child's output to the log, the callback and the kept tail until EOF."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    fd = proc.stdout.fileno()  # type: ignore[union-attr]
    log_fh = open(log, "ab") if log is not None else None  # noqa: SIM115
    try:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            if log_fh is not None:
                log_fh.write(chunk)
                log_fh.flush()
            kept.extend(chunk)
            if len(kept) > 2 * KEEP_BYTES:
                del kept[:-KEEP_BYTES]
            text = decoder.decode(chunk)
            if text and on_output is not None:
                on_output(text)
        rest = decoder.decode(b"", final=True)
        if rest and on_output is not None:
            on_output(rest)
    finally:
        if log_fh is not None:
            log_fh.close()
        proc.stdout.close()  # type: ignore[union-attr]


def _decode_tail(data: bytes) -> str:
    return data[-KEEP_BYTES:].decode("utf-8", errors="replace")
