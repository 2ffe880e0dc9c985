"""Streaming chat completions from any OpenAI-compatible endpoint, through the `openai` SDK.

The SDK is imported lazily, in a worker thread (importing it takes over a second), so that
start-up and hover never pay for it. The SDK's own retries are off: this module retries
429 / 5xx / connection failures itself, honouring Retry-After, so that it can tell the user
exactly what happened. The API key lives only in the endpoint object and the SDK client; no
message or log line carries it.
"""

from __future__ import annotations

import asyncio
import importlib
import ipaddress
import json
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from plan_ls.settings import LlmSettings

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_DUMMY_KEY = "no-key-needed"  # local servers (Ollama, llama.cpp) ignore the key
MAX_RETRIES = 3
MAX_RETRY_AFTER = 60.0  # a longer wait is reported instead of silently sat out
_KEYLIKE = re.compile(r"\b(?:sk|pk|key)-[A-Za-z0-9*_\-.]{6,}")


@dataclass
class Endpoint:
    base_url: str
    model: str
    key_env: str
    temperature: float = 0.2
    timeout: float = 120.0
    api_key: str = field(default="", repr=False)

    @property
    def where(self) -> str:
        return f"{self.base_url or DEFAULT_BASE_URL} (model {self.model})"


def is_local_url(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    if host in ("localhost", "host.docker.internal") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_endpoint(llm: LlmSettings, env: Mapping[str, str], *,
                     planning: bool) -> Endpoint | None:
    """The endpoint to call, or None for manual mode (no key, or mode = "manual")."""
    if llm.mode == "manual":
        return None
    key = env.get(llm.apiKeyEnv or "OPENAI_API_KEY", "").strip()
    if not key:
        if not (llm.baseUrl and is_local_url(llm.baseUrl)):
            return None
        key = LOCAL_DUMMY_KEY
    return Endpoint(base_url=llm.baseUrl.rstrip("/"),
                    model=llm.plan_model if planning else llm.model,
                    key_env=llm.apiKeyEnv, temperature=llm.temperature,
                    timeout=max(1.0, llm.timeout), api_key=key)


class LlmError(Exception):
    """A failed call, with a message fit for `window/showMessage` (never the key)."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class StreamCut(LlmError):
    """The stream broke off after some text arrived; what arrived is kept."""


_openai: Any = None


async def load_sdk() -> Any:
    global _openai
    if _openai is None:
        _openai = await asyncio.to_thread(importlib.import_module, "openai")
        for name in ("httpx", "httpx2", "openai"):  # one INFO line per request is noise
            logging.getLogger(name).setLevel(logging.WARNING)
    return _openai


OnText = Callable[[str], None]
OnRetry = Callable[[LlmError, float, int], None]


async def stream_chat(ep: Endpoint, messages: list[dict[str, str]], on_text: OnText, *,
                      on_retry: OnRetry | None = None,
                      sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> str:
    """Stream one chat completion, calling on_text for every piece of text as it arrives.

    Returns the finish reason. Raises LlmError (or StreamCut once text has arrived).
    Cancelling the calling task closes the HTTP stream at once.
    """
    sdk = await load_sdk()
    attempt = 0
    while True:
        delivered = False

        def deliver(text: str) -> None:
            nonlocal delivered
            delivered = True
            on_text(text)

        try:
            return await _one_stream(sdk, ep, messages, deliver)
        except LlmError as err:
            if delivered or not err.retryable or attempt >= MAX_RETRIES:
                if delivered and not isinstance(err, StreamCut):
                    raise StreamCut(err.message, status=err.status) from err
                if err.retryable and attempt:
                    err.message += f" (gave up after {attempt + 1} attempts)"
                raise
            delay = err.retry_after if err.retry_after is not None else \
                min(8.0, 0.5 * 2 ** attempt) * (0.8 + 0.4 * random.random())
            if delay > MAX_RETRY_AFTER:
                err.message += f" (the endpoint asks to wait {delay:.0f} s; try again later)"
                raise
            attempt += 1
            if on_retry is not None:
                on_retry(err, delay, attempt)
            await sleep(delay)


async def _one_stream(sdk: Any, ep: Endpoint, messages: list[dict[str, str]],
                      on_text: OnText) -> str:
    client = sdk.AsyncOpenAI(base_url=ep.base_url or None, api_key=ep.api_key,
                             max_retries=0, timeout=ep.timeout)
    stream = None
    finish = ""
    got_text = False
    try:
        try:
            stream = await client.chat.completions.create(
                model=ep.model, messages=messages, temperature=ep.temperature, stream=True)
            async for chunk in stream:
                for choice in chunk.choices or ():
                    text = getattr(choice.delta, "content", None) if choice.delta else None
                    if text:
                        got_text = True
                        on_text(text)
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            err = explain(sdk, ep, exc)
            raise (StreamCut(err.message, status=err.status) if got_text else err) from exc
        if not finish:
            raise StreamCut(f"the answer from {ep.where} ended without a finish reason")
        return finish
    finally:
        if stream is not None:
            await _quietly(stream.close())
        await _quietly(client.close())


async def _quietly(aw: Awaitable[Any]) -> None:
    try:
        await aw
    except Exception:  # closing a broken connection may fail; nothing left to do
        log.debug("closing the LLM stream failed", exc_info=True)


def explain(sdk: Any, ep: Endpoint, exc: BaseException) -> LlmError:
    """Turn an SDK or transport exception into one understandable, key-free message."""
    where = ep.where
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        detail = _detail(exc, ep)
        code = _error_code(exc)
        if status == 401:
            return LlmError(f"{ep.base_url or DEFAULT_BASE_URL} rejected the API key from "
                            f"${ep.key_env} (HTTP 401). Check that the variable holds a valid "
                            f"key for this endpoint.", status=401)
        if status == 403:
            return LlmError(f"{where} refused access (HTTP 403): {detail}", status=403)
        if status == 404 and (code == "model_not_found" or "model" in detail.lower()):
            return LlmError(f"model '{ep.model}' does not exist at "
                            f"{ep.base_url or DEFAULT_BASE_URL} (HTTP 404). Set planLs.llm.model"
                            f" / planLs.llm.planModel to a model this endpoint serves.",
                            status=404)
        if status == 404:
            return LlmError(f"{ep.base_url or DEFAULT_BASE_URL} has no chat-completions API "
                            f"(HTTP 404 for /chat/completions). Check planLs.llm.baseUrl; for "
                            f"most servers it ends in /v1.", status=404)
        if status == 429:
            return LlmError(f"{where} is rate-limiting requests (HTTP 429): {detail}",
                            status=429, retryable=True, retry_after=_retry_after(exc))
        if status >= 500:
            return LlmError(f"{where} failed with HTTP {status}: {detail}", status=status,
                            retryable=True, retry_after=_retry_after(exc))
        return LlmError(f"{where} rejected the request (HTTP {status}): {detail}",
                        status=status)
    if isinstance(exc, sdk.APITimeoutError):
        return LlmError(f"{where} sent nothing for {ep.timeout:g} s (timeout). Try again, or "
                        f"raise planLs.llm.timeout.")
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        reason = _scrub(str(cause) or type(cause).__name__, ep) if cause else "connection error"
        if "connect" in type(cause).__name__.lower() or "refused" in reason.lower():
            return LlmError(f"cannot connect to {ep.base_url or DEFAULT_BASE_URL}: {reason}. "
                            f"Is the server running and planLs.llm.baseUrl right?",
                            retryable=True)
        return LlmError(f"the connection to {where} failed: {reason}", retryable=True)
    if isinstance(exc, (json.JSONDecodeError, ValueError)):
        return LlmError(f"{where} sent a malformed stream event ({_scrub(str(exc), ep)})")
    return LlmError(f"calling {where} failed: {type(exc).__name__}: {_scrub(str(exc), ep)}",
                    retryable=_is_transport_error(exc))


def _is_transport_error(exc: BaseException) -> bool:
    return any(c.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "httpcore2")
               for c in type(exc).__mro__)


def _error_code(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("code") or "")
    return str(getattr(exc, "code", "") or "")


def _detail(exc: Any, ep: Endpoint) -> str:
    body = getattr(exc, "body", None)
    message = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = str(inner.get("message", "")) if isinstance(inner, dict) else str(inner)
    return _scrub(message or str(getattr(exc, "message", "") or exc), ep)[:300]


def _scrub(text: str, ep: Endpoint) -> str:
    if ep.api_key and ep.api_key != LOCAL_DUMMY_KEY:
        text = text.replace(ep.api_key, "***")
    return _KEYLIKE.sub("***", text)


def _retry_after(exc: Any) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        ms = headers.get("retry-after-ms")
        if ms:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            from datetime import datetime, timezone
            from email.utils import parsedate_to_datetime  # rare: keep email out of start-up

            when = parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None
