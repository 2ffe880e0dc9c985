"""Claims through the language server: code actions, commands, diagnostics and hover."""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import (
    actions_at,
    apply_to_text,
    line_of,
    lsp_session,
    open_doc,
    session_reset,
)

# One server per client for the whole module; each test starts from the sample's state.
pytestmark = [pytest.mark.asyncio(loop_scope="module")]
client = lsp_session("greenfield", options={"planLs": {"user": "tester"}})

fresh_state = session_reset()


async def command(client: LanguageClient, method: str, **args):
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command=method, arguments=[args]))


async def wait_for_codes(client: LanguageClient, uri: str, want: set[str], present=True):
    deadline = time.monotonic() + 5
    while True:
        codes = {d.code for d in client.diagnostics.get(uri, [])}
        if (want <= codes) if present else not (want & codes):
            return [d for d in client.diagnostics.get(uri, []) if d.code in want]
        assert time.monotonic() < deadline, codes
        await asyncio.sleep(0.02)


async def test_claim_and_release_actions_on_an_item_and_a_step(client: LanguageClient):
    todo, plan = client.project / "todo.md", client.project / "prompt_plan.md"
    uri = open_doc(client, todo)
    line = line_of(todo, "Test a missing")
    actions = await client.text_document_code_action_async(actions_at(uri, line))
    claim = next(a for a in actions if a.title == "Claim this item for @tester")
    [change] = claim.edit.document_changes
    assert change.text_document.version == 1
    new = apply_to_text(todo.read_text(), list(change.edits)).split("\n")
    assert new[line] == "- [ ] Test a missing data file (@tester)"
    assert not [a for a in actions if a.title.startswith("Release")]
    # in the plan, anywhere inside a step: the claim goes on the step's own line
    plan_uri = open_doc(client, plan)
    step_line = line_of(plan, "## Step 4")
    actions = await client.text_document_code_action_async(actions_at(plan_uri, step_line + 3))
    claim = next(a for a in actions if a.title == "Claim Step 4 for @tester")
    [e] = claim.edit.document_changes[0].edits
    assert (e.range.start.line, e.new_text) == (step_line, " (@tester)")


async def test_claim_commands_write_closed_files_and_drive_diagnostics(client: LanguageClient):
    todo, plan = client.project / "todo.md", client.project / "prompt_plan.md"
    todo_uri, plan_uri = todo.as_uri(), plan.as_uri()
    step5 = line_of(plan, "## Step 5")
    result = await command(client, "planLs.claim", uri=plan_uri, line=step5 + 2, name="ana")
    assert result == {"applied": True, "claim": "ana"}
    assert "## Step 5: Streaks command (@ana)\n" in plan.read_text()  # not open: written
    # bob takes an item of ana's step: one step, two names
    item = line_of(todo, "`habit streaks` prints")
    result = await command(client, "planLs.claim", uri=todo_uri, line=item, name="bob")
    assert result["applied"] and todo.read_text().split("\n")[item].endswith("(@bob)")
    [conflict] = await wait_for_codes(client, plan_uri, {"claim-conflict"})
    assert conflict.range.start.line == step5 and "@ana, @bob" in conflict.message
    await wait_for_codes(client, todo_uri, {"claim-conflict"})
    # the item is checked off while ana holds the step: checked off by another
    await command(client, "planLs.markDone", uri=todo_uri, lines=[item])
    [other] = await wait_for_codes(client, todo_uri, {"checked-by-other"})
    assert other.range.start.line == item and "@bob" in other.message and "@ana" in other.message
    await wait_for_codes(client, plan_uri, {"claim-conflict"}, present=False)
    # hover on the step shows who holds it
    hover = await client.text_document_hover_async(t.HoverParams(
        text_document=t.TextDocumentIdentifier(uri=plan_uri),
        position=t.Position(line=step5, character=3)))
    assert "claimed by @ana" in hover.contents.value
    # releasing the item's claim clears it all
    result = await command(client, "planLs.release", uri=todo_uri, line=item)
    assert result == {"applied": True, "claim": None}
    assert "(@bob)" not in todo.read_text()
    await wait_for_codes(client, todo_uri, {"checked-by-other", "claim-conflict"}, present=False)


async def test_claim_command_uses_the_setting_and_refuses_non_targets(client: LanguageClient):
    plan = client.project / "prompt_plan.md"
    result = await command(client, "planLs.claim", uri=plan.as_uri(),
                           line=line_of(plan, "## Step 6"))
    assert result["claim"] == "tester" and "Remove with confirmation (@tester)" in plan.read_text()
    result = await command(client, "planLs.claim", uri=plan.as_uri(), line=0)
    assert result == {"applied": False, "claim": None}
    status = await command(client, "planLs.status")
    step6 = next(s for s in status["plan"]["steps"] if s["number"] == "6")
    assert step6["claim"] == "tester"
