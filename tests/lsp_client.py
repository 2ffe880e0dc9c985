"""A pytest-lsp client that behaves like an editor: applies edits, records notifications."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Union

import pytest_asyncio
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "plan_ls", "serve"]
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def make_client() -> LanguageClient:
    """lsprotocol structures any CodeAction with a `command` as a Command: undo that."""
    client = pytest_lsp.make_test_lsp_client()
    conv = client.protocol._converter
    either = Union[t.Command, t.CodeAction]  # noqa: UP007 - the key cattrs registered
    conv.register_structure_hook(either, lambda obj, _: conv.structure(
        obj, t.Command if isinstance(obj.get("command"), str) else t.CodeAction))
    client.edits = []
    client.progress_notes = []
    client.apply_result = True
    client.lens_refreshes = 0

    @client.feature(t.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: t.ApplyWorkspaceEditParams):
        client.edits.append(params.edit)
        return t.ApplyWorkspaceEditResult(applied=client.apply_result)

    @client.feature("planLs/progress")
    def on_progress(params):
        client.progress_notes.append(params)

    @client.feature(t.WORKSPACE_CODE_LENS_REFRESH)
    def on_refresh(params):
        client.lens_refreshes += 1

    return client


CAPS = t.ClientCapabilities(
    window=t.WindowClientCapabilities(work_done_progress=True, show_document=
                                      t.ShowDocumentClientCapabilities(support=True)),
    workspace=t.WorkspaceClientCapabilities(
        apply_edit=True, configuration=True,
        workspace_edit=t.WorkspaceEditClientCapabilities(document_changes=True),
        code_lens=t.CodeLensWorkspaceClientCapabilities(refresh_support=True),
    ),
    text_document=t.TextDocumentClientCapabilities(
        hover=t.HoverClientCapabilities(content_format=[t.MarkupKind.Markdown]),
        code_action=t.CodeActionClientCapabilities(
            code_action_literal_support=t.ClientCodeActionLiteralOptions(
                code_action_kind=t.ClientCodeActionKindOptions(value_set=list(t.CodeActionKind)))),
    ),
)


# The clients the end-to-end suites run under, with the capabilities pytest-lsp recorded from
# them (as esbonio does). They differ where bugs hide: Neovim 0.11 negotiates UTF-8 columns,
# declares no `workspaceEdit.documentChanges` and no code-lens refresh.
CLIENTS = ("visual_studio_code", "neovim")


def capabilities_of(client_name: str | None) -> t.ClientCapabilities:
    """A real client's capabilities by pytest-lsp's name for it; None: this suite's CAPS."""
    return CAPS if client_name is None else client_capabilities(client_name)


def copy_sample(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(SAMPLES / name, target)
    return target


def open_doc(client: LanguageClient, path: Path, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
        uri=uri, language_id="markdown", version=version, text=path.read_text(encoding="utf-8"))))
    client.__dict__.setdefault("opened", set()).add(uri)  # closed again by reset_session
    return uri


def str_index(line: str, column: int, encoding: str = "utf-16") -> int:
    """The str index of an LSP column counted in `encoding`'s code units (an editor's view).
    A column inside a character is an error, as it would corrupt the text."""
    if encoding == "utf-32":
        return column
    units = 0
    for i, ch in enumerate(line):
        if units == column:
            return i
        units += len(ch.encode("utf-16-le")) // 2 if encoding == "utf-16" else len(ch.encode())
        if units > column:
            raise AssertionError(f"column {column} ({encoding}) splits {ch!r} in {line!r}")
    if units != column:
        raise AssertionError(f"column {column} ({encoding}) is past the end of {line!r}")
    return len(line)


def apply_to_text(text: str, edits: list[t.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP edits to a text the way an editor does, columns in `encoding`'s units."""
    lines = text.split("\n")
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                    reverse=True):
        s, en = e.range.start, e.range.end
        start = str_index(lines[s.line], s.character, encoding)
        end = str_index(lines[en.line], en.character, encoding)
        head = "\n".join(lines[: s.line]) + ("\n" if s.line else "")
        before = head + lines[s.line][:start]
        after = lines[en.line][end:] + ("\n" if en.line < len(lines) - 1 else "") + \
            "\n".join(lines[en.line + 1:])
        lines = (before + e.new_text + after).split("\n")
    return "\n".join(lines)


async def start_session(client: LanguageClient, project: Path,
                        options: dict | None = None,
                        capabilities: t.ClientCapabilities | None = None) -> None:
    """initialize + initialized on `project` as the one workspace folder. The position
    encoding the server chose is kept as `client.encoding` ("utf-8", "utf-16", "utf-32")."""
    client.project = project
    result = await client.initialize_session(t.InitializeParams(
        capabilities=capabilities or CAPS, root_uri=project.as_uri(),
        initialization_options=options,
        workspace_folders=[t.WorkspaceFolder(uri=project.as_uri(), name=project.name)]))
    client.encoding = str(result.capabilities.position_encoding or "utf-16")


async def end_session(client: LanguageClient) -> None:
    await asyncio.wait_for(client.shutdown_session(), 5)  # a hung server fails, not hangs


def hover_at(uri: str, line: int, character: int = 4) -> t.HoverParams:
    return t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri),
                         position=t.Position(line=line, character=character))


