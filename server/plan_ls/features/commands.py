"""Commands (workspace/executeCommand): every code action, and what scripts need."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams

from plan_ls.confinement import OutsideWorkspace
from plan_ls.features.arguments import command, path_field
from plan_ls.features.checklists import checklist_for
from plan_ls.features.edits import StaleEdit, apply_text_edits
from plan_ls.features.feature import Feature
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.todo import TodoDoc, TodoItem

log = logging.getLogger(__name__)


@attrs.define
class MarkArgs:
    uri: str = path_field("markdown")  # default: the todo file
    lines: list[int] | None = None  # 0-based LSP lines
    step: str | None = None


@attrs.define
class StatusArgs:
    plan: str | None = None  # a plan's id, or its end ("001-albums"); None: the primary plan


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


class Commands(Feature):
    """Check-off, status, next step, open step and insert prompt commands."""

    def register(self) -> None:
        server = self.server
        command(server, "planLs.markDone", MarkArgs)(self.mark_done)
        command(server, "planLs.markNotDone", MarkArgs)(self.mark_not_done)
        command(server, "planLs.status", StatusArgs)(self.status)
        command(server, "planLs.nextStep")(self.next_step)
        command(server, "planLs.openStep", StepArgs)(self.open_step)
        command(server, "planLs.insertPrompt", InsertPromptArgs)(self.insert_prompt)

    async def mark_done(self, ls: PlanServer, args: MarkArgs) -> dict[str, Any]:
        """Check off the items on `args.lines` or of `args.step`: {applied, changed}."""
        return await _mark(ls, args, True)

    async def mark_not_done(self, ls: PlanServer, args: MarkArgs) -> dict[str, Any]:
        """Uncheck the items on `args.lines` or of `args.step`: {applied, changed}."""
        return await _mark(ls, args, False)

    def status(self, ls: PlanServer, args: StatusArgs | None = None) -> dict[str, Any]:
        """The same object as `plan-ls status --json`: the primary plan's status (the root's
        prompt plan, else the first plan found) and `plans`, one entry per plan. With
        `args.plan`, that plan's (`plan-ls status --plan ID --json`), with its `id`, `format`
        and `archived`; a plan that is not there: InvalidParams naming the plans there are."""
        from plan_ls.sync.plans import ROOT_ID, PlanNotFound, PlanRef, plan_entry

        if args is not None and args.plan is not None:
            from plan_ls.sync.planset import plan_format, plan_id

            try:
                state = ls.plans.select(args.plan)
            except PlanNotFound as exc:
                raise JsonRpcInvalidParams(f"planLs.status: {exc}") from None
            data = state.status_json()
            data.update(id=plan_id(state), format=plan_format(state),
                        archived=bool(state.ref and state.ref.archived))
            return data
        listed = ls.plans.plans() if ls.root is not None else []
        if not listed:
            return {**ls.state.status_json(), "plans": []}
        datas = [(state, state.status_json()) for _, state in listed]
        root = ls.root
        data = dict(datas[0][1])
        data["plans"] = [plan_entry(state.ref or PlanRef(ROOT_ID, "prompt_plan", root), d, root)
                         for state, d in datas]
        return data

    def next_step(self, ls: PlanServer) -> dict[str, Any] | None:
        """{number, title, prompt, uri, line} of the primary plan's next open step (the plan
        `planLs.status` and `planLs/progress` put at the top), or None."""
        listed = ls.plans.plans() if ls.root is not None else []
        state = listed[0][1] if listed else ls.state
        step = state.snapshot.next_step()
        if step is None:
            return None
        return {"number": step.number, "title": step.title, "prompt": step.prompt_text,
                "uri": ls.role_uri("plan", state), "line": step.line}

    async def open_step(self, ls: PlanServer, args: StepArgs) -> bool:
        """Show the plan at step `args.number` (False: no such step, or the client said no)."""
        plan = ls.state.snapshot.plan
        step = plan.find(args.number) if plan else None
        if step is None:
            ls.tell_user(f"No step {args.number} in the plan")
            return False
        pos = t.Position(line=step.line, character=0)
        result = await ls.window_show_document_async(t.ShowDocumentParams(
            uri=ls.role_uri("plan"), take_focus=True, selection=t.Range(start=pos, end=pos)))
        return bool(result and result.success)

    async def insert_prompt(self, ls: PlanServer, args: InsertPromptArgs) -> bool:
        """Insert a step's prompt or a rendered template at `args.position`."""
        if args.template:
            from plan_ls.features.generate import Generate

            text = ls.get_feature(Generate).render_template(ls, args.template)
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
        path = ls.path_of(uri)
        errors = [fs.error for fs in ls.state_for(uri).state.values()
                  if fs.error and fs.path == path]
        # a binary or oversized file is no "file without a checklist": say what is wrong
        _refuse(ls, f"Cannot read {uri}: {errors[0].removeprefix(f'{path}: ')}" if errors
                else f"{uri} has no checklist")
        return {"applied": False, "changed": 0}
    todo, text = found
    if args.step is not None:
        snap = ls.state_for(uri).snapshot
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
    from plan_ls.model.edit import mark_items

    edits = mark_items(items, done)
    try:
        applied = await apply_text_edits(ls, uri, edits, text)
    except StaleEdit as exc:
        _refuse(ls, f"Not applied: {exc}. Try again.")
        return {"applied": False, "changed": 0}
    except (OSError, OutsideWorkspace) as exc:
        _refuse(ls, f"Could not write {uri}: {exc}")
        return {"applied": False, "changed": 0}
    return {"applied": applied, "changed": len(edits) if applied else 0}
