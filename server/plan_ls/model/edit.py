"""Minimal text edits on checklist items: a marker character, a claim, nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from plan_ls.model.todo import TodoItem

_CLAIM_SUFFIX = re.compile(r"[ \t]*\(@[\w][\w.\-]*\)")


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace line[start:end] (str indices, 0-based line) by `text`."""

    line: int
    start: int
    end: int
    text: str


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
    by_line: dict[int, list[TextEdit]] = {}
    for e in edits:
        by_line.setdefault(e.line, []).append(e)
    for line, line_edits in by_line.items():
        idx = line * 2
        if idx >= len(parts):
            raise ValueError(f"edit for line {line + 1}, but the text has {len(parts) // 2 + 1}")
        source = parts[idx]
        for e in sorted(line_edits, key=lambda e: e.start, reverse=True):
            source = source[: e.start] + e.text + source[e.end:]
        parts[idx] = source
    return "".join(parts)


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
