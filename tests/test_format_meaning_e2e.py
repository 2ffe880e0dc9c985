"""The formats' own meaning where the user looks, end to end (both client capability sets).

spec-kit: hover shows a task's id, `[P]`, its user story (titled from spec.md) and its
dependencies with their state; a `T###` in a task's text goes to that task; a dependency on
an id that no task has is a warning. Kiro: hover shows in progress and optional. OpenSpec: an
archived change says so and is never next. Every tasks.md gets the plan's code lenses, and
`planLs.status` answers for any plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from tests.lsp_client import hover_at, line_of, lsp_session, open_doc, session_reset, wait_until

ALBUMS = "specs/001-albums"
LOGIN = ".kiro/specs/login"
DARK = "openspec/changes/archive/2025-01-05-dark-mode"

FILES = {
    f"{ALBUMS}/spec.md": """# Feature: photo albums

### User Story 1 - Browse albums (Priority: P1)

A visitor sees every album with its cover.
""",
    f"{ALBUMS}/tasks.md": """# Tasks: photo albums

## Phase 1: Setup

- [x] T001 Create the album module in src/albums.py
- [x] T002 Add sample photos in tests/photos/

## Phase 2: User Story 1 - Browse albums

- [ ] T003 [US1] List the albums in src/albums.py (depends on T005)
- [ ] T004 [P] [US1] Show each cover, after T003, in src/covers.py (depends on T005)

## Phase 3: Polish

- [ ] T005 Cache the album index in src/cache.py
- [ ] T006 Compress the covers (depends on T009)
""",
    f"{LOGIN}/tasks.md": """# Implementation Plan

- [-] 1. Session store
  - [x] 1.1 Write the store
  - [ ] 1.2 Expire old sessions

- [ ]* 2. Load test the store

- [ ] 3. Login form
""",
    f"{DARK}/proposal.md": "# Dark mode\n\nA dark palette that follows the system.\n",
    f"{DARK}/tasks.md": """## 1. Theme

