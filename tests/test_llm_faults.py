"""Every endpoint fault ends in a clear message and a document without garbage; cancelling
stops the request; hover stays fast while a generation runs."""

from __future__ import annotations

import asyncio
import re
import socket
import time

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.fake_openai import Reply
from tests.llm_harness import (
    KEY,
    KEY_ENV,
    apply_all,
    configure,
    generate_plan,
    llm_reset,
    llm_session,
    plan_text,
    spec_only_project,
    texts,
    wait_until,
)
from tests.lsp_client import open_doc

SPEC = "# Spec\n\nA habit tracker.\n"
PLAN = "".join(f"## Step {n}: Part {n}\n\n```text\nBuild part {n} with tests, then wire it in.\n"
               f"```\n\n" for n in range(1, 41))
CUT = "plan-ls: cut off here"


# One server and one endpoint for the module; each test starts from the project's state.
pytestmark = [pytest.mark.asyncio(loop_scope="module")]
client = llm_session(lambda folder: spec_only_project(folder, SPEC))
fresh = llm_reset()


def last_error(client: LanguageClient) -> str:
    msg = client.messages[-1]
    assert msg.type in (t.MessageType.Error, t.MessageType.Warning)
    assert KEY not in "\n".join(texts(client))
    return msg.message


@pytest.mark.parametrize("fault,expect", [
    ("unknown_model", "model 'fake-planner' does not exist at {url} (HTTP 404)"),
    ("invalid_key", f"{{url}} rejected the API key from ${KEY_ENV} (HTTP 401)"),
])
async def test_request_errors_name_endpoint_and_cause(client, fault, expect):
    client.fake.add(Reply(PLAN, fault=fault))
    result = await generate_plan(client)
    assert not result["ok"] and result["error"]
    assert expect.format(url=client.fake.url) in last_error(client)
    assert plan_text(client) is None  # nothing written
    assert len(client.fake.requests) == 1  # not retried


async def test_server_errors_are_retried_then_reported(client):
    fake = client.fake
    fake.add(*[Reply(fault="500")] * 4)
    result = await generate_plan(client)
    assert not result["ok"] and len(fake.requests) == 4
    text = last_error(client)
    assert f"{fake.url} (model fake-planner) failed with HTTP 500" in text
    assert "gave up after 4 attempts" in text and plan_text(client) is None
    gaps = [b.received - a.received for a, b in zip(fake.requests, fake.requests[1:])]
    said = [r.message for reports in client.progress_reports.values() for r in reports
            if isinstance(r, t.WorkDoneProgressReport) and r.message]
    waits = [float(w) for w in re.findall(r"retry \d in ([\d.]+) s", "\n".join(said))]
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2], said  # backing off
    assert all(gap >= wait - 0.05 for gap, wait in zip(gaps, waits)), (gaps, waits)  # waited


async def test_rate_limit_honours_retry_after_then_succeeds(client):
    fake = client.fake
    fake.add(Reply(fault="429", retry_after=0.4), Reply(PLAN))  # longer than the backoff
    result = await generate_plan(client)
    assert result["ok"] and plan_text(client) == PLAN
    assert fake.requests[1].received - fake.requests[0].received >= 0.38


async def test_slow_first_token_within_timeout_is_fine_beyond_it_is_a_timeout(client):
    fake = client.fake
    await configure(client, fake.url, timeout=1)  # the least the settings allow
    fake.add(Reply(PLAN, fault="slow", first_token_delay=0.25))
    assert (await generate_plan(client))["ok"]
    (client.ws / "prompt_plan.md").unlink()
    fake.add(Reply(PLAN, fault="slow", first_token_delay=2))
    result = await generate_plan(client)
    assert not result["ok"]
    assert f"{fake.url} (model fake-planner) sent nothing for 1 s (timeout" in \
        last_error(client)
    assert plan_text(client) is None and len(fake.requests) == 2


@pytest.mark.parametrize("fault", ["cut", "malformed"])
async def test_broken_stream_keeps_clean_text_marked_as_cut_off(client, fault):
    client.fake.add(Reply(PLAN, fault=fault))
    result = await generate_plan(client)
    assert not result["ok"] and result["chars"] > 0
    text = plan_text(client)
    body, mark = text.split("\n\n> ✂", 1)
    assert PLAN.startswith(body) and len(body) < len(PLAN)
    assert CUT in mark and "oops" not in text
    message = last_error(client)
    assert client.fake.url in message and "marked as cut off" in message


async def test_wrong_url_and_refused_connection(client):
    fake = client.fake
    await configure(client, fake.url.replace("/v1", "/nope"))
    await generate_plan(client)
    assert "/nope has no chat-completions API (HTTP 404" in last_error(client)
    with socket.socket() as s:  # a port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await configure(client, f"http://127.0.0.1:{port}/v1")
    result = await generate_plan(client)
    assert not result["ok"]
    assert f"cannot connect to http://127.0.0.1:{port}/v1" in last_error(client)
    assert plan_text(client) is None


