"""The baseline: a bare pygls server that answers from the current line's text alone."""

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer

server = LanguageServer("bare", "0", text_document_sync_kind=t.TextDocumentSyncKind.Incremental)


def _line(ls, uri, n):
    lines = ls.workspace.get_text_document(uri).lines
    return lines[n] if n < len(lines) else ""


@server.feature(t.TEXT_DOCUMENT_HOVER)
def hover(ls, params: t.HoverParams):
    text = _line(ls, params.text_document.uri, params.position.line)
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text.strip()))


@server.feature(t.TEXT_DOCUMENT_CODE_ACTION)
def actions(ls, params: t.CodeActionParams):
    text = _line(ls, params.text_document.uri, params.range.start.line)
    return [t.CodeAction(title=f"echo {text[:10]}", kind=t.CodeActionKind.QuickFix)]


@server.feature(t.TEXT_DOCUMENT_CODE_LENS)
def lenses(ls, params: t.CodeLensParams):
    return []


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
def changed(ls, params):
    ls.text_document_publish_diagnostics(
        t.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


if __name__ == "__main__":
    server.start_io()
