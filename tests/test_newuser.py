"""What a new user ran into on workspaces of several plans (a root prompt plan, spec-kit
features, a Kiro spec): each test is one problem found by using plan-ls as its users do.

- `planLs.startTask` wrote Kiro's `[-]` into a spec-kit tasks.md and into todo.md;
- `planLs.status` had no `plans` and, with no root prompt plan, another top-level plan
  than `plan-ls status --json` (and `planLs.nextStep` said there was no next step);
- *Mark done* in a binary tasks.md said the file "has no checklist";
- one binary tasks.md in one feature folder made `plan-ls status`, `check` and `done`
  refuse every plan (with the reason printed twice);
- `plan-ls watch` on a spec-kit plan whose folder went away named the root's files;
- `plan-ls init --git` did not cover spec-kit features under docs/, so `status` kept
  asking for `init --git` after it ran;
- a claim `next --plan X --claim` wrote could not be released (`release` had no `--plan`),
  and `next --plan X --claim N --push` claimed a step of the root plan instead of X's;
- in a spec-kit feature's folder `status` showed the feature, but `next` said no step was
  left (exit 3), `watch` showed the design plan.md and `release` looked at nothing;
- `plan-ls done T002` at the root said only "no step T002 in the plan";
- `plan-ls next` with a todo.md none of whose items names a step said "no open, unclaimed
  step left" (and `watch` "nothing open") while no step was done;
- with a todo.md that exists but cannot be read (binary, over 4 MB, a symlink out),
  `next --claim` handed out and claimed step 1 again (exit 0), as did `watch` and the
  server's next step, while `status` refused the file.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from plan_ls.features.commands import Commands
from plan_ls.features.kiro import Kiro, StartTaskArgs
from plan_ls.sync.board import render_board
from plan_ls.sync.plans import discover_plans, select_plan
from plan_ls.sync.state import PlanState
from tests.cli_runner import run_cli
from tests.test_features_unit import make_server

PLAN = ("# Plan\n\n## Step 1: Shelf\n\n```text\nMake the shelf module and its test.\n```\n\n"
        "## Step 2: Labels\n\n```text\nAdd labels to the shelf.\n```\n")
TODO = "# Todo\n\n## Step 1: Shelf\n- [x] shelf module\n- [ ] shelf test\n\n" \
       "## Step 2: Labels\n- [ ] labels\n"
FEATURE = ("# Tasks: Lending\n\n## Phase 1: Setup\n\n- [x] T001 Lending table\n\n"
           "## Phase 2: User Story 1 - Lend a book\n\n- [ ] T002 [US1] Lend command\n"
           "- [ ] T003 [US1] Return command\n")
KIRO = ("# Implementation Plan\n\n- [ ] 1. Reminder queue\n  - [ ] 1.1 Queue file\n"
        "    - _Requirements: 1.1_\n")
BINARY = bytes(range(256)) * 8


def served(root: Path):
    """A server as after `initialized` (tests/test_features_unit.py), every plan read."""
    server = make_server(root)
    server.load_plans()
    return server


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A root prompt plan, a spec-kit feature and a Kiro spec (with its requirements)."""
    (tmp_path / ".git").mkdir()
    write(tmp_path, "prompt_plan.md", PLAN)
    write(tmp_path, "todo.md", TODO)
    write(tmp_path, "specs/001-lending/tasks.md", FEATURE)
    write(tmp_path, ".kiro/specs/reminders/tasks.md", KIRO)
    write(tmp_path, ".kiro/specs/reminders/requirements.md",
          "# Requirements\n\n### Requirement 1\n\n1. WHEN a loan is due THEN remind\n")
    return tmp_path


def test_start_task_writes_nothing_outside_a_kiro_spec(library: Path):
    server = served(library)
    told: list[str] = []
    server.tell_user = lambda message, *a: told.append(message)
    kiro = server.get_feature(Kiro)
    before = {p: p.read_bytes() for p in library.rglob("*.md")}
    for rel, line in (("specs/001-lending/tasks.md", 8), ("todo.md", 4)):
        uri = (library / rel).as_uri()
        result = asyncio.run(kiro.start_task(server, StartTaskArgs(uri=uri, line=line)))
        assert result == {"applied": False}
        assert told and "Kiro" in told[-1]
    assert {p: p.read_bytes() for p in library.rglob("*.md")} == before
    # a Kiro task is still started: the marker only
    tasks = library / ".kiro/specs/reminders/tasks.md"
    result = asyncio.run(kiro.start_task(server, StartTaskArgs(uri=tasks.as_uri(), line=2)))
    assert result == {"applied": True}
    assert tasks.read_text() == KIRO.replace("- [ ] 1. Reminder", "- [-] 1. Reminder")


