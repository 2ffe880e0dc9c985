"""A one-line change, as an open document proves it to the plan state (kept apart from
sync.state, which is heavy to import before the initialize answer)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LineEdit:
    """An editor's proof that its text is the text it had as `before`, with the content of
    line `number` (by str.splitlines) replaced and no line added or removed. Lets the plan
    state check a one-line change without the new text (tests/test_state.py)."""
    before: object  # the key of the text before the change (FileState.key)
    after: object  # the key of the text after it
    number: int  # 0-based line, str.splitlines' numbering
    line: str  # its new text with its ending
    lines: int  # the number of lines (str.splitlines), the same before and after
    ends_with_break: bool  # the text ends with a line ending
    length: int  # len() of the new text
