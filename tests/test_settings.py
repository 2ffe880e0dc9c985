"""The project settings file `.plan-ls/config.toml`: checked with cattrs, read by the CLI and
by the server (where the client's `planLs.*` wins), re-read when it changes on disk."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from plan_ls.settings import CONFIG_FILE, load_settings, read_config_file, structure_settings
from tests.cli_runner import run_cli
from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - the fixture
from tests.llm_harness import BACKOFF, KEY, KEY_ENV
from tests.lsp_client import SERVER, copy_sample, end_session, make_client, start_session

TODO_AT_ROOT = "# Tasks\n\n- [x] write the parser\n- [ ] write the printer\n"
TODO_IN_DOCS = "# Work\n\n- [ ] sketch\n- [x] draft\n- [x] review\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two checklists: the default todo.md (1/2 done) and docs/tasks.md (2/3 done)."""
    root = tmp_path / "proj"
    (root / "docs").mkdir(parents=True)
    (root / "todo.md").write_text(TODO_AT_ROOT)
    (root / "docs" / "tasks.md").write_text(TODO_IN_DOCS)
    return root


def write_config(root: Path, text: str) -> Path:
    path = root / CONFIG_FILE
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


# --- checking ---------------------------------------------------------------------------------

def test_a_wrong_type_names_the_key_and_the_expected_type_and_the_rest_applies():
    settings, problems = structure_settings(
        {"files": {"todo": 7, "plan": "p.md"}, "llm": {"maxAnswerBytes": "lots", "timeout": 9,
                                                      "mode": "sometimes"}, "user": ["x"]},
        "planLs.")
    assert problems == [
        "planLs.files.todo: expected string, got int 7; using 'todo.md'",
        "planLs.llm.mode: expected one of 'auto', 'manual', got the string 'sometimes'; "
        "using 'auto'",
        "planLs.llm.maxAnswerBytes: expected integer, got the string 'lots'; using 2000000",
        "planLs.user: expected string, got list ['x']; using ''",
    ]
    assert settings.files.plan == "p.md" and settings.files.todo == "todo.md"
    assert settings.llm.timeout == 9.0 and isinstance(settings.llm.timeout, float)


def test_a_section_that_is_not_a_table_is_reported():
    settings, problems = structure_settings({"llm": "gpt"}, "planLs.")
    assert problems == ["planLs.llm: expected a table, got the string 'gpt'; using the defaults"]
    assert settings.llm.model == "gpt-4o-mini"


def test_the_client_wins_key_by_key_and_a_wrong_client_value_falls_back_to_the_file(project):
    write_config(project, '[files]\ntodo = "docs/tasks.md"\nplan = "docs/plan.md"\n'
                          '[llm]\nmodel = "team-model"\n')
    settings, problems = load_settings(project, {"planLs": {"files": {"plan": "mine.md"},
                                                            "llm": {"model": 3}}})
    assert (settings.files.todo, settings.files.plan) == ("docs/tasks.md", "mine.md")
    assert settings.llm.model == "team-model"
    assert problems == ["planLs.llm.model: expected string, got int 3; using 'gpt-4o-mini'"]


@pytest.mark.parametrize("text, says", [
    ('[llm]\napiKey = "abc"\n', "llm.apiKey is a credential"),
    ('[llm]\napiKeyEnv = "sk-proj-4f9aQ2Lr8ZxW1mT7bN3cV6yH0kJ5dS"\n',
     "llm.apiKeyEnv must name an environment variable"),
    ('[llm]\nbaseUrl = "https://ana:s3cr3t-P4ss-w0rd@llm.example.net/v1"\n',
     "llm.baseUrl looks like a credential"),
])
def test_a_file_holding_a_key_is_refused_as_a_whole(project, text, says):
    write_config(project, '[files]\ntodo = "docs/tasks.md"\n' + text)
    table, problems = read_config_file(project)
    assert table == {}
    [message] = problems
    assert says in message and "environment variable" in message
    assert load_settings(project)[0].files.todo == "todo.md"  # nothing of the file is used


def test_a_settings_file_that_is_not_toml_is_reported(project):
    write_config(project, "[files\ntodo = \n")
    table, [message] = read_config_file(project)
    assert table == {} and message.startswith(f"{CONFIG_FILE}: cannot be read")


# --- the command line -----------------------------------------------------------------------

def test_status_honours_files_todo_from_the_settings_file(project):
    before = json.loads(run_cli("status", str(project), "--json").stdout)
    assert (before["todo"]["total"], before["todo"]["done"]) == (2, 1)
    write_config(project, '[files]\ntodo = "docs/tasks.md"\n')
    out = run_cli("status", str(project), "--json")
    assert out.returncode == 0 and out.stderr == ""
    data = json.loads(out.stdout)
    assert data["todo"]["path"] == str(project / "docs" / "tasks.md")
    assert (data["todo"]["total"], data["todo"]["done"]) == (3, 2)
    # from a folder below, the settings file marks the project, like .git does
    sub = json.loads(run_cli("status", "--json", cwd=project / "docs").stdout)
    assert sub["todo"]["path"] == str(project / "docs" / "tasks.md")


