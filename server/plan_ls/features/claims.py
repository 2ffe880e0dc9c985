"""Claims in the editor: *Claim* / *Release* code actions and planLs.claim / planLs.release.

A claim is `(@name)` at the end of a todo item's line or a plan step's line. The name is the
`planLs.user` setting, else `git config user.name`, asked in a worker thread once per
settings change (never on the event loop: git can hang on a slow disk or a network home), so
code actions stay free of I/O.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types as t

from plan_ls.confinement import OutsideWorkspace
from plan_ls.features.arguments import command, path_field
from plan_ls.features.checklists import checklist_doc, checklist_for
from plan_ls.features.edits import (
    StaleEdit,
    apply_text_edits,
    versioned_edit,
    write_if_unchanged,
)
from plan_ls.features.feature import Feature
from plan_ls.features.positions import codec_of
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.edit import TextEdit
    from plan_ls.sync.claims import Target

log = logging.getLogger(__name__)
KIND = t.CodeActionKind.RefactorRewrite


@attrs.define
class ClaimArgs:
    uri: str = path_field("markdown")  # default: the todo file
    line: int = 0  # 0-based, as LSP counts
    name: str | None = None
    push: bool = False  # claim the step on the remote branch (sync/remote.py)


def clean_name(name: str | None) -> str | None:
    """sync.claims.clean_name (imported on first use: it brings the model)."""
    from plan_ls.sync.claims import clean_name

    return clean_name(name)


class _User:
    """The name to claim with: the setting, else git's user.name, asked off the loop."""

    def __init__(self) -> None:
        self.key: tuple[str, Path | None] | None = None  # (setting, root) `name` is for
        self.name: str | None = None
        self.task: asyncio.Task[None] | None = None

    def get(self, ls: PlanServer) -> str | None:
        """The name as known now, without waiting (None while git is being asked)."""
        if clean_name(ls.settings.user):
            return clean_name(ls.settings.user)
        self.refresh(ls)
        return self.name if self.task is None or self.task.done() else None

    def refresh(self, ls: PlanServer) -> None:
        """Ask git again when the setting or the root changed (after each plan change, so
        that code actions rarely find the name unknown)."""
        key = (ls.settings.user, ls.root)
        if key == self.key or clean_name(ls.settings.user):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the server's loop: a unit test calling plan_changed
            return
        self.key, self.name = key, None
        self.task = loop.create_task(self._ask_git(key))

    async def _ask_git(self, key: tuple[str, Path | None]) -> None:
        from plan_ls.sync.claims import default_user

        name = await asyncio.to_thread(default_user, key[1], key[0])
        if self.key == key:  # not replaced meanwhile
            self.name = name

    async def resolve(self, ls: PlanServer) -> str | None:
        """The name, waiting for git if it is being asked."""
        name = self.get(ls)
        task = self.task
        if name is None and task is not None:
            await asyncio.shield(task)
            name = self.get(ls)
        return name


