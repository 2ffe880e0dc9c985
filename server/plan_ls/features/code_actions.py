"""One textDocument/codeAction handler that asks every registered provider."""

from __future__ import annotations

import logging

from lsprotocol import types as t

from plan_ls.server import PlanServer

log = logging.getLogger(__name__)
KINDS = [t.CodeActionKind.QuickFix, t.CodeActionKind.RefactorRewrite, t.CodeActionKind.Source]


def register(server: PlanServer) -> None:
    @server.feature(t.TEXT_DOCUMENT_CODE_ACTION, t.CodeActionOptions(code_action_kinds=KINDS))
    def code_actions(ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        actions: list[t.CodeAction] = []
        for provider in ls.code_action_providers:
            try:
                actions.extend(provider(ls, params))
            except Exception:  # one broken provider must not hide the others' actions
                log.exception("code action provider %s failed", provider.__name__)
        only = params.context.only
        if only:
            actions = [a for a in actions
                       if a.kind and any(a.kind == k or a.kind.startswith(f"{k}.") for k in only)]
        return actions
