"""Hover: a todo item's step, prompt and progress; a plan step's todo items."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as t

from plan_ls.features.checklists import checklist_for
from plan_ls.features.feature import Feature
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.blocks import Heading
    from plan_ls.model.plan import Step
    from plan_ls.model.snapshot import PlanSnapshot
    from plan_ls.model.todo import TodoDoc, TodoItem

PROMPT_LINES = 4
ITEMS_SHOWN = 12
ARCHIVED = "Archived change: finished history, never next"


class HoverFeature(Feature):
    """textDocument/hover: the planning files here, other files through hover_providers."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_HOVER, self.hover)

    def hover(self, ls: PlanServer, params: t.HoverParams) -> t.Hover | None:
        """The hover of a todo item, a heading of todo.md, a plan step, or an item of any
        other markdown checklist; else the first provider's."""
        uri, line = params.text_document.uri, params.position.line
        first = next(filter(None, (p(ls, params) for p in ls.cursor_hover_providers)), None)
        if first is not None:
            return first
        role = ls.role_of_uri(uri)
        snap = ls.state_for(uri).snapshot
        if role == "plan":
            step = snap.plan.step_on_line(line) if snap.plan else None
            text = step_hover(snap, step) if step else None
            if text and step is not None:  # and how its last run went (run with an agent)
                from plan_ls.features.run import last_run_note

                note = last_run_note(ls, ls.state_for(uri), step)
                text = f"{text}\n\n{note}" if note else text
            if text is None and snap.checklist_in_plan:  # a box of the step it sits in
                text = _todo_hover(snap, line)
            elif text is not None and snap.checklist_in_plan and snap.todo is not None:
                item = snap.todo.item_at(line)  # a task line that is also a step (Kiro)
                if item is not None:
                    kiro = snap.plan is not None and snap.plan.format == "kiro"
                    text = "\n\n".join([text, _item_line(item, snap.todo.total, snap.todo.done,
                                                          kiro=kiro), *task_rows(snap, item)])
        elif role == "todo":
            text = _todo_hover(snap, line)
        else:
            found = checklist_for(ls, uri)
            item = found[0].item_at(line) if found else None
            text = _item_line(item, found[0].total, found[0].done) if item and found else None
        if not text:  # other features know other files (review findings in source files)
            return next(filter(None, (p(ls, params) for p in ls.hover_providers)), None)
        return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text))


def _todo_hover(snap: PlanSnapshot, line: int) -> str | None:
    todo = snap.todo
    if todo is None:
        return None
    item = todo.item_at(line)
    if item is None:
        h = todo.heading_at(line)
        if h is None or not snap.heading_progress:
            return None
        p = snap.heading_progress[h]
        return f"**{todo.headings[h].text}** · {p.done}/{p.total} done" if p.total else None
    parts: list[str] = []
    step = snap.step_of_item(item)
    if step is not None:
        sp = snap.step_progress(step)
        parts.append(f"**{_md(step.display)}** · {sp.done}/{sp.total} done")
        excerpt = _prompt_excerpt(step)
        if excerpt:
            parts.append(excerpt)
    else:
        link = snap.links[item.index] if item.index < len(snap.links) else None
        if link is not None and link.how == "missing":
            parts.append(f"Names step {link.named}, which is not in the plan")
        else:
            parts.append("Not linked to a plan step")
    kiro = snap.plan is not None and snap.plan.format == "kiro"
    parts.append(_item_line(item, todo.total, todo.done, kiro=kiro))
    parts.extend(task_rows(snap, item))
    if snap.archived:
        parts.append(ARCHIVED)
    path = " › ".join(_md(h.text) for h in _context_headings(todo, item, step))
    if path:
        parts.append(f"Under: {path}")
    if step is not None and snap.links[item.index].how == "title":
        parts.append("_Linked by matching the heading to the step title._")
    return "\n\n".join(parts)


def _context_headings(todo: TodoDoc, item: TodoItem, step: Step | None) -> list[Heading]:
    """The headings above an item that say something the hover does not already say: not
    the document's title, not the heading that names the item's step."""
    path = [h for h in todo.heading_path(item.heading) if h.level > 1]
    if step is not None and step.title:
        path = [h for h in path if step.title.lower() not in h.text.lower()]
    return path


def _item_line(item: TodoItem, total: int, done: int, kiro: bool = False) -> str:
    """`kiro`: `[-]` is a task in progress (elsewhere it is a cancelled item)."""
    state = "done" if item.done else "in progress" if kiro and item.marker == "-" \
        else item.state.replace("-", " ")
    claim = f" · claimed by @{item.claim}" if item.claim else ""
    return f"Item {item.index + 1} of {total} ({state}{claim}) · {done}/{total} done overall"


def task_rows(snap: PlanSnapshot, item: TodoItem) -> list[str]:
    """What the task formats' marks on `item` say (model/tasks.py): its id, `[P]`, its user
    story (titled from spec.md), Kiro's optional `*`, and each dependency with its state;
    why it is not next while a dependency is open."""
    from plan_ls.model.tasks import story_title

    rows: list[str] = []
    info = snap.task(item)
    if info is not None:
        bits: list[str] = [f"Task **{info.id}**"] if info.id else []
        if info.parallel:
            bits.append("[P]: can run in parallel")
        if info.story:
            title = story_title(snap.spec, info.story)
            bits.append(f"user story {info.story}" + (f": {_md(title)}" if title else ""))
        if info.optional:
            bits.append("optional: never holds its task open or next")
        if bits:
            rows.append(" · ".join(bits))
        if info.depends:
            states = {d: snap.task_state(d) for d in info.depends}
            rows.append("Depends on " + ", ".join(f"{d} ({s})" for d, s in states.items()))
            waiting = [d for d, s in states.items() if s in ("open", "in progress")]
            if waiting and not snap.item_finished(item):
                rows.append(f"Not next: waits for {', '.join(waiting)}")
    return rows


def step_hover(snap: PlanSnapshot, step: Step) -> str:
    sp = snap.step_progress(step)
    head = f"**{_md(step.display)}** · {sp.done}/{sp.total} done"
    if step.claim:
        head += f" · claimed by @{step.claim}"
    if snap.plan is not None and snap.plan.tasks and not snap.archived and snap.blocked(step):
        waiting = dict.fromkeys(d for it in snap.items_of_step(step) if not snap.item_finished(it)
                                for d in (snap.task(it).depends if snap.task(it) else ())
                                if snap.task_state(d) in ("open", "in progress"))
        head += f"\n\nNot next: its open tasks wait for {', '.join(waiting)}"
    if snap.archived:
        head += f"\n\n{ARCHIVED}"
    items = snap.items_of_step(step)
    if not items:
        return head + "\n\nNo todo item is linked to this step."
    rows = [f"- {'☑' if it.done else '☐'} {_md(it.text)}" for it in items[:ITEMS_SHOWN]]
    if len(items) > ITEMS_SHOWN:
        rows.append(f"- … and {len(items) - ITEMS_SHOWN} more")
    return head + "\n\n" + "\n".join(rows)


def _prompt_excerpt(step: Step) -> str:
    text = step.prompt_text.strip()
    if not text:
        return ""
    lines = [ln for ln in text.splitlines() if ln.strip()][:PROMPT_LINES]
    more = " …" if len(text.splitlines()) > PROMPT_LINES else ""
    return "```text\n" + "\n".join(lines) + more + "\n```"


def _md(text: str) -> str:
    """Item text is markdown already; only keep it on one line."""
    return " ".join(text.split())
