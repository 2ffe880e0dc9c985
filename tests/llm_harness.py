"""Shared pieces of the LLM end-to-end tests: a client that answers the server's questions
and applies its edits, the environment with the test key, and small helpers."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.fake_openai import FakeOpenAI
from tests.lsp_client import (
    CAPS,
    SERVER,
    capabilities_of,
    restore_project,
    session_reset,
    status_of,
    str_index,
    wait_for_pristine,
)

KEY_ENV = "PLAN_LS_TEST_KEY"
KEY = "sk-test-key"
# the first retry waits 0.1 s instead of 0.5 (the backoff still doubles): no real waiting
BACKOFF = {"PLAN_LS_RETRY_BACKOFF": "0.1"}
ENV = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"} | {KEY_ENV: KEY} | BACKOFF


def make_llm_client() -> LanguageClient:
    """Like tests.lsp_client.make_client, plus showMessageRequest answers and edit times."""
    client = pytest_lsp.make_test_lsp_client()
    conv = client.protocol._converter
    conv.register_structure_hook(
        Union[t.Command, t.CodeAction],  # noqa: UP007 - a runtime type key
        lambda obj, _: conv.structure(
            obj, t.Command if isinstance(obj.get("command"), str) else t.CodeAction))
    client.edits = []  # (monotonic time, WorkspaceEdit)
    client.answer = "Replace"
    client.message_requests = []
    client.echo_changes = False  # send each applied edit back as didChange, as editors do
    client.versions = {}  # uri -> the version of the last didChange sent

    @client.feature(t.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: t.ApplyWorkspaceEditParams):
        client.edits.append((time.monotonic(), params.edit))
        if client.echo_changes:
            for uri, edits in (params.edit.changes or {}).items():
                client.versions[uri] = client.versions.get(uri, 1) + 1
                client.text_document_did_change(t.DidChangeTextDocumentParams(
                    text_document=t.VersionedTextDocumentIdentifier(
                        uri=uri, version=client.versions[uri]),
                    content_changes=[t.TextDocumentContentChangePartial(
                        range=e.range, text=e.new_text) for e in edits]))
        return t.ApplyWorkspaceEditResult(applied=True)

    @client.feature("planLs/progress")
    def on_progress(params):
        pass

    @client.feature(t.WORKSPACE_CODE_LENS_REFRESH)
    def on_refresh(params):
        pass

    @client.feature(t.WINDOW_SHOW_MESSAGE_REQUEST)
    def ask(params: t.ShowMessageRequestParams):
        client.message_requests.append(params)
        return t.MessageActionItem(title=client.answer) if client.answer else None

    return client


def llm_options(url: str, **extra: Any) -> dict[str, Any]:
    llm = {"baseUrl": url, "model": "fake-chat", "planModel": "fake-planner",
           "apiKeyEnv": KEY_ENV, "timeout": 10} | extra
    return {"llm": llm}


async def start(client: LanguageClient, ws: Path, options: dict[str, Any],
                capabilities: t.ClientCapabilities | None = None) -> None:
    result = await client.initialize_session(t.InitializeParams(
        capabilities=capabilities or CAPS, root_uri=ws.as_uri(), initialization_options=options,
        workspace_folders=[t.WorkspaceFolder(uri=ws.as_uri(), name="ws")]))
    client.encoding = str(result.capabilities.position_encoding or "utf-16")


def spec_only_project(folder: Path, spec: str) -> Path:
    """A copy of the greenfield sample in `folder` with no plan and no checklist (kept as
    sample-*.md) and `spec` as spec.md; returns its root."""
    from tests.lsp_client import copy_sample

    ws = copy_sample("greenfield", folder)
    for name in ("prompt_plan.md", "todo.md"):
        (ws / name).rename(ws / f"sample-{name}")
    (ws / "spec.md").write_text(spec, encoding="utf-8")
    return ws


async def start_on_spec(client: LanguageClient, fake: Any, tmp_path: Path, spec: str) -> None:
    """A session on a spec_only_project, the model at the fake endpoint `fake`."""
    ws = spec_only_project(tmp_path, spec)
    client.ws, client.fake = ws, fake
    await start(client, ws, llm_options(fake.url))


async def generate_plan(client: LanguageClient) -> dict:
    """planLs.generatePlan from the spec of a `start_on_spec` session."""
    return await run(client, "planLs.generatePlan", uri=(client.ws / "spec.md").as_uri())


def plan_text(client: LanguageClient) -> str | None:
    """prompt_plan.md of a `start_on_spec` session, None while it does not exist."""
    path = client.ws / "prompt_plan.md"
    return path.read_text(encoding="utf-8") if path.exists() else None


async def configure(client: LanguageClient, url: str, **llm: Any) -> None:
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"planLs": llm_options(url, **llm)}))
    await asyncio.sleep(0.1)


async def run(client: LanguageClient, command: str, **args: Any) -> Any:
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command=command, arguments=[args]))


def texts(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages]


def apply_edit(text: str, edit: t.TextEdit, encoding: str = "utf-16") -> str:
    lines = text.split("\n")
    s, e = edit.range.start, edit.range.end
    start = sum(len(x) + 1 for x in lines[:s.line]) + str_index(lines[s.line], s.character,
                                                                  encoding)
    end = sum(len(x) + 1 for x in lines[:e.line]) + str_index(lines[e.line], e.character,
                                                                encoding)
    return text[:start] + edit.new_text + text[end:]


def apply_all(text: str, edits: list[tuple[float, t.WorkspaceEdit]], uri: str,
              encoding: str = "utf-16") -> str:
    """Apply the server's unversioned edits in order, as an editor would (columns in
    `encoding`'s code units)."""
    for _, edit in edits:
        for change in (edit.changes or {}).get(uri, []):
            text = apply_edit(text, change, encoding)
    return text


