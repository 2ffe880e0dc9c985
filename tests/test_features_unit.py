"""Features as objects: their handlers called directly on a server built by build_server(),
with a pygls Workspace and no subprocess (as esbonio's unit tests do); what each owns stays
on its server; start-up imports nothing heavy; nothing blocks the event loop."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from lsprotocol import types as t
from pygls.workspace import Workspace

from plan_ls.features.checklist_actions import ChecklistActions
from plan_ls.features.checklists import Checklists
from plan_ls.features.claims import Claims
from plan_ls.features.commands import Commands
from plan_ls.features.edits import StaleEdit, write_if_unchanged
from plan_ls.features.generate import Generate
from plan_ls.features.hover import HoverFeature
from plan_ls.features.review import GENERATIONS
from plan_ls.server import PlanServer, build_server

ROOT = Path(__file__).resolve().parent.parent
PLAN = """# Plan

## Step 1: Lay the ground

```text
Write the skeleton and its first test.
```

## Step 2: Grow it

```text
Add the second part and wire it in.
```
"""
TODO = """# Todo

## Step 1: Lay the ground

- [x] skeleton
- [ ] first test

## Step 2: Grow it

- [ ] second part
"""


def make_server(root: Path, open_files: tuple[str, ...] = ()) -> PlanServer:
    """A server as `initialize` + `initialized` leave it, without a client."""
    server = build_server()
    server.protocol._workspace = Workspace(root.as_uri())
    server.protocol.client_capabilities = t.ClientCapabilities()
    server.set_root(root)
    server.apply_settings({})
    server.state.load_all_from_disk()
    for name in open_files:
        path = root / name
        server.workspace.put_text_document(t.TextDocumentItem(
            uri=path.as_uri(), language_id="markdown", version=1, text=path.read_text()))
    return server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "prompt_plan.md").write_text(PLAN)
    (tmp_path / "todo.md").write_text(TODO)
    (tmp_path / "spec.md").write_text("# Spec\n\nA tool.\n")
    return tmp_path


def test_features_are_registered_once_and_found_by_type(project: Path):
    server = make_server(project)
    for cls in (HoverFeature, Commands, Checklists, Claims, Generate, ChecklistActions):
        feature = server.get_feature(cls)
        assert type(feature) is cls and feature.server is server
    assert not hasattr(server, "render_template_for") and not hasattr(server, "sync")


def test_hover_on_a_todo_item_names_its_step_and_progress(project: Path):
    server = make_server(project)
    uri = (project / "todo.md").as_uri()
    hover = server.get_feature(HoverFeature).hover(server, t.HoverParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(line=5, character=3)))
    assert hover is not None
    text = hover.contents.value
    assert "Step 1" in text and "1/2 done" in text and "Item 2 of 3" in text


def test_commands_status_and_next_step(project: Path):
    server = make_server(project)
    commands = server.get_feature(Commands)
    status = commands.status(server)
    assert (status["todo"]["total"], status["todo"]["done"]) == (3, 1)
    nxt = commands.next_step(server)
    assert nxt["number"] == "1" and nxt["title"] == "Lay the ground"
    assert "first test" in nxt["prompt"]


def test_checklist_actions_mark_the_item_under_the_cursor(project: Path):
    server = make_server(project, open_files=("todo.md",))
    uri = (project / "todo.md").as_uri()
    actions = server.get_feature(ChecklistActions).checklist_actions(server, t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri),
        range=t.Range(start=t.Position(line=5, character=0), end=t.Position(line=5, character=0)),
        context=t.CodeActionContext(diagnostics=[])))
    done = next(a for a in actions if a.title == "Mark done")
    edit = done.edit.document_changes[0]
    assert edit.text_document.version == 1
    assert [(e.range.start.line, e.new_text) for e in edit.edits] == [(5, "x")]


def test_render_template_is_a_method_of_the_generate_feature(project: Path):
    server = make_server(project)
    text = server.get_feature(Generate).render_template(server, "todo-checklist")
    assert "Lay the ground" in text  # the plan was filled in


def test_each_server_keeps_its_own_checklist_cache(project: Path):
    (project / "code-review.md").write_text("# Review\n\n- [ ] a.py:3 rename x\n")
    one = make_server(project, open_files=("code-review.md",))
    two = make_server(project, open_files=("code-review.md",))
    uri = (project / "code-review.md").as_uri()
    first = one.get_feature(Checklists).checklist_for(one, uri)
    assert first is not None and first[0].total == 1
    assert one.get_feature(Checklists).checklist_for(one, uri)[0] is first[0]  # cached
    assert uri in one.get_feature(Checklists).cache
    assert two.get_feature(Checklists).cache == {}


def test_review_command_names_match_the_review_kinds():
    from plan_ls.review.bundle import KINDS

    assert GENERATIONS == {k.command: name for name, k in KINDS.items()}


# --- start-up: nothing heavy before the initialize answer ---------------------------------
HEAVY = ("plan_ls.llm", "plan_ls.review", "plan_ls.pack.packer", "plan_ls.tokens",
         "plan_ls.pack.walk", "plan_ls.sync.state",
         "plan_ls.model.plan", "plan_ls.model.links", "openai", "markdown_it", "watchdog",
         "filelock", "pathspec")
STARTUP = """
import json, sys
from pathlib import Path
from lsprotocol import types as t
from plan_ls.cli import build_parser
from plan_ls.logs import setup_logging
from plan_ls.server import build_server
from plan_ls.features.documents import Documents
build_parser()
setup_logging("info")
server = build_server()
root = Path(sys.argv[1])
Documents(server).on_initialize(server, t.InitializeParams(
    capabilities=t.ClientCapabilities(), root_uri=root.as_uri(),
    initialization_options={"planLs": {"files": {"todo": "todo.md"}}}))
