"""One LLM action from prompt to the editor's document: progress, cancel, streaming, messages,
manual mode. (The LLM client itself, llm/, knows no editor.) The generation itself (budget,
max_tokens, shaping the answer, explaining failures) is llm/job.py's Runner, which the
terminal's commands share: only where the text goes differs.

The command handler awaits `run_job`, but everything in it is asynchronous, so hover, code
actions and diagnostics are served while it runs. Cancelling (the progress's cancel button,
or `$/cancelRequest` on the command) cancels the streaming task, which closes the HTTP
stream; what was written so far stays, followed by a line that says it was cut off. So do
an answer over planLs.llm.maxAnswerBytes and one the model stopped at its output limit
(finish_reason "length"); an empty answer is an error that leaves the target as it was.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as t

from plan_ls.confinement import OutsideWorkspace
from plan_ls.features.stream_writer import StreamWriter
from plan_ls.features.work_progress import WorkProgress
from plan_ls.fileio import write_atomic
from plan_ls.llm.client import Endpoint, LlmError, resolve_endpoint
from plan_ls.server import PlanServer

log = logging.getLogger(__name__)
PROMPTS_OUT = Path(".plan-ls") / "prompts-out"


@dataclass
class Jobs:
    """What the jobs of one server share (the Generate feature owns it)."""

    busy: set[Path] = field(default_factory=set)  # targets being written: a second job
    # into one file would interleave
    manual_noted: bool = False  # the user was told once what manual mode is


@dataclass
class Job:
    action: str  # file-name friendly: "plan-tdd", "next-question", ...
    title: str  # shown in the progress
    prompt: str  # the fully rendered prompt
    planning: bool  # the planning model, else the interview model
    target: Path
    replace: bool  # the answer replaces the target, else it is appended to `base`
    base: str = ""
    head: str = ""  # written before the answer, with its first piece
    tail: str = ""  # written after a complete answer
    interview: bool = False  # watch for the interview's completion marker
    complete_head: str = ""  # replaces `head` when the model says the interview is done
    complete_tail: str = ""
    manual_text: str | None = None  # what manual mode writes to the target, if anything


@dataclass
class Outcome:
    ok: bool = False
    manual: bool = False
    cancelled: bool = False
    complete: bool = False
    path: str | None = None
    prompt_path: str | None = None
    error: str | None = None
    cut: str | None = None  # why the written text is incomplete (the cut-off mark's reason)
    chars: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def message(ls: PlanServer, kind: t.MessageType, text: str) -> None:
    ls.tell_user(text, kind)


async def run_job(ls: PlanServer, job: Job, jobs: Jobs) -> Outcome:
    """Run `job`: stream the model's answer into its target, or, with no model, write the
    rendered prompt (manual mode). `jobs` is the server's shared job state."""
    endpoint = resolve_endpoint(ls.settings.llm, os.environ, planning=job.planning)
    if endpoint is None:
        return await _manual(ls, job, jobs)
    target = job.target.resolve()
    if target in jobs.busy:
        text = f"{job.target.name} is already being generated; wait or cancel that first"
        message(ls, t.MessageType.Warning, text)
        return Outcome(path=str(job.target), error=text)
    jobs.busy.add(target)
    try:
        return await _stream_job(ls, job, endpoint)
    finally:
        jobs.busy.discard(target)


