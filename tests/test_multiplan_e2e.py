"""One server, many plans, end to end through pytest-lsp (both client capability sets).

The project (samples/multi) holds a root prompt plan, two spec-kit features and a Kiro spec.
Every plan gets hover, check-off and diagnostics of its own; planLs/progress lists them all;
a Kiro task can be started (`[-]`) and its `_Requirements:` ids link to requirements.md.
"""

from __future__ import annotations

import shutil

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

pytestmark = pytest.mark.asyncio(loop_scope="module")
client = lsp_session("multi")
fresh_state = session_reset()

KIRO = ".kiro/specs/offline-sync"
TAGS = "specs/001-tag-notes"
SHARE = "specs/002-share-links"


async def command(client: LanguageClient, name: str, args: dict):
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command=name, arguments=[args]))


def column_of(path, line: int, needle: str, encoding: str) -> int:
    """The LSP column of `needle` on `line` in `encoding`'s units (the samples are ASCII)."""
    text = path.read_text().splitlines()[line]
    assert text.isascii()
    return text.index(needle)


async def plans_note(client: LanguageClient, condition=lambda plans: True) -> dict:
    """The plans of the last planLs/progress, once `condition(plans by id)` holds: a change
    that the server must notice sends a new one."""
    def by_id():
        return {p.id: p for p in client.progress_notes[-1].plans} if client.progress_notes \
            else None

    await wait_until(lambda: by_id() is not None and condition(by_id()))
    return by_id()


async def test_progress_lists_every_plan_the_top_level_is_the_root_plan(client):
    plans = await plans_note(client, lambda p: len(p) == 4)
    assert list(plans) == [".", KIRO, TAGS, SHARE]
    assert [p.format for p in plans.values()] == ["prompt_plan", "kiro", "spec-kit", "spec-kit"]
    assert (plans["."].done, plans["."].total) == (1, 3)
    assert (plans[TAGS].done, plans[TAGS].total) == (1, 4)
    assert (plans[SHARE].done, plans[SHARE].total) == (0, 2)
    assert plans[KIRO].done == 0 and plans[KIRO].total >= 3
    note = client.progress_notes[-1]
    assert (note.done, note.total) == (1, 3) and note.nextStep.number == "1"
    tasks_uri = (client.project / TAGS / "tasks.md").resolve().as_uri()
    assert tasks_uri in list(plans[TAGS].files)
    assert tasks_uri not in list(plans["."].files)


async def test_hover_counts_the_plan_of_the_document(client):
    tasks = client.project / TAGS / "tasks.md"
    uri = open_doc(client, tasks)
    hover = await client.text_document_hover_async(hover_at(uri, line_of(tasks, "T003")))
    assert hover is not None and "1/4 done" in hover.contents.value
    todo = client.project / "todo.md"
    root = await client.text_document_hover_async(
        hover_at(open_doc(client, todo), line_of(todo, "Fall back")))
    assert "Step 1: Notebook folder" in root.contents.value and "1/3 done" in root.contents.value


async def test_mark_done_in_a_spec_kit_feature(client):
    tasks = client.project / TAGS / "tasks.md"
    uri = open_doc(client, tasks)
    actions = await client.text_document_code_action_async(actions_at(uri, line_of(tasks, "T002")))
    mark = next(a for a in actions if a.title == "Mark done")
    [change] = mark.edit.document_changes
    text = tasks.read_text()
    assert apply_to_text(text, list(change.edits), client.encoding) == \
        text.replace("- [ ] T002", "- [x] T002")


async def test_generation_is_offered_in_the_primary_plans_files_only(client):
    feature_spec = client.project / TAGS / "spec.md"
    actions = await client.text_document_code_action_async(
        actions_at(open_doc(client, feature_spec), 0))
    assert not [a for a in actions or [] if a.title.startswith("Generate")]
    root_spec = client.project / "spec.md"
    actions = await client.text_document_code_action_async(
        actions_at(open_doc(client, root_spec), 0))
    assert any(a.title.startswith("Generate prompt plan") for a in actions)


async def test_mark_done_on_disk_moves_that_plans_progress_only(client):
    tasks = client.project / SHARE / "tasks.md"
    before = tasks.read_text()
    uri = tasks.resolve().as_uri()
    result = await command(client, "planLs.markDone", {"uri": uri,
                                                       "lines": [line_of(tasks, "T002")]})
    assert result == {"applied": True, "changed": 1}
    assert tasks.read_text() == before.replace("- [ ] T002", "- [x] T002")
    plans = await plans_note(client, lambda p: p[SHARE].done == 1)
    assert (plans["."].done, plans[TAGS].done) == (1, 1)


