"""Bad input gets a clear message, never a crash: huge, binary, empty, missing, no steps."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from plan_ls.model.plan import parse_plan
from plan_ls.model.todo import parse_todo
from tests.cli_runner import run_cli
from tests.lsp_client import CAPS, SERVER, make_client, open_doc


def _big_todo(steps: int) -> str:
    block = "".join(f"- [{'x' if i % 3 else ' '}] item {i} with some words\n" for i in range(200))
    return "".join(f"## Step {h}\n{block}" for h in range(1, steps + 1))


def test_two_megabyte_todo_parses():
    text = _big_todo(350)
    assert len(text) > 2_000_000
    assert parse_todo(text).total == 350 * 200


def test_ten_megabyte_todo_gets_a_clear_message(tmp_path):
    text = _big_todo(1700)
    assert len(text) > 10_000_000
    (tmp_path / "todo.md").write_text(text)
    out = run_cli("status", str(tmp_path), "--json")
    assert out.returncode == 2
    assert "todo.md is 10.4 MB, over the 4 MB that plan-ls reads" in out.stderr


def test_binary_todo_is_refused_with_a_message(tmp_path):
    (tmp_path / "todo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    out = run_cli("status", str(tmp_path))
    assert out.returncode == 2 and "binary" in out.stderr


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "todo.md").write_text("")
    out = run_cli("status", str(tmp_path), "--json")
    assert out.returncode == 0 and '"total": 0' in out.stdout
    assert parse_todo("").items == [] and parse_plan("").steps == []


def test_plan_with_no_steps(tmp_path):
    (tmp_path / "prompt_plan.md").write_text("# Notes\n\nNothing numbered.\n")
    (tmp_path / "todo.md").write_text("- [ ] a\n")
    out = run_cli("check", str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    out = run_cli("status", str(tmp_path))
    assert "no steps found" in out.stdout


def test_invalid_utf8_is_read_not_crashed(tmp_path):
    (tmp_path / "todo.md").write_bytes(b"- [ ] caf\xe9 latin-1\n- [x] ok\n")
    out = run_cli("status", str(tmp_path), "--json")
    assert out.returncode == 0 and '"total": 2' in out.stdout


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "todo.md").write_bytes(b"\x00\x01\x02 not text")
    (tmp_path / "prompt_plan.md").write_text("# Plan without steps\n")
    return tmp_path


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def client(lsp_client: LanguageClient, workspace):
    lsp_client.workspace_path = workspace
    await lsp_client.initialize_session(t.InitializeParams(capabilities=CAPS,
                                                           root_uri=workspace.as_uri()))
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), 5)


async def test_server_reports_unreadable_file_and_survives(client: LanguageClient):
    todo_uri = (client.workspace_path / "todo.md").as_uri()
    for _ in range(5):
        if todo_uri in client.diagnostics:
            break
        await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    [diag] = client.diagnostics[todo_uri]
    assert "cannot read this file" in diag.message and "binary" in diag.message
    # an editor that opens another markdown file still gets hover and actions
    other = client.workspace_path / "notes.md"
    other.write_text("- [ ] a note\n")
    uri = open_doc(client, other)
    hover = await client.text_document_hover_async(t.HoverParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(line=0, character=3)))
    assert "Item 1 of 1" in hover.contents.value
    # a command with a file that does not exist gets a refusal, not a crash
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.markDone",
        arguments=[{"uri": (client.workspace_path / "gone.md").as_uri(), "lines": [0]}]))
    assert result["applied"] is False
