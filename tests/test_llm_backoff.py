"""The retry backoff of llm/client.py: doubling from `Endpoint.retry_backoff`, which
`$PLAN_LS_RETRY_BACKOFF` sets (the tests use a short one so that nothing waits for real)."""

from __future__ import annotations

import math

import pytest

from plan_ls.llm.client import RETRY_BACKOFF, Endpoint, LlmError, resolve_endpoint, stream_chat
from plan_ls.settings import LlmSettings
from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - the fixture
from tests.llm_harness import KEY, KEY_ENV


def endpoint(fake: FakeOpenAI, backoff: float) -> Endpoint:
    return Endpoint(base_url=fake.url, model="fake-chat", key_env=KEY_ENV, api_key=KEY,
                    timeout=10, retry_backoff=backoff)


@pytest.mark.parametrize("backoff", [RETRY_BACKOFF, 0.25])
async def test_each_retry_waits_twice_as_long_as_the_last(fake_openai: FakeOpenAI,  # noqa: F811
                                                          backoff: float):
    fake_openai.add(*[Reply(fault="500")] * 3, Reply("fine"))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the clock, injected: nothing waits
        waits.append(seconds)

    got: list[str] = []
    assert await stream_chat(endpoint(fake_openai, backoff), [{"role": "user", "content": "hi"}],
                             got.append, sleep=sleep) == "stop"
    assert "".join(got) == "fine" and len(fake_openai.requests) == 4
    assert len(waits) == 3
    for n, wait in enumerate(waits):  # backoff * 2**n, give or take the 20 % jitter
        assert backoff * 2 ** n * 0.8 <= wait <= backoff * 2 ** n * 1.2, waits


async def test_retry_after_wins_over_the_backoff_and_retries_end(fake_openai: FakeOpenAI):  # noqa: F811
    fake_openai.add(Reply(fault="429", retry_after=7), *[Reply(fault="500")] * 3)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with pytest.raises(LlmError) as failed:
        await stream_chat(endpoint(fake_openai, 0.1), [{"role": "user", "content": "hi"}],
                          lambda _: None, sleep=sleep)
    assert "gave up after 4 attempts" in failed.value.message
    assert waits[0] == 7 and 0.16 <= waits[1] <= 0.24 and len(waits) == 3


@pytest.mark.parametrize("value,expected", [
    (None, RETRY_BACKOFF), ("0.05", 0.05), ("2", 2.0), ("0", RETRY_BACKOFF),
    ("-1", RETRY_BACKOFF), ("soon", RETRY_BACKOFF), ("nan", RETRY_BACKOFF),
    ("inf", RETRY_BACKOFF), ("600", RETRY_BACKOFF)])
def test_the_backoff_comes_from_the_environment(value: str | None, expected: float):
    env = {KEY_ENV: KEY} | ({"PLAN_LS_RETRY_BACKOFF": value} if value is not None else {})
    llm = LlmSettings()
    llm.apiKeyEnv = KEY_ENV
    ep = resolve_endpoint(llm, env, planning=False)
    assert ep is not None and math.isclose(ep.retry_backoff, expected)
