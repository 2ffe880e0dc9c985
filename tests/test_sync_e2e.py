"""Live sync end to end: real files in a temporary directory, the real watcher, the server
driven through pytest-lsp. Nothing here sends didChangeWatchedFiles: every disk change must
be found by the server's own watcher."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import (
    SERVER,
    copy_sample,
    hover_at,
    line_of,
    lsp_session,
    open_doc,
    restore_project,
    wait_for_pristine,
    wait_until,
)

MISSING = "- [ ] Test a missing data file"


def greenfield(folder: Path) -> Path:
    root = copy_sample("greenfield", folder)
    (root / ".gitignore").write_text("build/\n")
    return root


@pytest.fixture
def project(tmp_path):
    return greenfield(tmp_path)


# One server for the module (this suite's own capabilities: no client-side file watching, so
# every change is the server watcher's); each test starts from the sample's state.
module_loop = pytest.mark.asyncio(loop_scope="module")  # the async tests (the others: no)
client = lsp_session(greenfield, clients=(None,))


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def fresh_state(request):
    """Before a test: the watcher is up and the client holds the server's latest progress
    and diagnostics (unlike session_reset, what the server pushed is kept: the tests start
    from it). After: the project's files back, the server's state back to the start."""
    if "client" not in request.fixturenames:
        yield
        return
    lsp = request.getfixturevalue("client")
    await wait_watching(lsp)
    yield
    restore_project(lsp, lsp.project)
    await wait_for_pristine(lsp)
    pristine = lsp.pristine["todo"]
    await wait_until(lambda: (lsp.progress_notes[-1].done, lsp.progress_notes[-1].total) ==
                     (pristine["done"], pristine["total"]))


async def sync_status(client: LanguageClient) -> dict:
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="planLs.syncStatus", arguments=[{}]))


async def wait_watching(client: LanguageClient) -> None:
    await wait_until_async(lambda: sync_status(client), lambda s: s["mode"] == "recursive")
    await wait_until(lambda: client.progress_notes)  # the start-up publication is in


async def wait_until_async(fetch, check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in time: {value}")
        await asyncio.sleep(0.02)


def codes(client: LanguageClient, path: Path) -> list[str]:
    return [d.code for d in client.diagnostics.get(path.as_uri(), [])]


def write_atomically(path: Path, text: str) -> None:
    """What an editor's safe save does: a temporary file renamed over the target."""
    tmp = path.with_name(f".{path.name}.swp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


@module_loop
async def test_external_check_off_updates_progress_diagnostics_and_hover(client):
    todo = client.project / "todo.md"
    assert "done-out-of-order" in codes(client, todo)  # line 16 is [x] after an open line 15
    client.progress_notes.clear()
    refreshes = client.lens_refreshes
    todo.write_text(todo.read_text().replace(MISSING, "- [x] Test a missing data file"))
    await wait_until(lambda: client.progress_notes and client.progress_notes[-1].done == 9)
    await wait_until(lambda: client.lens_refreshes > refreshes)  # code lenses follow too
    note = client.progress_notes[-1]
    assert (note.total, note.nextStep.number) == (20, "3")
    assert todo.as_uri() in note.files
    await wait_until(lambda: "done-out-of-order" not in codes(client, todo))
    hover = await client.text_document_hover_async(
        hover_at(todo.as_uri(), line_of(todo, "Test a missing")))
    assert "(done)" in hover.contents.value and "9/20 done overall" in hover.contents.value
    assert "3/4 done" in hover.contents.value  # the step's progress follows too


@module_loop
async def test_atomic_save_is_exactly_one_update(client):
    todo = client.project / "todo.md"
    before = (await sync_status(client))["updates"]
    client.progress_notes.clear()
    write_atomically(todo, todo.read_text().replace("- [ ] README", "- [x] README"))
    await wait_until(lambda: client.progress_notes)
    await asyncio.sleep(0.5)  # anything more would have arrived by now
    assert [n.done for n in client.progress_notes] == [9]
    assert (await sync_status(client))["updates"] == before + 1
    # writing the same text again is no change at all
    write_atomically(todo, todo.read_text())
    await asyncio.sleep(0.4)
    assert len(client.progress_notes) == 1


@module_loop
async def test_delete_then_recreate_clears_then_restores_diagnostics(client):
    todo = client.project / "todo.md"
    text = todo.read_text()
    assert codes(client, todo)
    todo.unlink()
    await wait_until(lambda: client.progress_notes[-1].total == 0)
    assert codes(client, todo) == []
    assert todo.as_uri() not in client.progress_notes[-1].files
    todo.write_text(text)
    await wait_until(lambda: client.progress_notes[-1].total == 20)
    assert "done-out-of-order" in codes(client, todo)


@module_loop
async def test_planning_file_created_after_start(client):
    plan = client.project / "prompt_plan.md"
    text = plan.read_text()
    plan.unlink()
    await wait_until(lambda: client.progress_notes[-1].nextStep is None)
    new = client.project / "prompt_plan.md"
    write_atomically(new, text)
    await wait_until(lambda: client.progress_notes[-1].nextStep is not None)
    assert client.progress_notes[-1].nextStep.number == "3"


@module_loop
async def test_editor_text_wins_over_the_disk_until_closed(client):
    todo = client.project / "todo.md"
    uri = open_doc(client, todo)
    line = line_of(todo, "Test a missing")
    original = todo.read_text()
    edited = original.replace(MISSING, "- [x] Test a missing data file")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=edited)]))
    await wait_until(lambda: client.progress_notes[-1].done == 9)
    # an agent checks off another item on disk while the user's edit is unsaved
    on_disk = original.replace("- [ ] README", "- [x] README")
    write_atomically(todo, on_disk)
    await asyncio.sleep(0.5)
    assert client.progress_notes[-1].done == 9
    hover = await client.text_document_hover_async(hover_at(uri, line))
    assert "(done)" in hover.contents.value  # the editor's text, not the disk's
    readme = await client.text_document_hover_async(hover_at(uri, line_of(todo, "README")))
    assert "(open)" in readme.contents.value
    assert todo.read_text() == on_disk  # the server wrote nothing over the agent's change
    # the editor reloads the file from disk: now the disk's text is the editor's text
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=on_disk)]))
    await wait_until(lambda: client.progress_notes[-1].done == 9)
    readme = await client.text_document_hover_async(hover_at(uri, line_of(todo, "README")))
    assert "(done)" in readme.contents.value
    # closed: the disk is the truth again, and later disk changes are followed
    client.text_document_did_close(t.DidCloseTextDocumentParams(
        text_document=t.TextDocumentIdentifier(uri=uri)))
    write_atomically(todo, on_disk.replace(MISSING, "- [x] Test a missing data file"))
    await wait_until(lambda: client.progress_notes[-1].done == 10)


