"""Manual mode says what happened: the prompt was written, the target file was not. No
question about replacing a file that is not going to be touched, and no check of a "written"
plan or checklist that is the old one."""

from __future__ import annotations

import asyncio
import os

import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.llm_harness import make_llm_client, run, start
from tests.lsp_client import SERVER, copy_sample

NO_KEY_ENV = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
TRANSCRIPT = """# Spec interview

## Idea

A small tool that keeps a list of chores and who did them last.

## Question 1

Who uses it?

**Answer:**

A household of three.
"""


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=SERVER, client_factory=make_llm_client, server_env=NO_KEY_ENV))
async def client(lsp_client: LanguageClient, tmp_path):
    ws = copy_sample("greenfield", tmp_path)
    (ws / "spec-interview.md").write_text(TRANSCRIPT, encoding="utf-8")
    lsp_client.ws = ws
    # a remote endpoint and no key in the environment: manual mode
    await start(lsp_client, ws, {"llm": {"baseUrl": "https://llm.example.com/v1"}})
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), 5)


def said(client: LanguageClient) -> list[str]:
    """Everything the server told the user: pop-ups, questions, log lines."""
    return ([m.message for m in client.messages]
            + [m.message for m in client.message_requests]
            + [m.message for m in client.log_messages])


async def test_manual_generation_leaves_the_targets_alone_and_says_so(client: LanguageClient):
    ws = client.ws
    client.answer = "Replace"  # what a user who believed the question would answer
    targets = {name: (ws / name).read_bytes() for name in ("spec.md", "prompt_plan.md",
                                                            "todo.md")}
    for command, args, target, prompt in [
        ("planLs.compileSpec", {"uri": (ws / "spec-interview.md").as_uri()}, "spec.md",
         "compile-spec.md"),
        ("planLs.generatePlan", {"uri": (ws / "spec.md").as_uri()}, "prompt_plan.md",
         "plan-tdd.md"),
        ("planLs.generateTodo", {"uri": (ws / "prompt_plan.md").as_uri()}, "todo.md",
         "todo.md"),
    ]:
        result = await run(client, command, **args)
        assert result["ok"] and result["manual"], result
        assert result["prompt_path"] == str(ws / ".plan-ls" / "prompts-out" / prompt)
        assert (ws / ".plan-ls" / "prompts-out" / prompt).is_file()
        assert (ws / target).read_bytes() == targets[target], target
        assert "steps" not in result and "items" not in result, result  # of the old file
    texts = said(client)
    assert not client.message_requests, texts  # nothing is replaced: nothing to ask
    assert not [m for m in texts if "was written" in m or "name no step" in m], texts
    # what did happen is said: the prompt's place and the file the answer belongs in
    assert [m for m in texts if "compile-spec.md" in m and "spec.md" in m], texts
    assert [m for m in texts if "plan-tdd.md" in m and "prompt_plan.md" in m], texts


async def test_manual_plan_without_a_plan_file_is_not_called_written(client: LanguageClient):
    ws = client.ws
    (ws / "prompt_plan.md").unlink()
    result = await run(client, "planLs.generatePlan", uri=(ws / "spec.md").as_uri(),
                       flavour="plain")
    assert result["ok"] and result["manual"], result
    assert not (ws / "prompt_plan.md").exists()
    assert not [m for m in said(client) if "was written" in m], said(client)
