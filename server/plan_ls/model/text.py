"""Lines and positions: one line splitting rule for the whole model, and UTF-16 columns."""

from __future__ import annotations

import re

_NEWLINE = re.compile(r"\r\n|\r|\n")


def normalize_newlines(text: str) -> str:
    """The text with every line ending as "\\n", the way markdown-it and LSP count lines."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_lines(text: str) -> list[str]:
    """Lines without their endings; LSP's rule (\\n, \\r\\n and \\r end a line)."""
    if "\r" not in text:
        return text.split("\n")  # ten times faster than the regular expression
    return _NEWLINE.split(text)


def strip_bom(text: str) -> tuple[str, bool]:
    if text.startswith("\ufeff"):
        return text[1:], True
    return text, False


def utf16_column(line: str, index: int) -> int:
    """The UTF-16 column of str index `index` in `line` (LSP's default position encoding)."""
    prefix = line[:index]
    if prefix.isascii():
        return index
    return index + sum(1 for ch in prefix if ord(ch) > 0xFFFF)


def str_index(line: str, utf16_col: int) -> int:
    """The str index of a UTF-16 column in `line` (clamped to the line)."""
    if line.isascii():
        return min(utf16_col, len(line))
    units = 0
    for i, ch in enumerate(line):
        if units >= utf16_col:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line)
