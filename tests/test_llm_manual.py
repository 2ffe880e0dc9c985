"""Manual mode (no API key, or mode = "manual"): every LLM action still works by writing the
fully rendered prompt to a file and showing it; templates insert through planLs.insertPrompt."""

from __future__ import annotations

import asyncio
import os

import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from plan_ls.llm.templates import list_templates
from tests.fake_openai import FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.llm_harness import configure, make_llm_client, run, start, texts
from tests.lsp_client import SERVER, copy_sample, open_doc

NO_KEY_ENV = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=SERVER, client_factory=make_llm_client, server_env=NO_KEY_ENV))
async def client(lsp_client: LanguageClient, fake_openai: FakeOpenAI, tmp_path):  # noqa: F811
    ws = copy_sample("greenfield", tmp_path)
    (ws / "output.txt").write_text("<file path='habit/cli.py'>print('hi')</file>\n")
    lsp_client.ws, lsp_client.fake = ws, fake_openai
    # a remote endpoint and no key in the environment: manual mode
    await start(lsp_client, ws, {"llm": {"baseUrl": "https://llm.example.com/v1"}})
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), 5)


async def test_every_action_renders_its_prompt_without_a_model(client: LanguageClient):
    ws = client.ws
    out = ws / ".plan-ls" / "prompts-out"
    idea = (ws / "idea.md").read_text(encoding="utf-8").strip()
    result = await run(client, "planLs.brainstorm", idea=idea)
    assert result["manual"] and result["ok"]
    transcript = ws / "spec-interview.md"
    text = transcript.read_text(encoding="utf-8")
    assert "## Question 1" in text and text.endswith("**Answer:**\n\n")
    prompt = (out / "brainstorm.md").read_text(encoding="utf-8")
    assert idea[:40] in prompt and "exactly one question" in prompt and "{{" not in prompt

    transcript.write_text(text.replace("<!-- paste the model's question here -->",
                                       "Who uses it?") + "Only me.\n", encoding="utf-8")
    await run(client, "planLs.nextQuestion", uri=transcript.as_uri())
    prompt = (out / "next-question.md").read_text(encoding="utf-8")
    assert "Question 1: Who uses it?\nAnswer 1: Only me." in prompt
    assert "## Question 2" in transcript.read_text(encoding="utf-8")

    client.answer = "Keep both"  # spec.md, prompt_plan.md and todo.md exist in the sample
    for command, args, name in [
        ("planLs.compileSpec", {"uri": transcript.as_uri()}, "compile-spec"),
        ("planLs.generatePlan", {"uri": (ws / "spec.md").as_uri()}, "plan-tdd"),
        ("planLs.generatePlan", {"uri": (ws / "spec.md").as_uri(), "flavour": "plain"},
         "plan-plain"),
        ("planLs.generateTodo", {"uri": (ws / "prompt_plan.md").as_uri()}, "todo"),
    ]:
        result = await run(client, command, **args)
        assert result["manual"] and result["prompt_path"].endswith(f"{name}.md"), result
        prompt = (out / f"{name}.md").read_text(encoding="utf-8")
        assert "{{" not in prompt and "(no " not in prompt
    assert "Habit tracker" in (out / "plan-tdd.md").read_text(encoding="utf-8")
    assert "## Step 3: Atomic store" in (out / "todo.md").read_text(encoding="utf-8")
    assert not (ws / "spec-2.md").exists()  # manual mode writes prompts, not answers

    manual_notes = [m for m in texts(client) if "manual mode" in m]
    assert len(manual_notes) == 1  # said once
    assert client.fake.requests == []
    shown = [d.uri for d in client.shown_documents]
    assert (out / "plan-plain.md").as_uri() in shown


async def test_mode_manual_wins_over_a_key_and_local_urls_need_no_key(client: LanguageClient):
    fake, ws = client.fake, client.ws
    await configure(client, fake.url, apiKeyEnv="PLAN_LS_NO_SUCH_VARIABLE")
    fake.models.add("gpt-4o-mini")
    fake.api_key = "no-key-needed"  # local servers get a dummy key
    fake.add("# A plan\n")
    client.answer = "Keep both"
    result = await run(client, "planLs.generatePlan", uri=(ws / "spec.md").as_uri())
    assert result["ok"] and not result["manual"] and len(fake.requests) == 1
    await configure(client, fake.url, mode="manual")
    result = await run(client, "planLs.generatePlan", uri=(ws / "spec.md").as_uri())
    assert result["manual"] and len(fake.requests) == 1


async def test_insert_prompt_renders_every_template(client: LanguageClient):
    ws = client.ws
    notes = ws / "notes.md"
    notes.write_text("# Notes\n\n", encoding="utf-8")
    uri = open_doc(client, notes)
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri),
        range=t.Range(start=t.Position(line=1, character=0), end=t.Position(line=1,
                                                                            character=0)),
        context=t.CodeActionContext(diagnostics=[])))
    titles = {a.title for a in actions}
    assert "Insert prompt here: Step 3 (next)" in titles
    names = list_templates()
    assert {f"Insert prompt template here: {n}" for n in names} <= titles
    on_text = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri),
        range=t.Range(start=t.Position(line=0, character=2), end=t.Position(line=0, character=2)),
        context=t.CodeActionContext(diagnostics=[])))
    assert not [a for a in on_text if a.title.startswith("Insert prompt")]  # blank lines only
    inserted: dict[str, str] = {}
    for name in names:
        client.edits.clear()
        ok = await run(client, "planLs.insertPrompt", uri=uri,
                       position={"line": 2, "character": 0}, template=name)
        assert ok is True
        [(_, edit)] = client.edits
        [change] = edit.document_changes
        inserted[name] = change.edits[0].new_text
        assert "{{" not in inserted[name] and len(inserted[name]) > 200, name
    assert "print('hi')" in inserted["code-review"]  # the bundle, output.txt
    assert "## Step 3: Atomic store" in inserted["todo-checklist"]  # the plan
    review = next(a for a in actions if a.title.endswith(": code-review"))
    assert review.command.arguments[0]["template"] == "code-review"
