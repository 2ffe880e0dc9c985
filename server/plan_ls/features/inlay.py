"""Inlay hints: each step's progress (`3/5`) at the end of its heading in the plan, and each
section's in the checklist, for clients that prefer them to code lenses
(`planLs.progressDisplay`: `lens`, `inlay` or `both`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.features.navigate import StepMentions
from plan_ls.features.positions import codec_of, lsp_position
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.snapshot import Progress



def progress_hint(p: Progress) -> str | None:
    """A hint's text: "3/5", "✓ 5/5" when complete; None for no items."""
    if not p.total:
        return None
    return f"✓ {p}" if p.complete else str(p)


class InlayHints(Feature):
    """`textDocument/inlayHint`, refreshed in the client after every change of plan state."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_INLAY_HINT, self.inlay_hints, t.InlayHintOptions(
            resolve_provider=False))
        self.server.on_plan_changed.append(self.refresh)

    def inlay_hints(self, ls: PlanServer, params: t.InlayHintParams) -> list[t.InlayHint]:
        """Progress hints on the heading lines inside the requested range."""
        if ls.settings.progressDisplay == "lens":
            return []
        uri = params.text_document.uri
        role = ls.role_of_uri(uri)
        snap = ls.state_for(uri).snapshot
        lines = ls.get_feature(StepMentions).lines_of(uri)
        if lines is None:
            return []
        marks: list[tuple[int, str | None]] = []
        if role == "plan" and snap.plan is not None:
            marks = [(s.line, progress_hint(snap.step_progress(s))) for s in snap.plan.steps]
        elif role == "todo" and snap.todo is not None and snap.heading_progress:
            marks = [(h.line, progress_hint(snap.heading_progress[i]))
                     for i, h in enumerate(snap.todo.headings)]
        first, last = params.range.start.line, params.range.end.line
        codec = codec_of(ls)
        out = []
        for line, label in marks:
            if label is None or not first <= line <= last or line >= len(lines):
                continue
            end = len(lines[line].rstrip())
            out.append(t.InlayHint(position=lsp_position(lines, line, end, codec), label=label,
                                   padding_left=True))
        return out

    def refresh(self, ls: PlanServer) -> None:
        """Ask the client to ask again: the hints follow the plan state."""
        if ls.settings.progressDisplay == "lens":
            return
        caps = ls.client_capabilities.workspace
        if caps and caps.inlay_hint and caps.inlay_hint.refresh_support:
            ls.workspace_inlay_hint_refresh(None)
