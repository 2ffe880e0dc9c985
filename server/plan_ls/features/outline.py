"""Document symbols (the plan's steps under its phases; the checklist's sections), workspace
symbols (every step by number and title) and folding ranges (each step, each fence)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.features.navigate import StepMentions
from plan_ls.features.positions import codec_of, finding_range, line_range
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.navigation import (
        OutlineNode,
    )


_KINDS = {"phase": t.SymbolKind.Namespace, "step": t.SymbolKind.Function,
          "section": t.SymbolKind.String}


# clientInfo.name of VS Code and its builds without the brand, which share its markdown outline
# (code-server names itself "code-server")
_VSCODE_NAMES = ("visual studio code", "vscodium", "code - oss", "code-oss", "code-server")


def symbols_enabled(ls: PlanServer) -> bool:
    """The `planLs.symbols` setting: "auto" is on for every client but VS Code, whose own
    markdown outline would show the same headings twice."""
    setting = ls.settings.symbols
    if setting == "auto":
        name = (ls.client_name or "").lower()
        return not any(vscode in name for vscode in _VSCODE_NAMES)
    return setting == "on"


class DocumentSymbols(Feature):
    """`textDocument/documentSymbol` for the plan and the checklist."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL, self.document_symbols)

    def document_symbols(self, ls: PlanServer, params: t.DocumentSymbolParams
                         ) -> list[t.DocumentSymbol] | list[t.SymbolInformation] | None:
        """The outline of a planning file, when `planLs.symbols` is on (see symbols_enabled);
        flat SymbolInformation for clients without hierarchical symbol support."""
        from plan_ls.model.navigation import plan_outline, section_outline
        if not symbols_enabled(ls):
            return None
        uri = params.text_document.uri
        role = ls.role_of_uri(uri)
        snap = ls.state_for(uri).snapshot
        if role == "plan" and snap.plan is not None:
            nodes = plan_outline(snap.plan, lambda step: _progress(snap.step_progress(step)))
        elif role == "todo" and snap.todo is not None:
            todo = snap.todo
            nodes = section_outline(todo.headings, todo.heading_parent,
                                    lambda h: _progress(snap.heading_progress[h])
                                    if snap.heading_progress else "")
        else:
            return None
        lines = ls.get_feature(StepMentions).lines_of(uri)
        if lines is None:
            return None
        caps = ls.client_capabilities.text_document
        symbol_caps = caps.document_symbol if caps else None
        if symbol_caps is not None and not symbol_caps.hierarchical_document_symbol_support:
            flat: list[t.SymbolInformation] = []
            _flatten(nodes, lines, ls, uri, None, flat)
            return flat
        return [_symbol(n, lines, ls) for n in nodes]


def _progress(p) -> str:
    return f"{p.done}/{p.total}" if p.total else ""


def _node_range(node: OutlineNode, lines: list[str], ls: PlanServer) -> t.Range:
    last = max(node.line, min(node.end_line, len(lines)) - 1)
    while last > node.line and not lines[last].strip():
        last -= 1  # a section ends at its last text, not at the blank lines before the next
    codec = codec_of(ls)
    return t.Range(start=t.Position(line=node.line, character=0),
                   end=finding_range(lines, last, len(lines[last]), len(lines[last]),
                                     codec).end)


def _symbol(node: OutlineNode, lines: list[str], ls: PlanServer) -> t.DocumentSymbol:
    rng = _node_range(node, lines, ls)
    children = [_symbol(c, lines, ls) for c in node.children]
    for c in children:  # a parent's range holds its children's (LSP requires it)
        if (c.range.end.line, c.range.end.character) > (rng.end.line, rng.end.character):
            rng = t.Range(start=rng.start, end=c.range.end)
    return t.DocumentSymbol(name=node.name or "(untitled)", kind=_KINDS[node.kind], range=rng,
                            selection_range=line_range(lines, node.line, codec_of(ls)),
                            detail=node.detail or None, children=children or None)


def _flatten(nodes: list[OutlineNode], lines: list[str], ls: PlanServer, uri: str,
             container: str | None, out: list[t.SymbolInformation]) -> None:
    for n in nodes:
        out.append(t.SymbolInformation(
            name=n.name or "(untitled)", kind=_KINDS[n.kind], container_name=container,
            location=t.Location(uri=uri, range=_node_range(n, lines, ls))))
        _flatten(n.children, lines, ls, uri, n.name, out)


class WorkspaceSymbols(Feature):
    """`workspace/symbol`: every step of the plan, by number and title."""

    def register(self) -> None:
        self.feature(t.WORKSPACE_SYMBOL, self.workspace_symbols)

    def workspace_symbols(self, ls: PlanServer,
                          params: t.WorkspaceSymbolParams) -> list[t.SymbolInformation]:
        """Steps (of every plan) whose "Step 3: Title" holds the query's characters in order
        (any case)."""
        from plan_ls.model.navigation import matches_query
        codec = codec_of(ls)
        query = params.query or ""
        out: list[t.SymbolInformation] = []
        for state in ls.plans:
            plan = state.snapshot.plan
            if plan is None:
                continue
            uri = ls.role_uri("plan", state)
            lines = ls.get_feature(StepMentions).lines_of(uri)
            if lines is None:
                continue
            path = state.path_of("plan")
            container = path.name if state.ref is None else f"{state.ref.id}/{path.name}"
            out.extend(t.SymbolInformation(name=step.display, kind=t.SymbolKind.Function,
                                           location=t.Location(uri=uri, range=line_range(
                                               lines, step.line, codec)),
                                           container_name=container)
                       for step in plan.steps if matches_query(query, step.display))
        return out


class Folding(Feature):
    """`textDocument/foldingRange`: each step of the plan and each fence."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_FOLDING_RANGE, self.folding_ranges)

    def folding_ranges(self, ls: PlanServer,
                       params: t.FoldingRangeParams) -> list[t.FoldingRange] | None:
        """Whole lines only (every client folds lines); a step's fold ends at its last text."""
        from plan_ls.model.navigation import fence_folds, plan_folds
        role = ls.role_of_uri(params.text_document.uri)
        snap = ls.state_for(params.text_document.uri).snapshot
        if role == "plan" and snap.plan is not None:
            folds = plan_folds(snap.plan)
        elif role == "todo" and snap.todo is not None:
            folds = fence_folds(snap.todo.blocks)
        else:
            return None
        return [t.FoldingRange(start_line=f.start, end_line=f.end,
                               kind=t.FoldingRangeKind.Region) for f in folds]
