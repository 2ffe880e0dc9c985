"""Code lenses: progress per heading in todo.md; per step and the next step in the plan."""

from __future__ import annotations

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.features.positions import codec_of, line_range
from plan_ls.server import PlanServer, gather

COPY = "planLs.copyToClipboard"  # a client-side command: {text} goes to the clipboard


class CodeLenses(Feature):
    """The one textDocument/codeLens handler, and the planning files' lenses."""

    def register(self) -> None:
        self.server.code_lens_providers.append(todo_lenses)
        self.server.code_lens_providers.append(plan_lenses)
        self.feature(t.TEXT_DOCUMENT_CODE_LENS, self.code_lens,
                     t.CodeLensOptions(resolve_provider=False))

    def code_lens(self, ls: PlanServer, params: t.CodeLensParams) -> list[t.CodeLens]:
        """Every provider's lenses for the document."""
        return gather(ls.code_lens_providers, ls, params, "code lens")


def _lens(ls: PlanServer, lines: list[str], line: int, title: str, command: str = "",
          arguments: list | None = None) -> t.CodeLens:
    return t.CodeLens(range=line_range(lines, line, codec_of(ls)),
                      command=t.Command(title=title, command=command, arguments=arguments))


def todo_lenses(ls: PlanServer, params: t.CodeLensParams) -> list[t.CodeLens]:
    if ls.role_of_uri(params.text_document.uri) != "todo" or \
            ls.settings.progressDisplay == "inlay":  # the progress shows as inlay hints
        return []
    snap = ls.state_for(params.text_document.uri).snapshot
    todo = snap.todo
    if todo is None:
        return []
    lines = todo.blocks.lines
    out = []
    for i, h in enumerate(todo.headings):
        p = snap.heading_progress[i]
        if p.total:
            mark = "✓" if p.complete else "○"
            out.append(_lens(ls, lines, h.line, f"{mark} {p.done}/{p.total} done"))
    return out


def plan_lenses(ls: PlanServer, params: t.CodeLensParams) -> list[t.CodeLens]:
    if ls.role_of_uri(params.text_document.uri) != "plan":
        return []
    snap = ls.state_for(params.text_document.uri).snapshot
    plan = snap.plan
    if plan is None or not plan.steps:
        return []
    lines = plan.blocks.lines
    out = []
    nxt = snap.next_step()
    if nxt is not None:
        out.append(_lens(ls, lines, 0, f"Next: {nxt.name} — {nxt.title}", "planLs.openStep",
                         [{"number": nxt.number}]))
    else:
        out.append(_lens(ls, lines, 0, f"All {len(plan.steps)} steps done"))
    for step in plan.steps:
        p = snap.step_progress(step)
        status = "✓ done" if p.complete else f"○ {p.done}/{p.total} done" if p.total \
            else "no todo items"
        if step.claim:
            status += f" · @{step.claim}"
        if ls.settings.progressDisplay != "inlay":  # else it shows as an inlay hint
            out.append(_lens(ls, lines, step.line, status))
        if step.prompts:
            out.append(_lens(ls, lines, step.line, "Copy prompt", COPY,
                             [{"text": step.prompt_text, "step": step.number}]))
    return out
