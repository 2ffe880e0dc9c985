"""The greenfield LLM flow end to end: a real server process, the real `openai` SDK and a
real HTTP endpoint (tests/fake_openai.py) on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from plan_ls.model.links import link_items
from plan_ls.model.plan import parse_plan
from plan_ls.model.todo import parse_todo
from tests.fake_openai import Reply
from tests.llm_harness import KEY, apply_all, llm_reset, llm_session, run, texts
from tests.lsp_client import CLIENTS, open_doc

IDEA = "A command-line habit tracker that keeps streaks in a JSON file."
QUESTIONS = ["Who will use the tracker, and on which systems?",
             "Should a missed day reset the streak, or is there a grace period?",
             "How should the data file be protected against corruption?"]
ANSWERS = ["Only me, on Linux and macOS.", "A missed day resets it; no grace period.",
           "Write to a temporary file and rename it over the old one."]
SPEC = ("# Habit tracker spec\n\n## Requirements\n\n1. `habit add NAME`.\n\n"
        "## Testing plan\n\nUnit tests for streaks.\n")
PLAN = """# Habit tracker: prompt plan

Test first, small steps.

## Step 1: Skeleton

```text
Create the package and a test that runs `habit --help`.
```

## Step 2: Streaks

```text
Write tests for streaks, then `current_streak`, and wire it into the CLI.
```

## Step 3: Store

```text
Write tests for load/save, then the atomic store, and use it from the CLI.
```
"""
TODO = """# Habit tracker: todo

## Step 1: Skeleton
- [ ] Create the package
- [ ] Test `habit --help`

## Step 2: Streaks
- [ ] Tests for streaks
- [ ] Implement `current_streak`