async def _stream_job(ls: PlanServer, job: Job, endpoint: Endpoint) -> Outcome:
    from plan_ls.llm.budget import OverBudget
    from plan_ls.llm.job import Generation, Runner

    outcome = Outcome(path=str(job.target))
    runner = Runner(endpoint, Generation(job.prompt, question=job.interview))
    try:  # counted before anything is sent: a prompt over the context is refused
        runner.prepare()
    except OverBudget as exc:
        outcome.error = f"{job.title} refused: {exc.message}"
        message(ls, t.MessageType.Error, outcome.error)
        return outcome
    progress = WorkProgress(ls, "llm")
    await progress.begin(job.title, f"asking {endpoint.model}")
    cancel = asyncio.Event()
    progress.on_cancel(cancel.set)
    _on_request_cancel(ls, cancel.set)

    writer = StreamWriter(ls, job.target, job.base, job.head, replace=job.replace)

    def on_text(text: str) -> None:
        if runner.result.complete and not writer.started and not outcome.complete:
            outcome.complete = True
            writer.head = job.complete_head
        if writer.error:
            cancel.set()
        elif text:
            writer.feed(text)

    def on_status(text: str) -> None:
        progress.report(f"writing {job.target.name}" if text.startswith("writing") else text)

    def on_retry(err: LlmError, delay: float, attempt: int) -> None:
        progress.report(f"{err.message}; retry {attempt} in {delay:.1f} s")

    loop = asyncio.get_running_loop()
    task = loop.create_task(runner.run(on_text, on_status=on_status, on_retry=on_retry,
                                       writable=writer.writable))
    waiter = loop.create_task(cancel.wait())
    cut_reason = ""
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            task.cancel()
            outcome.cancelled = not writer.error
            cut_reason = writer.error or "cancelled"
        try:
            result = await task
            outcome.error = result.error
            cut_reason = result.cut or ""
        except asyncio.CancelledError:
            if not outcome.cancelled and not writer.error:
                raise  # we were cancelled ourselves (shutdown)
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
    if runner.result.complete and not outcome.complete and not writer.started:
        outcome.complete = True
        writer.head = job.complete_head
        writer.feed("The model has what it needs to write the specification.")
    tail = runner.result.cut_tail(cut_reason) if cut_reason else \
        (job.complete_tail if outcome.complete else job.tail)
    await writer.close(tail)
    outcome.chars = writer.written
    outcome.ok = writer.started and not cut_reason and not writer.error
    outcome.cut = cut_reason if writer.started and cut_reason else None
    _report(ls, job, outcome, writer.error)
    progress.end(_end_text(job, outcome))
    if writer.started and not writer.in_editor:
        await _show(ls, job.target)
    return outcome


def _report(ls: PlanServer, job: Job, outcome: Outcome, write_error: str | None) -> None:
    name = job.target.name
    if write_error:
        message(ls, t.MessageType.Error, f"stopped writing {name}: {write_error}")
    elif outcome.cancelled:
        message(ls, t.MessageType.Info,
                f"cancelled; {name} keeps what arrived, marked as cut off" if outcome.chars
                else f"cancelled before any text arrived; {name} is unchanged")
    elif outcome.error and outcome.chars:
        message(ls, t.MessageType.Warning,
                f"{outcome.error}. {name} keeps what arrived, marked as cut off.")
    elif outcome.error:
        message(ls, t.MessageType.Error, f"{job.title} failed: {outcome.error}")


def _end_text(job: Job, outcome: Outcome) -> str:
    if outcome.cancelled:
        return "cancelled"
    if outcome.error:
        return "failed"
    return f"wrote {job.target.name}"


async def _show(ls: PlanServer, path: Path) -> None:
    caps = ls.client_capabilities.window
    if not (caps and caps.show_document and caps.show_document.support):
        return
    try:
        await ls.window_show_document_async(t.ShowDocumentParams(uri=ls.uri_of(path)))
    except Exception as exc:  # showing is a courtesy; the file is written either way
        log.info("showDocument failed: %s", exc)


async def _manual(ls: PlanServer, job: Job, jobs: Jobs) -> Outcome:
    """No model: write the rendered prompt to a file of its own and show it."""
    from plan_ls.features.edits import write_document

    base = ls.root or job.target.parent
    out = base / PROMPTS_OUT / f"{job.action}.md"
    try:
        write_atomic(ls.writable(out, str(PROMPTS_OUT)), job.prompt)
        if job.manual_text is not None:
            await write_document(ls, job.target, job.manual_text)
    except (OSError, OutsideWorkspace) as exc:
        message(ls, t.MessageType.Error, f"cannot write {out}: {exc}")
        return Outcome(manual=True, error=str(exc))
    await _show(ls, out)
    text = (f"no model is configured (manual mode), so the prompt for '{job.title}' is in "
            f"{out.relative_to(base)}: paste it into any chat and put the answer into "
            f"{job.target.name}")
    if not jobs.manual_noted:
        jobs.manual_noted = True
        message(ls, t.MessageType.Info, text + ". (Set the API key's environment variable, "
                f"${ls.settings.llm.apiKeyEnv}, to let plan-ls call the model itself.)")
    else:
        ls.window_log_message(t.LogMessageParams(type=t.MessageType.Info, message=text))
    return Outcome(ok=True, manual=True, path=str(job.target), prompt_path=str(out))


def _on_request_cancel(ls: PlanServer, callback: Any) -> None:
    """Run `callback` when the client sends $/cancelRequest for the running command."""
    protocol = ls.protocol
    msg_id = getattr(protocol, "msg_id", None)
    future = getattr(protocol, "_request_futures", {}).get(msg_id) if msg_id else None
    if isinstance(future, (Future, asyncio.Future)):
        loop = asyncio.get_running_loop()
        future.add_done_callback(
            lambda f: f.cancelled() and loop.call_soon_threadsafe(callback))