# two of five folders are watched (src/, docs/); the others are ignored, gitignored or .git
STORM_FOLDERS = ("node_modules/pkg", "src/deep/er", ".git/objects", "docs/notes", "build")


def _storm(root: Path, count: int) -> None:
    folders = [root / f for f in STORM_FOLDERS]
    for i in range(count):
        (folders[i % len(folders)] / f"f{i}.txt").write_text(str(i))
        if i == count // 2:  # one real change in the middle of the noise
            todo = root / "todo.md"
            todo.write_text(todo.read_text().replace(MISSING, "- [x] Test a missing data file"))


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@module_loop
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc for memory")
async def test_event_storm_keeps_server_responsive_and_bounded(client):
    todo = client.project / "todo.md"
    pid = client._server.pid
    counts = await sync_status(client)  # the shared server counted earlier tests' events
    for folder in STORM_FOLDERS:
        (client.project / folder).mkdir(parents=True)
    await asyncio.sleep(0.3)  # the new src/ folder gets its watch
    readme, missing = line_of(todo, "README"), line_of(todo, "Test a missing")
    rss_before = _rss_kb(pid)
    storm = asyncio.ensure_future(asyncio.to_thread(_storm, client.project, 5000))
    latencies = []
    while not storm.done():
        start = time.monotonic()
        hover = await client.text_document_hover_async(hover_at(todo.as_uri(), readme))
        latencies.append(time.monotonic() - start)
        assert hover is not None
        await asyncio.sleep(0.02)
    await storm
    await wait_until(lambda: client.progress_notes[-1].done == 9)
    status = await sync_status(client)
    # 2,000 files in watched folders make 6,000 events (created, modified, closed), which the
    # server sees and drops; the 3,000 files in ignored folders make none, as nothing watches
    # those folders
    events = status["events"] - counts["events"]
    assert 5000 <= events < 7000, events
    # only the planning file's events went to the loop
    assert status["relevant"] - counts["relevant"] < 20
    assert len(latencies) >= 5 and max(latencies) < 1.5, latencies
    assert _rss_kb(pid) - rss_before < 50_000  # kB: nothing grows with the number of events
    hover = await client.text_document_hover_async(hover_at(todo.as_uri(), missing))
    assert "(done)" in hover.contents.value


# --- the server process ends cleanly with its watcher running ----------------------------

def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _read_message(proc: subprocess.Popen) -> dict:
    """The next JSON-RPC message the server wrote on stdout (Content-Length framing)."""
    length = None
    while (line := proc.stdout.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    assert length is not None, "the server closed its output"
    return json.loads(proc.stdout.read(length))


def _result(proc: subprocess.Popen, request_id: int, method: str, params: dict):
    """Send a request and return its result (the server's notifications are skipped)."""
    proc.stdin.write(_frame({"jsonrpc": "2.0", "id": request_id, "method": method,
                             "params": params}))
    proc.stdin.flush()
    while (message := _read_message(proc)).get("id") != request_id or "method" in message:
        pass
    return message["result"]


def _start_watching_server(root: Path) -> subprocess.Popen:
    proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    _result(proc, 1, "initialize", {"processId": None, "rootUri": root.as_uri(),
                                    "capabilities": {}})
    proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    # the watcher is up (its threads are what must not hang exit): polled, not slept for
    deadline, request_id = time.monotonic() + 10, 100
    while _result(proc, request_id, "workspace/executeCommand", {
            "command": "planLs.syncStatus", "arguments": [{}]})["mode"] != "recursive":
        assert time.monotonic() < deadline, "the watcher never started"
        request_id += 1
        time.sleep(0.02)
    return proc


def test_server_exits_0_after_shutdown_and_exit(project):
    proc = _start_watching_server(project)
    proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
    proc.stdin.flush()
    assert proc.wait(timeout=10) == 0


def test_server_exits_when_the_client_goes_away(project):
    proc = _start_watching_server(project)
    proc.stdin.close()  # no shutdown, no exit: the editor crashed
    assert proc.wait(timeout=10) is not None
