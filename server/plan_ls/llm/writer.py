"""Applying a streamed answer to its target document as it arrives.

Pieces are batched: the first is applied at once (it is what the user waits for), later ones
at most every FLUSH_INTERVAL seconds. Nothing is written before the first piece, so a call
that fails before any text leaves the target untouched.

An open document gets unversioned `workspace/applyEdit` inserts at a position this writer
tracks itself: the server's copy of the document is stale until the client's didChange
arrives, and every applied edit bumps the version, so a versioned edit would be refused.
A file no editor has open is rewritten on disk atomically at each flush.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types as t

from plan_ls.fileio import write_atomic
from plan_ls.server import PlanServer

log = logging.getLogger(__name__)
FLUSH_INTERVAL = 0.05  # at most ~20 edits a second


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def end_position(text: str) -> t.Position:
    """The LSP position just past the end of `text`."""
    lines = text.split("\n")
    return t.Position(line=len(lines) - 1, character=utf16_len(lines[-1]))


def advance(pos: t.Position, inserted: str) -> t.Position:
    lines = inserted.split("\n")
    if len(lines) == 1:
        return t.Position(line=pos.line, character=pos.character + utf16_len(inserted))
    return t.Position(line=pos.line + len(lines) - 1, character=utf16_len(lines[-1]))


class WriteFailed(Exception):
    """The client refused an edit or the disk write failed: streaming must stop."""


class StreamWriter:
    """Writes `head` + the streamed text (+ a tail) into `path`.

    replace=True: the document becomes head + stream; otherwise head + stream are appended
    to the document's current text (`base`, used when the file is not open).
    """

    def __init__(self, ls: PlanServer, path: Path, base: str, head: str, *,
                 replace: bool) -> None:
        self.ls = ls
        self.path = path
        self.uri = ls.uri_of(path)
        self.head = head
        self.replace = replace
        self.text = "" if replace else base  # the whole document as this writer left it
        self.started = False
        self.in_editor = False
        self.written = 0  # characters of streamed text applied so far
        self.error: str | None = None
        self.first_flush_at: float | None = None
        self._pos = t.Position(line=0, character=0)
        self._pending = ""
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def feed(self, text: str) -> None:
        if not text or self.error:
            return
        self._pending += text
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self, tail: str = "") -> str:
        """Apply what is pending plus `tail`; returns the document text as written."""
        if tail and (self.started or self._pending):
            self._pending += tail
        self._closing = True
        self._wake.set()
        if self._task is None and self._pending:
            self._task = asyncio.get_running_loop().create_task(self._run())
        if self._task is not None:
            await self._task
        if self.started and not self.in_editor:
            if self.ls.state.disk_changed(self.path):
                self.ls.plan_changed()
        return self.text

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = -1.0
        while True:
            await self._wake.wait()
            self._wake.clear()
            wait = last + FLUSH_INTERVAL - loop.time()
            if wait > 0 and not self._closing:
                await asyncio.sleep(wait)
            chunk, self._pending = self._pending, ""
            if chunk and not self.error:
                try:
                    await self._flush(chunk)
                except WriteFailed as exc:
                    self.error = str(exc)
                last = loop.time()
            if self._closing and not self._pending:
                return

    async def _flush(self, chunk: str) -> None:
        if not self.started:
            self.started = True
            self.first_flush_at = asyncio.get_running_loop().time()
            self.in_editor = self.ls.open_document(self.uri) is not None
            chunk = self.head + chunk
            if self.in_editor:
                await self._first_editor_edit(chunk)
            else:
                self.text += chunk
                await self._write_disk()
            self.written += len(chunk) - len(self.head)
            return
        self.written += len(chunk)
        self.text += chunk
        if self.in_editor:
            await self._apply(t.Range(start=self._pos, end=self._pos), chunk)
            self._pos = advance(self._pos, chunk)
        else:
            await self._write_disk()

    async def _first_editor_edit(self, chunk: str) -> None:
        current = self.ls.open_document(self.uri).source
        end = end_position(current)
        if self.replace:
            start = t.Position(line=0, character=0)
            self.text = chunk
        else:
            start = end
            self.text = current + chunk
        await self._apply(t.Range(start=start, end=end), chunk)
        self._pos = advance(start, chunk)

    async def _apply(self, rng: t.Range, text: str) -> None:
        edit = t.WorkspaceEdit(changes={self.uri: [t.TextEdit(range=rng, new_text=text)]})
        try:
            result = await self.ls.workspace_apply_edit_async(
                t.ApplyWorkspaceEditParams(edit=edit, label="plan-ls: LLM answer"))
        except Exception as exc:  # the client answered with an error
            raise WriteFailed(f"the editor refused the edit to {self.path.name}: {exc}") from exc
        if not (result and result.applied):
            reason = getattr(result, "failure_reason", None) or "no reason given"
            raise WriteFailed(f"the editor did not apply the edit to {self.path.name} "
                              f"({reason})")

    async def _write_disk(self) -> None:
        try:  # fsync can take tens of ms: keep it off the event loop
            await asyncio.to_thread(write_atomic, self.path, self.text)
        except OSError as exc:
            raise WriteFailed(f"cannot write {self.path}: {exc}") from exc
