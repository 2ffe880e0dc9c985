"""Code actions that check items off: one item, a selection, a heading, a whole step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as t
from pygls.workspace import PositionCodec

from plan_ls.features.checklists import checklist_doc
from plan_ls.features.edits import versioned_edit
from plan_ls.features.feature import Feature
from plan_ls.features.positions import codec_of
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.plan import Step
    from plan_ls.model.todo import TodoItem

KIND = t.CodeActionKind.RefactorRewrite


class ChecklistActions(Feature):
    """Code actions that check items off (providers of code_actions.CodeActions)."""

    def register(self) -> None:
        self.server.code_action_providers.append(self.checklist_actions)
        self.server.code_action_providers.append(self.plan_step_actions)

    def checklist_actions(self, ls: PlanServer,
                          params: t.CodeActionParams) -> list[t.CodeAction]:
        """Mark done / not done for the item, selection or heading at `params.range`."""
        return checklist_actions(ls, params)

    def plan_step_actions(self, ls: PlanServer,
                          params: t.CodeActionParams) -> list[t.CodeAction]:
        """Mark the step at `params.range` done / not done, in the plan."""
        return plan_step_actions(ls, params)


def _action(title: str, uri: str, version: int | None, lines: list[str],
            items: list[TodoItem], done: bool, preferred: bool = False, *,
            codec: PositionCodec) -> t.CodeAction | None:
    from plan_ls.model.edit import mark_items

    edits = mark_items(items, done)
    if not edits:
        return None
    return t.CodeAction(title=title, kind=KIND, is_preferred=preferred or None,
                        edit=versioned_edit(uri, version, lines, edits, codec))


def checklist_actions(ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
    uri = params.text_document.uri
    todo = checklist_doc(ls, uri)
    if todo is None:
        return []
    lines = todo.blocks.source_lines()  # already split: splitting a big text costs ms
    version = ls.document_version(uri)
    codec = codec_of(ls)
    first, last = params.range.start.line, params.range.end.line
    if last > first and params.range.end.character == 0:
        last -= 1  # a selection of whole lines ends at column 0 of the next line
    actions: list[t.CodeAction | None] = []
    selected = todo.items_in_lines(first, last)
    if last > first and selected:
        n = len(selected)
        actions.append(_action(f"Mark {n} selected item{'s' if n > 1 else ''} done", uri,
                               version, lines, selected, True, True, codec=codec))
        actions.append(_action(f"Mark {n} selected item{'s' if n > 1 else ''} not done", uri,
                               version, lines, selected, False, codec=codec))
    elif (item := todo.item_at(first)) is not None:
        actions.append(_action("Mark done", uri, version, lines, [item], True, True, codec=codec))
        actions.append(_action("Mark not done", uri, version, lines, [item], False, True,
                               codec=codec))
        children = _descendants(todo.items, item)
        if children:
            actions.append(_action("Mark done with its sub-items", uri, version, lines,
                                   [item, *children], True, codec=codec))
    else:
        h = todo.heading_at(first)
        if h is not None:
            under = todo.items_under_heading(h)
            step = _step_of_items(ls, uri, under)
            if step is not None:  # "## Step 4: ..." holds exactly step 4's items
                open_ = sum(1 for it in under if not it.done)
                done_title = f"Mark {step.name} done ({open_} open)"
                undo_title = f"Mark {step.name} not done"
            else:
                name = _short(todo.headings[h].text)
                done_title, undo_title = f"Mark all under “{name}” done", \
                    f"Mark all under “{name}” not done"
            actions.append(_action(done_title, uri, version, lines, under, True, True, codec=codec))
            actions.append(_action(undo_title, uri, version, lines, under, False, codec=codec))
    if ls.role_of_uri(uri) == "todo" and (item := todo.item_at(first)) is not None:
        step = ls.state_for(uri).snapshot.step_of_item(item)
        if step is not None:  # "not done" for the step only where this item is done
            actions.extend(_step_commands(ls, step.number, uri, undo=item.done))
    return [a for a in actions if a is not None]


def plan_step_actions(ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
    uri = params.text_document.uri
    state = ls.state_for(uri)
    if ls.role_of_uri(uri) != "plan" or state.snapshot.plan is None:
        return []
    snap, line = state.snapshot, params.range.start.line
    step = snap.plan.step_at(line)
    if step is None:
        return []
    if snap.checklist_in_plan and snap.todo is not None and (h := snap.todo.heading_at(line)) \
            is not None and _step_of_items(ls, uri, snap.todo.items_under_heading(h)) == step:
        return []  # the plan holds its checklist: the heading's own actions name this step
    return _step_commands(ls, step.number, ls.role_uri("todo", state))


def _step_of_items(ls: PlanServer, uri: str, items: list[TodoItem]) -> Step | None:
    """The step whose todo items are exactly these, if any."""
    snap = ls.state_for(uri).snapshot
    if not items or "todo" not in ls.roles_of_uri(uri) or snap.plan is None:
        return None
    step = snap.step_of_item(items[0])
    if step is None or snap.step_items[step.index] != [it.index for it in items]:
        return None
    return step


def _step_commands(ls: PlanServer, number: str, todo_uri: str,
                   undo: bool = True) -> list[t.CodeAction]:
    snap = ls.state_for(todo_uri).snapshot
    step = snap.plan.find(number) if snap.plan else None
    if step is None:
        return []
    progress = snap.step_progress(step)
    out = []
    label = step.name
    if progress.total and not progress.complete:
        out.append(t.CodeAction(
            title=f"Mark {label} done ({progress.total - progress.done} open)", kind=KIND,
            command=t.Command(title="Mark step done", command="planLs.markDone",
                              arguments=[{"uri": todo_uri, "step": step.number}])))
    if progress.done and undo:
        out.append(t.CodeAction(
            title=f"Mark {label} not done", kind=KIND,
            command=t.Command(title="Mark step not done", command="planLs.markNotDone",
                              arguments=[{"uri": todo_uri, "step": step.number}])))
    return out


def _descendants(items: list[TodoItem], item: TodoItem) -> list[TodoItem]:
    """Sub-items follow their parent in document order, deeper than it."""
    out = []
    for i in range(item.index + 1, len(items)):  # no slice: that copies the rest of the list
        other = items[i]
        if other.depth <= item.depth or other.heading != item.heading:
            break
        out.append(other)
    return out


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.replace("**", "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
