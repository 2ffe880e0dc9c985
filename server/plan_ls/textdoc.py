"""Open documents whose keystrokes cost what they change, not the size of the file.

pygls applies an incremental change by splitting the whole text and writing every line back
through a Python loop: ~5 ms a keystroke on a 50,000-line checklist, before plan-ls does
anything. `LineTextDocument` keeps the split lines of its current text; a change inside one
line replaces that line and joins the list again (one C-level join). Any other change goes
through pygls's own code, so the text is always exactly what pygls would have made of it
(tests/test_textdoc.py checks that on random edits).
"""

from __future__ import annotations

from lsprotocol import types as t
from pygls.workspace import TextDocument, Workspace


def _one_line(text: str) -> bool:
    """True when `text` holds no line break (by str.splitlines' rule, which pygls uses)."""
    return not text or text.splitlines() == [text]


class LineTextDocument(TextDocument):
    """pygls's TextDocument with a fast path for changes inside one line."""

    _split: tuple[str, list[str]] | None = None  # (the text, text.splitlines(True))

    def _line_list(self) -> list[str]:
        source = self.source
        if self._split is None or self._split[0] is not source:
            self._split = (source, source.splitlines(True))
        return self._split[1]

    @property
    def lines(self) -> tuple[str, ...]:  # pygls: tuple(self.source.splitlines(True))
        return tuple(self._line_list())

    def line(self, number: int) -> str | None:
        """Line `number` (0-based) with its line ending, as in `lines`; None past the end.
        Costs nothing when the text was split already (each change keeps the split)."""
        lines = self._line_list()
        return lines[number] if 0 <= number < len(lines) else None

    def _apply_incremental_change(self, change: t.TextDocumentContentChangePartial) -> None:
        lines = self._line_list()
        rng = change.range
        if rng.start.line == rng.end.line < len(lines) and _one_line(change.text):
            number = rng.start.line
            old = lines[number]
            content = old.splitlines()[0] if old.splitlines() else ""
            ending = old[len(content):]
            server = self._position_codec.range_from_client_units(lines, rng)
            start, end = server.start.character, server.end.character
            if start <= end <= len(content):
                lines[number] = content[:start] + change.text + content[end:] + ending
                if not lines[number]:  # an emptied last line is no line for splitlines
                    del lines[number]
                self._source = "".join(lines)
                self._split = (self._source, lines)
                return
        super()._apply_incremental_change(change)


class LineWorkspace(Workspace):
    """pygls's Workspace, holding LineTextDocuments."""

    def _create_text_document(self, doc_uri: str, source: str | None = None,
                              version: int | None = None,
                              language_id: str | None = None) -> TextDocument:
        return LineTextDocument(doc_uri, source=source, version=version,
                                language_id=language_id, sync_kind=self._sync_kind,
                                position_codec=self._position_codec)

    @classmethod
    def like(cls, workspace: Workspace) -> LineWorkspace:
        """A LineWorkspace with the root, folders, sync kind and position encoding of
        `workspace` (the one pygls made in `initialize`, before any document was opened)."""
        return cls(workspace.root_uri, workspace._sync_kind, list(workspace.folders.values()),
                   workspace.position_encoding)
