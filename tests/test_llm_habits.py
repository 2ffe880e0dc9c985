"""Real models' habits (issue 18), each sent by the fake endpoint and handled by the shared
runner (llm/job.py): several questions, an enclosing fence, chatter, repetition to the token
limit, keep-alive pings before the first token, a context overflow, an empty answer after a
long prompt; plus the pure pieces (fences, the transcript, the budget)."""

from __future__ import annotations

import pytest

from plan_ls.llm.answer import Shaper, close_fence
from plan_ls.llm.budget import OverBudget, count_tokens, model_limits, plan_budget
from plan_ls.llm.client import Endpoint
from plan_ls.llm.job import Generation, Runner
from plan_ls.llm.transcript import parse_transcript
from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - the fixture

QUESTION = "Which platforms must the app run on?"


def endpoint(fake: FakeOpenAI, **extra) -> Endpoint:
    return Endpoint(base_url=fake.url, model="fake-chat", key_env="KEY", api_key=fake.api_key,
                    timeout=extra.pop("timeout", 10.0), **extra)


async def run(fake: FakeOpenAI, prompt: str = "Ask one question.", question: bool = False,
              **extra):
    statuses: list[str] = []
    pieces: list[str] = []
    runner = Runner(endpoint(fake, **extra), Generation(prompt, question=question))
    result = await runner.run(pieces.append, on_status=statuses.append)
    assert "".join(pieces) == result.text  # what was handed on is what the result says
    return result, statuses


async def test_several_questions_keep_the_first(fake_openai: FakeOpenAI):  # noqa: F811
    fake_openai.add(Reply(QUESTION, fault="questions"))
    result, _ = await run(fake_openai, question=True)
    assert result.text == QUESTION + "\n" and result.ok
    assert "more questions after the first" in result.notes
    assert fake_openai.requests[0].body["max_tokens"] <= 400  # a question needs no more


async def test_a_question_is_capped_and_its_options_kept():
    shaper = Shaper(question=True, max_question_chars=120)
    text = shaper.feed("Where will data live?\n- SQLite\n- Postgres\n\nAnd who logs in?\n")
    assert text == "Where will data live?\n- SQLite\n- Postgres\n" and shaper.done
    shaper = Shaper(question=True, max_question_chars=120)
    text = shaper.feed("Tell me more. " * 40) + shaper.finish()
    assert len(text) <= 120 and text.endswith("…\n") and shaper.done


async def test_enclosing_fence_and_chatter_are_removed(fake_openai: FakeOpenAI):  # noqa: F811
    body = "# Spec\n\n```python\nprint('kept')\n```\n\nThe end.\n"
    fake_openai.add(Reply(body, fault="fenced", chunk_chars=5), Reply(body, fault="chatter"))
    result, _ = await run(fake_openai)
    assert result.text == body and result.ok
    result, _ = await run(fake_openai)
    assert result.text == body and "Sure" in result.notes[0]


async def test_repetition_to_the_token_limit(fake_openai: FakeOpenAI):  # noqa: F811
    # a loop too long to be taken for repetition: the output limit ends it
    fake_openai.add(Reply("".join(f"Line {n} of a long answer.\n" for n in range(40)),
                          fault="repeat", chunk_chars=40))
    result, _ = await run(fake_openai, context_tokens=2000)
    assert result.cut == "the model stopped at its output limit"
    assert "finish_reason \"length\"" in result.error
    assert fake_openai.requests[0].body["max_tokens"] < 2000
    # a short loop: seen, the stream closed before the limit
    fake_openai.add(Reply("The same paragraph, again and again.\n\n", fault="repeat"))
    result, _ = await run(fake_openai, context_tokens=2000)
    assert result.cut == "the model began to repeat itself"
    assert result.text.count("again and again") == 3


