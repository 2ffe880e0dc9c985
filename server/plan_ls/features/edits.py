"""Changing files without losing the user's text.

An open document is changed through `workspace/applyEdit` with its version, so an edit
computed for an older version is refused by the client. A file that no editor has open is
changed on disk, atomically, and only if it still holds the text the edit was computed from.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types as t

from plan_ls.features.positions import lsp_text_edits
from plan_ls.fileio import UnreadableFile, read_text, write_atomic
from plan_ls.model.edit import TextEdit, apply_edits
from plan_ls.model.text import split_lines
from plan_ls.server import PlanServer

log = logging.getLogger(__name__)


class StaleEdit(Exception):
    """The file changed after the edit was computed; nothing was written."""


def versioned_edit(uri: str, version: int | None, lines: list[str],
                   edits: list[TextEdit]) -> t.WorkspaceEdit:
    return t.WorkspaceEdit(document_changes=[t.TextDocumentEdit(
        text_document=t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
        edits=lsp_text_edits(lines, edits))])


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
        edit = versioned_edit(uri, doc.version, model_lines(based_on), edits)
        # no label: Neovim echoes it after every check-off
        result = await ls.workspace_apply_edit_async(t.ApplyWorkspaceEditParams(edit=edit))
        return bool(result and result.applied)
    path = ls.path_of(uri)
    if path is None:
        return False
    write_if_unchanged(path, based_on, apply_edits(based_on, edits))
    _after_disk_write(ls, path)
    return True


def write_if_unchanged(path: Path, based_on: str, new_text: str) -> None:
    try:
        current = read_text(path)
    except FileNotFoundError:
        current = None
    except UnreadableFile as exc:
        raise StaleEdit(str(exc)) from exc
    if current != based_on:
        raise StaleEdit(f"{path} changed on disk while the edit was being prepared")
    write_atomic(path, new_text)


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
    write_atomic(path, text)
    _after_disk_write(ls, path)
    return True


def _after_disk_write(ls: PlanServer, path: Path) -> None:
    if ls.state.disk_changed(path):
        ls.plan_changed()


