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
    parts.append(_item_line(item, todo.total, todo.done))
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


def _item_line(item: TodoItem, total: int, done: int) -> str:
    state = "done" if item.done else item.state
    claim = f" · claimed by @{item.claim}" if item.claim else ""
    return f"Item {item.index + 1} of {total} ({state}{claim}) · {done}/{total} done overall"


def step_hover(snap: PlanSnapshot, step: Step) -> str:
    sp = snap.step_progress(step)
    head = f"**{_md(step.display)}** · {sp.done}/{sp.total} done"
    if step.claim:
        head += f" · claimed by @{step.claim}"
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