class Claims(Feature):
    """Claim / Release code actions and the planLs.claim / planLs.release commands."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        self.user = _User()

    def register(self) -> None:
        server = self.server
        server.on_plan_changed.append(self.user.refresh)
        server.code_action_providers.append(self.claim_actions)
        command(server, "planLs.claim", ClaimArgs)(self.claim)
        command(server, "planLs.release", ClaimArgs)(self.release)

    def claim_actions(self, ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        """Claim (for the user) and Release actions on a todo item or a plan step."""
        return _actions(ls, params, self.user.get(ls))

    async def claim(self, ls: PlanServer, args: ClaimArgs) -> dict[str, Any]:
        """Write `(@name)` on the item or step at `args.line`: {applied, claim}."""
        name = clean_name(args.name) if args.name else await self.user.resolve(ls)
        if not name:
            _warn(ls, "No name to claim with: set planLs.user or `git config user.name`")
            return {"applied": False, "claim": None}
        if args.push:
            return await _push(ls, args, name)
        return await _write(ls, args, name)

    async def release(self, ls: PlanServer, args: ClaimArgs) -> dict[str, Any]:
        """Remove the claim on the item or step at `args.line`: {applied, claim}."""
        if args.push:
            return await _push(ls, args, None)
        return await _write(ls, args, None)


async def _push(ls: PlanServer, args: ClaimArgs, name: str | None) -> dict[str, Any]:
    """Claim (release) the plan step at `args.line` on the remote branch, in a worker thread
    (git talks to the network): {applied, claim, commit}. The local branch takes the commit,
    and the watcher brings the new plan in like any change on disk."""
    from plan_ls.sync.claims import ClaimError
    from plan_ls.sync.git import GitError
    from plan_ls.sync.remote import PushRefused, claim_number, push_plan_change

    uri = args.uri or ls.role_uri("plan")
    plan = ls.state.snapshot.plan
    step = plan.step_at(args.line) if plan is not None and ls.role_of_uri(uri) == "plan" \
        else None
    if step is None or ls.root is None:
        _warn(ls, "A claim through the remote is made on a plan step: put the cursor on one")
        return {"applied": False, "claim": None}
    try:
        pushed = await asyncio.to_thread(push_plan_change, ls.root, ls.settings.files,
                                         claim_number(step.number, name))
    except (GitError, ClaimError, PushRefused, OSError) as exc:
        _warn(ls, f"Not claimed on the remote: {exc}")
        return {"applied": False, "claim": step.claim}
    if pushed is not None and not pushed.local_updated:
        _warn(ls, "The claim is pushed, but this branch could not take it: run "
                  "`git pull --rebase`")
    return {"applied": True, "claim": name, "commit": pushed.commit if pushed else None}


def _target(ls: PlanServer, uri: str, line: int,
            text_needed: bool = True) -> tuple[Target, str, list[str]] | None:
    """The item or step a claim at `line` of `uri` applies to, the text it is in ("" unless
    `text_needed`: a checklist's text may cost a join) and that text's lines (already split by
    the parse: splitting a big file again costs ms)."""
    from plan_ls.sync.claims import plan_target, todo_target

    if ls.role_of_uri(uri) == "plan":
        state = ls.state_for(uri)
        text = state.state["plan"].text
        plan = state.snapshot.plan
        target = plan_target(state.snapshot, line)
        lines = plan.blocks.source_lines() if plan is not None else []
    elif not text_needed:
        todo = checklist_doc(ls, uri)
        if todo is None:
            return None
        target, text, lines = todo_target(todo, line), "", todo.blocks.source_lines()
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
    from plan_ls.model.edit import claim_edit, release_edit

    if target.line >= len(lines):
        return None
    source = lines[target.line]
    return claim_edit(source, target.line, name) if name else release_edit(source, target.line)


def _actions(ls: PlanServer, params: t.CodeActionParams, name: str | None) -> list[t.CodeAction]:
    uri = params.text_document.uri
    found = _target(ls, uri, params.range.start.line, text_needed=False)
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
                         edit=versioned_edit(uri, version, lines, [edit], codec_of(ls)))
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
            applied = await _write_on_disk(ls, uri, text, edit)
    except (StaleEdit, OSError, OutsideWorkspace) as exc:
        _warn(ls, f"Not applied: {exc}")
        return {"applied": False, "claim": target.claim}
    return {"applied": applied, "claim": name if applied else target.claim}


async def _write_on_disk(ls: PlanServer, uri: str, text: str, edit: TextEdit) -> bool:
    """Under the plan lock that `plan-ls next --claim` takes, so the two never interleave."""
    path = ls.path_of(uri)
    if path is None:
        return False
    await write_if_unchanged(ls.writable(path), text, [edit], ls.root or path.parent)
    if ls.state_of_path(path).disk_changed(path):
        ls.plan_changed()
    return True


def _warn(ls: PlanServer, message: str) -> None:
    ls.tell_user(message)
