"""One generation from rendered prompt to shaped text: the runner the editor
(features/generation.py) and the terminal (llm/terminal.py) share. They differ only in where
the text goes: each passes `on_text`, and `on_status` for the progress.

The steps, in order: count the prompt and refuse it when it leaves the answer no room
(llm/budget.py); send it with `max_tokens` from the budget; say "the model is reading the
prompt (N tokens)" until the first text; pass the text through the interview's completion
marker (question mode) and the `Shaper` (llm/answer.py); close the stream as soon as the
shaper has what it wants; and explain a failure with the prompt's size when that is the
likely cause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from plan_ls.llm.answer import FenceTracker, Shaper
from plan_ls.llm.budget import Budget, plan_budget
from plan_ls.llm.client import (
    Endpoint,
    LlmError,
    OnRetry,
    StreamCut,
    Writable,
    is_local_url,
    stream_chat,
)
from plan_ls.llm.transcript import CUT_MARK, MarkerFilter

QUESTION_TOKENS = 400  # an interview question needs no more; a looping model stops sooner
OnStatus = Callable[[str], None]


@dataclass
class Generation:
    """What to ask: the rendered prompt, and how to shape the answer."""

    prompt: str
    question: bool = False  # the interview: completion marker, one question kept
    answer_tokens: int | None = None  # a cap below the budget's (None: what fits)
    hint: str = ""  # added to an over-budget refusal: what else the user can do


@dataclass
class Result:
    """How a generation went. `text` is what was handed to on_text, in order."""

    budget: Budget | None = None
    chars: int = 0  # characters handed on so far
    complete: bool = False  # question mode: the model said the interview is complete
    finish: str = ""
    cut: str | None = None  # why the text is incomplete (the cut-off mark's reason)
    error: str | None = None  # the message for the user when something went wrong
    refused: bool = False  # over budget: nothing was sent
    notes: list[str] = field(default_factory=list)  # what shaping left out
    fences: FenceTracker = field(default_factory=FenceTracker)
    # the pieces, joined on demand: `+=` on an attribute copies the whole text every time,
    # which an endless 2 MB answer in 40-character pieces turns into gigabytes of copying
    _pieces: list[str] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        """Everything handed to on_text, in order."""
        if len(self._pieces) > 1:
            self._pieces[:] = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

    def add(self, text: str) -> None:
        self._pieces.append(text)
        self.chars += len(text)
        self.fences.feed(text)

    @property
    def ok(self) -> bool:
        return bool(self.chars) and not self.cut and not self.error

    def cut_tail(self, reason: str | None = None) -> str:
        """The cut-off mark for the text so far, after closing a fence it ends inside."""
        return self.fences.closing() + CUT_MARK.format(reason=reason or self.cut or "cut off")


class Runner:
    """Runs one Generation against one Endpoint. `result` is filled in as the text arrives,
    so a caller that cancels the task still has what was delivered."""

    def __init__(self, endpoint: Endpoint, generation: Generation) -> None:
        self.endpoint = endpoint
        self.generation = generation
        self.result = Result()

    def prepare(self) -> Budget:
        """Count the prompt: the budget, or OverBudget (a ValueError) with the figures."""
        gen = self.generation
        cap = gen.answer_tokens or (QUESTION_TOKENS if gen.question else None)
        budget = plan_budget(gen.prompt, self.endpoint.model, self.endpoint.context_tokens,
                             answer_tokens=cap, hint=gen.hint)
        self.result.budget = budget
        return budget

    async def run(self, on_text: Callable[[str], None], *, on_status: OnStatus | None = None,
                  on_retry: OnRetry | None = None, writable: Writable | None = None) -> Result:
        """Stream the answer, shaped, into on_text. Never raises LlmError: the outcome is in
        the Result (`error`, `cut`, `refused`). Cancelling the task closes the stream."""
        from plan_ls.llm.budget import OverBudget

        result = self.result
        status = on_status or (lambda _text: None)
        try:
            budget = result.budget or self.prepare()
        except OverBudget as exc:
            result.error, result.refused = exc.message, True
            return result
        ep = replace(self.endpoint, max_tokens=budget.max_tokens,
                     max_tokens_param=budget.limits.parameter)
        marker = MarkerFilter() if self.generation.question else None
        shaper = Shaper(question=self.generation.question)
        stop = asyncio.Event()

        def deliver(text: str) -> None:
            if text:
                if not result.chars:
                    status("writing the answer")
                result.add(text)
                on_text(text)

        def on_piece(text: str) -> None:
            if stop.is_set():
                return
            if marker is not None:
                text = marker.feed(text)
                if marker.complete and not result.complete:
                    result.complete = True
                    shaper.question = False  # the closing summary is prose, not a question
            deliver(shaper.feed(text))
            if shaper.done:
                stop.set()

        status(f"the model is reading the prompt ({budget.prompt_tokens:,} tokens)")
        task = asyncio.ensure_future(stream_chat(
            ep, [{"role": "user", "content": self.generation.prompt}], on_piece,
            on_retry=on_retry, writable=writable))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():  # the shaper has what it wants: close the stream
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            else:
                result.finish = task.result()
        except StreamCut as err:
            result.error, result.cut = self._explain(err), err.reason
        except LlmError as err:
            result.error = self._explain(err)
        except asyncio.CancelledError:
            # cancelled from outside: the stream is closed before this task ends, so that
            # the endpoint stops generating as soon as the caller's cancel returns
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise
        finally:
            stopper.cancel()
            if not task.done():
                task.cancel()
        if marker is not None and not stop.is_set():
            text = marker.flush()
            if marker.complete:
                result.complete = True
                shaper.question = False
            deliver(shaper.feed(text))
        deliver(shaper.finish())
        result.notes = list(shaper.notes)
        if shaper.repeated:
            result.cut = result.cut or "the model began to repeat itself"
        if result.chars and result.error and not result.cut:
            result.cut = "the stream broke off"  # text arrived, then the call failed
        if not result.chars and not result.error and not result.complete:
            result.error = f"{self.endpoint.where} sent no usable text"
        return result

    def _explain(self, err: LlmError) -> str:
        """The error's message, with the prompt's size when that is the likely cause."""
        budget = self.result.budget
        if budget is None:
            return err.message
        tokens = f"{budget.prompt_tokens:,} tokens"
        if err.kind == "overflow":
            return (f"{err.message}. The prompt is {tokens} by our count; set "
                    f"--context-tokens / planLs.llm.contextTokens to the window the server "
                    f"really has (now {budget.limits.context:,}), or shorten the input")
        if err.kind in ("empty", "no-finish") and budget.long_prompt:
            return f"{err.message}; the prompt may exceed the model's context ({tokens})"
        if (err.kind == "no-finish" or "finish_reason \"none\"" in err.message) and \
                is_local_url(self.endpoint.base_url):
            # llama-cpp-python's server ends the running stream with a bare [DONE] when
            # another request arrives (one slot): its only sign of the cut
            return (f"{err.message}; the stream ended with no finish reason, which is how a "
                    f"local single-slot server (llama-cpp-python) cuts a request when another "
                    f"one arrives: run one generation at a time against it")
        if err.kind == "stalled" and not self.result.chars:
            return f"{err.message} The prompt is {tokens}."
        return err.message
