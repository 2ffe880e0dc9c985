"""Completion in the planning files: step numbers (with titles) after "Step " / "Prompt ",
and names after "(@" (those claiming in this plan, and the user's own)."""

from __future__ import annotations

from lsprotocol import types as t

from plan_ls.features.claims import Claims
from plan_ls.features.feature import Feature
from plan_ls.features.navigate import StepMentions
from plan_ls.features.positions import client_column, codec_of, server_column
from plan_ls.server import PlanServer


class Completion(Feature):
    """`textDocument/completion` in the plan and the checklist."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_COMPLETION, self.complete, t.CompletionOptions(
            trigger_characters=[" ", "@"]))

    def complete(self, ls: PlanServer, params: t.CompletionParams) -> list[t.CompletionItem]:
        """Steps after a step word; claim names after "(@"; nothing elsewhere."""
        from plan_ls.model.navigation import completion_spot
        uri = params.text_document.uri
        if ls.role_of_uri(uri) not in ("plan", "todo"):
            return []
        lines = ls.get_feature(StepMentions).lines_of(uri)
        pos = params.position
        if lines is None or not 0 <= pos.line < len(lines):
            return []
        text = lines[pos.line]
        codec = codec_of(ls)
        cursor = server_column(codec, text, pos.character)
        snap = ls.state_for(uri).snapshot
        spot = completion_spot(text[:cursor], snap.plan)
        if spot is None:
            return []
        rng = t.Range(start=t.Position(line=pos.line,
                                       character=client_column(codec, text, spot.start)),
                      end=pos)
        if spot.kind == "claim":
            return [t.CompletionItem(label=name, kind=t.CompletionItemKind.Variable,
                                     detail=detail, sort_text=f"{rank}{name.lower()}",
                                     text_edit=t.TextEdit(range=rng, new_text=name))
                    for name, (rank, detail) in self._names(ls).items()]
        plan = snap.plan
        if plan is None:
            return []
        out = []
        for step in plan.steps:
            if "/" in step.number or not any(c.isdigit() for c in step.number):
                continue  # "Phase 2 / Step 1" is not written after "Step "
            p = snap.step_progress(step)
            out.append(t.CompletionItem(
                label=step.number, kind=t.CompletionItemKind.Reference,
                label_details=t.CompletionItemLabelDetails(description=step.title),
                detail=f"{step.display} · {p.done}/{p.total} done" if p.total else step.display,
                sort_text=f"{step.index:05d}", filter_text=step.number,
                text_edit=t.TextEdit(range=rng, new_text=step.number)))
        return out

    def _names(self, ls: PlanServer) -> dict[str, tuple[int, str]]:
        """name -> (rank for sorting, what it is): the user first, then who claims what."""
        snap = ls.state.snapshot
        names: dict[str, tuple[int, str]] = {}
        # the claims feature's name: git is asked off the loop (None until it answered)
        me = ls.get_feature(Claims).user.get(ls)
        if me:
            names[me] = (0, "you (planLs.user)")
        claims: dict[str, int] = {}
        for step in snap.plan.steps if snap.plan else []:
            if step.claim:
                claims[step.claim] = claims.get(step.claim, 0) + 1
        for item in snap.todo.items if snap.todo else []:
            if item.claim:
                claims[item.claim] = claims.get(item.claim, 0) + 1
        for name, count in claims.items():
            if name not in names:
                names[name] = (1, f"claims {count} in this plan")
        return names