def test_the_cli_warns_on_stderr_about_a_wrong_type_and_goes_on(project):
    write_config(project, '[files]\ntodo = "docs/tasks.md"\n[llm]\ntimeout = "soon"\n')
    out = run_cli("status", str(project), "--json")
    assert out.returncode == 0
    assert out.stderr == (f"plan-ls: warning: {CONFIG_FILE}: llm.timeout: expected number, "
                          "got the string 'soon'; using 120.0\n")
    assert json.loads(out.stdout)["todo"]["total"] == 3


def test_the_cli_refuses_a_todo_path_outside_the_project(project):
    write_config(project, '[files]\ntodo = "../../elsewhere.md"\n')
    (project.parent.parent / "elsewhere.md").write_text("- [ ] not ours\n")
    out = run_cli("status", str(project), "--json")
    assert out.returncode == 0
    assert "planLs.files.todo: ../../elsewhere.md is outside the workspace" in out.stderr
    assert json.loads(out.stdout)["todo"]["path"] == str(project / "todo.md")


def test_review_takes_the_model_from_the_file_below_flags(fake_openai: FakeOpenAI,  # noqa: F811
                                                          tmp_path: Path):
    ws = copy_sample("legacy", tmp_path)
    write_config(ws, f'[llm]\nbaseUrl = "{fake_openai.url}"\nplanModel = "fake-planner"\n'
                     f'apiKeyEnv = "{KEY_ENV}"\n')
    answer = "# Review\n\n- [ ] `invoicer/pricing.py:1`: a finding.\n"
    fake_openai.add(Reply(answer), answer)
    # the command's whole environment: ours without any model settings, plus the key
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL") and not k.startswith("PLAN_LS_")}
    env |= BACKOFF | {KEY_ENV: KEY}
    proc = run_cli("review", str(ws), env=env)
    assert proc.returncode == 0, proc.stderr
    assert fake_openai.requests[0].body["model"] == "fake-planner"
    proc = run_cli("review", str(ws), "--model", "fake-chat", env=env)
    assert proc.returncode == 0, proc.stderr
    assert fake_openai.requests[1].body["model"] == "fake-chat"


# --- the server -----------------------------------------------------------------------------

@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def client(lsp_client: LanguageClient):
    yield
    await end_session(lsp_client)


async def start(client: LanguageClient, project: Path, options: dict | None = None) -> None:
    """A session on `project`, once the files are read (the first planLs/progress)."""
    await start_session(client, project, options)
    await eventually(lambda: asyncio.sleep(0, client.progress_notes), bool)


async def status(client: LanguageClient) -> dict:
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="planLs.status", arguments=[{}]))


async def eventually(fetch, check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in time: {value}")
        await asyncio.sleep(0.02)


def messages(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages]


async def test_server_reads_the_file_and_shows_a_wrong_type_with_key_and_type(client, project):
    write_config(project, '[files]\ntodo = "docs/tasks.md"\n[llm]\nmaxAnswerBytes = "big"\n')
    await start(client, project)
    data = await status(client)
    assert data["todo"]["path"] == str(project / "docs" / "tasks.md")
    await eventually(lambda: asyncio.sleep(0, messages(client)), bool)
    assert messages(client) == [f"{CONFIG_FILE}: llm.maxAnswerBytes: expected integer, got "
                                "the string 'big'; using 2000000"]


async def test_client_settings_override_the_file(client, project):
    write_config(project, '[files]\ntodo = "docs/tasks.md"\nplan = "docs/steps.md"\n')
    (project / "docs" / "steps.md").write_text("# Plan\n\n## Step 1: Sketch\n\nDo it.\n")
    (project / "mine.md").write_text("- [ ] only one\n")
    await start(client, project, {"files": {"todo": "mine.md"}, "user": 5})
    data = await status(client)
    assert data["todo"]["path"] == str(project / "mine.md") and data["todo"]["total"] == 1
    # what the client does not set still comes from the file
    assert data["plan"]["path"] == str(project / "docs" / "steps.md")
    await eventually(lambda: asyncio.sleep(0, messages(client)), bool)
    assert messages(client) == ["planLs.user: expected string, got int 5; using ''"]


async def test_a_change_of_the_file_on_disk_is_picked_up(client, project):
    await start(client, project)
    assert (await status(client))["todo"]["path"] == str(project / "todo.md")
    await eventually(lambda: client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.syncStatus", arguments=[{}])), lambda s: s["mode"] == "recursive")
    write_config(project, '[files]\ntodo = "docs/tasks.md"\n')
    data = await eventually(lambda: status(client),
                            lambda d: d["todo"]["path"] == str(project / "docs" / "tasks.md"))
    assert data["todo"]["total"] == 3
    await eventually(lambda: asyncio.sleep(0, [n.total for n in client.progress_notes]),
                     lambda totals: totals and totals[-1] == 3)
    # a wrong value written later is shown, and that key is back to its default
    write_config(project, '[files]\ntodo = 42\n')
    await eventually(lambda: asyncio.sleep(0, messages(client)), bool)
    assert messages(client) == [f"{CONFIG_FILE}: files.todo: expected string, got int 42; "
                                "using 'todo.md'"]
    assert (await status(client))["todo"]["path"] == str(project / "todo.md")
