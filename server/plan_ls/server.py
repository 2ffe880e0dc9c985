"""Builds the plan-ls language server and wires the features to it."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
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
from plan_ls.settings import Settings, load_settings
from plan_ls.transport import PlanProtocol, serve_stdio, serve_tcp

if TYPE_CHECKING:
    from plan_ls.sync.planset import PlanSet
    from plan_ls.sync.state import PlanState

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Feature)

MAX_URI_LENGTH = 8192  # longer is no file URI a client would send

# "module:Class" of every Feature (features/feature.py). Order matters only for the order
# of code actions. The modules are light: each imports its heavy parts (the model, the LLM
# client, the packer) on first use, so that the initialize answer is not held up.
FEATURES = (
    "plan_ls.features.client_log:ClientLog",
    "plan_ls.features.publish:Publisher",
    "plan_ls.features.checklists:Checklists",
    "plan_ls.features.documents:Documents",
    "plan_ls.features.hover:HoverFeature",
    "plan_ls.features.checklist_actions:ChecklistActions",
    "plan_ls.features.code_actions:CodeActions",
    "plan_ls.features.code_lens:CodeLenses",
    "plan_ls.features.commands:Commands",
    "plan_ls.features.sync:Sync",
    "plan_ls.features.claims:Claims",
    "plan_ls.features.generate:Generate",
    "plan_ls.features.interview:Interview",
    "plan_ls.features.review:Review",
    "plan_ls.features.findings:Findings",
    "plan_ls.features.finding_links:FindingLinks",
    "plan_ls.features.navigate:StepMentions",
    "plan_ls.features.navigate:Definition",
    "plan_ls.features.navigate:References",
    "plan_ls.features.outline:DocumentSymbols",
    "plan_ls.features.outline:WorkspaceSymbols",
    "plan_ls.features.outline:Folding",
    "plan_ls.features.rename:Rename",
    "plan_ls.features.completion:Completion",
    "plan_ls.features.inlay:InlayHints",
    "plan_ls.features.reshape:Reshape",
    "plan_ls.features.kiro:Kiro",
    "plan_ls.features.run:Runs",
    "plan_ls.features.tasks:TaskLinks",
)

CodeActionProvider = Callable[["PlanServer", t.CodeActionParams], list[t.CodeAction]]
CodeLensProvider = Callable[["PlanServer", t.CodeLensParams], list[t.CodeLens]]
HoverProvider = Callable[["PlanServer", t.HoverParams], "t.Hover | None"]
DefinitionProvider = Callable[["PlanServer", t.DefinitionParams], "list[t.Location] | None"]
DocumentLinkProvider = Callable[["PlanServer", str], "list[t.DocumentLink]"]
DiagnosticProvider = Callable[["PlanServer", "PlanState"], "dict[Path, list[t.Diagnostic]]"]


class PlanServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("plan-ls", __version__,
                         text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
                         protocol_cls=PlanProtocol)
        self.settings = Settings()
        self.client_settings: Any = None  # the client's planLs.* as sent
        self._settings_problems: list[str] = []
        self.root: Path | None = None
        self._plans: PlanSet | None = None  # built on first use: see `plans`
        self.client_name: str | None = None  # the client's clientInfo.name, from initialize
        self.code_action_providers: list[CodeActionProvider] = []
        self.code_lens_providers: list[CodeLensProvider] = []
        self.hover_providers: list[HoverProvider] = []  # asked where hover.py has nothing
        # asked before hover.py: what the cursor is on (a Kiro requirement id) beats the line
        self.cursor_hover_providers: list[HoverProvider] = []
        # asked where navigate.py's Definition finds no step (a Kiro requirement id)
        self.definition_providers: list[DefinitionProvider] = []
        # more document links (spec-kit task ids), beside the answer files' `path:line`
        self.document_link_providers: list[DocumentLinkProvider] = []
        # per plan state: more diagnostics by file (merged with the drift findings)
        self.diagnostic_providers: list[DiagnosticProvider] = []
        self.on_plan_changed: list[Callable[[PlanServer], None]] = []
        # told the raw settings (client JSON) after each apply_settings
        self.on_settings: list[Callable[[PlanServer, Any], None]] = []
        self.features: dict[type, Feature] = {}  # see features/feature.py
        # command name -> check(ls, raw arguments) -> reason refused | None (arguments.py)
        self.argument_checks: dict[str, Callable[[PlanServer, tuple], str | None]] = {}
        self._split: tuple[str | None, list[str]] = (None, [])
        self._paths: dict[str, Path | None] = {}

    @property
    def plans(self) -> PlanSet:
        """Every plan of the workspace, built (files located, model imported) on first use,
        which is after the initialize answer: `initialized` reads the files."""
        if self._plans is None:
            from plan_ls.sync.planset import PlanSet

            self._plans = PlanSet(self.root, self.settings.files, self.settings.plans)
            for message in self._plans.primary.refused:
                self.tell_user(message)
        return self._plans

    @property
    def state(self) -> PlanState:
        """The primary plan's state: the prompt-plan files at the root (or where the settings
        put them). Generation writes there; a request about a document asks `state_for`."""
        return self.plans.primary

    def state_for(self, uri: str | None) -> PlanState:
        """The state of the plan that the document `uri` belongs to; the primary plan's
        for any other document (and for None)."""
        if uri is None:
            return self.state
        return self.plans.state_for(self.path_of(uri)) or self.state

    def state_of_path(self, path: Path) -> PlanState:
        """`state_for` by path (resolved or not); the primary plan's when no plan has it."""
        plans = self.plans
        found = plans.state_for(path)
        if found is None:
            try:
                found = plans.state_for(path.resolve())
            except OSError:
                found = None
        return found or plans.primary

    def load_plans(self) -> None:
        """Discover the plans and read every plan's files from disk (start-up, settings)."""
        plans = self.plans
        plans.refresh()
        for state in plans:
            state.load_all_from_disk()

    def rediscover(self) -> bool:
        """Discover the plans again; read the new ones, with the editor's text of their open
        files. True when a plan appeared, moved or went away."""
        plans = self.plans
        before = list(plans.others)
        new = plans.refresh()
        for state in new:
            state.load_all_from_disk()
            for doc in list(self.workspace.text_documents.values()):
                path = self.path_of(doc.uri)
                role = state.role_of(path) if path is not None else None
                if role is not None:
                    state.editor_text(role, doc.source, doc.version,
                                      key=getattr(doc, "key", None))
        return bool(new) or list(plans.others) != before

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
        """The role the file plays in its plan (`state_for(uri)`): "todo", "plan", "spec"."""
        path = self.path_of(uri)
        return self.state_for(uri).role_of(path) if path else None

    def roles_of_uri(self, uri: str) -> tuple[str, ...]:
        """Every role the file plays: ("plan", "todo") for a plan that holds its checklist."""
        path = self.path_of(uri)
        return self.state_for(uri).roles_of(path) if path else ()

    def role_uri(self, role: str, state: PlanState | None = None) -> str:
        """The URI of `role`'s file in `state`'s plan (the primary plan by default)."""
        return self.uri_of((state or self.state).path_of(role))

    def document_text(self, uri: str) -> str | None:
        """The editor's text of an open document, else the file on disk (None if missing)."""
        doc = self.open_document(uri)
        if doc is not None:
            return doc.source
        role = self.role_of_uri(uri)
        if role is not None:
            return self.state_for(uri).state[role].text
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
        role = self.role_of_uri(uri)
        if role in ("todo", "plan"):
            state = self.state_for(uri)
            doc, fs = self.open_document(uri), state.state[role]
            key = getattr(doc, "key", None)
            # the planning files are split already: no join of an open checklist's text
            lines = state.current_lines(role) if doc is None or (
                key is not None and fs.key is key) else None
            if lines is not None:
                return lines[line] if 0 <= line < len(lines) else ""
        text = self.document_text(uri)
        if text is None:
            return None
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
        """Take the client's `planLs.*` (kept, to merge again when the settings file
        changes) and load the settings."""
        self.client_settings = data
        self._use_settings(*load_settings(self.root, data))
        for listener in self.on_settings:
            listener(self, data)

    def reload_settings(self) -> bool:
        """Read the project's settings file again (it changed on disk). Returns True, after
        taking them, when the settings or what is wrong with them changed."""
        settings, problems = load_settings(self.root, self.client_settings)
        if settings == self.settings and problems == self._settings_problems:
            return False
        self._use_settings(settings, problems)
        return True

    def _use_settings(self, settings: Settings, problems: list[str]) -> None:
        """Take `settings` and the plan files they name; tell the user what was left out
        (once while it stays the same) and which paths were refused."""
        self.settings = settings
        for message in problems:
            if message not in self._settings_problems:
                self.tell_user(message)
        self._settings_problems = problems
        if self._plans is None:  # built later with these settings (see `plans`)
            return
        self.plans.set_root(self.root, settings.files, settings.plans)
        for message in self.state.refused:
            self.tell_user(message)

    def plan_changed(self) -> None:
        """Rebuild the snapshots and tell every listener (diagnostics, progress, lenses)."""
        for state in self.plans:
            state.rebuild()
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
    """A PlanServer with every feature of FEATURES registered (nothing read, no I/O)."""
    server = PlanServer()
    for name in FEATURES:
        module, cls = name.split(":")
        server.add_feature(getattr(importlib.import_module(module), cls)(server))
    return server
