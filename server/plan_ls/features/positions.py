"""Model positions (str indices) to LSP positions (UTF-16 by default) and back."""

from __future__ import annotations

from lsprotocol import types as t

from plan_ls.model.edit import TextEdit
from plan_ls.model.text import utf16_column


def lsp_position(lines: list[str], line: int, index: int) -> t.Position:
    text = lines[line] if line < len(lines) else ""
    return t.Position(line=line, character=utf16_column(text, index))


def finding_range(lines: list[str], line: int, start: int, end: int) -> t.Range:
    return t.Range(start=lsp_position(lines, line, start), end=lsp_position(lines, line, end))


def line_range(lines: list[str], line: int) -> t.Range:
    text = lines[line] if line < len(lines) else ""
    return finding_range(lines, line, 0, len(text))


def lsp_text_edits(lines: list[str], edits: list[TextEdit]) -> list[t.TextEdit]:
    return [t.TextEdit(range=finding_range(lines, e.line, e.start, e.end), new_text=e.text)
            for e in edits]
