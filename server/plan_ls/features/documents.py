"""Document sync, start-up and settings: everything that feeds the plan state."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.uris import to_fs_path

from plan_ls.features.client_log import ClientLog
from plan_ls.features.feature import Feature
from plan_ls.features.publish import Publisher
from plan_ls.server import PlanServer
from plan_ls.startup import collect_start_up_garbage
from plan_ls.textdoc import LineTextDocument, LineWorkspace

log = logging.getLogger(__name__)
_tasks: set[asyncio.Future] = set()


class Documents(Feature):
    """Start-up, settings and document sync: every way text reaches the plan state."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self) -> None:
        self.feature(t.INITIALIZE, self.on_initialize)
        self.feature(t.INITIALIZED, self.on_initialized)
        self.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION, self.on_config)
        self.feature(t.TEXT_DOCUMENT_DID_OPEN, self.on_text)
        self.feature(t.TEXT_DOCUMENT_DID_CHANGE, self.on_text)
        self.feature(t.TEXT_DOCUMENT_DID_CLOSE, self.on_close)
        self.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES, self.on_watched)

    def on_initialize(self, ls: PlanServer, params: t.InitializeParams) -> None:
        ls.get_feature(ClientLog).initialize(ls, params)
        # pygls made the workspace just before this handler; no document is open yet
        made = getattr(ls.protocol, "_workspace", None)
        if made is not None:
            ls.protocol._workspace = LineWorkspace.like(made)
        root = None
        if params.workspace_folders:
            root = to_fs_path(params.workspace_folders[0].uri)
        elif params.root_uri:
            root = to_fs_path(params.root_uri)
        elif params.root_path:
            root = params.root_path
        ls.set_root(Path(root) if root else None)
        log.info("workspace root: %s", ls.root or "none (no folder open)")
        ls.client_name = params.client_info.name if params.client_info else None
        ls.apply_settings(params.initialization_options or {})
        # the files are read on `initialized`, so that the initialize answer is not held up

    def on_initialized(self, ls: PlanServer, params: t.InitializedParams) -> None:
        """Read the files now, not in a task: a request that follows `initialized` at once
        must find them read. The client's settings are pulled after (they may re-read)."""
        collect_start_up_garbage()  # before the plans add to the memory's high-water mark
        ls.get_feature(ClientLog).start(ls)
        ls.load_plans()
        _reapply_open_documents(ls)
        caps = ls.client_capabilities.workspace
        if caps and caps.configuration:
            task = asyncio.get_running_loop().create_task(self._configure(ls))
            self._tasks.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._tasks.discard)
        else:
            ls.plan_changed()

    async def _configure(self, ls: PlanServer) -> None:
        await _pull_configuration(ls)
        ls.plan_changed()
        task = asyncio.ensure_future(_settings_after_initialized(ls))
        _tasks.add(task)  # a task nobody holds may be collected before it ends
        task.add_done_callback(_tasks.discard)

    async def on_config(self, ls: PlanServer, params: t.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and settings.get("planLs"):
            ls.apply_settings(settings)
        else:
            await _pull_configuration(ls)
        ls.load_plans()
        _reapply_open_documents(ls)
        ls.plan_changed()

    def on_text(self, ls: PlanServer, params: Any) -> None:
        """didOpen and didChange (pygls has updated the document already)."""
        uri = params.text_document.uri
        role = ls.role_of_uri(uri)
        if role is None:
            return
        doc = ls.workspace.get_text_document(uri)
        if isinstance(doc, LineTextDocument):
            hint = _changed_line(doc, params)
            edit = doc.line_edit if hint is not None else None
            # with a one-line edit the text is joined only if the plan state needs it
            text: str | Callable[[], str] = doc.source if edit is None \
                else functools.partial(doc.text_at, doc.key)
            changed = ls.state_for(uri).editor_text(role, text, doc.version, edit or hint,
                                                    key=doc.key)
        else:
            changed = ls.state_for(uri).editor_text(role, doc.source, doc.version)
        if changed:
            ls.plan_changed()
        elif isinstance(params, t.DidOpenTextDocumentParams):
            # an editor that opens a file wants its diagnostics
            ls.get_feature(Publisher).publish(ls, force=True)

    def on_close(self, ls: PlanServer, params: t.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        role = ls.role_of_uri(uri)
        if role is not None and ls.state_for(uri).editor_closed(role):
            ls.plan_changed()

    def on_watched(self, ls: PlanServer, params: t.DidChangeWatchedFilesParams) -> None:
        changed = False
        paths = [p for event in params.changes if (p := ls.path_of(event.uri)) is not None]
        for path in paths:
            if ls.state_of_path(path).disk_changed(path):
                changed = True
        # a file no plan has, or one of a plan's files gone: a plan may have come or gone
        if any(ls.plans.state_for(p) is None or not p.exists() for p in paths) \
                and ls.rediscover():
            changed = True
        if changed:
            ls.plan_changed()


def _changed_line(doc, params) -> tuple[int, str] | None:
    """(line, its new text) when the change typed or deleted inside one line: the plan state
    then checks that line instead of comparing every line of the file."""
    if not isinstance(params, t.DidChangeTextDocumentParams) or len(params.content_changes) != 1:
        return None
    change = params.content_changes[0]
    if not isinstance(change, t.TextDocumentContentChangePartial) or \
            change.range.start.line != change.range.end.line or not isinstance(
            doc, LineTextDocument):
        return None
    line = doc.line(change.range.start.line)
    return None if line is None else (change.range.start.line, line)


async def _settings_after_initialized(ls: PlanServer) -> None:
    if await _pull_configuration(ls):
        ls.plan_changed()


async def _pull_configuration(ls: PlanServer) -> bool:
    """Ask the client for its `planLs` settings; True when it sent some (and they apply)."""
    caps = ls.client_capabilities.workspace
    if not (caps and caps.configuration):
        return False
    try:
        result = await ls.workspace_configuration_async(
            t.ConfigurationParams(items=[t.ConfigurationItem(section="planLs")]))
    except Exception as exc:  # a client that fails here still gets defaults
        log.warning("workspace/configuration failed: %s", exc)
        return False
    if result and isinstance(result[0], dict) and result[0]:
        ls.apply_settings(result[0])
        ls.load_plans()
        _reapply_open_documents(ls)
        return True
    return False


def _reapply_open_documents(ls: PlanServer) -> None:
    for doc in list(ls.workspace.text_documents.values()):
        uri = doc.uri
        role = ls.role_of_uri(uri)
        if role is not None:
            ls.state_for(uri).editor_text(role, doc.source, doc.version,
                                          key=getattr(doc, "key", None))
