"""Reshaping the plan from a step's heading: code actions *Insert step after Step N* (a step
skeleton; the steps after it and every mention of them renumbered) and *Move Step N up* /
*down* (the step swaps places with its neighbour; numbers stay in order, mentions follow) and
*Remove Step N* (the step's section goes, the later steps and their mentions are renumbered,
and mentions of the removed step are struck through: "~~Step 3~~" names no step)."""

from __future__ import annotations

import logging

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.features.rename import RenameFailed, planning_files, workspace_edit
from plan_ls.server import PlanServer

log = logging.getLogger(__name__)


class Reshape(Feature):
    """Code actions on a step's label line in the plan."""

    def register(self) -> None:
        self.server.code_action_providers.append(self.actions)

    def actions(self, ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        """The reshaping actions on the line that names a step, each offered only where the
        plan's numbering allows it (whole, dotted or per-phase numbers written in the plan,
        and no mention that cannot be told apart: see model.renumber)."""
        from plan_ls.model.renumber import (
            RenameRefused,
            insert_step_after,
            move_step_down,
            remove_step,
        )
        uri = params.text_document.uri
        snap = ls.state.snapshot
        # renumbering rewrites the primary plan and its checklist (planning_files)
        if ls.state_for(uri) is not ls.state or ls.role_of_uri(uri) != "plan" \
                or snap.plan is None:
            return []
        step = snap.plan.step_on_line(params.range.start.line)
        files = planning_files(ls)
        if step is None or files is None:
            return []
        uris, lines = files
        others = {k: v for k, v in lines.items() if k != "plan"}
        plan = snap.plan
        offers = [(f"Insert step after {step.name}",
                   lambda: insert_step_after(plan, step, lines["plan"], others))]
        if step.index > 0:
            offers.append((f"Move {step.name} up", lambda: move_step_down(
                plan, plan.steps[step.index - 1], lines["plan"], others)))
        if step.index + 1 < len(plan.steps):
            offers.append((f"Move {step.name} down",
                           lambda: move_step_down(plan, step, lines["plan"], others)))
        offers.append((f"Remove {step.name}",
                       lambda: remove_step(plan, step, lines["plan"], others)))
        out = []
        for title, compute in offers:
            try:
                edits = compute()
                edit = workspace_edit(ls, {uris[k]: (lines[k], e) for k, e in edits.items()})
            except (RenameRefused, RenameFailed) as exc:  # not for this plan's numbering
                log.debug("no action %r: %s", title, exc)
                continue
            out.append(t.CodeAction(title=title, kind=t.CodeActionKind.RefactorRewrite,
                                    edit=edit))
        return out