@pytest.mark.parametrize("with_root_plan", [True, False])
def test_status_command_is_the_clis_status_json(library: Path, with_root_plan: bool):
    if not with_root_plan:
        (library / "prompt_plan.md").unlink()
        (library / "todo.md").unlink()
    printed = run_cli("status", "--json", cwd=library)
    assert printed.returncode == 0, printed.stderr
    expected = json.loads(printed.stdout)
    server = served(library)
    commands = server.get_feature(Commands)
    got = commands.status(server)
    assert [p["id"] for p in got["plans"]] == [p["id"] for p in expected["plans"]]
    assert got == expected
    nxt = commands.next_step(server)
    assert nxt is not None and nxt["number"] == expected["next_step"]["number"]
    assert nxt["uri"] == Path(expected["plan"]["path"]).as_uri()


def test_mark_done_in_a_binary_tasks_md_says_it_cannot_be_read(library: Path):
    bad = write(library, "specs/002-broken/tasks.md", BINARY)
    server = served(library)
    told: list[str] = []
    server.tell_user = lambda message, *a: told.append(message)
    from plan_ls.features.commands import MarkArgs

    result = asyncio.run(server.get_feature(Commands).mark_done(
        server, MarkArgs(uri=bad.as_uri(), lines=[2])))
    assert result == {"applied": False, "changed": 0}
    assert told and "binary" in told[-1] and "no checklist" not in told[-1]
    assert bad.read_bytes() == BINARY


def test_one_unreadable_feature_does_not_block_the_other_plans(library: Path):
    write(library, "specs/002-broken/tasks.md", BINARY)
    status = run_cli("status", cwd=library)
    assert status.returncode == 0, status.stderr
    assert "specs/001-lending" in status.stdout and ".kiro/specs/reminders" in status.stdout
    line = next(x for x in status.stdout.splitlines() if "specs/002-broken" in x)
    assert "unreadable" in line
    assert status.stderr.count("binary") == 1  # said once, not once per role of the file
    data = json.loads(run_cli("status", "--json", cwd=library).stdout)
    broken = next(p for p in data["plans"] if p["id"] == "specs/002-broken")
    assert len(broken["unreadable"]) == 1 and "binary" in broken["unreadable"][0]["reason"]
    assert "unreadable" not in data["plans"][0]
    # check still reads the rest, and does not pass: one plan could not be read
    check = run_cli("check", cwd=library)
    assert check.returncode == 2 and check.stderr.count("binary") == 1
    # done acts on one plan: the root's, which is readable
    done = run_cli("done", "2", cwd=library)
    assert done.returncode == 0, done.stderr
    assert (library / "todo.md").read_text() == TODO.replace("- [ ] labels", "- [x] labels")
    # the broken plan itself is still refused when it is the one asked for
    assert run_cli("status", "--plan", "002-broken", cwd=library).returncode == 2


def test_watch_names_the_watched_plans_files_when_its_folder_goes(library: Path):
    refs = discover_plans(library)
    state = PlanState(library, None, select_plan(refs, "001-lending"))
    shutil.rmtree(library / "specs/001-lending")
    state.load_all_from_disk()
    board = render_board(state, now="12:00:00")
    assert "specs/001-lending/tasks.md" in board
    assert "todo.md" not in board.replace("tasks.md", "") and "prompt_plan.md" not in board


