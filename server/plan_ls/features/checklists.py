"""The checklist of any open markdown document (todo.md, code-review.md, issues.md, ...)."""

from __future__ import annotations

from plan_ls.model.todo import TodoDoc, parse_todo
from plan_ls.server import PlanServer

_cache: dict[str, tuple[str, TodoDoc]] = {}


def checklist_for(ls: PlanServer, uri: str) -> tuple[TodoDoc, str] | None:
    """The parsed checklist of a document and the text it was parsed from."""
    role = ls.role_of_uri(uri)
    if "todo" in ls.roles_of_uri(uri):  # todo.md, or a plan that holds its checklist
        text = ls.state.state["todo"].text
        todo = ls.state.snapshot.todo
        if text is None or todo is None:
            return None
        return todo, text
    if role == "plan" or not uri.lower().endswith((".md", ".markdown")):
        return None
    text = ls.document_text(uri)
    if text is None:
        return None
    cached = _cache.get(uri)
    if cached is not None and cached[0] is text:
        return cached[1], text
    todo = parse_todo(text)
    if len(_cache) > 64:
        _cache.clear()
    _cache[uri] = (text, todo)
    return todo, text
