"""The server's log reaches the client as window/logMessage: what was logged before the
client was initialised is held and sent after, as much as planLs.trace.server asks for,
with secrets masked."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from plan_ls.logs import ClientLogHandler, SecretFilter
from tests.cli_runner import run_cli
from tests.lsp_client import SERVER, copy_sample, end_session, make_client, start_session

ENV = {**os.environ, "PLAN_LS_TEST_KEY": "sk-test-0123456789abcdef"}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client,
                                              server_env=ENV))
async def client(lsp_client: LanguageClient, tmp_path):
    lsp_client.ws = copy_sample("greenfield", tmp_path)
    yield
    await end_session(lsp_client)


def logged(client: LanguageClient) -> list[str]:
    return [m.message for m in client.log_messages]


async def test_messages_logged_before_initialized_reach_the_client(client: LanguageClient):
    await start_session(client, client.ws, {"planLs": {"trace": {"server": "messages"}}})
    for _ in range(100):
        if any("workspace root" in m for m in logged(client)):
            break
        await asyncio.sleep(0.02)
    root_lines = [m for m in logged(client) if "workspace root" in m]
    assert len(root_lines) == 1 and str(client.ws.resolve()) in root_lines[0]
    assert all(m.type == t.MessageType.Info for m in client.log_messages
               if "workspace root" in m.message)


async def test_trace_off_sends_no_info_and_set_trace_turns_it_on(client: LanguageClient):
    await start_session(client, client.ws)  # no trace setting: VS Code's default is off
    await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.status", arguments=[{}]))
    # the records held since initialize go out on `initialized`, before this answer (the
    # server writes in order): nothing more to wait for
    assert not any("workspace root" in m for m in logged(client))
    client.protocol.notify(t.SET_TRACE, t.SetTraceParams(value=t.TraceValue.Verbose))
    for _ in range(100):
        if any("client log level: verbose" in m for m in logged(client)):
            break
        await asyncio.sleep(0.02)
    assert any("client log level: verbose ($/setTrace)" in m for m in logged(client))
    # a wrong trace value is reported (as a warning, which "off" lets through too)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings={
        "planLs": {"llm": {"apiKeyEnv": "PLAN_LS_TEST_KEY"},
                   "trace": {"server": "nonsense"}}}))
    for _ in range(100):
        if any("trace.server" in m for m in logged(client)):
            break
        await asyncio.sleep(0.02)
    assert any("'nonsense' is not one of off, messages, verbose" in m for m in logged(client))


def test_the_secret_filter_masks_the_key_and_url_credentials(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PLAN_LS_TEST_KEY", "hunter2-is-my-key")
    sent: list[str] = []

    class Server:
        def window_log_message(self, params: t.LogMessageParams) -> None:
            sent.append(params.message)

    handler = ClientLogHandler()
    handler.client_level = logging.INFO  # planLs.trace.server: messages
    handler.addFilter(SecretFilter(lambda: ["PLAN_LS_TEST_KEY"]))
    logger = logging.getLogger("plan_ls.test_secret")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("calling %s with %s", "https://ana:pa55@llm.example.com/v1",
                    "hunter2-is-my-key")
        logger.info("header sk-abcdefghijkl")
        assert sent == []  # held until the client is initialised
        handler.attach(Server(), asyncio.new_event_loop())
    finally:
        logger.removeHandler(handler)
    assert len(sent) == 2, sent
    assert "hunter2" not in sent[0] and "pa55" not in sent[0] and "ana" not in sent[0]
    assert "https://***@llm.example.com/v1" in sent[0]
    assert "sk-abcdefghijkl" not in sent[1]


def test_serve_accepts_a_log_level():
    out = run_cli("serve", "--help")
    assert out.returncode == 0 and "--log-level" in out.stdout
