"""One textDocument/codeAction handler that asks every registered provider."""

from __future__ import annotations

from lsprotocol import types as t

from plan_ls.server import PlanServer, gather

KINDS = [t.CodeActionKind.QuickFix, t.CodeActionKind.RefactorRewrite, t.CodeActionKind.Source]


def register(server: PlanServer) -> None:
    @server.feature(t.TEXT_DOCUMENT_CODE_ACTION, t.CodeActionOptions(code_action_kinds=KINDS))
    def code_actions(ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        actions = gather(ls.code_action_providers, ls, params, "code action")
        only = params.context.only
        if only:
            actions = [a for a in actions
                       if a.kind and any(a.kind == k or a.kind.startswith(f"{k}.") for k in only)]
        return actions