def actions_at(uri: str, line: int, end_line: int | None = None,
               end_char: int = 0) -> t.CodeActionParams:
    end = t.Position(line=end_line if end_line is not None else line, character=end_char)
    return t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri),
        range=t.Range(start=t.Position(line=line, character=0), end=end),
        context=t.CodeActionContext(diagnostics=[]))


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines()):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


async def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# --- one server for a whole module -------------------------------------------------------
# Spawning and initialising a server costs about a second on a loaded machine: a module whose
# tests only need a fresh copy of a sample project shares one session per client, and
# reset_session() puts the project and the client back between its tests.

def lsp_session(project: str | Callable[[Path], Path], *, options: dict | None = None,
                clients: tuple[str, ...] = CLIENTS,
                capabilities: Callable[[str], t.ClientCapabilities] = capabilities_of):
    """A module-scoped pytest-lsp fixture: one server per client name in `clients` (kept as
    `client.client_name`, its capabilities from `capabilities`), started on a fresh project:
    a copy of samples/`project`, or what `project(folder)` writes (it returns the root).
    The project is `client.project`. Use it with
    `pytestmark = pytest.mark.asyncio(loop_scope="module")` and `session_reset()`."""

    @pytest_lsp.fixture(scope="module", params=list(clients),
                        config=ClientServerConfig(server_command=SERVER,
                                                  client_factory=make_client))
    async def client(request, lsp_client: LanguageClient, tmp_path_factory):
        folder = tmp_path_factory.mktemp("session")
        root = copy_sample(project, folder) if isinstance(project, str) else project(folder)
        lsp_client.pristine_dir = shutil.copytree(root, folder / "pristine")
        lsp_client.client_name = request.param
        await start_session(lsp_client, root, options, capabilities(request.param))
        lsp_client.pristine = await status_of(lsp_client)
        yield
        await end_session(lsp_client)

    return client


def session_reset(reset: Callable[[LanguageClient], Awaitable[None]] | None = None):
    """The autouse fixture that goes with lsp_session: after each test that used `client`,
    `reset(client)` (default reset_session). Assign it in the module:
    `fresh_state = session_reset()`."""

    @pytest_asyncio.fixture(autouse=True, loop_scope="module")
    async def fresh_state(request):
        yield
        if "client" in request.fixturenames:
            await (reset or reset_session)(request.getfixturevalue("client"))

    return fresh_state


async def status_of(client: LanguageClient) -> dict:
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="planLs.status", arguments=[{}]))


async def reset_session(client: LanguageClient, timeout: float = 10.0) -> None:
    """Undo what a test did to a shared session: close the documents it opened, put the
    project's files back, wait until the server's plan state is the one it started with,
    and forget what the client recorded."""
    restore_project(client, client.project)
    await wait_for_pristine(client, timeout)
    client.edits.clear()
    client.progress_notes.clear()
    client.diagnostics.clear()
    client.lens_refreshes = 0
    client.apply_result = True


def restore_project(client: LanguageClient, project: Path) -> None:
    """Close the documents a test opened (open_doc) and put `project` back as it is in
    `client.pristine_dir` (files added since are removed)."""
    for uri in sorted(client.__dict__.pop("opened", set())):
        client.text_document_did_close(t.DidCloseTextDocumentParams(
            text_document=t.TextDocumentIdentifier(uri=uri)))
    pristine: Path = client.pristine_dir
    for path in sorted(project.rglob("*"), reverse=True):  # files a test added
        if not (pristine / path.relative_to(project)).exists():
            path.unlink() if not path.is_dir() else shutil.rmtree(path)
    for path in pristine.rglob("*"):
        target = project / path.relative_to(pristine)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif not target.exists() or target.read_bytes() != path.read_bytes():
            shutil.copyfile(path, target)


async def wait_for_pristine(client: LanguageClient, timeout: float = 10.0) -> None:
    """Wait until the server's status is `client.pristine` again (its watcher saw the
    restored files)."""
    deadline = time.monotonic() + timeout
    while (status := await status_of(client)) != client.pristine:
        if time.monotonic() > deadline:
            raise AssertionError(f"the server did not return to the project's first state: "
                                 f"{status} != {client.pristine}")
        await asyncio.sleep(0.02)
