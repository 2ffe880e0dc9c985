"""Work per keystroke, through a real client: typing that changes no checkbox sends fresh
diagnostics for the edited file, but no planLs/progress and no code-lens refresh."""

from __future__ import annotations

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import (
    hover_at,
    line_of,
    lsp_session,
    open_doc,
    session_reset,
    status_of,
    wait_until,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module")]
client = lsp_session("greenfield", clients=("visual_studio_code",))  # has lens refresh

fresh_state = session_reset()


def type_at_end(client: LanguageClient, uri: str, lines: list[str], line: int,
                version: int, char: str = "z") -> None:
    """One keystroke at the end of `line` (ASCII lines: columns are str indices)."""
    pos = t.Position(line=line, character=len(lines[line]))
    lines[line] += char
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=pos, end=pos), text=char)]))


async def settle(client: LanguageClient, uri: str) -> None:
    """The server answers in order: once a hover sent after the changes is answered, every
    notification those changes caused has arrived."""
    await client.text_document_hover_async(hover_at(uri, 0))


async def test_typing_in_titles_sends_no_progress_and_no_lens_refresh(client):
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    # no progress note need come: after another test's reset (its notes forgotten) the
    # opened text is the one the server has
    await wait_until(lambda: uri in client.diagnostics)
    await settle(client, uri)
    done_before = (await status_of(client))["todo"]["done"]
    lines = todo.read_text(encoding="utf-8").split("\n")
    item = line_of(todo, "Test a missing data file")
    heading = line_of(todo, "## Step 2: Streak logic")
    notes, refreshes = len(client.progress_notes), client.lens_refreshes
    version = 1
    for line in [item] * 10 + [heading] * 10:  # an item's text, then a heading's title
        version += 1
        type_at_end(client, uri, lines, line, version)
        await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    await settle(client, uri)
    assert len(client.progress_notes) == notes
    assert client.lens_refreshes == refreshes

    # a checkbox that changes does send both, once
    box = lines[item].index("[ ]") + 1
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version + 1),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=item, character=box),
                          end=t.Position(line=item, character=box + 1)), text="x")]))
    await settle(client, uri)
    assert len(client.progress_notes) == notes + 1
    assert client.progress_notes[-1].done == done_before + 1
    assert client.lens_refreshes == refreshes + 1


async def test_check_offs_split_over_several_changes_are_all_taken(client):
    """An editor may send one applied edit as two didChange notifications, the second with
    several content changes (Neovim does, for a check-off of three lines). The first, a
    one-line change, leaves the server's text of the file unmade; the second moves the
    document two versions on before the server reads it."""
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    await wait_until(lambda: uri in client.diagnostics)
    lines = todo.read_text().split("\n")
    open_lines = [n for n, line in enumerate(lines) if line.startswith("- [ ] ")][:3]
    assert len(open_lines) == 3
    done_before = (await status_of(client))["todo"]["done"]

    def box(line: int) -> t.TextDocumentContentChangePartial:
        return t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=line, character=3),
                          end=t.Position(line=line, character=4)), text="x")

    first, *rest = open_lines[::-1]
    for version, changes in ((2, [box(first)]), (3, [box(n) for n in rest])):
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=changes))
    await settle(client, uri)
    assert not [m.message for m in client.messages if "Error" in m.message]
    assert (await status_of(client))["todo"]["done"] == done_before + 3