async def test_cancel_progress_closes_the_stream_and_marks_the_text(client):
    fake, ws = client.fake, client.ws
    (ws / "prompt_plan.md").write_text("", encoding="utf-8")
    uri = open_doc(client, ws / "prompt_plan.md")  # open: the answer arrives as edits
    fake.add(Reply(PLAN, token_interval=0.01))
    task = asyncio.ensure_future(generate_plan(client))
    await wait_until(lambda: len(client.edits) >= 3)
    second = await generate_plan(client)  # one job per file at a time
    assert "already being generated" in second["error"] and len(fake.requests) == 1
    [token] = [k for k in client.progress_reports if str(k).startswith("plan-ls/llm/")]
    begin = client.progress_reports[token][0]
    assert begin.cancellable and "prompt plan" in begin.title
    sent = time.monotonic()
    client.window_work_done_progress_cancel(t.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, 5)
    assert result["cancelled"] and not result["ok"]
    await wait_until(lambda: fake.requests[0].closed_by_client is not None, 2)
    assert fake.requests[0].closed_by_client - sent < 0.5
    assert fake.requests[0].finished is None  # the answer never ran to its end
    text = apply_all("", client.edits, uri)
    body, mark = text.split("\n\n> ✂", 1)
    if not PLAN.startswith(body):  # cancelled inside a fence: it is closed before the mark
        assert body.endswith("```") and (PLAN.startswith(body[:-3])
                                         or PLAN.startswith(body[:-4]))
    assert 0 < len(body) < len(PLAN) and "cancelled" in mark
    times = [when for when, _ in client.edits]
    assert all(b - a >= 0.04 for a, b in zip(times[1:], times[2:-1]))  # batched, <= 20/s
    assert isinstance(client.progress_reports[token][-1], t.WorkDoneProgressEnd)
    assert "keeps what arrived" in texts(client)[-1]


async def test_cancel_request_stops_the_generation(client):
    fake = client.fake
    fake.add(Reply(PLAN, token_interval=0.01))
    params = t.ExecuteCommandParams(command="planLs.generatePlan",
                                    arguments=[{"uri": (client.ws / "spec.md").as_uri()}])
    reply = asyncio.ensure_future(client.protocol.send_request_async(
        t.WORKSPACE_EXECUTE_COMMAND, params, msg_id="generate-1"))
    await wait_until(lambda: (client.ws / "prompt_plan.md").exists())
    client.protocol.notify("$/cancelRequest", t.CancelParams(id="generate-1"))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(reply, 5)
    await wait_until(lambda: fake.requests[0].closed_by_client is not None, 2)
    await wait_until(lambda: CUT in (plan_text(client) or ""), 2)


async def test_hover_stays_fast_while_a_slow_generation_runs(client):
    fake, ws = client.fake, client.ws
    (ws / "todo.md").write_text((ws / "sample-todo.md").read_text(), encoding="utf-8")
    (ws / "prompt_plan.md").write_text((ws / "sample-prompt_plan.md").read_text(),
                                       encoding="utf-8")
    client.answer = "Keep both"
    uri = open_doc(client, ws / "todo.md")
    hover = t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri),
                          position=t.Position(line=3, character=6))
    assert await client.text_document_hover_async(hover) is not None
    idle = []
    for _ in range(5):
        started = time.monotonic()
        await client.text_document_hover_async(hover)
        idle.append(time.monotonic() - started)
    # 12 of the 30 steps, a word every 5 ms: about 1.5 s of generation to hover through
    fake.add(Reply(PLAN[:PLAN.index("## Step 13:")], first_token_delay=0.3,
                   token_interval=0.005))
    task = asyncio.ensure_future(generate_plan(client))
    await wait_until(lambda: len(fake.requests) == 1)
    busy = []
    while not task.done():
        started = time.monotonic()
        result = await client.text_document_hover_async(hover)
        busy.append(time.monotonic() - started)
        assert result is not None and "Step 1" in result.contents.value
        await asyncio.sleep(0.02)
    assert (await task)["ok"] and len(busy) >= 20
    assert max(busy) < max(0.25, 5 * max(idle)), (idle, busy)


async def test_a_plan_without_steps_keeps_the_old_plan(client):
    """Replace was chosen, but the answer has no steps: the old plan is put back and the
    answer is kept beside it (issue 18)."""
    ws, fake = client.ws, client.fake
    (ws / "prompt_plan.md").write_text(PLAN, encoding="utf-8")
    client.answer = "Replace"
    fake.add("Here are a few thoughts about the project, and no steps at all.\n")
    result = await generate_plan(client)
    assert not result["ok"] and result["kept"].endswith("prompt_plan.md")
    assert plan_text(client) == PLAN
    assert "no steps at all" in (ws / "prompt_plan-2.md").read_text(encoding="utf-8")
    last = client.messages[-1]
    assert last.type == t.MessageType.Warning and "prompt_plan.md is kept" in last.message