async def wait_until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# --- one server for a whole module ---------------------------------------------------------
# As tests.lsp_client.lsp_session, for the LLM tests: one server (per client name) and one
# fake endpoint for the module; llm_reset() puts the project, the settings, the endpoint's
# script and what the client recorded back between tests.

def llm_session(project: Callable[[Path], Path], *, clients: tuple[str, ...] = ()):
    """A module-scoped pytest-lsp fixture: one server per client name in `clients` (its
    capabilities from pytest-lsp; none: one server with this suite's CAPS), started with
    the model at a module-scoped fake endpoint (`client.fake`), on the project that
    `project(folder)` writes (`client.ws`). Use it with
    `pytestmark = pytest.mark.asyncio(loop_scope="module")` and `llm_reset()`."""

    params = {"params": list(clients)} if clients else {}

    @pytest_lsp.fixture(scope="module", **params, config=ClientServerConfig(
        server_command=SERVER, client_factory=make_llm_client, server_env=ENV))
    async def client(request, lsp_client: LanguageClient, tmp_path_factory):
        folder = tmp_path_factory.mktemp("llm-session")
        fake = FakeOpenAI().start()
        try:
            ws = project(folder)
            lsp_client.pristine_dir = shutil.copytree(ws, folder / "pristine")
            lsp_client.ws, lsp_client.fake = ws, fake
            name = getattr(request, "param", None)
            caps = capabilities_of(name) if name else None
            await start(lsp_client, ws, llm_options(fake.url), caps)
            lsp_client.pristine = await status_of(lsp_client)
            yield
            await asyncio.wait_for(lsp_client.shutdown_session(), 10)
        finally:
            fake.stop()

    return client


def llm_reset():
    """The autouse fixture that goes with llm_session. Assign it: `fresh = llm_reset()`."""
    return session_reset(reset_llm_session)


async def reset_llm_session(client: LanguageClient, timeout: float = 10.0) -> None:
    """Undo what a test did to a shared LLM session: wait for its generations to end, put
    the settings and the project's files back, empty the endpoint's script and forget what
    the client and the endpoint recorded."""
    await wait_until(lambda: all(isinstance(reports[-1], t.WorkDoneProgressEnd)
                                 for reports in client.progress_reports.values() if reports),
                     timeout)
    restore_project(client, client.ws)
    # the first settings again; taking them also locates the planning files afresh, as at
    # the start (which checklist is found can depend on the order files came and went)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"planLs": llm_options(client.fake.url)}))
    await wait_for_pristine(client, timeout)
    fake: FakeOpenAI = client.fake
    with fake._lock:
        fake.script.clear()
        fake.requests.clear()
    client.edits.clear()
    client.messages.clear()
    client.log_messages.clear()
    client.progress_reports.clear()
    client.message_requests.clear()
    client.shown_documents.clear()
    client.diagnostics.clear()
    client.versions.clear()
    client.answer = "Replace"
    client.echo_changes = False
