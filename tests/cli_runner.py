"""Run the plan-ls command line from a test: the one way the tests do it.

By default the command runs in this process: `plan_ls.cli.main(argv)` with its own working
folder, environment and standard streams, which costs a few milliseconds where a new
interpreter costs ~0.2 s of CPU (~0.7 s for a command that imports the `openai` SDK), and the
suite runs a few hundred commands. `process=True` runs `python -m plan_ls` in a real process:
use it where the process itself is under test (exit codes from the entry point, signals, a
terminal, several processes racing, git calling the merge driver).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PLAN_LS = [sys.executable, "-m", "plan_ls"]


def run_cli(*args: str | Path, cwd: str | Path | None = None,
            env: Mapping[str, str] | None = None, input: str | None = None,
            process: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`plan-ls ARGS...` as a finished process: returncode, stdout and stderr as text.

    `env` is the whole environment of the command (None: this process's); `input` is its
    standard input (None: empty). In this process an exception escaping `main` is printed to
    stderr with returncode 1, as the interpreter would; `timeout` (s) applies to processes."""
    argv = [str(a) for a in args]
    if process:
        return subprocess.run([*PLAN_LS, *argv], cwd=cwd, env=None if env is None else dict(env),
                              input=input if input is not None else "", capture_output=True,
                              text=True, encoding="utf-8", errors="replace", timeout=timeout)
    from plan_ls.cli import main

    stdout, stderr = _stream(), _stream()
    with _environment(env), contextlib.chdir(cwd or os.getcwd()), \
            _streams(_stream(input or ""), stdout, stderr):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception:
            traceback.print_exc()
            code = 1
        for stream in (stdout, stderr):
            stream.flush()
    return subprocess.CompletedProcess(PLAN_LS + argv, code, _text(stdout), _text(stderr))


# `python -m plan_ls` with SIGINT handled as Python does by default (KeyboardInterrupt). A
# process inherits an ignored SIGINT, and Python then leaves it ignored: a suite started with
# nohup or as a background job of a script would see Ctrl-C tests hang instead of stop.
_WITH_SIGINT = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler);"
                " runpy.run_module('plan_ls', run_name='__main__', alter_sys=True)")


def start_cli(*args: str | Path, **popen: Any) -> subprocess.Popen:
    """`plan-ls ARGS...` started as a process of its own, for a test that sends it signals
    (Ctrl-C is SIGINT): SIGINT raises KeyboardInterrupt in it even when this test run was
    started with SIGINT ignored. `popen`: subprocess.Popen's keywords (stdout, cwd, ...)."""
    return subprocess.Popen([sys.executable, "-c", _WITH_SIGINT, *map(str, args)], **popen)


def _stream(text: str = "") -> io.TextIOWrapper:
    """A text stream over bytes, with `.buffer`, as sys.stdout is (not a tty)."""
    return io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8",
                            errors="surrogateescape", newline="\n", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    return stream.buffer.getvalue().decode("utf-8", errors="replace")


@contextlib.contextmanager
def _streams(stdin, stdout, stderr) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    if env is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
