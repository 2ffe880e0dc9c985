"""Columns in the position encoding the client negotiated (issue 13, item 1).

Every column the server sends is checked by applying it the way an editor of that encoding
does (tests.lsp_client.str_index): a column that lands inside a character, or short of the
place it names, fails. Neovim 0.11 negotiates UTF-8, VS Code UTF-16; the third set asks for
UTF-32, which no recorded client offers first.
"""

from __future__ import annotations

import attrs
import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import (
    CAPS,
    CLIENTS,
    actions_at,
    apply_to_text,
    capabilities_of,
    line_of,
    lsp_session,
    open_doc,
    session_reset,
    str_index,
    wait_until,
)

DESSERT = "- [ ] Crème brûlée ☕ recipe done"
ROCKET = "- [ ] Ship 🚀 launch notes (step 9)"  # names a step the plan lacks: a diagnostic
TODO = f"""# Café plan

## Step 1: Pâtisserie 🍰
{DESSERT}
{ROCKET}
- [x] Tarte tatin 🍎 (@zoë)
"""
PLAN = """# Plan

## Step 1: Pâtisserie 🍰

```text
Write the recipes.
```
"""
REVIEW = "# Code review\n\n- Crème ☕ 🚀 handling: see café/app.py:2 for the rounding\n"

UTF32 = attrs.evolve(CAPS, general=t.GeneralClientCapabilities(
    position_encodings=[t.PositionEncodingKind.Utf32]))


def make_project(folder):
    root = folder / "desserts"
    (root / "café").mkdir(parents=True)
    (root / "todo.md").write_text(TODO, encoding="utf-8")
    (root / "prompt_plan.md").write_text(PLAN, encoding="utf-8")
    (root / "code-review.md").write_text(REVIEW, encoding="utf-8")
    (root / "café" / "app.py").write_text("x = 1\ny = 2\n", encoding="utf-8")
    return root


# One server per client for the whole module; each test starts from the project's state.
pytestmark = [pytest.mark.asyncio(loop_scope="module")]
client = lsp_session(make_project, options={"planLs": {"user": "ana"}},
                     clients=(*CLIENTS, "utf-32"),
                     capabilities=lambda name: UTF32 if name == "utf-32" else capabilities_of(name))

fresh_state = session_reset()


async def test_the_matrix_negotiates_three_encodings():  # async: the module's loop
    """The clients offer what the suite relies on: if pytest-lsp's recorded Neovim stops
    offering UTF-8 first, the matrix no longer covers UTF-8 and must be changed."""
    neovim = capabilities_of("neovim").general
    assert neovim is not None and list(neovim.position_encodings or [])[0] == "utf-8"
    vscode = capabilities_of("visual_studio_code").general
    assert vscode is None or not vscode.position_encodings  # UTF-16, LSP's default


async def test_claim_lands_at_the_end_of_the_line(client: LanguageClient):
    expected = {"visual_studio_code": "utf-16", "neovim": "utf-8", "utf-32": "utf-32"}
    assert client.encoding == expected[client.client_name]
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    text = todo.read_text(encoding="utf-8")
    for needle in ("Crème brûlée", "Ship 🚀"):
        line = line_of(todo, needle)
        actions = await client.text_document_code_action_async(actions_at(uri, line))
        claim = next(a for a in actions if a.title == "Claim this item for @ana")
        new = apply_to_text(text, list(claim.edit.document_changes[0].edits), client.encoding)
        assert new.split("\n")[line] == text.split("\n")[line] + " (@ana)"
    # the command on the open document sends the same edit; release takes the tag away
    line = line_of(todo, "Tarte tatin")
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.release", arguments=[{"uri": uri, "line": line}]))
    assert result["applied"]
    [edit] = client.edits
    new = apply_to_text(text, list(edit.document_changes[0].edits), client.encoding)
    assert new.split("\n")[line] == "- [x] Tarte tatin 🍎"


async def test_diagnostic_and_lens_ranges_cover_whole_lines(client: LanguageClient):
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    await wait_until(lambda: any(d.code == "unknown-step"
                                 for d in client.diagnostics.get(uri, [])))
    [diag] = [d for d in client.diagnostics[uri] if d.code == "unknown-step"]
    line = ROCKET
    assert diag.range.start.line == line_of(todo, "Ship 🚀")
    start = str_index(line, diag.range.start.character, client.encoding)
    end = str_index(line, diag.range.end.character, client.encoding)
    assert line[start:end] == line  # the whole item, not a character short or past
    lenses = await client.text_document_code_lens_async(
        t.CodeLensParams(text_document=t.TextDocumentIdentifier(uri=uri)))
    heading = "## Step 1: Pâtisserie 🍰"
    [lens] = [x for x in lenses if x.range.start.line == line_of(todo, "## Step 1")]
    assert str_index(heading, lens.range.end.character, client.encoding) == len(heading)


async def test_document_link_covers_the_place(client: LanguageClient):
    review = client.project / "code-review.md"
    uri = open_doc(client, review)
    links = await client.text_document_document_link_async(
        t.DocumentLinkParams(text_document=t.TextDocumentIdentifier(uri=uri)))
    [link] = links
    line = REVIEW.split("\n")[link.range.start.line]
    start = str_index(line, link.range.start.character, client.encoding)
    end = str_index(line, link.range.end.character, client.encoding)
    assert line[start:end] == "café/app.py:2"
    assert link.target.endswith("#L2")
