"""Reshaping the plan from a step's heading: the code action *Insert step after Step N*,
which adds a step skeleton and renumbers the steps after it and every mention of them."""

from __future__ import annotations

import logging

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.features.rename import RenameFailed, planning_files, workspace_edit
from plan_ls.model.renumber import RenameRefused, insert_step_after
from plan_ls.server import PlanServer

log = logging.getLogger(__name__)


class Reshape(Feature):
    """Code actions on a step's label line in the plan."""

    def register(self) -> None:
        self.server.code_action_providers.append(self.actions)

    def actions(self, ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        """*Insert step after Step N* on the line that names step N (only where the steps
        from N on are whole numbers written in the plan: nothing is offered otherwise)."""
        uri = params.text_document.uri
        snap = ls.state.snapshot
        if ls.role_of_uri(uri) != "plan" or snap.plan is None:
            return []
        step = snap.plan.step_on_line(params.range.start.line)
        files = planning_files(ls)
        if step is None or files is None:
            return []
        uris, lines = files
        others = {k: v for k, v in lines.items() if k != "plan"}
        try:
            edits = insert_step_after(snap.plan, step, lines["plan"], others)
            edit = workspace_edit(ls, {uris[k]: (lines[k], e) for k, e in edits.items()})
        except (RenameRefused, RenameFailed) as exc:
            log.debug("no insert action on %s: %s", step.name, exc)
            return []
        return [t.CodeAction(title=f"Insert step after {step.name}",
                             kind=t.CodeActionKind.RefactorRewrite, edit=edit)]


def register(server: PlanServer) -> None:
    server.add_feature(Reshape(server))
