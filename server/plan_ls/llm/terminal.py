"""The terminal's face of a generation (llm/job.py): a progress line on stderr, the answer
written to its file once, never over a file it should not replace.

The answer is gathered in memory and written at the end (atomically), so that:
- a complete, usable answer goes to the target (the caller chose it: the file itself when it
  is empty or --replace was given, else NAME-2.md);
- an answer that is cut off (stream broke, output limit, Ctrl-C, the model looping) or that
  the caller's `check` finds unusable (a plan with no steps, a checklist with no items)
  never replaces text: it goes to the target only when that is new or empty, else beside it;
- an answer with no text writes nothing.

Exit codes: 0 done; 1 failed or cut off (what arrived is kept, marked); 2 refused (over the
context budget) or bad usage; 3 warned (written, but `check` found it unusable); 130
interrupted.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from plan_ls.fileio import write_atomic
from plan_ls.llm.client import Endpoint, LlmError
from plan_ls.llm.job import Generation, Result, Runner

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_WARNED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def sibling(path: Path) -> Path:
    """spec.md -> spec-2.md: the first name not taken."""
    n = 2
    while (candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return candidate


def holds_text(path: Path) -> bool:
    """True when `path` is a file with something other than whitespace in it."""
    try:
        return bool(path.read_bytes().strip())
    except OSError:
        return False


class Progress:
    """`prompt_plan.md: 1,234 characters` (or the status) redrawn in place on a terminal;
    on anything else, each status once per line and nothing per piece."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream, self.name, self.chars = stream, name, 0
        self.tty = stream.isatty()
        self.status = ""
        self.started = time.monotonic()

    def set_status(self, text: str) -> None:
        self.status = text
        if self.tty:
            self._draw()
        elif not text.startswith("writing"):
            print(f"{self.name}: {text}", file=self.stream, flush=True)

    def add(self, n: int) -> None:
        self.chars += n
        if self.tty:
            self._draw()

    def _draw(self) -> None:
        what = f"{self.chars:,} characters" if self.chars else self.status
        seconds = time.monotonic() - self.started
        self.stream.write(f"\r\033[K{self.name}: {what} ({seconds:.0f} s)")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


@dataclass
class Written:
    """Where the answer went and how it ended."""

    code: int
    path: Path | None = None  # the file written, None when nothing was
    result: Result | None = None


def run_generation(endpoint: Endpoint, generation: Generation, *,
                   on_text: Callable[[str, Result], None] | None = None,
                   err: TextIO | None = None, label: str = "answer") -> tuple[int, Result]:
    """Run one generation in a new event loop with a progress line titled `label`.

    Returns (exit code so far, result): EXIT_REFUSED over budget, EXIT_INTERRUPTED on
    Ctrl-C (result holds what arrived), EXIT_FAILED when the call failed or was cut,
    else EXIT_OK. Messages go to `err`; `on_text(piece, result so far)` also sees every
    piece (to echo it). `err` None: sys.stderr as it is at the call (a caller may have
    redirected it since import)."""
    err = sys.stderr if err is None else err
    runner = Runner(endpoint, generation)
    progress = Progress(err, label)

    def deliver(text: str) -> None:
        progress.add(len(text))
        if on_text is not None:
            on_text(text, runner.result)

    def on_retry(error: LlmError, delay: float, attempt: int) -> None:
        progress.done()
        print(f"{error.message}; retry {attempt} in {delay:.1f} s", file=err)

    code = EXIT_OK
    try:
        result = asyncio.run(runner.run(deliver, on_status=progress.set_status,
                                        on_retry=on_retry))
    except KeyboardInterrupt:
        result = runner.result
        result.cut = "interrupted"
        code = EXIT_INTERRUPTED
    finally:
        progress.done()
    if result.refused:
        return EXIT_REFUSED, result
    if code == EXIT_OK and (result.error or result.cut):
        code = EXIT_FAILED
    return code, result


def write_answer(endpoint: Endpoint, generation: Generation, target: Path, *,
                 check: Callable[[str], str | None] | None = None,
                 err: TextIO | None = None, command: str = "plan-ls") -> Written:
    """Generate into `target` (see the module's docstring for where the text goes).

    `check(text)` returns a warning when a complete answer is unusable (e.g. "no steps");
    the text is then kept (beside an existing file) and the exit code is EXIT_WARNED.
    `err` None: sys.stderr at the call."""
    err = sys.stderr if err is None else err
    code, result = run_generation(endpoint, generation, err=err, label=target.name)
    if result.refused:
        print(f"{command}: refused: {result.error}", file=err)
        return Written(code, None, result)
    if result.error:
        print(f"{command}: {result.error}", file=err)
    for note in result.notes:
        print(f"{command}: left out of the answer: {note}", file=err)
    if not result.text:
        if code == EXIT_INTERRUPTED:
            print(f"{command}: interrupted before any text arrived", file=err)
        state = "unchanged" if target.exists() else "not written"
        print(f"{target.name} is {state}", file=err)
        return Written(code if code else EXIT_FAILED, None, result)
    text = result.text if result.text.endswith("\n") else result.text + "\n"
    warning = None
    if result.cut:
        text = result.text + result.cut_tail()
    elif check is not None:
        warning = check(text)
    usable = not result.cut and warning is None
    path = target if usable or not holds_text(target) else sibling(target)
    write_atomic(path, text)
    if result.cut:
        print(f"{path.name} keeps what arrived, marked as cut off ({result.cut})", file=err)
    elif warning is not None:
        kept = f"; {target.name} is kept as it was" if path != target else ""
        print(f"{command}: warning: {path.name} was written, but {warning}{kept}", file=err)
        code = EXIT_WARNED
    return Written(code, path, result)
