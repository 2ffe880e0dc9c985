"""The server's log in the client's output (`window/logMessage`), as much as the client's
`planLs.trace.server` asks for (logs.py holds the handler and the levels)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types as t

from plan_ls import logs
from plan_ls.features.feature import Feature
from plan_ls.server import PlanServer

log = logging.getLogger(__name__)


class ClientLog(Feature):
    """Follows the trace setting (initialize's `trace`, `planLs.trace.server`, `$/setTrace`)
    and starts sending the held log records once the client is initialised. A server not
    started by `plan-ls serve` (a unit test) has no client handler: then this does nothing."""

    def register(self) -> None:
        self.server.on_settings.append(self.on_settings)
        self.feature(t.SET_TRACE, self.on_set_trace)
        if logs.installed.secrets is not None:  # mask the key the settings name
            logs.installed.secrets.key_envs = lambda: [self.server.settings.llm.apiKeyEnv,
                                                       "OPENAI_API_KEY"]

    def initialize(self, ls: PlanServer, params: t.InitializeParams) -> None:
        """Called by Documents on `initialize` (before the settings are applied)."""
        if params.trace is not None:
            logs.set_client_trace(str(params.trace.value))

    def start(self, ls: PlanServer) -> None:
        """Called by Documents on `initialized`: the client can take log messages now."""
        handler = logs.installed.client
        if handler is not None and handler.server is None:
            handler.attach(ls, asyncio.get_running_loop())

    def on_settings(self, ls: PlanServer, data: Any) -> None:
        """`planLs.trace.server` from initializationOptions or workspace/configuration."""
        if isinstance(data, dict) and isinstance(data.get("planLs"), dict):
            data = data["planLs"]
        trace = data.get("trace") if isinstance(data, dict) else None
        value = trace.get("server") if isinstance(trace, dict) else None
        if value is None:
            return
        if logs.set_client_trace(value):
            log.info("client log level: %s (planLs.trace.server)", value)
        else:
            log.warning("planLs.trace.server: %r is not one of %s", value,
                        ", ".join(logs.TRACE_LEVELS))

    def on_set_trace(self, ls: PlanServer, params: t.SetTraceParams) -> None:
        """`$/setTrace` (pygls keeps its own copy for `$/logTrace` as well)."""
        if logs.set_client_trace(str(params.value.value)):
            log.info("client log level: %s ($/setTrace)", params.value.value)
