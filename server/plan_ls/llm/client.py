"""Streaming chat completions from any OpenAI-compatible endpoint, through the `openai` SDK.

The SDK is imported lazily, in a worker thread (importing it takes over a second), so that
start-up and hover never pay for it. The SDK's own retries are off: this module retries
429 / 5xx / connection failures itself, honouring Retry-After, so that it can tell the user
exactly what happened. The API key lives only in the endpoint object and the SDK client; no
message or log line carries it, nor the user name and password of a base URL such as
`https://user:pass@proxy/v1` (shown as `https://***@proxy/v1`).

One answer is bounded: at most `Endpoint.max_answer_bytes` of text is delivered, then the
stream is closed and `StreamCut` says so. An answer stopped by the model's own limit
(`finish_reason` "length" or "content_filter") is a `StreamCut` too, and an answer with no
text is an `LlmError`, so that callers never report an incomplete or empty answer as done.
An endpoint that answers a streaming request with one JSON chat completion (some proxies
do) is read as that whole answer.
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
from urllib.parse import urlsplit, urlunsplit

from plan_ls.settings import LlmSettings

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_DUMMY_KEY = "no-key-needed"  # local servers (Ollama, llama.cpp) ignore the key
MAX_RETRIES = 3
MAX_RETRY_AFTER = 60.0  # a longer wait is reported instead of silently sat out
RETRY_BACKOFF = 0.5  # seconds before the first retry; doubled on each retry, at most 16x
MIN_ANSWER_BYTES = 1024  # a smaller cap is a typo, not a wish
DEFAULT_MAX_ANSWER_BYTES = 2_000_000
COMPLETE_FINISH = frozenset({"stop", "tool_calls", "function_call", "eos", "end_turn"})
_KEYLIKE = re.compile(r"\b(?:sk|pk|key)-[A-Za-z0-9*_\-.]{6,}")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]+@")


@dataclass
class Endpoint:
    base_url: str = field(repr=False)  # may hold a password: messages use `shown_url`
    model: str
    key_env: str
    temperature: float = 0.2
    timeout: float = 120.0
    retry_backoff: float = RETRY_BACKOFF  # seconds before the first retry (see stream_chat)
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    api_key: str = field(default="", repr=False)
    max_tokens: int | None = None  # the answer's cap in tokens (llm/budget.py), if any
    max_tokens_param: str = "max_tokens"  # "max_completion_tokens" for reasoning models
    context_tokens: int = 0  # planLs.llm.contextTokens (0: from the model's name)

    @property
    def shown_url(self) -> str:
        """The base URL fit for a message: any `user:password@` replaced by `***@`."""
        return mask_url(self.base_url or DEFAULT_BASE_URL)

    @property
    def where(self) -> str:
        return f"{self.shown_url} (model {self.model})"


def mask_url(url: str) -> str:
    """`https://user:pass@host/v1` -> `https://***@host/v1`; other URLs unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _URL_USERINFO.sub(r"\1***@", url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def is_local_url(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:  # e.g. an unclosed IPv6 bracket: not a URL we would call
        return False
    if host in ("localhost", "host.docker.internal") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_endpoint(llm: LlmSettings, env: Mapping[str, str], *,
                     planning: bool) -> Endpoint | None:
    """The endpoint to call, or None for manual mode (no key, or mode = "manual").
    `$PLAN_LS_RETRY_BACKOFF` in `env` (seconds, > 0) replaces the first retry's wait."""
    if llm.mode == "manual":
        return None
    key = env.get(llm.apiKeyEnv or "OPENAI_API_KEY", "").strip()
    if not key:
        if not (llm.baseUrl and is_local_url(llm.baseUrl)):
            return None
        key = LOCAL_DUMMY_KEY
    return Endpoint(base_url=llm.baseUrl.rstrip("/"),
                    retry_backoff=_retry_backoff(env),
                    model=llm.plan_model if planning else llm.model,
                    key_env=llm.apiKeyEnv, temperature=llm.temperature,
                    timeout=max(1.0, llm.timeout), api_key=key,
                    max_answer_bytes=max(MIN_ANSWER_BYTES, llm.maxAnswerBytes),
                    context_tokens=max(0, getattr(llm, "contextTokens", 0)))


class LlmError(Exception):
    """A failed call, with a message fit for `window/showMessage` (never the key)."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 retryable: bool = False, status: int | None = None,
                 kind: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        # "overflow": the prompt exceeded the context; "empty": no text; "no-finish": the
        # stream ended without a finish reason; "stalled": no text for `timeout` seconds
        self.kind = kind


class StreamCut(LlmError):
    """The answer is incomplete but some text arrived, and what arrived is kept.

    `reason` is the short phrase for the cut-off mark ("the stream broke off", ...);
    `message` the full sentence for the user.
    """

    def __init__(self, message: str, *, reason: str = "the stream broke off",
                 status: int | None = None, kind: str = "") -> None:
        super().__init__(message, status=status, kind=kind)
        self.reason = reason


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
Writable = Callable[[], Awaitable[None]]
WHOLE_PIECE = 16_384  # a non-streamed answer is handed on in pieces of this many characters


async def stream_chat(ep: Endpoint, messages: list[dict[str, str]], on_text: OnText, *,
                      on_retry: OnRetry | None = None,
                      sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                      writable: Writable | None = None) -> str:
    """Stream one chat completion, calling on_text for every piece of text as it arrives.

    Returns the finish reason of a complete answer ("stop", ...). Raises LlmError when no
    text arrived (an empty or whitespace-only answer included), StreamCut once text has
    arrived and the answer is incomplete: broken off, over `ep.max_answer_bytes` (UTF-8
    bytes; the part that fits is delivered), or stopped by the model ("length").
    `writable`, if given, is awaited after every piece: a consumer that writes slower than
    the endpoint sends makes the stream wait (back-pressure) instead of buffering.
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
            return await _one_stream(sdk, ep, messages, deliver, writable)
        except LlmError as err:
            if delivered or not err.retryable or attempt >= MAX_RETRIES:
                if delivered and not isinstance(err, StreamCut):
                    raise StreamCut(err.message, status=err.status, kind=err.kind) from err
                if err.retryable and attempt:
                    err.message += f" (gave up after {attempt + 1} attempts)"
                raise
            delay = err.retry_after if err.retry_after is not None else \
                ep.retry_backoff * min(16, 2 ** attempt) * (0.8 + 0.4 * random.random())
            if delay > MAX_RETRY_AFTER:
                err.message += f" (the endpoint asks to wait {delay:.0f} s; try again later)"
                raise
            attempt += 1
            if on_retry is not None:
                on_retry(err, delay, attempt)
            await sleep(delay)


class _Answer:
    """What one attempt delivered: counts bytes against the cap, and holds back leading
    whitespace, so that an answer of nothing but blank lines writes nothing."""

    def __init__(self, ep: Endpoint, on_text: OnText, writable: Writable | None) -> None:
        self.ep, self.on_text, self.writable = ep, on_text, writable
        self.size = 0  # UTF-8 bytes delivered
        self.held = ""
        self.got_text = False

    async def add(self, text: str) -> None:
        if not self.got_text:
            if not text.strip():
                self.held += text
                return
            text, self.held = self.held + text, ""
        data = text.encode("utf-8", "surrogatepass")
        room = self.ep.max_answer_bytes - self.size
        if len(data) > room:
            text = data[:room].decode("utf-8", "ignore")  # whole characters only
        if text:
            self.got_text = True
            self.size += len(text.encode("utf-8", "surrogatepass"))
            self.on_text(text)
        if len(data) > room:
            limit = self.ep.max_answer_bytes
            raise StreamCut(f"the answer from {self.ep.where} reached planLs.llm."
                            f"maxAnswerBytes ({limit:,} bytes); the rest was not read",
                            reason=f"the answer reached the {_size(limit)} limit")
        if self.writable is not None:
            await self.writable()
        await asyncio.sleep(0)  # a fast stream must not starve hover and code actions

    def finish(self, finish: str) -> str:
        ep = self.ep
        if not self.got_text:
            raise LlmError(f"{ep.where} sent an empty answer (finish_reason "
                           f"\"{finish or 'none'}\"); nothing was written", kind="empty")
        if not finish:
            raise StreamCut(f"the answer from {ep.where} ended without a finish reason",
                            kind="no-finish")
        if finish == "length":
            raise StreamCut(f"the answer from {ep.where} stopped at the model's output limit "
                            f"(finish_reason \"length\"), so it is incomplete",
                            reason="the model stopped at its output limit")
        if finish not in COMPLETE_FINISH:
            raise StreamCut(f"the answer from {ep.where} stopped early (finish_reason "
                            f"\"{finish}\")", reason=f"finish_reason \"{finish}\"")
        return finish


def _size(n: int) -> str:
    return f"{n / 1e6:g} MB" if n >= 100_000 else f"{n:,} bytes"


async def _one_stream(sdk: Any, ep: Endpoint, messages: list[dict[str, str]],
                      on_text: OnText, writable: Writable | None) -> str:
    client = sdk.AsyncOpenAI(base_url=ep.base_url or None, api_key=ep.api_key,
                             max_retries=0, timeout=ep.timeout)
    stream = None
    finish = ""
    answer = _Answer(ep, on_text, writable)
    extra: dict[str, Any] = {}
    if ep.max_tokens:
        extra[ep.max_tokens_param] = ep.max_tokens
    try:
        try:
            stream = await client.chat.completions.create(
                model=ep.model, messages=messages, temperature=ep.temperature, stream=True,
                **extra)
            ctype = stream.response.headers.get("content-type", "")
            if "event-stream" not in ctype.lower():
                finish = await _whole_answer(stream.response, ep, ctype, answer)
            else:
                silence = _Silence(ep, answer)
                try:
                    async for chunk in stream:
                        for choice in chunk.choices or ():
                            delta = choice.delta
                            text = getattr(delta, "content", None) if delta else None
                            if text:
                                await answer.add(text)
                            if choice.finish_reason:
                                finish = choice.finish_reason
                except asyncio.CancelledError:
                    if not silence.fired:
                        raise
                    raise silence.error() from None
                finally:
                    silence.close()
        except (asyncio.CancelledError, LlmError):
            raise
        except Exception as exc:
            err = explain(sdk, ep, exc)
            raise (StreamCut(err.message, status=err.status) if answer.got_text
                   else err) from exc
        return answer.finish(finish)
    finally:
        if stream is not None:
            await _quietly(stream.close())
        await _quietly(client.close())


class _Silence:
    """Fails the stream when no text has come for `ep.timeout` seconds.

    The HTTP read timeout alone is not enough: servers send keep-alive comments while they
    read a long prompt (and events with empty deltas), which the SDK swallows, so the
    connection is never silent even when the model writes nothing. One timer, re-armed
    from the time of the last text, cancels the reading task; `fired` tells that cancel
    apart from the caller's."""

    def __init__(self, ep: Endpoint, answer: _Answer) -> None:
        self.ep, self.answer = ep, answer
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        self.fired = False
        self.size = answer.size
        self.last = self.loop.time()
        self.handle = self.loop.call_at(self.last + ep.timeout, self._check)

    def _check(self) -> None:
        now = self.loop.time()
        if self.answer.size != self.size:
            self.size, self.last = self.answer.size, now
        if now - self.last >= self.ep.timeout and self.task is not None:
            self.fired = True
            self.task.cancel()
            return
        self.handle = self.loop.call_at(self.last + self.ep.timeout, self._check)

    def close(self) -> None:
        self.handle.cancel()

    def error(self) -> LlmError:
        """The timeout as an error; undoes the cancel it made (Python 3.11+ counts them)."""
        uncancel = getattr(self.task, "uncancel", None)
        if uncancel is not None:
            uncancel()
        ep = self.ep
        what = "no more text" if self.answer.got_text else "nothing"
        return LlmError(f"{ep.where} sent {what} for {ep.timeout:g} s (timeout; keep-alive "
                        f"messages do not count). Try again, or raise planLs.llm.timeout / "
                        f"--timeout.", kind="stalled")


async def _whole_answer(response: Any, ep: Endpoint, ctype: str, answer: _Answer) -> str:
    """A 200 that is not an event stream: read it (bounded) as one JSON chat completion and
    deliver its text. Returns its finish reason; raises LlmError when it is not one."""
    limit = ep.max_answer_bytes * 6 + 65_536  # JSON escapes (\uXXXX) at most 6 bytes a byte
    body = bytearray()
    async for part in response.aiter_bytes():
        body += part
        if len(body) > limit:
            raise LlmError(f"{ep.where} answered with a {ctype or 'untyped'} body over "
                           f"{_size(limit)} instead of an event stream")
    what = f"{ep.where} answered 200 with {ctype or 'no content type'} instead of an event " \
           f"stream"
    try:
        data = json.loads(bytes(body))
    except ValueError:
        raise LlmError(f"{what}, and it is not a JSON chat completion either "
                       f"({_scrub(bytes(body[:80]).decode('utf-8', 'replace'), ep)!r})") from None
    if isinstance(data, dict) and isinstance(data.get("error"), (dict, str)):
        inner = data["error"]
        detail = inner.get("message", "") if isinstance(inner, dict) else inner
        raise LlmError(f"{what}: an error: {_scrub(str(detail), ep)[:300]}")
    try:
        choice = data["choices"][0]
        content = choice["message"].get("content") or ""
        finish = str(choice.get("finish_reason") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise LlmError(f"{what}, and the JSON is not a chat completion") from None
    if not isinstance(content, str):
        raise LlmError(f"{what}, and its message content is not text")
    for i in range(0, len(content), WHOLE_PIECE):
        await answer.add(content[i:i + WHOLE_PIECE])
    return finish


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
            return LlmError(f"{ep.shown_url} rejected the API key from "
                            f"${ep.key_env} (HTTP 401). Check that the variable holds a valid "
                            f"key for this endpoint.", status=401)
        if status == 403:
            return LlmError(f"{where} refused access (HTTP 403): {detail}", status=403)
        if status == 404 and (code == "model_not_found" or "model" in detail.lower()):
            return LlmError(f"model '{ep.model}' does not exist at "
                            f"{ep.shown_url} (HTTP 404). Set planLs.llm.model"
                            f" / planLs.llm.planModel to a model this endpoint serves.",
                            status=404)
        if status == 404:
            return LlmError(f"{ep.shown_url} has no chat-completions API "
                            f"(HTTP 404 for /chat/completions). Check planLs.llm.baseUrl; for "
                            f"most servers it ends in /v1.", status=404)
        if status == 429:
            return LlmError(f"{where} is rate-limiting requests (HTTP 429): {detail}",
                            status=429, retryable=True, retry_after=_retry_after(exc))
        if status >= 500:
            return LlmError(f"{where} failed with HTTP {status}: {detail}", status=status,
                            retryable=True, retry_after=_retry_after(exc))
        if _is_overflow(code, detail):
            return LlmError(f"the prompt does not fit the context window of {where} "
                            f"(HTTP {status}): {detail}", status=status, kind="overflow")
        return LlmError(f"{where} rejected the request (HTTP {status}): {detail}",
                        status=status)
    if isinstance(exc, sdk.APITimeoutError):
        return LlmError(f"{where} sent nothing for {ep.timeout:g} s (timeout). Try again, or "
                        f"raise --timeout / planLs.llm.timeout.")
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        reason = _scrub(str(cause) or type(cause).__name__, ep) if cause else "connection error"
        if "connect" in type(cause).__name__.lower() or "refused" in reason.lower():
            return LlmError(f"cannot connect to {ep.shown_url}: {reason}. "
                            "Is the server running and the base URL right "
                            "(--base-url / planLs.llm.baseUrl)?",
                            retryable=True)
        return LlmError(f"the connection to {where} failed: {reason}", retryable=True)
    if isinstance(exc, (json.JSONDecodeError, ValueError)):
        return LlmError(f"{where} sent a malformed stream event ({_scrub(str(exc), ep)})")
    return LlmError(f"calling {where} failed: {type(exc).__name__}: {_scrub(str(exc), ep)}",
                    retryable=_is_transport_error(exc))


_OVERFLOW = re.compile(r"context (?:length|size|window)|exceeds? the (?:available )?context|"
                       r"too many tokens|maximum context|prompt is too long", re.I)


def _is_overflow(code: str, detail: str) -> bool:
    """An error that says the prompt is larger than the model's context (OpenAI's code,
    llama.cpp's and vLLM's messages)."""
    return code in ("context_length_exceeded", "exceed_context_size_error") or \
        _OVERFLOW.search(detail) is not None


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
    """`text` without the key, and with any URL's user name and password masked."""
    if ep.api_key and ep.api_key != LOCAL_DUMMY_KEY:
        text = text.replace(ep.api_key, "***")
    if ep.base_url:
        text = text.replace(ep.base_url, ep.shown_url)
        for secret in _userinfo(ep.base_url):
            text = text.replace(secret, "***")
    return _URL_USERINFO.sub(r"\1***@", _KEYLIKE.sub("***", text))


def redact(text: str, keys: list[str] | None = None) -> str:
    """`text` with each of `keys` (API key values), key-like tokens (`sk-...`) and any URL's
    `user:password@` replaced by `***`: fit for a log."""
    for key in keys or []:
        if key and key != LOCAL_DUMMY_KEY:
            text = text.replace(key, "***")
    return _URL_USERINFO.sub(r"\1***@", _KEYLIKE.sub("***", text))


def _userinfo(url: str) -> list[str]:
    """The user name and password of a URL, raw and percent-decoded (longest first)."""
    from urllib.parse import unquote

    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    raw = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    found = {x for x in (raw, *raw.split(":", 1)) if len(x) >= 3}
    found |= {unquote(x) for x in found}
    return sorted(found, key=len, reverse=True)


def _retry_backoff(env: Mapping[str, str]) -> float:
    """`$PLAN_LS_RETRY_BACKOFF` (seconds, a finite number > 0), else RETRY_BACKOFF."""
    try:
        value = float(env.get("PLAN_LS_RETRY_BACKOFF", ""))
    except ValueError:
        return RETRY_BACKOFF
    return value if 0 < value < MAX_RETRY_AFTER else RETRY_BACKOFF


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