## Step 3: Store
- [ ] Tests for load/save
- [ ] Atomic save
"""


def empty_project(folder: Path) -> Path:
    (folder / "ws").mkdir()
    return folder / "ws"


# One server per client and one endpoint for the module; each test starts from an empty
# project again.
pytestmark = [pytest.mark.asyncio(loop_scope="module")]
client = llm_session(empty_project, clients=CLIENTS)
fresh = llm_reset()


def answer(path, text: str) -> None:
    """The developer writes an answer below the last **Answer:** line."""
    body = path.read_text(encoding="utf-8")
    assert body.endswith("**Answer:**\n\n")
    path.write_text(body + text + "\n", encoding="utf-8")


async def test_greenfield_flow_from_idea_to_todo(client: LanguageClient):
    ws, fake = client.ws, client.fake
    idea_md = ws / "idea.md"
    idea_md.write_text(f"# Ideas\n\n{IDEA}\n", encoding="utf-8")
    uri = open_doc(client, idea_md)
    selection = t.Range(start=t.Position(line=2, character=0),
                        end=t.Position(line=2, character=len(IDEA)))
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=selection,
        context=t.CodeActionContext(diagnostics=[])))
    brainstorm = next(a for a in actions if a.title == "Brainstorm a spec from this idea")
    fake.add(*QUESTIONS, "INTERVIEW COMPLETE\nThe spec will cover the CLI, streaks and storage.")

    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command=brainstorm.command.command, arguments=brainstorm.command.arguments))
    assert result["ok"] and result["question"] == 1
    transcript = ws / "spec-interview.md"
    for n in range(3):
        answer(transcript, ANSWERS[n])
        result = await run(client, "planLs.nextQuestion", uri=transcript.as_uri())
        assert result["ok"], texts(client)
    text = transcript.read_text(encoding="utf-8")
    assert text.startswith("# Spec interview") and IDEA in text
    for n, (q, a) in enumerate(zip(QUESTIONS, ANSWERS), 1):
        assert f"## Question {n}\n\n{q}\n\n**Answer:**\n\n{a}\n" in text
    assert text.count("## Question") == 3  # one question per round
    assert "## Interview complete" in text and "INTERVIEW COMPLETE" not in text
    assert result["complete"]

    # every round sent the idea and every earlier answer, to the interview model
    interview = fake.requests[:4]
    assert all(r.body["model"] == "fake-chat" and r.body["stream"] for r in interview)
    assert all(IDEA in r.prompt and len(r.messages) == 1 for r in interview)
    for n, req in enumerate(interview):
        assert all(a in req.prompt for a in ANSWERS[:n])
        assert all(a not in req.prompt for a in ANSWERS[n:])
        assert "exactly one question" in req.prompt

    fake.add(SPEC, PLAN, TODO)
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=open_doc(client, transcript)),
        range=selection, context=t.CodeActionContext(diagnostics=[])))
    assert {"Ask the next question", "Compile spec.md"} <= {a.title for a in actions}
    result = await run(client, "planLs.compileSpec", uri=transcript.as_uri())
    assert result["ok"]
    assert (ws / "spec.md").read_text(encoding="utf-8") == SPEC
    assert all(a in fake.requests[4].prompt for a in ANSWERS)

    result = await run(client, "planLs.generatePlan", uri=(ws / "spec.md").as_uri(),
                       flavour="tdd")
    assert result["ok"] and result["steps"] == 3
    assert fake.requests[5].body["model"] == "fake-planner"
    assert SPEC.strip() in fake.requests[5].prompt and "tests for the step" in \
        fake.requests[5].prompt
    result = await run(client, "planLs.generateTodo", uri=(ws / "prompt_plan.md").as_uri())
    assert result["ok"] and result["unlinked"] == 0 and result["items"] == 6
    assert PLAN.strip() in fake.requests[6].prompt

    plan = parse_plan((ws / "prompt_plan.md").read_text(encoding="utf-8"))
    todo = parse_todo((ws / "todo.md").read_text(encoding="utf-8"))
    assert [s.number for s in plan.steps] == ["1", "2", "3"]
    assert all(link.step is not None for link in link_items(todo, plan))
    status = await run(client, "planLs.status")
    assert status["diagnostics"] == [] and len(status["plan"]["steps"]) == 3
    assert KEY not in "\n".join(texts(client))
    assert all(r.authorization == f"Bearer {KEY}" for r in fake.requests)
    assert not client.message_requests  # nothing existed, nothing to ask about


async def test_next_question_refuses_while_the_last_question_is_open(client: LanguageClient):
    ws, fake = client.ws, client.fake
    fake.add(QUESTIONS[0])
    await run(client, "planLs.brainstorm", idea=IDEA)
    result = await run(client, "planLs.nextQuestion",
                       uri=(ws / "spec-interview.md").as_uri())
    assert not result["ok"] and "question 1" in result["error"]
    assert "has no answer yet" in texts(client)[-1]
    assert len(fake.requests) == 1


async def test_never_clobbers_keep_both_and_cancel(client: LanguageClient):
    ws, fake = client.ws, client.fake
    (ws / "spec.md").write_text(SPEC, encoding="utf-8")
    (ws / "prompt_plan.md").write_text("# My own plan\n", encoding="utf-8")
    client.answer = "Keep both"
    fake.add(PLAN)
    result = await run(client, "planLs.generatePlan", uri=(ws / "spec.md").as_uri(),
                       flavour="plain")
    assert result["ok"] and result["path"].endswith("prompt_plan-2.md"), (result, texts(client))
    assert (ws / "prompt_plan.md").read_text(encoding="utf-8") == "# My own plan\n"
    assert (ws / "prompt_plan-2.md").read_text(encoding="utf-8") == PLAN
    assert "prompt_plan.md already has content" in client.message_requests[0].message
    assert "test first" not in fake.requests[0].prompt.lower().split("## the spec")[0]
    client.answer = "Cancel"
    result = await run(client, "planLs.generatePlan", uri=(ws / "spec.md").as_uri())
    assert result == {"ok": False, "cancelled": True} and len(fake.requests) == 1
    client.answer = "Replace"
    fake.add(PLAN)
    assert (await run(client, "planLs.generatePlan", uri=(ws / "spec.md").as_uri()))["ok"]
    assert (ws / "prompt_plan.md").read_text(encoding="utf-8") == PLAN


async def test_interview_streams_into_an_open_transcript(client: LanguageClient):
    """While the transcript is open the answer arrives as edits at a position the server
    tracks itself (the client here never sends didChange back), in the negotiated columns."""
    ws, fake = client.ws, client.fake
    transcript = ws / "spec-interview.md"
    transcript.write_text("", encoding="utf-8")
    uri = open_doc(client, transcript)
    # one question over several lines (a model's several questions keep only the first)
    emoji_q = "".join(f"Option {n}: 🚀 launch reminders, 📅 calendar export, 🧠 insights,\n"
                      for n in range(6)) + "or none of them?"
    fake.add(Reply(emoji_q, chunk_chars=7, token_interval=0.002))
    client.answer = "Replace"
    await run(client, "planLs.brainstorm", idea="Habits 🧠 with streaks")
    text = apply_all("", client.edits, uri, client.encoding)
    assert text.startswith("# Spec interview") and "Habits 🧠 with streaks" in text
    assert f"## Question 1\n\n{emoji_q}\n\n**Answer:**\n\n" in text and text.endswith("\n\n")
    assert len(client.edits) > 1 and transcript.read_text(encoding="utf-8") == ""
    # the developer answers in the editor, then asks again: the new question is appended
    answered = text + "Both, please ✅.\n"
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=50),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=answered)]))
    client.edits.clear()
    fake.add("INTERVIEW COMPLETE — enough to write the spec.")
    result = await run(client, "planLs.nextQuestion", uri=uri)
    assert result["complete"]
    final = apply_all(answered, client.edits, uri, client.encoding)
    assert final.startswith(answered)
    assert final[len(answered):].startswith("\n## Interview complete\n\nenough to write")
    assert "Both, please ✅." in fake.requests[-1].prompt


async def test_a_cut_question_is_skipped_next_time(client: LanguageClient):
    ws, fake = client.ws, client.fake
    fake.add(Reply(QUESTIONS[0] * 5, fault="cut"), QUESTIONS[1])
    result = await run(client, "planLs.brainstorm", idea=IDEA)
    assert not result["ok"] and result["chars"] > 0
    transcript = ws / "spec-interview.md"
    assert "cut off here" in transcript.read_text(encoding="utf-8")
    result = await run(client, "planLs.nextQuestion", uri=transcript.as_uri())
    assert result["ok"] and result["question"] == 2
    assert "Question 1:" not in fake.requests[-1].prompt
