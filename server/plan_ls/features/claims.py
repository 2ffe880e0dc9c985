"""Claims in the editor: *Claim* / *Release* code actions and planLs.claim / planLs.release.

A claim is `(@name)` at the end of a todo item's line or a plan step's line. The name is the
`planLs.user` setting, else `git config user.name` (resolved once per settings change, so
code actions stay free of I/O).
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
from lsprotocol import types as t

from plan_ls.features.arguments import command, path_field
from plan_ls.features.checklists import checklist_for
from plan_ls.features.edits import (
    StaleEdit,
    apply_text_edits,
    versioned_edit,
    write_if_unchanged,
)
from plan_ls.model.edit import TextEdit, apply_edits, claim_edit, release_edit
from plan_ls.server import PlanServer
from plan_ls.sync.claims import Target, clean_name, default_user, plan_target, todo_target
from plan_ls.sync.lock import LockTimeout, plan_lock

log = logging.getLogger(__name__)
KIND = t.CodeActionKind.RefactorRewrite


@attrs.define
class ClaimArgs:
    uri: str = path_field("markdown")  # default: the todo file
    line: int = 0  # 0-based, as LSP counts
    name: str | None = None


@attrs.define
class _User:
    key: tuple | None = None
    name: str | None = None

    def get(self, ls: PlanServer) -> str | None:
        """The name, resolved again only when the setting or the root changed."""
        key = (ls.settings.user, ls.root)
        if key != self.key:
            self.key, self.name = key, default_user(ls.root, ls.settings.user)
        return self.name

    def refresh(self, ls: PlanServer) -> None:
        self.get(ls)  # after each plan change, so that code actions rarely wait for git


def register(server: PlanServer) -> None:
    user = _User()
    server.on_plan_changed.append(user.refresh)

    def claim_actions(ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        return _actions(ls, params, user.get(ls))

    server.code_action_providers.append(claim_actions)

    @command(server, "planLs.claim", ClaimArgs)
    async def claim(ls: PlanServer, args: ClaimArgs) -> dict[str, Any]:
        name = clean_name(args.name) if args.name else user.get(ls)
        if not name:
            _warn(ls, "No name to claim with: set planLs.user or `git config user.name`")
            return {"applied": False, "claim": None}
        return await _write(ls, args, name)

    @command(server, "planLs.release", ClaimArgs)
    async def release(ls: PlanServer, args: ClaimArgs) -> dict[str, Any]:
        return await _write(ls, args, None)


def _target(ls: PlanServer, uri: str, line: int) -> tuple[Target, str, list[str]] | None:
    """The item or step a claim at `line` of `uri` applies to, the text it is in and that
    text's lines (already split by the parse: splitting a big file again costs ms)."""
    if ls.role_of_uri(uri) == "plan":
        text = ls.state.state["plan"].text
        plan = ls.state.snapshot.plan
        target = plan_target(ls.state.snapshot, line)
        lines = plan.blocks.source_lines() if plan is not None else []
    else:
        found = checklist_for(ls, uri)
        if found is None:
            return None
        target, text = todo_target(found[0], line), found[1]
        lines = found[0].blocks.source_lines()
    if target is None or text is None:
        return None
    return target, text, lines


def _edit(lines: list[str], target: Target, name: str | None) -> TextEdit | None:
    if target.line >= len(lines):
        return None
    source = lines[target.line]
    return claim_edit(source, target.line, name) if name else release_edit(source, target.line)


def _actions(ls: PlanServer, params: t.CodeActionParams, name: str | None) -> list[t.CodeAction]:
    uri = params.text_document.uri
    found = _target(ls, uri, params.range.start.line)
    if found is None:
        return []
    target, _text, lines = found
    version = ls.document_version(uri)
    out = []
    if name and target.claim != name:
        title = f"Claim {target.label} for @{name}"
        if target.claim:
            title += f" (takes it from @{target.claim})"
        out.append((title, _edit(lines, target, name)))
    if target.claim:
        out.append((f"Release {target.label} (@{target.claim})", _edit(lines, target, None)))
    return [t.CodeAction(title=title, kind=KIND,
                         edit=versioned_edit(uri, version, lines, [edit]))
            for title, edit in out if edit is not None]


async def _write(ls: PlanServer, args: ClaimArgs, name: str | None) -> dict[str, Any]:
    uri = args.uri or ls.role_uri("plan")
    found = _target(ls, uri, args.line)
    if found is None:
        _warn(ls, f"No todo item or plan step at line {args.line + 1} of {uri}")
        return {"applied": False, "claim": None}
    target, text, lines = found
    edit = _edit(lines, target, name)
    if edit is None:
        return {"applied": True, "claim": name}
    try:
        if ls.open_document(uri) is not None:
            applied = await apply_text_edits(ls, uri, [edit], text)
        else:
            applied = _write_on_disk(ls, uri, text, edit)
    except (StaleEdit, OSError, LockTimeout) as exc:
        _warn(ls, f"Not applied: {exc}")
        return {"applied": False, "claim": target.claim}
    return {"applied": applied, "claim": name if applied else target.claim}


def _write_on_disk(ls: PlanServer, uri: str, text: str, edit: TextEdit) -> bool:
    """Under the plan lock that `plan-ls next --claim` takes, so the two never interleave."""
    path = ls.path_of(uri)
    if path is None:
        return False
    with plan_lock(ls.root or path.parent, timeout=2.0):
        write_if_unchanged(path, text, apply_edits(text, [edit]))
    if ls.state.disk_changed(path):
        ls.plan_changed()
    return True


def _warn(ls: PlanServer, message: str) -> None:
    ls.tell_user(message)
