"""Running a step with an agent through the language server (pytest-lsp): the lens,
planLs.runStep with its work-done progress, Cancel, the hover's last run, the run log, and
Restricted Mode. The agent is tests/standin_agent.py on the tiny project of run_project.py."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from plan_ls.run.process import group_alive
from plan_ls.run.record import read_all
from tests.lsp_client import (
    SERVER,
    end_session,
    hover_at,
    line_of,
    lsp_session,
    make_client,
    open_doc,
    reset_session,
    start_session,
)
from tests.run_project import STANDIN_TEST_COMMAND, agent_command, git, make_project

# The gate is any test command here (tests/test_run.py keeps a real pytest one)
TEST_COMMAND = STANDIN_TEST_COMMAND


def calc(folder: Path) -> Path:
    return make_project(folder / "calc")


def agent_settings(mode: str) -> dict:
    return {"planLs": {"run": {"agent": agent_command(mode), "test": TEST_COMMAND}}}


# One server per agent for the tests that share its settings; each test starts from the
# project's first state (its files, .git included, put back). The others get their own.
module_loop = pytest.mark.asyncio(loop_scope="module")
good_agent = lsp_session(calc, options=agent_settings("good"), clients=(None,))
hanging_agent = lsp_session(calc, options=agent_settings("hang"), clients=(None,))
SESSIONS = ("good_agent", "hanging_agent")


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def fresh_state(request):
    """After a test on a shared server: its project and the client's records back."""
    yield
    for name in SESSIONS:
        if name in request.fixturenames:
            client = request.getfixturevalue(name)
            await reset_session(client)
            client.progress_reports.clear()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER,
                                              client_factory=make_client))
async def client(lsp_client: LanguageClient, request, tmp_path: Path):
    await start_session(lsp_client, calc(tmp_path), request.function.run_settings)
    yield
    await end_session(lsp_client)


def run_settings(options: dict):
    """The client's settings for the test's server (default: the good stand-in agent)."""
    def mark(fn):
        fn.run_settings = options
        return fn
    return mark


async def lenses(client: LanguageClient, uri: str):
    return await client.text_document_code_lens_async(
        t.CodeLensParams(text_document=t.TextDocumentIdentifier(uri=uri)))


async def run_step(client: LanguageClient, **args):
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="planLs.runStep", arguments=[args]))


@module_loop
async def test_lens_run_progress_hover_and_log(good_agent: LanguageClient):
    client = good_agent
    plan = client.project / "prompt_plan.md"
    uri = open_doc(client, plan)
    runs = [lens for lens in await lenses(client, uri) if lens.command.title == "▶ Run with agent"]
    assert [(r.range.start.line, r.command.command, list(r.command.arguments))
            for r in runs] == [
        (line_of(plan, "## Step 1"), "planLs.runStep", [{"step": "1", "plan": "."}]),
        (line_of(plan, "## Step 2"), "planLs.runStep", [{"step": "2", "plan": "."}])]

    result = await run_step(client, **runs[0].command.arguments[0])
    assert result["status"] == "passed" and result["exit"] == 0 and result["step"] == "1"
    assert git(client.project, "log", "-1", "--format=%s").strip() == "Step 1: Adder"
    # the work-done progress told the step, the attempt and the tests, and ended
    [(token, reports)] = [(k, v) for k, v in client.progress_reports.items()
                          if str(k).startswith("plan-ls/run/")]
    begin, *middle, end = reports
    assert isinstance(begin, t.WorkDoneProgressBegin) and begin.cancellable
    assert begin.title == "Run step 1 with standin_agent"
    messages = [r.message for r in middle]
    assert "Step 1: Adder" in messages
    assert "Step 1, attempt 1/3: running the tests" in messages
    assert any(m.startswith("Step 1, attempt 1/3: tests passed") for m in messages)
    assert isinstance(end, t.WorkDoneProgressEnd) and end.message.startswith("Step 1 done")
    # the lens of the done step goes (once the watcher saw todo.md change on disk)
    deadline = time.monotonic() + 5
    while True:
        runs = [lens for lens in await lenses(client, uri)
                if lens.command.title == "▶ Run with agent"]
        if [list(r.command.arguments) for r in runs] == [[{"step": "2", "plan": "."}]]:
            break
        assert time.monotonic() < deadline, [r.command.arguments for r in runs]
        await asyncio.sleep(0.02)
    # the hover tells its last run
    hover = await client.text_document_hover_async(hover_at(uri, 2))
    assert "✓ Last run: **passed**" in hover.contents.value
    assert git(client.project, "rev-parse", "HEAD").strip()[:8] in hover.contents.value
    log = await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="planLs.runLog", arguments=[{}]))
    assert log["uri"] == result["log"] and log["uri"].endswith("/agent.log")
    assert "wrote calc.py" in Path(log["uri"].removeprefix("file://")).read_text()


