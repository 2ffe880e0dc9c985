"""Model positions (str indices) to LSP positions in the negotiated position encoding.

The model counts columns in code points (str indices). LSP counts them in the code units of
the position encoding the client and server agreed on in `initialize` (UTF-16 unless the
client offers another: Neovim 0.11 offers UTF-8 first). pygls keeps that choice as the
workspace's `position_codec`; every column that goes to the client is converted through
it, and columns from the client through the document's (`text_in_client_range` and co).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as t
from pygls.workspace import PositionCodec

from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.edit import TextEdit

_UTF16 = PositionCodec()  # LSP's default, for a server that was never initialised


def codec_of(ls: PlanServer) -> PositionCodec:
    """The position codec negotiated with the client (UTF-16 before `initialize`)."""
    try:
        return ls.workspace.position_codec
    except RuntimeError:  # no workspace yet: not initialised
        return _UTF16


def client_column(codec: PositionCodec, text: str, index: int) -> int:
    """The client's column (in code units of `codec`) of str index `index` in `text`."""
    prefix = text[:index]
    if prefix.isascii():  # one unit per character in every encoding
        return len(prefix)
    return codec.client_num_units(prefix)


def lsp_position(lines: list[str], line: int, index: int, codec: PositionCodec) -> t.Position:
    text = lines[line] if line < len(lines) else ""
    return t.Position(line=line, character=client_column(codec, text, index))


def finding_range(lines: list[str], line: int, start: int, end: int,
                  codec: PositionCodec) -> t.Range:
    return t.Range(start=lsp_position(lines, line, start, codec),
                   end=lsp_position(lines, line, end, codec))


def line_range(lines: list[str], line: int, codec: PositionCodec) -> t.Range:
    text = lines[line] if line < len(lines) else ""
    return finding_range(lines, line, 0, len(text), codec)


def lsp_text_edits(lines: list[str], edits: list[TextEdit],
                   codec: PositionCodec) -> list[t.TextEdit]:
    return [t.TextEdit(range=t.Range(start=lsp_position(lines, e.line, e.start, codec),
                                     end=lsp_position(lines, e.line if e.end_line is None
                                                      else e.end_line, e.end, codec)),
                       new_text=e.text) for e in edits]


def server_column(codec: PositionCodec, text: str, character: int) -> int:
    """The str index in `text` of a client's column (code units of `codec`), clamped to the
    line; a column inside a character counts as that character's start."""
    if text.isascii():
        return max(0, min(character, len(text)))
    units = 0
    for i, ch in enumerate(text):
        units += codec.client_num_units(ch)
        if units > character:
            return i
    return len(text)