def test_init_git_covers_the_features_it_finds_under_docs(tmp_path: Path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path, "docs/specs/003-fines/tasks.md", FEATURE)
    assert "init --git" in run_cli("status", cwd=tmp_path).stdout
    init = run_cli("init", "--git", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    attr = subprocess.run(["git", "check-attr", "merge", "docs/specs/003-fines/tasks.md",
                           "docs/specs/004-next/tasks.md", "specs/001-x/tasks.md"],
                          cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert attr.count(": merge: plan-ls") == 3, attr
    assert "init --git" not in run_cli("status", cwd=tmp_path).stdout
    attributes = (tmp_path / ".gitattributes").read_text()
    assert run_cli("init", "--git", cwd=tmp_path).returncode == 0  # a second run adds nothing
    assert (tmp_path / ".gitattributes").read_text() == attributes


def test_a_claim_next_wrote_in_a_feature_is_released_with_plan(library: Path):
    tasks = library / "specs/001-lending/tasks.md"
    claimed = run_cli("next", "--plan", "001-lending", "--claim", "bot-1", cwd=library)
    assert claimed.returncode == 0, claimed.stderr
    assert "(@bot-1)" in tasks.read_text()
    released = run_cli("release", "2", "--plan", "001-lending", cwd=library)
    assert released.returncode == 0, released.stderr
    assert tasks.read_text() == FEATURE
    # --push claims and releases through the settings' plan only: refused, not misapplied
    for args in (("next", "--plan", "001-lending", "--claim", "bot-1", "--push"),
                 ("release", "2", "--plan", "001-lending", "--push")):
        refused = run_cli(*args, cwd=library)
        assert refused.returncode == 2 and "root prompt plan only" in refused.stderr
    assert tasks.read_text() == FEATURE


def test_next_watch_and_release_in_a_features_folder_act_on_that_feature(library: Path):
    # spec-kit keeps a design plan.md beside tasks.md: it is no prompt plan of the folder
    write(library, "specs/001-lending/plan.md", "# Implementation plan\n\nA table.\n")
    folder = library / "specs/001-lending"
    status = run_cli("status", cwd=folder)
    assert "next: 2 — User Story 1 - Lend a book" in status.stdout, status.stdout
    nxt = run_cli("next", "--claim", "bot-2", cwd=folder)
    assert nxt.returncode == 0, nxt.stderr
    assert "T002" in nxt.stdout and "User Story 1" in nxt.stderr
    assert "(@bot-2)" in (folder / "tasks.md").read_text()
    board = run_cli("watch", "--once", cwd=folder)
    assert board.returncode == 0 and "specs/001-lending/tasks.md: 1/3 done" in board.stdout
    released = run_cli("release", "2", cwd=folder)
    assert released.returncode == 0, released.stderr
    assert (folder / "tasks.md").read_text() == FEATURE


def test_done_names_the_plan_that_holds_a_task_id_given_at_the_root(library: Path):
    refused = run_cli("done", "T002", cwd=library)
    assert refused.returncode == 2
    assert "--plan specs/001-lending" in refused.stderr, refused.stderr
    assert (library / "specs/001-lending/tasks.md").read_text() == FEATURE
    assert run_cli("done", "T002", "--plan", "specs/001-lending", cwd=library).returncode == 0


def test_next_with_a_checklist_that_names_no_step_does_not_say_nothing_is_left(library: Path):
    (library / "todo.md").write_text("# Todo\n\n- [ ] water the garden\n")
    nxt = run_cli("next", cwd=library)
    assert nxt.returncode == 3  # no step is handed out (a guess), as documented
    assert "no open, unclaimed step left" not in nxt.stderr
    assert "none of the 1 item of todo.md belongs to a plan step" in nxt.stderr
    board = run_cli("watch", "--once", cwd=library)
    assert "next: unknown" in board.stdout and "nothing open" not in board.stdout
    write(library, "openspec/changes/archive/2025-01-01-fines/tasks.md",
          "## 1. Fines\n- [ ] 1.1 Charge late fines\n")
    write(library, "openspec/changes/archive/2025-01-01-fines/proposal.md", "# Fines\n")
    archived = run_cli("next", "--plan", "2025-01-01-fines", cwd=library)
    assert archived.returncode == 3 and "archived" in archived.stderr, archived.stderr


def test_an_unreadable_checklist_hands_out_no_step(library: Path):
    # todo.md says step 1 is half done; once it cannot be read, step 1 is not "next" again
    (library / "todo.md").write_bytes(TODO.encode() + b"\x00")
    before = (library / "prompt_plan.md").read_bytes()
    nxt = run_cli("next", "--claim", "bot-1", cwd=library)
    assert nxt.returncode == 2 and "binary" in nxt.stderr and nxt.stdout == ""
    assert (library / "prompt_plan.md").read_bytes() == before
    board = run_cli("watch", "--once", cwd=library)
    assert "next: unknown" in board.stdout and "next: 1" not in board.stdout
    server = served(library)
    assert server.get_feature(Commands).next_step(server) is None
