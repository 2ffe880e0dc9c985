"""Applying a streamed answer to its target document as it arrives.

Pieces are batched: the first is applied at once (it is what the user waits for), later ones
at most every FLUSH_INTERVAL seconds. Nothing is written before the first piece, so a call
that fails before any text leaves the target untouched.

An open document gets unversioned `workspace/applyEdit` inserts at a position this writer
tracks itself: the server's copy of the document is stale until the client's didChange
arrives, and every applied edit bumps the version, so a versioned edit would be refused.
A file no editor has open is rewritten on disk atomically at each flush.

Flushes are paced by their own cost: the next waits at least PACE times as long as the last
took. A disk write grows with the file; an edit's answer comes after the editor's didChange,
which this server digests first (re-parsing a planning file), so its round trip grows with
the document. Pacing keeps that work under about a sixth of the server's time, however big
the answer gets, so hover and Cancel are served in between.

The text waiting for the next flush is bounded: `writable()` makes the stream wait while
more than HIGH_WATER characters are pending. Without that, an endless or very fast stream
piles up in memory, every flush turns into one huge edit, and Cancel has to wait for it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types as t
from pygls.workspace import PositionCodec

from plan_ls.fileio import write_atomic
from plan_ls.server import PlanServer

log = logging.getLogger(__name__)
FLUSH_INTERVAL = 0.05  # at most ~20 edits a second
HIGH_WATER = 65_536  # pending characters past which the stream waits for the writer
PACE = 5  # wait at least this many times the last flush's duration before the next
MAX_PAUSE = 1.0


def end_position(text: str, codec: PositionCodec) -> t.Position:
    """The LSP position just past the end of `text`, its column in `codec`'s units."""
    lines = text.split("\n")
    return t.Position(line=len(lines) - 1, character=codec.client_num_units(lines[-1]))


def advance(pos: t.Position, inserted: str, codec: PositionCodec) -> t.Position:
    """The position just past `inserted` when it is inserted at `pos`."""
    lines = inserted.split("\n")
    if len(lines) == 1:
        return t.Position(line=pos.line,
                          character=pos.character + codec.client_num_units(inserted))
    return t.Position(line=pos.line + len(lines) - 1,
                      character=codec.client_num_units(lines[-1]))


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
        self.base = "" if replace else base
        self.started = False
        self.in_editor = False
        self.written = 0  # characters of streamed text applied so far
        self.error: str | None = None
        self.first_flush_at: float | None = None
        self._parts: list[str] = []  # what was written after `base` (a file not open only)
        self._pos = t.Position(line=0, character=0)
        self._pending: list[str] = []
        self._pending_len = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()  # set while the pending text is under HIGH_WATER
        self._room.set()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._pause = 0.0  # what the last flush's cost asks for before the next

    @property
    def pending(self) -> bool:
        return bool(self._pending_len)

    def feed(self, text: str) -> None:
        if not text or self.error:
            return
        self._pending.append(text)
        self._pending_len += len(text)
        if self._pending_len > HIGH_WATER:
            self._room.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def writable(self) -> None:
        """Return once the pending text is under HIGH_WATER (at once after an error, and
        when the writer has stopped, so that a stream never waits for nothing)."""
        while not self._room.is_set() and not self.error \
                and self._task is not None and not self._task.done():
            room = asyncio.ensure_future(self._room.wait())
            try:
                await asyncio.wait({room, self._task}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                room.cancel()

    async def close(self, tail: str = "") -> None:
        """Apply what is pending plus `tail` (only after some text: a call that wrote
        nothing leaves the file as it was)."""
        if tail and (self.started or self._pending):
            self.feed(tail)
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self.started and not self.in_editor:
            if self.ls.state_of_path(self.path).disk_changed(self.path):
                self.ls.plan_changed()

    @property
    def text(self) -> str:
        """The file as this writer left it (a file not open in an editor)."""
        return self.base + "".join(self._parts)

    def _take(self) -> str:
        chunk = "".join(self._pending)
        self._pending.clear()
        self._pending_len = 0
        self._room.set()
        return chunk

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = -1.0
        while True:
            await self._wake.wait()
            self._wake.clear()
            wait = last + max(FLUSH_INTERVAL, self._pause) - loop.time()
            if wait > 0 and not self._closing:
                try:  # a close (Cancel) cuts the pause short
                    await asyncio.wait_for(self._until_closing(), wait)
                except asyncio.TimeoutError:
                    pass
            chunk = self._take()
            if chunk and not self.error:
                started = loop.time()
                try:
                    await self._flush(chunk)
                except WriteFailed as exc:
                    self.error = str(exc)
                    self._room.set()
                last = loop.time()
                self._pause = min(MAX_PAUSE, PACE * (last - started))
            if self._closing and not self._pending:
                return

    async def _until_closing(self) -> None:
        while not self._closing:
            self._wake.clear()
            await self._wake.wait()

    async def _flush(self, chunk: str) -> None:
        if not self.started:
            self.started = True
            self.first_flush_at = asyncio.get_running_loop().time()
            self.in_editor = self.ls.open_document(self.uri) is not None
            chunk = self.head + chunk
            if self.in_editor:
                await self._first_editor_edit(chunk)
            else:
                self._parts.append(chunk)
                await self._write_disk()
            self.written += len(chunk) - len(self.head)
            return
        self.written += len(chunk)
        if self.in_editor:
            await self._apply(t.Range(start=self._pos, end=self._pos), chunk)
            self._pos = advance(self._pos, chunk, self.ls.workspace.position_codec)
        else:
            self._parts.append(chunk)
            await self._write_disk()

    async def _first_editor_edit(self, chunk: str) -> None:
        current = self.ls.open_document(self.uri).source
        codec = self.ls.workspace.position_codec
        end = end_position(current, codec)
        start = t.Position(line=0, character=0) if self.replace else end
        await self._apply(t.Range(start=start, end=end), chunk)
        self._pos = advance(start, chunk, codec)

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
