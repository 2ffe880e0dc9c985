"""A plan that holds its own checklist, end to end through pytest-lsp: no todo.md, and the
plan's boxes give progress, the next step, hover, code actions and check-off."""

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
from tests.test_checklist_in_plan import PLAN


def make_project(folder):
    (folder / "ws").mkdir()
    (folder / "ws" / "prompt_plan.md").write_text(PLAN)
    return folder / "ws"


# One server per client for the whole module; each test starts from the project's state.
pytestmark = [pytest.mark.asyncio(loop_scope="module")]
client = lsp_session(make_project)

fresh_state = session_reset()


async def command(client: LanguageClient, name: str, args: dict):
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command=name, arguments=[args]))


async def test_progress_and_next_step_come_from_the_plans_boxes(client: LanguageClient):
    plan = client.project / "prompt_plan.md"
    status = await command(client, "planLs.status", {})
    assert status["todo"]["path"] == str(plan.resolve())
    assert (status["todo"]["total"], status["todo"]["done"]) == (7, 3)
    progress = {s["number"]: (s["todo_done"], s["todo_total"]) for s in status["plan"]["steps"]}
    assert progress == {"1": (2, 2), "2": (1, 3), "3": (0, 1)}
    # a box checked in the editor: the progress notification counts the plan's boxes
    uri = open_doc(client, plan)
    line = line_of(plan, "- [ ] print it")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=line, character=3),
                          end=t.Position(line=line, character=4)), text="x")]))
    await wait_until(lambda: client.progress_notes and client.progress_notes[-1].done == 4)
    note = client.progress_notes[-1]
    assert (note.done, note.total) == (4, 7) and list(note.files) == [uri]
    status = await command(client, "planLs.status", {})
    progress = {s["number"]: (s["todo_done"], s["todo_total"]) for s in status["plan"]["steps"]}
    assert progress == {"1": (2, 2), "2": (1, 3), "3": (1, 1)}
    nxt = await command(client, "planLs.nextStep", {})
    assert nxt["number"] == "2" and nxt["title"] == "Blinking pattern"


async def test_hover_on_a_box_and_on_its_step(client: LanguageClient):
    plan = client.project / "prompt_plan.md"
    uri = open_doc(client, plan)
    box = await client.text_document_hover_async(hover_at(uri, line_of(plan, "fast blink")))
    assert "Step 2: Blinking pattern" in box.contents.value and "1/3 done" in box.contents.value
    step = await client.text_document_hover_async(hover_at(uri, line_of(plan, "## Step 2")))
    assert "1/3 done" in step.contents.value and "☐ fast blink" in step.contents.value


async def test_mark_done_on_a_box_in_the_plan(client: LanguageClient):
    plan = client.project / "prompt_plan.md"
    uri = open_doc(client, plan)
    line = line_of(plan, "print it")
    actions = await client.text_document_code_action_async(actions_at(uri, line))
    mark = next(a for a in actions if a.title == "Mark done")
    [change] = mark.edit.document_changes
    new = apply_to_text(PLAN, list(change.edits), client.encoding)
    assert new == PLAN.replace("- [ ] print it", "- [x] print it")


async def test_mark_a_step_done_from_its_heading(client: LanguageClient):
    plan = client.project / "prompt_plan.md"
    uri = open_doc(client, plan)
    actions = await client.text_document_code_action_async(
        actions_at(uri, line_of(plan, "## Step 2")))
    [action] = [a for a in actions if a.title.startswith("Mark Step 2 done")]  # once
    [change] = action.edit.document_changes
    assert apply_to_text(PLAN, list(change.edits), client.encoding) == DONE_2


DONE_2 = PLAN.replace("- [ ] fast", "- [x] fast").replace("- [ ] timing", "- [x] timing")


async def test_mark_step_done_command_writes_the_plan(client: LanguageClient):
    plan = client.project / "prompt_plan.md"
    uri = client.project.resolve().joinpath("prompt_plan.md").as_uri()
    actions = await client.text_document_code_action_async(
        actions_at(uri, line_of(plan, "Blink the LED")))  # a line of the step's prompt
    action = next(a for a in actions if a.title.startswith("Mark Step 2 done"))
    # the plan is not open in the editor: the server writes it on disk
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command=action.command.command, arguments=action.command.arguments))
    assert result["applied"] and result["changed"] == 2
    assert plan.read_text() == DONE_2  # the box inside the prompt's fence is prompt text
    assert not (client.project / "todo.md").exists()
    await wait_until(lambda: client.progress_notes and client.progress_notes[-1].done == 5)
    nxt = await command(client, "planLs.nextStep", {})
    assert nxt["number"] == "3"
