"""Code review, issues and missing tests end to end: a real server process on a copy of
samples/legacy, the real `openai` SDK and the local OpenAI-compatible test endpoint."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.llm_harness import llm_reset, llm_session, make_llm_client, run, start, texts
from tests.lsp_client import SERVER, copy_sample

REVIEW = """# Review: invoicer

Small and readable; money is rounded late and input is trusted.

## Correctness

- [ ] `invoicer/pricing.py:23-25`: tax is charged on the undiscounted subtotal.
- [ ] `invoicer/pricing.py:12`: an unknown region silently gets a 0% rate; raise instead.

## Robustness

- [ ] `invoicer/storage.py:10`: a crash while saving leaves half a JSON file; write atomically.
"""
ISSUES = """# Issues

## Charge tax after the bulk discount

- [ ] Charge tax after the bulk discount

`invoicer/pricing.py:23` taxes the full subtotal. Done when a test pins the total.

Labels: bug

## Reject unknown tax regions

- [ ] Reject unknown tax regions

`invoicer/pricing.py:12` returns 0.0.

Labels: bug, money
"""
MISSING = """# Missing tests

## pricing

- [ ] `invoicer/pricing.py:15-18`: 101 units get 5% off, 100 do not.
"""


# One server and one endpoint for the module's model tests; each test starts from the
# project's state (llm_reset). Manual mode has a server of its own (`manual`, below).
pytestmark = [pytest.mark.asyncio(loop_scope="module")]
client = llm_session(lambda folder: copy_sample("legacy", folder))
fresh = llm_reset()


def open_source(client: LanguageClient, path) -> str:
    uri = path.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=path.read_text(encoding="utf-8"))))
    return uri


async def hover(client: LanguageClient, uri: str, line: int) -> str | None:
    result = await client.text_document_hover_async(t.HoverParams(
        text_document=t.TextDocumentIdentifier(uri=uri),
        position=t.Position(line=line, character=4)))
    return result.contents.value if result else None


async def actions_at(client: LanguageClient, uri: str, line: int) -> list[t.CodeAction]:
    pos = t.Position(line=line, character=0)
    return await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=t.Range(start=pos, end=pos),
        context=t.CodeActionContext(diagnostics=[])))


async def test_pack_reports_counts_and_what_was_left_out(client: LanguageClient):
    ws = client.ws
    result = await run(client, "planLs.pack")
    assert result["path"] == str((ws / "output.txt").resolve())
    assert result["files"] >= 10 and result["tokens"] > 1000
    assert {"path": ".env", "reason": result["excluded"][0]["reason"]} in result["excluded"]
    bundle = (ws / "output.txt").read_text(encoding="utf-8")
    assert "invoicer/pricing.py" in bundle and "TAX_RATES" in bundle
    reports = [r for tok, rs in client.progress_reports.items()
               if str(tok).startswith("plan-ls/pack/") for r in rs]
    assert isinstance(reports[0], t.WorkDoneProgressBegin)
    assert isinstance(reports[-1], t.WorkDoneProgressEnd) and "files" in reports[-1].message
    # a root passed as a path or a URI, and a root that is not a folder
    assert (await run(client, "planLs.pack", root=ws.as_uri()))["files"] == result["files"]
    with pytest.raises(JsonRpcInvalidParams, match="argument root: .*nope is not a folder"):
        await run(client, "planLs.pack", root=str(ws / "nope"))


async def test_review_lands_in_code_review_md_and_is_tracked_in_the_source(
        client: LanguageClient):
    ws, fake = client.ws, client.fake
    fake.add(REVIEW)
    result = await run(client, "planLs.review")
    review = ws / "code-review.md"
    assert result["ok"] and result["path"] == str(review), (result, texts(client))
    assert (result["items"], result["placed"]) == (3, 3)
    assert review.read_text(encoding="utf-8") == REVIEW
    request = fake.requests[0]
    assert request.body["model"] == "fake-planner"
    assert "File: invoicer/pricing.py" in request.prompt and "`path/to/file.py:42`" in \
        request.prompt
    assert "OPENAI_API_KEY=\n" in request.prompt and "sk-proj" not in request.prompt

    # the answer is a checklist like todo.md: hover and check-off on its items
    review_uri = review.as_uri()
    lines = REVIEW.split("\n")
    first = lines.index(next(x for x in lines if "pricing.py:23-25" in x))
    assert "Item 1 of 3" in (await hover(client, review_uri, first) or "")

    # every place in it links to the file and line
    links = await client.text_document_document_link_async(t.DocumentLinkParams(
        text_document=t.TextDocumentIdentifier(uri=review_uri)))
    source = (ws / "invoicer").as_uri()
    assert [(x.range.start.line, x.range.start.character, x.range.end.character, x.target)
            for x in links] == [(first, 7, 32, f"{source}/pricing.py#L23"),
                                (first + 1, 7, 29, f"{source}/pricing.py#L12"),
                                (first + 5, 7, 29, f"{source}/storage.py#L10")]

    # in the source file: the findings that name the line, and a check-off action
    pricing = open_source(client, ws / "invoicer" / "pricing.py")
    text = await hover(client, pricing, 23)  # line 24, inside 23-25
    assert text and "**Review finding** (open · Correctness)" in text
    assert "undiscounted subtotal" in text and f"code-review.md:{first + 1}" in text
    assert await hover(client, pricing, 2) is None
    actions = await actions_at(client, pricing, 22)
    mark = [a for a in actions if a.title == "Mark review finding done"]
    assert len(mark) == 1 and mark[0].command.arguments[0]["lines"] == [first]
    done = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command=mark[0].command.command, arguments=mark[0].command.arguments))
    assert done == {"applied": True, "changed": 1}
    after = review.read_text(encoding="utf-8").split("\n")
    assert [n for n, (a, b) in enumerate(zip(lines, after)) if a != b] == [first]
    assert after[first] == lines[first].replace("- [ ]", "- [x]", 1)
    assert "(done · Correctness)" in (await hover(client, pricing, 23) or "")
    undo = [a.title for a in await actions_at(client, pricing, 23)]
    assert "Mark review finding not done" in undo

    # markDone straight on the answer file's item changes just that box too
    storage = lines.index(next(x for x in lines if "storage.py:10" in x))
    await run(client, "planLs.markDone", uri=review_uri, lines=[storage])
    final = review.read_text(encoding="utf-8").split("\n")
    assert [n for n, (a, b) in enumerate(zip(after, final)) if a != b] == [storage]


async def test_issues_and_missing_tests_reuse_the_bundle(client: LanguageClient):
    ws, fake = client.ws, client.fake
    await run(client, "planLs.pack")
    made = (ws / "output.txt").stat().st_mtime_ns
    fake.add(ISSUES, MISSING)
    result = await run(client, "planLs.issues")
    assert result["ok"] and result["issues"] == 2 and result["items"] == 2
    assert (ws / "issues.md").read_text(encoding="utf-8") == ISSUES
    assert "Labels:" in fake.requests[0].prompt
    result = await run(client, "planLs.missingTests")
    assert result["ok"] and result["placed"] == 1
    assert (ws / "missing-tests.md").read_text(encoding="utf-8") == MISSING
    assert (ws / "output.txt").stat().st_mtime_ns == made  # fresh, so not packed again
    assert "File: invoicer/pricing.py" in fake.requests[1].prompt
    assert "Charge tax after" not in fake.requests[1].prompt  # answers are never packed
    text = await hover(client, (ws / "invoicer" / "pricing.py").as_uri(), 16)
    assert text and "**Missing test** (open · pricing)" in text

    # an edited source file makes the next generation pack again
    os.utime(ws / "invoicer" / "cli.py", ns=(made + 10**9, made + 10**9))
    client.answer = "Keep both"
    fake.add(ISSUES)
    result = await run(client, "planLs.issues")
    assert result["ok"] and result["path"] == str(ws / "issues-2.md")
    assert (ws / "output.txt").stat().st_mtime_ns > made
    assert "issues.md already has content" in client.message_requests[-1].message

    # Replace, but the answer has no issues: issues.md is put back, the answer kept beside it
    client.answer = "Replace"
    fake.add("I could not find anything worth filing.\n")
    result = await run(client, "planLs.issues")
    assert not result["ok"] and result["kept"] == str(ws / "issues.md")
    assert (ws / "issues.md").read_text(encoding="utf-8") == ISSUES
    assert "worth filing" in Path(result["path"]).read_text(encoding="utf-8")
    assert "issues.md is kept" in client.messages[-1].message


NO_KEY_ENV = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(  # the module's event loop
    server_command=SERVER, client_factory=make_llm_client, server_env=NO_KEY_ENV))
async def manual(lsp_client: LanguageClient, tmp_path_factory):
    ws = copy_sample("legacy", tmp_path_factory.mktemp("manual"))
    lsp_client.ws = ws
    await start(lsp_client, ws, {"llm": {"baseUrl": "https://llm.example.com/v1"}})
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), 5)


async def test_manual_mode_writes_the_rendered_prompts(manual: LanguageClient):
    ws = manual.ws
    out = ws / ".plan-ls" / "prompts-out"
    for command, name in (("planLs.review", "code-review"), ("planLs.issues", "issues"),
                          ("planLs.missingTests", "missing-tests")):
        result = await run(manual, command)
        assert result["ok"] and result["manual"], result
        prompt = out / f"{name}.md"
        assert result["prompt_path"] == str(prompt) and result["uri"] == prompt.as_uri()
        text = prompt.read_text(encoding="utf-8")
        assert "File: invoicer/pricing.py" in text and "{{" not in text
        assert not (ws / f"{name}.md").exists()
    assert "File: .plan-ls" not in (ws / "output.txt").read_text(encoding="utf-8")
    assert sum("manual mode" in m for m in texts(manual)) == 1


async def test_hover_answers_while_a_big_tree_is_packed(client: LanguageClient):
    ws = client.ws
    rng = random.Random(7)
    salt = rng.random()  # new content every run: the token cache cannot shortcut the pack
    for i in range(3000):
        folder = ws / "gen" / f"m{i // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i}.py").write_text("\n".join(
            f"def f{j}_{i}(x):\n    return x * {j} + {salt + rng.random()}" for j in range(60)))
    (ws / "code-review.md").write_text(REVIEW, encoding="utf-8")
    pricing = (ws / "invoicer" / "pricing.py").as_uri()
    loop = asyncio.get_running_loop()
    began = loop.time()
    packing = asyncio.ensure_future(run(client, "planLs.pack"))
    latencies = []
    while not packing.done():
        start = loop.time()
        assert "Review finding" in (await hover(client, pricing, 11) or "")
        latencies.append(loop.time() - start)
        await asyncio.sleep(0.02)
    result = await packing
    took = loop.time() - began
    assert result["files"] > 3000
    # A pack that held the event loop would leave one hover waiting for most of it; the
    # bounds are relative to the pack's own time, which a loaded machine stretches alike.
    assert len(latencies) >= 3, latencies
    assert statistics.median(latencies) < 0.2 and max(latencies) < took / 2, (took, latencies)
