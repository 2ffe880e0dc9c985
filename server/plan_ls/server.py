"""Builds the plan-ls language server and wires the features to it."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from plan_ls import __version__
from plan_ls.confinement import (
    OutsideWorkspace,
    check_writable,
    confine,
    confine_markdown,
    is_inside,
)
from plan_ls.features.feature import Feature
from plan_ls.model.text import split_lines
from plan_ls.settings import Settings
from plan_ls.sync.state import PlanState
from plan_ls.transport import PlanProtocol, serve_stdio, serve_tcp

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Feature)

MAX_URI_LENGTH = 8192  # longer is no file URI a client would send

# Each module exposes register(server). Order matters only for the order of code actions.
FEATURES = (
    "plan_ls.features.documents",
    "plan_ls.features.hover",
    "plan_ls.features.checklist_actions",
    "plan_ls.features.code_actions",
    "plan_ls.features.code_lens",
    "plan_ls.features.commands",
    "plan_ls.features.sync",
    "plan_ls.features.claims",
    "plan_ls.features.generate",
    "plan_ls.features.interview",
    "plan_ls.features.review",
    "plan_ls.features.findings",
    "plan_ls.features.finding_links",
    "plan_ls.features.navigate",
    "plan_ls.features.outline",
    "plan_ls.features.rename",
    "plan_ls.features.completion",
    "plan_ls.features.inlay",
    "plan_ls.features.reshape",
)

CodeActionProvider = Callable[["PlanServer", t.CodeActionParams], list[t.CodeAction]]
CodeLensProvider = Callable[["PlanServer", t.CodeLensParams], list[t.CodeLens]]
HoverProvider = Callable[["PlanServer", t.HoverParams], "t.Hover | None"]


class PlanServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("plan-ls", __version__,
                         text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
                         protocol_cls=PlanProtocol)
        self.settings = Settings()
        self.root: Path | None = None
        self.client_name: str | None = None  # the client's clientInfo.name, from initialize
        self.state = PlanState(None, self.settings.files)
        self.code_action_providers: list[CodeActionProvider] = []
        self.code_lens_providers: list[CodeLensProvider] = []
        self.hover_providers: list[HoverProvider] = []  # asked where hover.py has nothing
        self.on_plan_changed: list[Callable[[PlanServer], None]] = []
        self.features: dict[type, Feature] = {}  # see features/feature.py
        # command name -> check(ls, raw arguments) -> reason refused | None (arguments.py)
        self.argument_checks: dict[str, Callable[[PlanServer, tuple], str | None]] = {}
        self._split: tuple[str | None, list[str]] = (None, [])
        self._paths: dict[str, Path | None] = {}

    # --- features -------------------------------------------------------------------------
    def add_feature(self, feature: Feature) -> Feature:
        """Register `feature` (its handlers, via its register()) and keep it by type."""
        self.features[type(feature)] = feature
        feature.register()
        return feature

    def get_feature(self, cls: type[F]) -> F:
        """The registered feature of type `cls` (KeyError if the server has none)."""
        return self.features[cls]  # type: ignore[return-value]

    # --- the wire: our framing reader instead of pygls's (see transport.py) ---------------
    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        serve_stdio(self, stdin, stdout)

    def start_tcp(self, host: str, port: int) -> None:
        serve_tcp(self, host, port)

    # --- paths and documents ---------------------------------------------------------------
    # URIs: pygls keys open documents by the percent-decoded URI, while clients spell them
    # encoded (`my%20plan`); every lookup goes through open_document(), and every URI sent
    # for an open document is the client's own spelling (uri_of).
    def open_document(self, uri: str) -> TextDocument | None:
        """The editor's document for `uri` (any spelling of it), or None when not open."""
        return self.workspace.text_documents.get(unquote(uri))

    def uri_of(self, path: Path) -> str:
        """The URI to send for `path`: the client's own spelling when the file is open."""
        uri = from_fs_path(str(path)) or path.as_uri()
        doc = self.open_document(uri)
        return doc.uri if doc is not None else uri

    def set_root(self, root: Path | None) -> None:
        """The workspace root (resolved once: confinement compares resolved paths)."""
        try:
            self.root = root.resolve() if root is not None else None
        except OSError:
            self.root = None
        self._paths.clear()

    def path_of(self, uri: str) -> Path | None:
        """The file that `uri` names, resolved, when it lies inside the workspace root; None
        for anything else (another scheme, outside the root, no root). Every path a client
        sends goes through here, so nothing outside the root is ever read or written."""
        path = self._paths.get(uri, False)  # every provider asks, on every request
        if path is False:
            path = self._confined(uri)
            if len(self._paths) > 10_000:
                self._paths.clear()
            self._paths[uri] = path
        return path

    def _confined(self, uri: str) -> Path | None:
        if not isinstance(uri, str) or len(uri) > MAX_URI_LENGTH:
            return None
        try:
            fs = to_fs_path(uri)
        except Exception:  # a malformed URI names no file
            return None
        if not fs or self.root is None:
            return None
        try:
            path = confine(self.root, fs, "uri")
        except OutsideWorkspace:
            return None
        return path

    def require_path(self, uri: str, what: str = "uri", markdown: bool = True) -> Path:
        """The confined path of an argument `uri`, or OutsideWorkspace with a message that
        names the argument (markdown: the file must be a markdown file)."""
        try:
            fs = to_fs_path(uri) if len(uri) <= MAX_URI_LENGTH else None
        except Exception:
            fs = None
        if not fs:
            raise OutsideWorkspace(f"{what}: {uri[:200]!r} is not a file URI")
        check = confine_markdown if markdown else confine
        return check(self.root, fs, what)

    def writable(self, path: Path, what: str = "file") -> Path:
        """`path` resolved, when plan-ls may write it: inside the root, and a markdown file,
        a file under `.plan-ls/` or the bundle. Raises OutsideWorkspace otherwise."""
        resolved = confine(self.root, path, what)
        return check_writable(self.root, resolved, what)  # type: ignore[arg-type]

    def contains(self, path: Path) -> bool:
        """True when the resolved `path` lies inside the workspace root."""
        return self.root is not None and is_inside(self.root, path)

    def role_of_uri(self, uri: str) -> str | None:
        path = self.path_of(uri)
        return self.state.role_of(path) if path else None

    def role_uri(self, role: str) -> str:
        return self.uri_of(self.state.path_of(role))

    def document_text(self, uri: str) -> str | None:
        """The editor's text of an open document, else the file on disk (None if missing)."""
        doc = self.open_document(uri)
        if doc is not None:
            return doc.source
        role = self.role_of_uri(uri)
        if role is not None:
            return self.state.state[role].text
        path = self.path_of(uri)
        if path is None:
            return None
        from plan_ls.fileio import UnreadableFile, read_text

        try:
            return read_text(path)
        except (FileNotFoundError, UnreadableFile):
            return None

    def document_line(self, uri: str, line: int) -> str | None:
        """One line of a document (None if there is no such document). pygls's doc.lines
        splits the whole text on every call; this keeps the split of the last text asked."""
        text = self.document_text(uri)
        if text is None:
            return None
        role = self.role_of_uri(uri)
        parsed = {"todo": self.state.snapshot.todo, "plan": self.state.snapshot.plan}.get(role)
        if parsed is not None and self.state.state[role].text is text:
            lines = parsed.blocks.lines  # the planning files are split already
            return lines[line] if 0 <= line < len(lines) else ""
        if self._split[0] is not text:
            self._split = (text, split_lines(text))
        lines = self._split[1]
        return lines[line] if 0 <= line < len(lines) else ""

    def document_version(self, uri: str) -> int | None:
        doc = self.open_document(uri)
        return doc.version if doc is not None else None

    def tell_user(self, message: str, kind: t.MessageType = t.MessageType.Warning) -> None:
        """One way to show the user a message. No "plan-ls:" prefix: editors name the
        source themselves (VS Code by the extension, Neovim as LSP[plan_ls])."""
        self.window_show_message(t.ShowMessageParams(type=kind, message=message))

    # --- settings ---------------------------------------------------------------------------
    def apply_settings(self, data: Any) -> None:
        self.settings = Settings.from_dict(data)
        self.state.set_root(self.root, self.settings.files)
        for message in self.state.refused:
            self.tell_user(message)

    def plan_changed(self) -> None:
        """Rebuild the snapshot and tell every listener (diagnostics, progress, lenses)."""
        self.state.rebuild()
        for listener in self.on_plan_changed:
            try:
                listener(self)
            except Exception:  # a broken listener must not stop the others
                log.exception("plan change listener failed")


def gather(providers: list, ls: PlanServer, params: object, what: str) -> list:
    """Everything the providers offer for one request; one broken provider must not hide
    the others' results."""
    out: list = []
    for provider in providers:
        try:
            out.extend(provider(ls, params))
        except Exception:
            log.exception("%s provider %s failed", what, getattr(provider, "__name__", provider))
    return out


def build_server() -> PlanServer:
    server = PlanServer()
    for name in FEATURES:
        importlib.import_module(name).register(server)
    return server
