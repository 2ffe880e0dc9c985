"""The language server end to end through pytest-lsp, on a copy of samples/greenfield."""

from __future__ import annotations

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import (
    actions_at,
    apply_to_text,
    hover_at,
    line_of,
    lsp_session,
    open_doc,
    session_reset,
    wait_until,
)

# One server per client for the whole module; each test starts from the sample's state.
pytestmark = [pytest.mark.asyncio(loop_scope="module")]
client = lsp_session("greenfield")

fresh_state = session_reset()


async def test_hover_on_todo_item_shows_step_prompt_and_progress(client: LanguageClient):
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    hover = await client.text_document_hover_async(hover_at(uri, line_of(todo, "Test a missing")))
    text = hover.contents.value
    assert "Step 3: Atomic store" in text
    assert "2/4 done" in text  # the step's progress
    assert "load(path)" in text  # the start of the step's prompt
    assert "8/20 done overall" in text and "Item 8 of 20" in text
    assert "Under:" not in text  # the only headings above are the title and the step's own


async def test_hover_knows_the_plan_without_opening_it(client: LanguageClient):
    """prompt_plan.md is read from disk at start, so hover in todo.md sees its steps."""
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    hover = await client.text_document_hover_async(hover_at(uri, line_of(todo, "README")))
    assert "Step 8: Wire-up and release check" in hover.contents.value


async def test_hover_on_plan_step_lists_its_items(client: LanguageClient):
    plan = client.project / "prompt_plan.md"
    uri = open_doc(client, plan)
    hover = await client.text_document_hover_async(hover_at(uri, line_of(plan, "## Step 3")))
    text = hover.contents.value
    assert "2/4 done" in text
    assert "☑ Round-trip test" in text and "☐ Test a missing data file" in text
    assert await client.text_document_hover_async(hover_at(uri, 1)) is None


async def test_mark_done_action_changes_only_the_marker(client: LanguageClient):
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    line = line_of(todo, "Test a missing")
    actions = await client.text_document_code_action_async(actions_at(uri, line))
    titles = [a.title for a in actions]
    assert "Mark done" in titles and "Mark not done" not in titles
    mark = next(a for a in actions if a.title == "Mark done")
    [change] = mark.edit.document_changes
    assert change.text_document.version == 1  # versioned: a stale edit is refused
    original = todo.read_text()
    new = apply_to_text(original, list(change.edits))
    old_lines, new_lines = original.split("\n"), new.split("\n")
    diff = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert diff == [line]
    assert new_lines[line] == old_lines[line].replace("[ ]", "[x]", 1)


async def test_selection_heading_and_step_actions(client: LanguageClient):
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    first = line_of(todo, "`habit add NAME`")
    actions = await client.text_document_code_action_async(actions_at(uri, first, first + 3))
    assert "Mark 3 selected items done" in [a.title for a in actions]
    heading = line_of(todo, "## Step 5")
    actions = await client.text_document_code_action_async(actions_at(uri, heading))
    under = next(a for a in actions if a.title == "Mark Step 5 done (2 open)")
    assert len(under.edit.document_changes[0].edits) == 2
    # a heading that is not one step's group says what it covers
    actions = await client.text_document_code_action_async(actions_at(uri, 0))
    whole = next(a for a in actions if a.title.startswith("Mark all under “Habit tracker"))
    assert len(whole.edit.document_changes[0].edits) == 12
    actions = await client.text_document_code_action_async(actions_at(uri, heading + 1))
    step_action = next(a for a in actions if a.title.startswith("Mark Step 5 done"))
    assert step_action.command.command == "planLs.markDone"
    assert step_action.command.arguments[0]["step"] == "5"


async def test_mark_step_done_command_from_the_plan(client: LanguageClient):
    plan = client.project / "prompt_plan.md"
    todo = client.project / "todo.md"
    plan_uri = open_doc(client, plan)
    actions = await client.text_document_code_action_async(
        actions_at(plan_uri, line_of(plan, "## Step 4")))
    action = next(a for a in actions if a.title.startswith("Mark Step 4 done"))
    # todo.md is not open in the editor, so the server writes it on disk
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command=action.command.command, arguments=action.command.arguments))
    assert result["applied"] and result["changed"] == 3
    text = todo.read_text()
    assert "- [x] `habit add NAME`" in text and "- [x] End-to-end tests" in text
    assert "- [ ] `habit streaks`" in text
    status = await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="planLs.status", arguments=[{}]))
    step4 = next(s for s in status["plan"]["steps"] if s["number"] == "4")
    assert step4["todo_done"] == 3