print(json.dumps(sorted(sys.modules)))
"""


def test_nothing_heavy_is_imported_before_the_initialize_answer(project: Path):
    out = subprocess.run([sys.executable, "-c", STARTUP, str(project)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    assert heavy == []
    assert "plan_ls.features.interview" in loaded  # registered, its LLM parts not imported


# --- nothing blocks the loop --------------------------------------------------------------
SLOW_GIT = """#!/bin/sh
sleep 1
echo "Slow Git"
"""


async def test_git_config_runs_off_the_event_loop(project: Path, tmp_path_factory,
                                                  monkeypatch: pytest.MonkeyPatch):
    bin_dir = tmp_path_factory.mktemp("bin")
    git = bin_dir / "git"
    git.write_text(SLOW_GIT)
    git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    server = make_server(project)
    claims = server.get_feature(Claims)
    started = time.monotonic()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.05)

    tick_task = asyncio.create_task(ticker())
    assert claims.user.get(server) is None  # not known yet: git is being asked
    assert time.monotonic() - started < 0.3
    assert await claims.user.resolve(server) == "Slow-Git"
    tick_task.cancel()
    assert ticks >= 10  # the loop ran while git slept
    assert claims.user.get(server) == "Slow-Git"  # asked once per settings change


async def test_a_held_plan_lock_is_waited_for_without_blocking_the_loop(project: Path):
    from plan_ls.model.edit import mark_items
    from plan_ls.model.todo import parse_todo
    from plan_ls.sync.lock import plan_lock

    todo = project / "todo.md"
    text = todo.read_text()
    edits = mark_items([parse_todo(text).items[1]], True)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with plan_lock(project):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(6):
            ticks += 1
            await asyncio.sleep(0.05)
        release.set()

    tick_task = asyncio.create_task(ticker())
    await write_if_unchanged(todo, text, edits, project)
    await tick_task
    holder.join()
    assert ticks == 6 and "- [x] first test" in todo.read_text()
    with pytest.raises(StaleEdit):  # computed from the old text: refused, nothing written
        await write_if_unchanged(todo, text, edits, project)
