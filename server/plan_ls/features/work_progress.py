"""A cancellable work-done progress ($/progress), when the client supports one: the
model's generations and the agent's runs report through it."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from lsprotocol import types as t

from plan_ls.server import PlanServer

log = logging.getLogger(__name__)


class WorkProgress:
    """window/workDoneProgress/create, then begin / report / end on its token; a client
    without work-done progress (or one that refuses the token) gets none of them."""

    def __init__(self, ls: PlanServer, kind: str) -> None:
        self.ls = ls
        self.kind = kind  # in the token: plan-ls/KIND/...
        self.token: str | None = None
        self._last = 0.0

    async def begin(self, title: str, text: str) -> None:
        caps = self.ls.client_capabilities.window
        if not (caps and caps.work_done_progress):
            return
        token = f"plan-ls/{self.kind}/{uuid.uuid4().hex[:12]}"
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception as exc:  # noqa: BLE001 - a client may refuse; the work goes on
            log.info("work done progress refused: %s", exc)
            return
        self.token = token
        self.ls.work_done_progress.begin(token, t.WorkDoneProgressBegin(
            title=title, cancellable=True, message=text))

    def on_cancel(self, callback: Callable[[], object]) -> None:
        """Call `callback` on the loop when the user cancels the progress."""
        if self.token is None:
            return
        loop = asyncio.get_running_loop()
        self.ls.work_done_progress.tokens[self.token].add_done_callback(
            lambda _f: loop.call_soon_threadsafe(callback))

    def report(self, text: str, every: float = 0.0) -> None:
        """Report `text`; with `every` (s), not sooner than that after the last report."""
        now = time.monotonic()
        if self.token is None or now - self._last < every:
            return
        self._last = now
        self.ls.work_done_progress.report(self.token, t.WorkDoneProgressReport(message=text))

    def end(self, text: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, t.WorkDoneProgressEnd(message=text))
            self.ls.work_done_progress.tokens.pop(self.token, None)
            self.token = None