async def test_mark_done_command_on_open_document_uses_versioned_edit(client: LanguageClient):
    todo = client.project / "todo.md"
    uri = open_doc(client, todo, version=7)
    line = line_of(todo, "README with usage")
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.markDone", arguments=[{"uri": uri, "lines": [line]}]))
    assert result == {"applied": True, "changed": 1}
    [edit] = client.edits
    [change] = edit.document_changes
    assert change.text_document.version == 7
    [e] = change.edits
    assert (e.range.start.line, e.range.start.character, e.range.end.character, e.new_text) \
        == (line, 3, 4, "x")
    assert todo.read_text().count("[x]") == 8  # the file on disk was not written behind us


async def test_stale_edit_is_refused_and_reported(client: LanguageClient):
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    client.apply_result = False  # the editor refuses: its version moved on
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.markDone", arguments=[{"uri": uri, "lines": [line_of(todo, "README")]}]))
    assert result["applied"] is False
    assert "[ ] README" in todo.read_text()


async def test_code_lenses(client: LanguageClient):
    todo, plan = client.project / "todo.md", client.project / "prompt_plan.md"
    todo_uri, plan_uri = open_doc(client, todo), open_doc(client, plan)
    lenses = await client.text_document_code_lens_async(
        t.CodeLensParams(text_document=t.TextDocumentIdentifier(uri=todo_uri)))
    by_line = {lens.range.start.line: lens.command.title for lens in lenses}
    assert by_line[line_of(todo, "## Step 1")] == "✓ 3/3 done"
    assert by_line[line_of(todo, "## Step 3")] == "○ 2/4 done"
    lenses = await client.text_document_code_lens_async(
        t.CodeLensParams(text_document=t.TextDocumentIdentifier(uri=plan_uri)))
    titles = [lens.command.title for lens in lenses]
    assert titles[0] == "Next: Step 3 — Atomic store"
    assert "no todo items" in titles  # step 7
    copy = next(lens for lens in lenses if lens.command.title == "Copy prompt")
    assert copy.command.command == "planLs.copyToClipboard"
    assert "Create a Python package" in copy.command.arguments[0]["text"]


async def test_diagnostics_follow_did_change(client: LanguageClient):
    todo, plan = client.project / "todo.md", client.project / "prompt_plan.md"
    todo_uri = open_doc(client, todo)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    plan_uri = plan.as_uri()
    for _ in range(3):  # one publication per file
        if plan_uri in client.diagnostics and todo_uri in client.diagnostics:
            break
        await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    [missing] = [d for d in client.diagnostics[plan_uri] if d.code == "step-without-todo"]
    assert missing.range.start.line == line_of(plan, "## Step 7")
    # the user adds a todo group for step 7 and breaks a checkbox
    end = len(todo.read_text().split("\n")) - 1
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=todo_uri, version=2),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=end, character=0),
                          end=t.Position(line=end, character=0)),
            text="\n## Step 7: Friendly errors\n- [ ] suggest close names\n- [] exit 2\n"
                 "- [ ] Step 12 bonus\n")]))
    # planLs/progress is sent after both files' diagnostics
    await wait_until(lambda: client.progress_notes and client.progress_notes[-1].total == 22)
    codes = {d.code for d in client.diagnostics[todo_uri]}
    assert {"malformed-checkbox", "unknown-step"} <= codes
    assert not [d for d in client.diagnostics[plan_uri] if d.code == "step-without-todo"]
    note = client.progress_notes[-1]
    assert (note.done, note.total) == (8, 22)
    assert note.nextStep.number == "3"


async def test_next_step_command(client: LanguageClient):
    result = await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="planLs.nextStep", arguments=[{}]))
    assert result["number"] == "3" and result["title"] == "Atomic store"
    assert "load(path)" in result["prompt"]


async def test_mark_done_command_on_a_heading_line_marks_the_section(client: LanguageClient):
    todo = client.project / "todo.md"
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.markDone",
        arguments=[{"uri": todo.as_uri(), "lines": [line_of(todo, "## Step 6")]}]))
    assert result == {"applied": True, "changed": 2}
    assert todo.read_text().count("[x]") == 10