async def test_pings_do_not_count_as_text(fake_openai: FakeOpenAI):  # noqa: F811
    fake_openai.add(Reply(QUESTION, fault="pings", first_token_delay=1.5, ping_interval=0.05))
    result, statuses = await run(fake_openai, timeout=0.4)
    assert not result.text and "sent nothing for 0.4 s" in result.error
    assert "keep-alive" in result.error
    assert statuses[0].startswith("the model is reading the prompt (")
    # pings within the timeout, then text: fine, and the status said what was happening
    fake_openai.add(Reply(QUESTION, fault="pings", first_token_delay=0.3, ping_interval=0.05))
    result, statuses = await run(fake_openai, timeout=2)
    assert result.ok and result.text == QUESTION
    assert statuses == [f"the model is reading the prompt ({result.budget.prompt_tokens} "
                        f"tokens)", "writing the answer"]


async def test_context_overflow_is_named_with_the_count(fake_openai: FakeOpenAI):  # noqa: F811
    fake_openai.add(Reply(fault="overflow"))
    result, _ = await run(fake_openai)
    assert "does not fit the context window" in result.error
    assert f"The prompt is {result.budget.prompt_tokens:,} tokens" in result.error


async def test_empty_answer_after_a_long_prompt(fake_openai: FakeOpenAI):  # noqa: F811
    prompt = "Describe the whole system in detail. " * 300
    fake_openai.add(Reply(fault="empty"), Reply(fault="empty"))
    result, _ = await run(fake_openai, prompt, context_tokens=4000)
    assert "the prompt may exceed the model's context (" in result.error
    result, _ = await run(fake_openai, "Short.", context_tokens=4000)
    assert "may exceed" not in result.error and "empty answer" in result.error


def test_over_budget_is_refused_with_figures():
    prompt = "word " * 9000
    with pytest.raises(OverBudget) as caught:
        plan_budget(prompt, "smollm2", 0)
    message = caught.value.message
    assert f"the prompt is {count_tokens(prompt):,} tokens" in message
    assert "context of 8,192 tokens" in message and "--context-tokens" in message
    assert plan_budget("short", "SmolLM2-135M").max_tokens < 8192
    assert model_limits("gpt-4o-mini").context == 128_000
    assert model_limits("some-local-model").context == 128_000
    assert model_limits("o3-mini").parameter == "max_completion_tokens"
    assert model_limits("gpt-4o", 50_000).context == 50_000


def test_a_cut_inside_a_fence_closes_it_first():
    assert close_fence("Intro\n```python\nx = 1") == "Intro\n```python\nx = 1\n```"
    assert close_fence("~~~~\ncode\n") == "~~~~\ncode\n~~~~"
    assert close_fence("```\nclosed\n```\n") == "```\nclosed\n```\n"


def test_an_unclosed_fence_does_not_hide_later_questions():
    text = ("# Spec interview\n\n## Idea\n\nNotes.\n\n## Question 1\n\nLike this?\n\n"
            "```python\nnotes.add('x')\n\n**Answer:**\n\nYes.\n\n## Question 2\n\n"
            "Where is it kept?\n\n**Answer:**\n\n")
    transcript = parse_transcript(text)
    assert [t.number for t in transcript.turns] == [1, 2]
    assert transcript.turns[0].answer == "Yes." and transcript.waiting_turn.number == 2


def test_a_question_without_the_echoed_interview():
    """Small models echo the transcript ("Question 2: … Answer 2: …") around the question."""
    shaper = Shaper(question=True)
    text = shaper.feed("Question 2: Where are notes kept?\nAnswer 2: In a file.\n") + \
        shaper.finish()
    assert text == "Where are notes kept?\n" and shaper.done
    shaper = Shaper(question=True)
    text = shaper.feed("Answer 1: Personal notes.\n\n**Question 2:** Which OS?") + \
        shaper.finish()
    assert text == "Which OS?" and shaper.notes == ["the interview so far, repeated by the model"]


async def test_a_stream_cut_by_another_request_is_named(fake_openai: FakeOpenAI):  # noqa: F811
    """llama-cpp-python's one-slot server ends a running stream with a bare [DONE]."""
    fake_openai.add(Reply("One two three four five six seven eight.", fault="preempted"))
    result, _ = await run(fake_openai)
    assert result.text and result.cut  # what arrived is kept, marked
    assert "ended without a finish reason" in result.error
    assert "cuts a request when another one arrives" in result.error
