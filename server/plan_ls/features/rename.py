"""Rename a step's number (`textDocument/prepareRename` + `textDocument/rename`): the step's
label and every mention of it in the plan and the checklist, in one WorkspaceEdit.

The edit carries each open document's version, so a client refuses it when the text moved on
after the server computed it; files no editor has open are in the same edit (version null),
for the client to change: the server never writes behind the editor here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as t
from pygls.exceptions import JsonRpcException

from plan_ls.features.feature import Feature
from plan_ls.features.navigate import StepMentions
from plan_ls.features.positions import codec_of, finding_range, lsp_text_edits, server_column
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.renumber import RenameTarget



class RenameFailed(JsonRpcException):
    """LSP's RequestFailed: the client shows the message to the user."""

    CODE = -32803


class Rename(Feature):
    """Renumbering a step by renaming its number."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_RENAME, self.rename, t.RenameOptions(prepare_provider=True))
        self.feature(t.TEXT_DOCUMENT_PREPARE_RENAME, self.prepare_rename)

    def _target(self, ls: PlanServer, uri: str, position: t.Position) -> RenameTarget | None:
        from plan_ls.model.navigation import find_mentions
        from plan_ls.model.renumber import rename_target
        if ls.state_for(uri) is not ls.state:  # renumbering edits the primary plan's files
            return None
        snap = ls.state.snapshot
        mentions = ls.get_feature(StepMentions)
        plan_lines = mentions.lines_of(ls.role_uri("plan"))
        lines = mentions.lines_of(uri)
        if snap.plan is None or plan_lines is None or lines is None:
            return None
        if not 0 <= position.line < len(lines):
            return None
        text = lines[position.line]
        column = server_column(codec_of(ls), text, position.character)
        found = find_mentions([text], snap.plan, position.line)  # the cursor's line is enough
        return rename_target(snap.plan, plan_lines, found, position.line, column,
                             ls.role_of_uri(uri) == "plan")

    def prepare_rename(self, ls: PlanServer, params: t.PrepareRenameParams
                       ) -> t.PrepareRenamePlaceholder | None:
        """The number under the cursor, when it is a step's (null elsewhere)."""
        uri = params.text_document.uri
        target = self._target(ls, uri, params.position)
        if target is None:
            return None
        lines = ls.get_feature(StepMentions).lines_of(uri) or []
        return t.PrepareRenamePlaceholder(
            range=finding_range(lines, target.line, target.start, target.end, codec_of(ls)),
            placeholder=target.number)

    def rename(self, ls: PlanServer, params: t.RenameParams) -> t.WorkspaceEdit | None:
        """Give the step under the cursor the number `newName`; RequestFailed with the
        reason when it cannot be done (not a number, another step's, unwritten)."""
        from plan_ls.model.renumber import RenameRefused, rename_step
        target = self._target(ls, params.text_document.uri, params.position)
        files = planning_files(ls)
        if target is None or files is None:
            raise RenameFailed("No step number here to rename")
        uris, lines = files
        plan = ls.state.snapshot.plan
        assert plan is not None  # planning_files checked it
        others = {k: v for k, v in lines.items() if k != "plan"}
        try:
            edits = rename_step(plan, target.step, params.new_name, lines["plan"], others)
        except RenameRefused as exc:
            raise RenameFailed(str(exc)) from exc
        return workspace_edit(ls, {uris[k]: (lines[k], e) for k, e in edits.items()})


def planning_files(ls: PlanServer) -> tuple[dict[str, str], dict[str, list[str]]] | None:
    """(role -> uri, role -> lines) of the plan and, when there is one, the checklist: what a
    renumbering edits. None without a parsed plan."""
    mentions = ls.get_feature(StepMentions)
    uris = {"plan": ls.role_uri("plan")}
    plan_lines = mentions.lines_of(uris["plan"])
    if ls.state.snapshot.plan is None or plan_lines is None:
        return None
    lines = {"plan": plan_lines}
    if ls.state.snapshot.todo is not None:
        todo_uri = ls.role_uri("todo")
        todo_lines = mentions.lines_of(todo_uri)
        if todo_lines is not None:
            lines["todo"], uris["todo"] = todo_lines, todo_uri
    return uris, lines


def workspace_edit(ls: PlanServer, per_uri: dict[str, tuple[list[str], list]]) -> t.WorkspaceEdit:
    """One WorkspaceEdit of model edits per document (uri -> (lines, edits)): versioned
    document changes (the open documents' versions, null for files not open), or plain
    `changes` for a client that reads no documentChanges. RenameFailed when an open
    document moved on from the text the edits were computed on."""
    codec = codec_of(ls)
    caps = ls.client_capabilities.workspace
    edit_caps = caps.workspace_edit if caps else None
    # resource operations exist only in documentChanges: a client that lists them (Neovim
    # 0.11) reads documentChanges, and with it the versions that keep stale edits out
    versioned = bool(edit_caps and (edit_caps.document_changes
                                    or edit_caps.resource_operations))
    changes: list[t.TextDocumentEdit] = []
    plain: dict[str, list[t.TextEdit]] = {}
    for uri, (lines, edits) in per_uri.items():
        role = ls.role_of_uri(uri)
        doc = ls.open_document(uri)
        version = None
        if doc is not None:
            state = ls.state_for(uri).state[role] if role is not None else None
            if state is None or state.version != doc.version:
                raise RenameFailed(f"{uri.rsplit('/', 1)[-1]} changed; try again")
            version = doc.version
        lsp_edits = lsp_text_edits(lines, edits, codec)
        changes.append(t.TextDocumentEdit(
            text_document=t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=lsp_edits))
        plain[uri] = lsp_edits
    if versioned:
        return t.WorkspaceEdit(document_changes=changes)
    return t.WorkspaceEdit(changes=plain)  # a client that declares no documentChanges
