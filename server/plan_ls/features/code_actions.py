"""One textDocument/codeAction handler that asks every registered provider."""

from __future__ import annotations

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.server import PlanServer, gather

KINDS = [t.CodeActionKind.QuickFix, t.CodeActionKind.RefactorRewrite, t.CodeActionKind.Source]


class CodeActions(Feature):
    """The one textDocument/codeAction handler."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_CODE_ACTION, self.code_actions,
                     t.CodeActionOptions(code_action_kinds=KINDS))

    def code_actions(self, ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        """Every provider's actions, filtered by the kinds the client asked for (`only`)."""
        actions = gather(ls.code_action_providers, ls, params, "code action")
        only = params.context.only
        if only:
            actions = [a for a in actions
                       if a.kind and any(a.kind == k or a.kind.startswith(f"{k}.") for k in only)]
        return actions
