"""Open documents whose keystrokes cost what they change, not the size of the file.

pygls applies an incremental change by splitting the whole text and writing every line back
through a Python loop: ~5 ms a keystroke on a 50,000-line checklist, before plan-ls does
anything. `LineTextDocument` keeps the split lines of its current text; a change inside one
line replaces that line in the list, and the text is joined again only when someone reads
`source` (a keystroke then costs one line; `line_edit` tells the plan state which). Any other
change goes through pygls's own code, so the text is always exactly what pygls would have made of it
(tests/test_textdoc.py checks that on random edits).
"""

from __future__ import annotations

import dataclasses

from lsprotocol import types as t
from pygls.workspace import TextDocument, Workspace

from plan_ls.sync.line_edit import LineEdit


def _one_line(text: str) -> bool:
    """True when `text` holds no line break (by str.splitlines' rule, which pygls uses)."""
    return not text or text.splitlines() == [text]


class LineTextDocument(TextDocument):
    """pygls's TextDocument with a fast path for changes inside one line."""

    _split: tuple[str, list[str]] | None = None  # (the text, text.splitlines(True))
    _ahead: bool = False  # the split lines are newer than _source: join them when read
    line_edit: LineEdit | None = None  # the last change, when it was inside one line
    _len = 0  # len() of the text while the lines are ahead of it
    _previous: str | None = None  # the text before the change being applied, when known
    # (key before the last change, the text then or None, (line, its old text, deleted) or None)
    _undo: tuple | None = None

    @property
    def key(self) -> object:
        """This text's key: a new object on every change (see sync.state.LineEdit)."""
        key = self.__dict__.get("_key")
        if key is None:
            key = self._key = object()
        return key

    @property
    def source(self) -> str:
        if self._ahead and self._split is not None:  # joined only when someone reads it
            self._source = "".join(self._split[1])
            self._split, self._ahead = (self._source, self._split[1]), False
        return super().source

    def apply_change(self, change: t.TextDocumentContentChangeEvent) -> None:
        before = self.key
        self.line_edit, self._key, self._undo = None, object(), None
        self._previous = None if self._ahead else self._source  # no join for this
        super().apply_change(change)
        if self.line_edit is not None:
            self.line_edit = dataclasses.replace(self.line_edit, before=before, after=self._key)
        self._undo = (before, self._previous, self._undo)
        self._previous = None

    def text_at(self, key: object) -> str:
        """The text whose `key` is `key`: the current one or the one before the last change
        (joined only now). Raises LookupError for an older one: a reader that defers making
        the text (sync.state.FileState.defer_text) reads it before two changes pass."""
        if key is self.key:
            return self.source
        undo = self.__dict__.get("_undo")
        if undo is None or undo[0] is not key:
            raise LookupError(f"{self.uri}: that version of the text is gone")
        if undo[1] is not None:
            return undo[1]
        if undo[2] is None:  # a change that changed nothing
            return self.source
        number, old, deleted = undo[2]
        lines = list(self._line_list())
        if deleted:
            lines.insert(number, old)
        else:
            lines[number] = old
        return "".join(lines)

    def _apply_full_change(self, change: t.TextDocumentContentChangeEvent) -> None:
        self._previous = self.source
        self._ahead = False
        super()._apply_full_change(change)

    def _line_list(self) -> list[str]:
        if self._ahead and self._split is not None:
            return self._split[1]
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
            new = content[:start] + change.text + content[end:] + ending
            # "\r" then "\n" would become one line ending: pygls splits the text again
            glued = new.startswith("\n") and number > 0 and lines[number - 1].endswith("\r")
            if start <= end <= len(content) and not glued:
                length = self._length() + len(new) - len(old)
                lines[number] = new
                if not new:  # an emptied last line is no line for splitlines
                    del lines[number]
                else:
                    last = lines[-1]
                    self.line_edit = LineEdit(None, None, number, new, len(lines),
                                              last != last.rstrip("\r\n\v\f\x1c\x1d\x1e"
                                                                  "\x85\u2028\u2029"),
                                              length)
                self._split, self._ahead = (self._source, lines), True
                self._len, self._undo = length, (number, old, not new)
                return
        self._previous = self.source
        super()._apply_incremental_change(change)

    def _length(self) -> int:
        """len(self.source), without joining the lines when they are ahead of it."""
        return self._len if self._ahead else len(self.source)


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
