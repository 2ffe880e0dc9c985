"""A new user's workspace through a real `plan-ls serve` (pytest-lsp, VS Code's and Neovim's
capabilities): a root prompt plan, a spec-kit feature and a Kiro spec written with a BOM,
CRLF line ends, tabs and non-Latin text. Hover, *Mark done* and *Start task* change the
marker and nothing else; `planLs.startTask` leaves a spec-kit feature alone;
`planLs.status` lists the plans `plan-ls status --json` lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types as t

from tests.cli_runner import run_cli
from tests.lsp_client import (
    actions_at,
    apply_to_text,
    hover_at,
    lsp_session,
    open_doc,
    session_reset,
    status_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

KIRO = ("\ufeff# Implementation Plan\r\n\r\n- [ ] 1. Очередь напоминаний\r\n"
        "  - [x] 1.1 Файл очереди\r\n    - _Requirements: 1.1_\r\n"
        "  - [ ] 1.2 Отправка 🚀 по расписанию\r\n    - _Requirements: 1.2_\r\n")
REQUIREMENTS = ("# Requirements\r\n\r\n### Requirement 1\r\n\r\n"
                "1. WHEN a loan is due THEN the system SHALL queue a reminder\r\n"
                "2. WHEN the hour comes THEN the system SHALL send it\r\n")
FEATURE = ("# Tasks: 借阅\r\n\r\n## Phase 1: Setup\r\n\r\n- [x] T001 借阅表\r\n\r\n"
           "## Phase 2: User Story 1 - Lend\r\n\r\n- [ ] T002 [US1] 借出命令\r\n"
           "\t- [ ] T003 [US1] Rückgabe\r\n")
PLAN = "# Plan\n\n## Step 1: Shelf\n\n```text\nMake the shelf.\n```\n"
TODO = "# Todo\n\n## Step 1: Shelf\n- [ ] shelf module\n"


def build(folder: Path) -> Path:
    root = folder / "library"
    for rel, text in {"prompt_plan.md": PLAN, "todo.md": TODO,
                      ".kiro/specs/reminders/tasks.md": KIRO,
                      ".kiro/specs/reminders/requirements.md": REQUIREMENTS,
                      "specs/001-lending/tasks.md": FEATURE}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    (root / ".git").mkdir()
    return root


client = lsp_session(build)
fresh_state = session_reset()


def line_index(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if needle in line)


async def test_kiro_hover_and_mark_done_in_a_bom_crlf_file(client):
    tasks = client.project / ".kiro/specs/reminders/tasks.md"
    text = tasks.read_bytes().decode("utf-8")
    uri = open_doc(client, tasks)
    line = line_index(text, "1.2 Отправка")
    hover = await client.text_document_hover_async(hover_at(uri, line, 8))
    assert hover is not None and "Очередь напоминаний" in hover.contents.value
    actions = await client.text_document_code_action_async(actions_at(uri, line))
    mark = next(a for a in actions if a.title == "Mark done")
    [change] = mark.edit.document_changes
    assert apply_to_text(text, list(change.edits), client.encoding) == \
        text.replace("- [ ] 1.2 Отправка", "- [x] 1.2 Отправка")
    start = next(a for a in actions if a.title == "Start task")
    [change] = start.edit.document_changes
    assert apply_to_text(text, list(change.edits), client.encoding) == \
        text.replace("- [ ] 1.2 Отправка", "- [-] 1.2 Отправка")


async def test_start_task_is_neither_offered_nor_done_in_a_spec_kit_feature(client):
    tasks = client.project / "specs/001-lending/tasks.md"
    before = tasks.read_bytes()
    uri = tasks.as_uri()
    line = line_index(before.decode(), "T002")
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.startTask", arguments=[{"uri": uri, "line": line}]))
    assert result == {"applied": False}
    assert tasks.read_bytes() == before
    uri = open_doc(client, tasks)
    actions = await client.text_document_code_action_async(actions_at(uri, line))
    assert "Mark done" in [a.title for a in actions]
    assert "Start task" not in [a.title for a in actions]
    # Mark done on the tab-indented sub-task, through the editor: the marker only, CRLF kept
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.markDone", arguments=[{"uri": uri, "lines": [line + 1]}]))
    assert result["changed"] == 1
    [edit] = client.edits
    [change] = edit.document_changes
    assert apply_to_text(before.decode(), list(change.edits), client.encoding) == \
        before.decode().replace("\t- [ ] T003", "\t- [x] T003")


async def test_status_command_lists_the_plans_the_cli_lists(client):
    printed = run_cli("status", "--json", cwd=client.project)
    expected = json.loads(printed.stdout)
    status = await status_of(client)
    assert [p["id"] for p in status["plans"]] == [p["id"] for p in expected["plans"]] == \
        [".", ".kiro/specs/reminders", "specs/001-lending"]
    assert status == expected