- [x] 1.1 Add the dark palette
- [ ] 1.2 Follow the system setting
""",
}


def project(folder: Path) -> Path:
    root = folder / "work"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


pytestmark = pytest.mark.asyncio(loop_scope="module")
client = lsp_session(project)
fresh_state = session_reset()


async def hover_text(client: LanguageClient, rel: str, needle: str) -> str:
    path = client.project / rel
    hover = await client.text_document_hover_async(
        hover_at(open_doc(client, path), line_of(path, needle), 8))
    assert hover is not None, f"no hover on {needle!r}"
    return hover.contents.value


async def lenses(client: LanguageClient, rel: str) -> list[tuple[int, str]]:
    path = client.project / rel
    got = await client.text_document_code_lens_async(t.CodeLensParams(
        text_document=t.TextDocumentIdentifier(uri=open_doc(client, path))))
    return [(lens.range.start.line, lens.command.title) for lens in got or []]


# --- spec-kit ------------------------------------------------------------------------------

async def test_spec_kit_hover_shows_id_story_and_open_dependency(client):
    text = await hover_text(client, f"{ALBUMS}/tasks.md", "T003")
    assert "T003" in text
    assert "US1" in text and "Browse albums" in text  # the story's title, from spec.md
    assert "T005 (open)" in text
    assert "not next" in text.lower()  # and why: it waits for T005
    parallel = await hover_text(client, f"{ALBUMS}/tasks.md", "T004")
    assert "parallel" in parallel.lower()
    # a task with no dependencies says nothing about them
    plain = await hover_text(client, f"{ALBUMS}/tasks.md", "T005 Cache")
    assert "Task **T005**" in plain and "Depends on" not in plain and "Not next" not in plain


async def test_spec_kit_dependency_done_is_shown_done(client):
    tasks = client.project / ALBUMS / "tasks.md"
    text = tasks.read_text()
    uri = open_doc(client, tasks)
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangeWholeDocument(
            text=text.replace("- [ ] T005", "- [x] T005"))]))
    hover = await client.text_document_hover_async(hover_at(uri, line_of(tasks, "T003"), 8))
    assert "T005 (done)" in hover.contents.value
    assert "not next" not in hover.contents.value.lower()


async def test_spec_kit_task_mention_goes_to_the_task(client):
    tasks = client.project / ALBUMS / "tasks.md"
    uri = open_doc(client, tasks)
    line = line_of(tasks, "T004")
    column = tasks.read_text().splitlines()[line].index("T003") + 1  # ASCII: any encoding
    got = await client.text_document_definition_async(t.DefinitionParams(
        text_document=t.TextDocumentIdentifier(uri=uri),
        position=t.Position(line=line, character=column)))
    [loc] = got
    assert loc.uri == uri and loc.range.start.line == line_of(tasks, "T003 [US1]")


async def test_spec_kit_task_mentions_are_document_links(client):
    tasks = client.project / ALBUMS / "tasks.md"
    uri = open_doc(client, tasks)
    got = await client.text_document_document_link_async(
        t.DocumentLinkParams(text_document=t.TextDocumentIdentifier(uri=uri)))
    lines = tasks.read_text().splitlines()
    found = {(lk.range.start.line, lines[lk.range.start.line][
        lk.range.start.character:lk.range.end.character], lk.target) for lk in got}
    t003, t004, t005 = (line_of(tasks, f"{x} ") for x in ("T003", "T004", "T005"))
    assert found == {(t003, "T005", f"{uri}#L{t005 + 1}"), (t004, "T003", f"{uri}#L{t003 + 1}"),
                     (t004, "T005", f"{uri}#L{t005 + 1}")}  # not T009: no task has it


async def test_spec_kit_phase_hover_says_why_it_is_not_next(client):
    text = await hover_text(client, f"{ALBUMS}/tasks.md", "## Phase 2")
    assert "Not next: its open tasks wait for T005" in text
    ready = await hover_text(client, f"{ALBUMS}/tasks.md", "## Phase 3")
    assert "Not next" not in ready


async def test_spec_kit_unknown_dependency_is_a_warning(client):
    tasks = client.project / ALBUMS / "tasks.md"
    uri = open_doc(client, tasks)
    await wait_until(lambda: any(d.code == "unknown-task" for d in client.diagnostics.get(uri, [])))
    [warning] = [d for d in client.diagnostics[uri] if d.code == "unknown-task"]
    line = line_of(tasks, "T006")
    assert warning.severity == t.DiagnosticSeverity.Warning
    assert "T009" in warning.message
    assert warning.range.start.line == line
    assert warning.range.start.character == tasks.read_text().splitlines()[line].index("T009")


async def test_spec_kit_dependency_typed_in_the_editor_is_checked(client):
    tasks = client.project / ALBUMS / "tasks.md"
    text = tasks.read_text()
    uri = open_doc(client, tasks)
    line = line_of(tasks, "T005 Cache")
    end = len(text.splitlines()[line])
    client.text_document_did_change(t.DidChangeTextDocumentParams(  # one keystroke-like edit
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=line, character=end),
                          end=t.Position(line=line, character=end)),
            text=" (depends on T042)")]))
    await wait_until(lambda: any("T042" in d.message for d in client.diagnostics.get(uri, [])))
    hover = await client.text_document_hover_async(hover_at(uri, line, 8))
    assert "Depends on T042 (unknown)" in hover.contents.value


async def test_spec_kit_code_lenses_skip_the_waiting_phase(client):
    got = await lenses(client, f"{ALBUMS}/tasks.md")
    tasks = client.project / ALBUMS / "tasks.md"
    assert (0, "Next: Phase 3 — Polish") in got
    assert (line_of(tasks, "## Phase 1"), "✓ done") in got
    assert (line_of(tasks, "## Phase 2"), "○ 0/2 done") in got


# --- Kiro ----------------------------------------------------------------------------------

async def test_kiro_hover_shows_in_progress_and_optional(client):
    started = await hover_text(client, f"{LOGIN}/tasks.md", "1. Session store")
    assert "in progress" in started and "cancelled" not in started
    optional = await hover_text(client, f"{LOGIN}/tasks.md", "2. Load test")
    assert "optional" in optional.lower()


async def test_kiro_code_lenses(client):
    got = await lenses(client, f"{LOGIN}/tasks.md")
    tasks = client.project / LOGIN / "tasks.md"
    assert (0, "Next: Task 1 — Session store") in got
    assert (line_of(tasks, "1. Session store"), "○ 1/3 done") in got


# --- OpenSpec ------------------------------------------------------------------------------

async def test_archived_change_is_history_in_hover_and_lenses(client):
    text = await hover_text(client, f"{DARK}/tasks.md", "1.2 Follow")
    assert "archived" in text.lower()
    got = await lenses(client, f"{DARK}/tasks.md")
    assert not [title for _, title in got if title.startswith("Next")]
    assert (0, "Archived: finished history") in got


# --- planLs.status for any plan ------------------------------------------------------------

async def test_status_of_a_plan_by_id(client):
    status = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.status", arguments=[{"plan": "001-albums"}]))
    assert [s["title"] for s in status["plan"]["steps"]] == \
        ["Setup", "User Story 1 - Browse albums", "Polish"]
    assert status["next_step"] == {"number": "3", "title": "Polish"}
    assert status["plan"]["path"] == str((client.project / ALBUMS / "tasks.md").resolve())
    archived = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.status", arguments=[{"plan": DARK}]))
    assert archived["next_step"] is None and archived["archived"] is True
    with pytest.raises(JsonRpcInvalidParams, match="no plan 'nope'"):
        await client.workspace_execute_command_async(t.ExecuteCommandParams(
            command="planLs.status", arguments=[{"plan": "nope"}]))
