"""Commands (workspace/executeCommand): every code action, and what scripts need."""

from __future__ import annotations

import logging
from typing import Any

import attrs
from lsprotocol import types as t

from plan_ls.features.arguments import command, path_field
from plan_ls.features.checklists import checklist_for
from plan_ls.features.edits import StaleEdit, apply_text_edits
from plan_ls.model.edit import mark_items
from plan_ls.model.todo import TodoDoc, TodoItem
from plan_ls.server import PlanServer

log = logging.getLogger(__name__)


@attrs.define
class MarkArgs:
    uri: str = path_field("markdown")  # default: the todo file
    lines: list[int] | None = None  # 0-based LSP lines
    step: str | None = None


@attrs.define
class StepArgs:
    number: str


@attrs.define
class InsertPromptArgs:
    uri: str = path_field("file", required=True)
    position: t.Position
    step: str | None = None
    template: str | None = None


class CommandError(Exception):
    """A command refused with a message for the user."""


def register(server: PlanServer) -> None:
    @command(server, "planLs.markDone", MarkArgs)
    async def mark_done(ls: PlanServer, args: MarkArgs) -> dict[str, Any]:
        return await _mark(ls, args, True)

    @command(server, "planLs.markNotDone", MarkArgs)
    async def mark_not_done(ls: PlanServer, args: MarkArgs) -> dict[str, Any]:
        return await _mark(ls, args, False)

    @command(server, "planLs.status")
    def status(ls: PlanServer) -> dict[str, Any]:
        return ls.state.status_json()

    @command(server, "planLs.nextStep")
    def next_step(ls: PlanServer) -> dict[str, Any] | None:
        step = ls.state.snapshot.next_step()
        if step is None:
            return None
        return {"number": step.number, "title": step.title, "prompt": step.prompt_text,
                "uri": ls.role_uri("plan"), "line": step.line}

    @command(server, "planLs.openStep", StepArgs)
    async def open_step(ls: PlanServer, args: StepArgs) -> bool:
        plan = ls.state.snapshot.plan
        step = plan.find(args.number) if plan else None
        if step is None:
            ls.tell_user(f"No step {args.number} in the plan")
            return False
        pos = t.Position(line=step.line, character=0)
        result = await ls.window_show_document_async(t.ShowDocumentParams(
            uri=ls.role_uri("plan"), take_focus=True, selection=t.Range(start=pos, end=pos)))
        return bool(result and result.success)

    @command(server, "planLs.insertPrompt", InsertPromptArgs)
    async def insert_prompt(ls: PlanServer, args: InsertPromptArgs) -> bool:
        if args.template:
            renderer = getattr(ls, "render_template_for", None)
            if renderer is None:
                return _refuse(ls, "Templates are not available in this build of plan-ls")
            text = renderer(args.template)
        else:
            snap = ls.state.snapshot
            step = (snap.plan.find(args.step) if snap.plan and args.step else snap.next_step())
            if step is None:
                return _refuse(ls, f"No step {args.step or '(next)'} in the plan")
            text = step.prompt_text.strip("\n") + "\n"
        pos = args.position
        doc = ls.open_document(args.uri)
        edit = t.WorkspaceEdit(document_changes=[t.TextDocumentEdit(
            text_document=t.OptionalVersionedTextDocumentIdentifier(
                uri=doc.uri if doc else args.uri, version=doc.version if doc else None),
            edits=[t.TextEdit(range=t.Range(start=pos, end=pos), new_text=text)])])
        result = await ls.workspace_apply_edit_async(t.ApplyWorkspaceEditParams(edit=edit))
        return bool(result and result.applied)


def _refuse(ls: PlanServer, message: str) -> bool:
    ls.tell_user(message)
    return False


def _items_on_lines(todo: TodoDoc, lines: list[int]) -> list[TodoItem]:
    """The items on the given lines; a heading's line stands for every item under it."""
    items: dict[int, TodoItem] = {}
    for line in lines:
        item = todo.item_at(line)
        if item is not None:
            items[item.index] = item
        elif (h := todo.heading_at(line)) is not None:
            items.update((it.index, it) for it in todo.items_under_heading(h))
    return [items[i] for i in sorted(items)]


async def _mark(ls: PlanServer, args: MarkArgs, done: bool) -> dict[str, Any]:
    uri = args.uri or ls.role_uri("todo")
    found = checklist_for(ls, uri)
    if found is None:
        _refuse(ls, f"{uri} has no checklist")
        return {"applied": False, "changed": 0}
    todo, text = found
    if args.step is not None:
        snap = ls.state.snapshot
        step = snap.plan.find(args.step) if snap.plan else None
        if step is None:
            _refuse(ls, f"No step {args.step} in the plan")
            return {"applied": False, "changed": 0}
        items = snap.items_of_step(step)
        if not items:
            _refuse(ls, f"Step {args.step} has no todo items to check off")
            return {"applied": False, "changed": 0}
    else:
        items = _items_on_lines(todo, args.lines or [])
        if not items:
            _refuse(ls, "No checklist item on the given lines")
            return {"applied": False, "changed": 0}
    edits = mark_items(items, done)
    try:
        applied = await apply_text_edits(ls, uri, edits, text)
    except StaleEdit as exc:
        _refuse(ls, f"Not applied: {exc}. Try again.")
        return {"applied": False, "changed": 0}
    except OSError as exc:
        _refuse(ls, f"Could not write {uri}: {exc}")
        return {"applied": False, "changed": 0}
    return {"applied": applied, "changed": len(edits) if applied else 0}
