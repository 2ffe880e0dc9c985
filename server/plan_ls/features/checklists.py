"""The checklist of any open markdown document (todo.md, code-review.md, issues.md, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plan_ls.features.feature import Feature
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.todo import TodoDoc

CACHED = 64  # documents whose parse is kept


class Checklists(Feature):
    """The parsed checklists of markdown documents other than the planning files, by URI
    (parsed again only when the document's text object changes)."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        self.cache: dict[str, tuple[str, TodoDoc]] = {}

    def register(self) -> None:
        pass  # no handlers: hover, code actions and commands ask checklist_for()

    def checklist_for(self, ls: PlanServer, uri: str) -> tuple[TodoDoc, str] | None:
        """The parsed checklist of a document and the text it was parsed from (None: not
        a markdown file, the plan, or no text)."""
        return _checklist_for(ls, self.cache, uri)


def checklist_for(ls: PlanServer, uri: str) -> tuple[TodoDoc, str] | None:
    """`Checklists.checklist_for` of the server's feature."""
    return ls.get_feature(Checklists).checklist_for(ls, uri)


def checklist_doc(ls: PlanServer, uri: str) -> TodoDoc | None:
    """The parsed checklist that `checklist_for` gives, without its text: an open checklist
    edited in place has its text joined only when someone reads it (textdoc.py)."""
    if "todo" in ls.roles_of_uri(uri):
        state = ls.state_for(uri)
        if state.snapshot.todo is not None or state.ref is None:
            return state.snapshot.todo if state.state["todo"].has_text else None
    found = checklist_for(ls, uri)
    return found[0] if found else None


def _checklist_for(ls: PlanServer, cache: dict[str, tuple[str, TodoDoc]],
                   uri: str) -> tuple[TodoDoc, str] | None:
    role = ls.role_of_uri(uri)
    if "todo" in ls.roles_of_uri(uri):  # todo.md, or a plan that holds its checklist
        state = ls.state_for(uri)
        text = state.state["todo"].text
        todo = state.snapshot.todo
        if text is None:
            return None
        if todo is not None:
            return todo, text
        # another tool's plan whose boxes no step of ours holds: still a checklist to check off
        if state.ref is None:
            return None
    elif role == "plan" or not uri.lower().endswith((".md", ".markdown")):
        return None
    text = ls.document_text(uri)
    if text is None:
        return None
    cached = cache.get(uri)
    if cached is not None and cached[0] is text:
        return cached[1], text
    from plan_ls.model.todo import parse_todo

    todo = parse_todo(text)
    if len(cache) > CACHED:
        cache.clear()
    cache[uri] = (text, todo)
    return todo, text