@module_loop
@pytest.mark.parametrize("how", ["progress", "command"])
async def test_cancel_stops_the_agent_and_commits_nothing(hanging_agent: LanguageClient,
                                                          how: str):
    """Cancel on the work-done progress (VS Code), or planLs.cancelRun (:PlanRunStop)."""
    client = hanging_agent
    before = git(client.project, "rev-parse", "HEAD").strip()
    task = asyncio.ensure_future(run_step(client))
    runs = client.project / ".plan-ls" / "runs"
    deadline = time.monotonic() + 20
    pids: list[int] = []
    while not pids:
        assert time.monotonic() < deadline, "the agent never started"
        found = list(runs.glob("*/pids")) if runs.is_dir() else []
        text = found[0].read_text() if found else ""
        pids = [int(p) for p in text.split()] if text.endswith("\n") else []
        await asyncio.sleep(0.05)
    [token] = [k for k in client.progress_reports if str(k).startswith("plan-ls/run/")]
    if how == "progress":
        client.window_work_done_progress_cancel(t.WorkDoneProgressCancelParams(token=token))
    else:
        assert await client.workspace_execute_command_async(
            t.ExecuteCommandParams(command="planLs.cancelRun", arguments=[{}])) is True
    result = await asyncio.wait_for(task, 20)
    assert result["status"] == "interrupted" and result["exit"] == 130
    deadline = time.monotonic() + 5
    while group_alive(pids[0]):
        assert time.monotonic() < deadline, "the agent's process group is still there"
        await asyncio.sleep(0.02)
    assert git(client.project, "rev-parse", "HEAD").strip() == before
    assert "(@standin_agent)" not in (client.project / "prompt_plan.md").read_text()
    assert [r["result"] for r in read_all(client.project)] == ["interrupted"]
    assert isinstance(client.progress_reports[token][-1], t.WorkDoneProgressEnd)


@run_settings({"planLs": {"workspaceTrusted": False}})
async def test_restricted_mode_runs_nothing_the_workspace_names(client: LanguageClient):
    # the repository's own settings file names an agent and tests: not used while untrusted
    config = client.project / ".plan-ls" / "config.toml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(f"[run]\nagent = '{agent_command('good')}'\ntest = '{TEST_COMMAND}'\n")
    result = await run_step(client, step="1")
    assert result["status"] == "refused" and "not trusted" in result["message"]
    assert not (client.project / "calc.py").exists() and read_all(client.project) == []


@module_loop
async def test_a_ticked_item_naming_a_missing_file_is_flagged(good_agent: LanguageClient):
    client = good_agent
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    text = todo.read_text().replace("- [ ] double() in `double.py`",
                                    "- [x] double() in `double.py`")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)]))
    line = text.split("\n").index("- [x] double() in `double.py`")
    deadline = time.monotonic() + 5
    while True:
        found = [d for d in client.diagnostics.get(uri, []) if d.code == "missing-file"]
        if found:
            break
        assert time.monotonic() < deadline, client.diagnostics.get(uri)
        await asyncio.sleep(0.02)
    [d] = found
    assert d.message == "marked done, but `double.py` does not exist"
    assert d.severity == t.DiagnosticSeverity.Warning
    assert (d.range.start.line, d.range.start.character, d.range.end.character) == (
        line, len("- [x] double() in `"), len("- [x] double() in `double.py"))
    # an unticked item naming a missing file is open work, not a false completion
    assert not [d for d in client.diagnostics[uri] if "calc.py" in d.message]


@module_loop
async def test_unsaved_plan_files_are_never_written_behind(good_agent: LanguageClient):
    client = good_agent
    # the checklist is open with an unsaved edit: a run would claim and tick on disk behind it
    todo = client.project / "todo.md"
    before = todo.read_bytes()
    uri = open_doc(client, todo)
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangeWholeDocument(
            text=todo.read_text() + "- [ ] a note typed but not saved\n")]))
    result = await run_step(client, step="1")
    assert result["status"] == "refused" and "save todo.md first" in result["message"]
    assert todo.read_bytes() == before and not (client.project / "calc.py").exists()


@run_settings({"planLs": {"user": "someone"}})
async def test_no_run_lens_without_an_agent(client: LanguageClient):
    uri = open_doc(client, client.project / "prompt_plan.md")
    titles = [lens.command.title for lens in await lenses(client, uri)]
    assert "Copy prompt" in titles and "▶ Run with agent" not in titles
    result = await run_step(client)
    assert result["status"] == "refused" and "No agent to run" in result["message"]