async def test_start_task_in_kiro_writes_the_in_progress_marker(client):
    tasks = client.project / KIRO / "tasks.md"
    text = tasks.read_text()
    uri = open_doc(client, tasks)
    line = line_of(tasks, "1.1 Append")
    actions = await client.text_document_code_action_async(actions_at(uri, line))
    start = next(a for a in actions if a.title == "Start task")
    [change] = start.edit.document_changes
    assert apply_to_text(text, list(change.edits), client.encoding) == \
        text.replace("- [ ] 1.1 Append", "- [-] 1.1 Append")
    # the command, on the file no editor has open: the marker only, on disk
    client.text_document_did_close(t.DidCloseTextDocumentParams(
        text_document=t.TextDocumentIdentifier(uri=uri)))
    client.opened.discard(uri)
    result = await command(client, "planLs.startTask", {"uri": uri, "line": line})
    assert result == {"applied": True}
    started = text.replace("- [ ] 1.1 Append", "- [-] 1.1 Append")
    assert tasks.read_text() == started
    # a started task is offered "Mark done" (writes [x]), not "Start task"
    uri = open_doc(client, tasks, version=2)
    actions = await client.text_document_code_action_async(actions_at(uri, line))
    assert not any(a.title == "Start task" for a in actions)
    mark = next(a for a in actions if a.title == "Mark done")
    [change] = mark.edit.document_changes
    assert apply_to_text(started, list(change.edits), client.encoding) == \
        text.replace("- [ ] 1.1 Append", "- [x] 1.1 Append")


async def test_requirement_hover_and_definition(client):
    tasks = client.project / KIRO / "tasks.md"
    uri = open_doc(client, tasks)
    line = line_of(tasks, "_Requirements: 1.2_")
    at = t.Position(line=line, character=column_of(tasks, line, "1.2", client.encoding) + 1)
    hover = await client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=at))
    assert "upload the local edits" in hover.contents.value
    assert "Requirement 1.2" in hover.contents.value
    [loc] = await client.text_document_definition_async(
        t.DefinitionParams(text_document=t.TextDocumentIdentifier(uri=uri), position=at))
    requirements = client.project / KIRO / "requirements.md"
    assert loc.uri == requirements.resolve().as_uri()
    assert loc.range.start.line == line_of(requirements, "upload the local edits")
    line = line_of(tasks, "3.1")
    at = t.Position(line=line, character=column_of(tasks, line, "3.1", client.encoding))
    unknown = await client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=at))
    assert "3.1 is not in requirements.md" in unknown.contents.value


async def test_requirement_diagnostics(client):
    tasks = client.project / KIRO / "tasks.md"
    requirements = client.project / KIRO / "requirements.md"
    tasks_uri, req_uri = open_doc(client, tasks), open_doc(client, requirements)
    await wait_until(lambda: tasks_uri in client.diagnostics and req_uri in client.diagnostics)
    [warning] = [d for d in client.diagnostics[tasks_uri] if d.code == "unknown-requirement"]
    line = line_of(tasks, "3.1")
    assert warning.severity == t.DiagnosticSeverity.Warning
    assert warning.range.start.line == line
    assert warning.range.start.character == column_of(tasks, line, "3.1", client.encoding)
    infos = [d for d in client.diagnostics[req_uri] if d.code == "uncovered-requirement"]
    assert [d.range.start.line for d in infos] == [line_of(requirements, "tell the user")]
    assert infos[0].severity == t.DiagnosticSeverity.Information
    # naming the criterion in a task clears it, as the editor types
    text = tasks.read_text()
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=tasks_uri, version=2),
        content_changes=[t.TextDocumentContentChangeWholeDocument(
            text=text.replace("2.1, 3.1", "2.1, 2.2"))]))
    await wait_until(lambda: not [d for d in client.diagnostics[req_uri]
                                  if d.code == "uncovered-requirement"]
                     and not [d for d in client.diagnostics[tasks_uri]
                              if d.code == "unknown-requirement"])


async def test_a_plan_appearing_and_going_on_disk_is_picked_up(client):
    new = client.project / "specs" / "003-archive-notes"
    staging = client.project.parent / "staging-003"
    staging.mkdir()
    (staging / "tasks.md").write_text("# Tasks\n\n## Phase 1: Setup\n\n- [ ] T001 Zip notes\n")
    shutil.move(staging, new)  # a folder moved in: no event for its file
    plans = await plans_note(client, lambda p: "specs/003-archive-notes" in p)
    assert (plans["specs/003-archive-notes"].done, plans["specs/003-archive-notes"].total) \
        == (0, 1)
    shutil.rmtree(client.project / SHARE)
    plans = await plans_note(client, lambda p: SHARE not in p)
    assert "specs/003-archive-notes" in plans and TAGS in plans
