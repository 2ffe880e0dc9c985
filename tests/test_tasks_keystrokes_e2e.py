"""Keystrokes in a tasks.md, through a real client: what the edit changes follows at once
(dependency and requirement warnings, progress), with the in-place path of the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import line_of, lsp_session, open_doc, session_reset, wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="module")]

SPECKIT = """# Tasks: a shelf

## Phase 1: Setup

- [x] T001 Make the frame
- [ ] T002 Cut the boards (depends on T001)

## Phase 2: User Story 1 - Fill it

- [ ] T003 [US1] Put a part on it (depends on T002)
"""
KIRO = """# Implementation Plan

- [ ] 1. Build the frame
  - [ ] 1.1 Cut the boards
    - _Requirements: 1.1_
"""
REQUIREMENTS = """# Requirements Document

### Requirement 1

#### Acceptance Criteria

1. WHEN a board is cut THEN it SHALL be straight
"""


def project(folder: Path) -> Path:
    root = folder / "shelf"
    feature = root / "specs" / "001-shelf"
    feature.mkdir(parents=True)
    (feature / "tasks.md").write_text(SPECKIT)
    (feature / "spec.md").write_text("# Feature: a shelf\n")
    kiro = root / ".kiro" / "specs" / "shelf"
    kiro.mkdir(parents=True)
    (kiro / "tasks.md").write_text(KIRO)
    (kiro / "requirements.md").write_text(REQUIREMENTS)
    return root


client = lsp_session(project, clients=("visual_studio_code",))
fresh_state = session_reset()


def type_at(client: LanguageClient, uri: str, line: int, start: int, end: int, text: str,
            version: int) -> None:
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=line, character=start),
                          end=t.Position(line=line, character=end)), text=text)]))


def codes(client: LanguageClient, uri: str, code: str) -> list[int]:
    return [d.range.start.line for d in client.diagnostics.get(uri, ()) if d.code == code]


async def test_a_dependency_typed_warns_and_a_check_off_counts(client):
    tasks = client.project / "specs" / "001-shelf" / "tasks.md"
    uri = open_doc(client, tasks)
    await wait_until(lambda: uri in client.diagnostics)
    assert codes(client, uri, "unknown-task") == []
    n = line_of(tasks, "- [ ] T002")
    col = SPECKIT.split("\n")[n].index("T001)") + 4
    type_at(client, uri, n, col, col, "9", 2)  # depends on T0019: no such task
    await wait_until(lambda: codes(client, uri, "unknown-task") == [n])
    type_at(client, uri, n, col, col + 1, "", 3)  # back to T001
    await wait_until(lambda: codes(client, uri, "unknown-task") == [])
    type_at(client, uri, n, 3, 4, "x", 4)  # T002 checked off
    plan = "specs/001-shelf"
    # no note yet after another test's reset (session_reset forgets the notes)
    await wait_until(lambda: client.progress_notes and any(
        p.id == plan and p.done == 2 for p in client.progress_notes[-1].plans))


async def test_a_requirement_typed_warns_in_place(client):
    tasks = client.project / ".kiro" / "specs" / "shelf" / "tasks.md"
    uri = open_doc(client, tasks)
    await wait_until(lambda: uri in client.diagnostics)
    assert codes(client, uri, "unknown-requirement") == []
    n = line_of(tasks, "_Requirements: 1.1_")
    col = KIRO.split("\n")[n].index("1.1_") + 3
    type_at(client, uri, n, col, col, "7", 2)  # 1.17: requirements.md has no such criterion
    await wait_until(lambda: codes(client, uri, "unknown-requirement") == [n])
    type_at(client, uri, n, col, col + 1, "", 3)
    await wait_until(lambda: codes(client, uri, "unknown-requirement") == [])
