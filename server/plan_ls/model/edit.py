"""Minimal text edits on checklist items: a marker character, a claim, nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from plan_ls.model.todo import TodoItem

_CLAIM_SUFFIX = re.compile(r"[ \t]*\(@[\w][\w.\-]*\)")


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace line[start:end] (str indices, 0-based line) by `text`; with `end_line`, replace
    from (line, start) to (end_line, end) instead (removing whole lines)."""

    line: int
    start: int
    end: int
    text: str
    end_line: int | None = None


def mark_items(items: Iterable[TodoItem], done: bool) -> list[TextEdit]:
    """Edits that set each item's box; items already in that state are left alone."""
    edits = []
    for item in items:
        if item.done == done:
            continue
        marker = "x" if done else " "
        edits.append(TextEdit(item.line, item.col + 1, item.col + 2, marker))
    return edits


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply line/column edits to a text, keeping its line endings (LF, CRLF, CR) and BOM."""
    parts = re.split(r"(\r\n|\r|\n)", text)  # lines at even indexes, endings at odd ones
    starts = [0]  # where each line starts in `text`
    for i in range(0, len(parts) - 1, 2):
        starts.append(starts[-1] + len(parts[i]) + len(parts[i + 1]))

    def offset(line: int, column: int) -> int:
        if line >= len(starts):
            raise ValueError(f"edit for line {line + 1}, but the text has {len(starts)}")
        return starts[line] + column

    spans = sorted(((offset(e.line, e.start),
                     offset(e.line if e.end_line is None else e.end_line, e.end), e.text)
                    for e in edits), reverse=True)
    for start, end, new in spans:  # from the end, so earlier offsets stay valid
        text = text[:start] + new + text[end:]
    return text


def claim_edit(line_text: str, line: int, name: str) -> TextEdit | None:
    """Write `(@name)` at the end of the line, replacing an existing claim; None if unchanged."""
    body = line_text.rstrip()
    m = _CLAIM_SUFFIX.search(body)
    tag = f"(@{name})"
    if m and body[m.start():].strip() == tag:
        return None
    if m:
        return TextEdit(line, m.start(), len(body), f" {tag}")
    return TextEdit(line, len(body), len(body), f" {tag}")


def release_edit(line_text: str, line: int) -> TextEdit | None:
    matches = list(_CLAIM_SUFFIX.finditer(line_text))
    if not matches:
        return None
    m = matches[-1]
    return TextEdit(line, m.start(), m.end(), "")
