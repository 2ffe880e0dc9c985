"""Changing files without losing the user's text.

An open document is changed through `workspace/applyEdit` with its version, so an edit
computed for an older version is refused by the client. A file that no editor has open is
changed on disk, atomically, under the plan lock, byte for byte outside the edit, and only
if it still holds the text the edit was computed from (fileio.replace_if_unchanged).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as t
from pygls.workspace import PositionCodec

from plan_ls.features.positions import codec_of, lsp_text_edits
from plan_ls.fileio import FileChanged, UnreadableFile, replace_if_unchanged, write_atomic
from plan_ls.model.text import split_lines
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.edit import TextEdit

log = logging.getLogger(__name__)


LOCK_TIMEOUT = 2.0  # seconds a write waits for another process's plan lock


class StaleEdit(Exception):
    """The file changed after the edit was computed; nothing was written."""


def versioned_edit(uri: str, version: int | None, lines: list[str],
                   edits: list[TextEdit], codec: PositionCodec) -> t.WorkspaceEdit:
    """Model edits on `lines` as one versioned document change, columns in `codec`'s units."""
    return t.WorkspaceEdit(document_changes=[t.TextDocumentEdit(
        text_document=t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
        edits=lsp_text_edits(lines, edits, codec))])


def model_lines(text: str) -> list[str]:
    """Lines as the model counts them (BOM kept on line 0, so columns match item.col)."""
    return split_lines(text)


async def apply_text_edits(ls: PlanServer, uri: str, edits: list[TextEdit],
                           based_on: str) -> bool:
    """Apply model edits computed from `based_on` (the text the caller parsed)."""
    if not edits:
        return True
    doc = ls.open_document(uri)
    if doc is not None:
        if doc.source != based_on:
            raise StaleEdit(f"{uri} changed while the edit was being prepared")
        edit = versioned_edit(uri, doc.version, model_lines(based_on), edits, codec_of(ls))
        # no label: Neovim echoes it after every check-off
        result = await ls.workspace_apply_edit_async(t.ApplyWorkspaceEditParams(edit=edit))
        return bool(result and result.applied)
    path = ls.path_of(uri)
    if path is None:
        return False
    # on the loop, not in a thread: a second command must see the first one's write
    await write_if_unchanged(ls.writable(path), based_on, edits, ls.root or path.parent)
    _after_disk_write(ls, path)
    return True


async def write_if_unchanged(path: Path, based_on: str, edits: list[TextEdit],
                             root: Path, lock_timeout: float = LOCK_TIMEOUT) -> None:
    """Apply model edits computed from `based_on` to the file at `path`, under the plan
    lock of the project at `root` (waited for `lock_timeout` seconds at most, without
    blocking the loop); every byte outside the edits stays as it is on disk.
    Raises StaleEdit when the file is no longer `based_on` (or cannot be read or locked)."""
    from plan_ls.model.edit import apply_edits
    from plan_ls.sync.lock import LockTimeout, plan_lock_async

    try:
        async with plan_lock_async(root, timeout=lock_timeout):
            replace_if_unchanged(path, based_on, lambda text: apply_edits(text, edits))
    except FileNotFoundError as exc:
        raise StaleEdit(f"{path.name} was deleted after plan-ls read it") from exc
    except (FileChanged, UnreadableFile, LockTimeout) as exc:
        raise StaleEdit(str(exc)) from exc


async def write_document(ls: PlanServer, path: Path, text: str) -> bool:
    """Replace a file's whole text: through the editor if it is open, else on disk."""
    uri = ls.uri_of(path)
    doc = ls.open_document(uri)
    if doc is not None:
        lines = doc.lines
        end = t.Position(line=len(lines), character=0)
        edit = t.WorkspaceEdit(document_changes=[t.TextDocumentEdit(
            text_document=t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=doc.version),
            edits=[t.TextEdit(range=t.Range(start=t.Position(line=0, character=0), end=end),
                              new_text=text)])])
        result = await ls.workspace_apply_edit_async(t.ApplyWorkspaceEditParams(edit=edit))
        return bool(result and result.applied)
    write_atomic(ls.writable(path), text)
    _after_disk_write(ls, path)
    return True


def _after_disk_write(ls: PlanServer, path: Path) -> None:
    if ls.state_of_path(path).disk_changed(path):
        ls.plan_changed()


