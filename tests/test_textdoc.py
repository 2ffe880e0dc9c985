"""LineTextDocument must make of every change exactly the text pygls's TextDocument makes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as t
from pygls.workspace import PositionCodec, TextDocument

from plan_ls.textdoc import LineTextDocument, LineWorkspace

# line breaks of every kind str.splitlines knows, non-ASCII and astral characters
ALPHABET = st.sampled_from(["a", "b", " ", "-", "[", "]", "x", "é", "🚀", "\n", "\r\n", "\r",
                            "\u2028", "\x0b"])
TEXT = st.lists(ALPHABET, max_size=40).map("".join)
ENCODINGS = st.sampled_from([t.PositionEncodingKind.Utf8, t.PositionEncodingKind.Utf16,
                             t.PositionEncodingKind.Utf32])


@st.composite
def edits(draw):
    """A text and a few changes in client units: mostly inside one line (typing), some
    across lines or past the end of a line, as clients send them."""
    n = draw(st.integers(1, 6))
    changes = []
    for _ in range(n):
        line = draw(st.integers(0, 6))
        char = draw(st.integers(0, 12))
        if draw(st.booleans()):
            end = t.Position(line=line, character=char + draw(st.integers(0, 3)))
        else:
            end = t.Position(line=line + draw(st.integers(0, 2)), character=draw(st.integers(0, 8)))
        changes.append((t.Position(line=line, character=char), end, draw(TEXT)))
    return changes


# 150 examples: the branches of textdoc.py they reach stop growing by ~100 (measured over
# 3 seeds at 50/100/200/400 examples: 66-68 arcs from 100 on), at 40% of 400's time
@settings(max_examples=150, deadline=None)
@given(TEXT, edits(), ENCODINGS)
def test_same_text_as_pygls_after_any_changes(text, changes, encoding):
    codec = PositionCodec(encoding=encoding)
    ours = LineTextDocument("file:///w/todo.md", text, version=1, position_codec=codec)
    theirs = TextDocument("file:///w/todo.md", text, version=1, position_codec=codec)
    for start, end, new_text in changes:
        if (end.line, end.character) < (start.line, start.character):
            start, end = end, start
        change = t.TextDocumentContentChangePartial(range=t.Range(start=start, end=end),
                                                    text=new_text)
        ours.apply_change(change)
        theirs.apply_change(change)
        assert ours.source == theirs.source
        assert ours.lines == theirs.lines
        assert [ours.line(i) for i in range(len(theirs.lines))] == list(theirs.lines)


def test_typing_in_one_line_keeps_the_split():
    doc = LineTextDocument("file:///w/todo.md", "- [ ] a\r\n- [ ] b\n", version=1)
    lines_before = doc._line_list()
    doc.apply_change(t.TextDocumentContentChangePartial(
        range=t.Range(start=t.Position(line=0, character=7), end=t.Position(line=0, character=7)),
        text="bc"))
    assert doc.source == "- [ ] abc\r\n- [ ] b\n"
    assert doc._line_list() is lines_before  # the fast path ran: no second split
    assert doc.line(0) == "- [ ] abc\r\n" and doc.line(2) is None


def test_workspace_makes_line_documents_with_its_encoding():
    ws = LineWorkspace.like(LineWorkspace("file:///w", position_encoding="utf-8"))
    ws.put_text_document(t.TextDocumentItem(uri="file:///w/todo.md", language_id="markdown",
                                            version=1, text="é\n"))
    doc = ws.get_text_document("file:///w/todo.md")
    assert isinstance(doc, LineTextDocument)
    assert ws.position_encoding == "utf-8" and ws.root_uri == "file:///w"


@settings(max_examples=150, deadline=None)  # see above: 78-80 arcs from 100 on
@given(TEXT, edits(), ENCODINGS)
def test_unread_text_and_line_edits_tell_the_truth(text, changes, encoding):
    """Without anyone reading `source` between changes (the text is joined only at the end),
    the text before each change stays readable and each LineEdit states the change."""
    codec = PositionCodec(encoding=encoding)
    ours = LineTextDocument("file:///w/todo.md", text, version=1, position_codec=codec)
    theirs = TextDocument("file:///w/todo.md", text, version=1, position_codec=codec)
    for start, end, new_text in changes:
        if (end.line, end.character) < (start.line, start.character):
            start, end = end, start
        change = t.TextDocumentContentChangePartial(range=t.Range(start=start, end=end),
                                                    text=new_text)
        before, previous = ours.key, theirs.source
        ours.apply_change(change)
        theirs.apply_change(change)
        assert ours.key is not before
        assert ours.text_at(before) == previous
        edit = ours.line_edit
        if edit is not None:
            lines = theirs.lines
            assert (edit.before, edit.after) == (before, ours.key)
            assert edit.line == lines[edit.number] and edit.lines == len(lines)
            assert edit.length == len(theirs.source)
            assert edit.ends_with_break == (lines[-1] != lines[-1].splitlines()[0])
            assert len(previous.splitlines()) == len(lines)
            assert [ln for i, ln in enumerate(previous.splitlines(True)) if i != edit.number] \
                == [ln for i, ln in enumerate(lines) if i != edit.number]
    assert ours.source == theirs.source and ours.lines == theirs.lines


def test_typing_joins_nothing_until_the_text_is_read():
    doc = LineTextDocument("file:///w/todo.md", "- [ ] a\n\r- [ ] b\n", version=1)
    for n in range(3):
        doc.apply_change(t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=0, character=7 + n),
                          end=t.Position(line=0, character=7 + n)), text="z"))
    assert doc._source == "- [ ] a\n\r- [ ] b\n"  # not joined yet
    assert doc.source == "- [ ] azzz\n\r- [ ] b\n"
    # emptying the line after a "\r" must not glue "\r" and "\n" into one line ending
    doc = LineTextDocument("file:///w/todo.md", "a\rb\nc", version=1)
    doc.apply_change(t.TextDocumentContentChangePartial(
        range=t.Range(start=t.Position(line=1, character=0), end=t.Position(line=1, character=1)),
        text=""))
    assert doc.lines == ("a\r\n", "c") and doc.line_edit is None
