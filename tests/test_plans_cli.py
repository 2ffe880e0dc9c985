"""Every plan of a workspace: discovery (sync/plans.py) and the CLI over several plans
(status, --plan, --json's plans list, check, next, done), on a workspace written here."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from plan_ls.sync.plans import PlanNotFound, discover_plans, select_plan
from tests.cli_runner import run_cli

PLAN = "## Step 1: Parse\n```text\nparse it\n```\n## Step 2: Print\n```text\nprint it\n```\n"
TODO = "## Step 1: Parse\n- [x] parse\n## Step 2: Print\n- [ ] print\n"
ALBUMS = ("# Tasks: Albums\n\n## Phase 1: Setup\n\n- [x] T001 Create the project\n\n"
          "## Phase 2: User Story 1 - Albums\n\n- [ ] T002 [US1] Album model\n"
          "- [ ] T003 [P] [US1] Album page, depends on T002\n")
SEARCH = "## Phase 1: Index\n- [x] T001 Build the index\n## Phase 2: Query\n- [x] T002 Query\n"
KIRO = ("# Implementation Plan\n\n- [x] 1. Login form\n  - [x] 1.1 Fields\n"
        "    - _Requirements: 1.1_\n- [-] 2. Sessions\n  - [ ] 2.1 Store them\n"
        "  - [ ]* 2.2 Test them\n")
OPENSPEC = "## 1. Rules\n- [ ] 1.1 Write the rules\n- [ ] 1.2 Test the rules\n"


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A root prompt plan, two spec-kit features (one under docs/), a Kiro spec and an
    archived OpenSpec change."""
    (tmp_path / ".git").mkdir()
    write(tmp_path, "prompt_plan.md", PLAN)
    write(tmp_path, "todo.md", TODO)
    write(tmp_path, "specs/001-albums/tasks.md", ALBUMS)
    write(tmp_path, "specs/001-albums/spec.md", "# Albums\n")
    write(tmp_path, "specs/001-albums/plan.md", "# Implementation plan\n## Phase 0\n")
    write(tmp_path, "docs/specs/002-search/tasks.md", SEARCH)
    write(tmp_path, ".kiro/specs/login/tasks.md", KIRO)
    write(tmp_path, ".kiro/specs/login/requirements.md", "# Requirements\n")
    write(tmp_path, "openspec/changes/archive/2025-02-01-rules/tasks.md", OPENSPEC)
    write(tmp_path, "openspec/changes/archive/2025-02-01-rules/proposal.md", "# Why\n")
    return tmp_path


IDS = [".", ".kiro/specs/login", "docs/specs/002-search",
       "openspec/changes/archive/2025-02-01-rules", "specs/001-albums"]


def test_discover_finds_every_plan_primary_first(workspace):
    refs = discover_plans(workspace)
    assert [r.id for r in refs] == IDS
    by_id = {r.id: r for r in refs}
    assert [r.format for r in refs] == ["prompt_plan", "kiro", "spec-kit", "openspec",
                                        "spec-kit"]
    assert by_id["openspec/changes/archive/2025-02-01-rules"].archived
    albums = by_id["specs/001-albums"]
    root = workspace.resolve()
    assert {k: v.relative_to(root).as_posix() for k, v in albums.files.items()} == {
        "plan": "specs/001-albums/tasks.md", "spec": "specs/001-albums/spec.md",
        "design": "specs/001-albums/plan.md"}
    assert set(by_id[".kiro/specs/login"].files) == {"plan", "spec", "requirements"}
    assert set(by_id["."].files) == {"plan", "todo"}


def test_discover_skips_ignored_hidden_and_outside_folders(tmp_path):
    write(tmp_path, "node_modules/pkg/specs/001-x/tasks.md", ALBUMS)
    write(tmp_path, ".venv/specs/001-x/tasks.md", ALBUMS)
    write(tmp_path, ".hidden/specs/001-x/tasks.md", ALBUMS)
    write(tmp_path, "build/specs/001-x/tasks.md", ALBUMS)
    write(tmp_path, ".gitignore", "build/\n")
    outside = write(tmp_path.parent / f"{tmp_path.name}-outside", "tasks.md", ALBUMS)
    (tmp_path / "specs" / "002-link").mkdir(parents=True)
    os.symlink(outside, tmp_path / "specs" / "002-link" / "tasks.md")
    assert discover_plans(tmp_path) == []
    write(tmp_path, "specs/003-real/tasks.md", ALBUMS)
    assert [r.id for r in discover_plans(tmp_path)] == ["specs/003-real"]


def test_the_plans_setting_names_more_places(tmp_path):
    write(tmp_path, "work/alpha/tasks.md", ALBUMS)
    write(tmp_path, "work/beta/prompt_plan.md", PLAN)
    write(tmp_path, "work/beta/todo.md", TODO)
    write(tmp_path, "work/gamma/tasks.md", KIRO)
    write(tmp_path, "work/gamma/requirements.md", "# R\n")
    write(tmp_path, "elsewhere/notes/tasks.md", ALBUMS)
    assert [r.id for r in discover_plans(tmp_path) if r.id.startswith("work/a")] == []
    refs = discover_plans(tmp_path, globs=["work/*/"])
    got = {r.id: r.format for r in refs}
    # the prompt plan in work/beta is found anyway (the primary plan, whose id is ".")
    assert got == {".": "prompt_plan", "work/alpha": "spec-kit", "work/gamma": "kiro"}
    refs = discover_plans(tmp_path, globs=["elsewhere/**/tasks.md"])
    assert "elsewhere/notes" in [r.id for r in refs]
    write(tmp_path, "roadmaps/q3.md", PLAN)  # a plan of its own name
    q3 = next(r for r in discover_plans(tmp_path, globs=["roadmaps/*.md"]) if r.id == "roadmaps")
    assert (q3.format, {k: p.name for k, p in q3.files.items()}) == ("prompt_plan",
                                                                     {"plan": "q3.md"})
    write(tmp_path, ".plans/one/tasks.md", ALBUMS)  # a hidden folder the setting names
    assert "elsewhere/notes" not in [r.id for r in discover_plans(tmp_path, globs=[".plans/*/"])]
    assert ".plans/one" in [r.id for r in discover_plans(tmp_path, globs=[".plans/*/"])]


def test_select_plan_by_id_or_unique_suffix(workspace):
    refs = discover_plans(workspace)
    assert select_plan(refs, "001-albums").id == "specs/001-albums"
    assert select_plan(refs, "specs/login").id == ".kiro/specs/login"
    assert select_plan(refs, ".").id == "."
    with pytest.raises(PlanNotFound, match="no plan 'bums'"):
        select_plan(refs, "bums")  # a suffix counts only along whole folder names


def test_status_lists_every_plan(workspace):
    out = run_cli("status", str(workspace))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("5 plans")
    rows = {line.split()[0]: line for line in lines[1:]}
    assert list(rows) == IDS
    assert "1/2" in rows["."] and "next: 2 — Print" in rows["."]
    assert "kiro" in rows[".kiro/specs/login"] and "next: 2 — Sessions" in rows[".kiro/specs/login"]
    assert "archived" in rows["openspec/changes/archive/2025-02-01-rules"]
    assert "2/2" in rows["docs/specs/002-search"] and "done" in rows["docs/specs/002-search"]
    assert "next: 2 — User Story 1 - Albums" in rows["specs/001-albums"]


def test_status_json_keeps_the_primary_and_adds_the_plans(workspace):
    out = run_cli("status", str(workspace), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["todo"]["path"] == str(workspace / "todo.md")  # today's keys: the root plan
    assert (data["todo"]["total"], data["next_step"]["number"]) == (2, "2")
    plans = {p["id"]: p for p in data["plans"]}
    assert list(plans) == IDS
    albums = plans["specs/001-albums"]
    assert set(albums) >= {"id", "format", "files", "steps", "todo", "next_step", "diagnostics"}
    assert albums["files"] == {"plan": "specs/001-albums/tasks.md",
                               "todo": "specs/001-albums/tasks.md",
                               "spec": "specs/001-albums/spec.md"}
    assert plans["."]["files"] == {"plan": "prompt_plan.md", "todo": "todo.md"}  # no spec.md
    assert [s["number"] for s in albums["steps"]] == ["1", "2"]
    assert (albums["todo"]["total"], albums["todo"]["done"]) == (3, 1)
    assert albums["todo"]["items"][2]["task"] == {"id": "T003", "parallel": True,
                                                  "story": "US1", "depends": ["T002"]}
    assert albums["next_step"]["number"] == "2"
    kiro = plans[".kiro/specs/login"]
    assert kiro["format"] == "kiro" and kiro["next_step"]["number"] == "2"
    assert [i["state"] for i in kiro["todo"]["items"]] == ["done", "done", "in-progress",
                                                           "open", "open"]
    rules = plans["openspec/changes/archive/2025-02-01-rules"]
    assert rules["archived"] and rules["next_step"] is None


def test_plan_option_selects_one_plan(workspace):
    out = run_cli("status", str(workspace), "--json", "--plan", "002-search")
    data = json.loads(out.stdout)
    assert data["todo"]["path"] == str(workspace / "docs/specs/002-search/tasks.md")
    assert [p["id"] for p in data["plans"]] == ["docs/specs/002-search"]
    out = run_cli("status", str(workspace), "--plan", "login")
    assert out.returncode == 0 and ".kiro/specs/login/tasks.md: 2/5 done" in out.stdout
    out = run_cli("status", str(workspace), "--plan", "nothing")
    assert out.returncode == 2 and "no plan 'nothing'" in out.stderr
    # a plan's folder given as the directory selects it
    out = run_cli("status", str(workspace / "specs" / "001-albums"), "--json")
    assert [p["id"] for p in json.loads(out.stdout)["plans"]] == ["specs/001-albums"]
    out = run_cli("status", str(workspace / ".kiro/specs/login/tasks.md"), "--json")
    assert [p["id"] for p in json.loads(out.stdout)["plans"]] == [".kiro/specs/login"]


def test_next_and_check_take_a_plan(workspace):
    out = run_cli("next", str(workspace), "--plan", "001-albums", "--json")
    assert out.returncode == 0, out.stderr
    step = json.loads(out.stdout)
    assert (step["number"], step["path"]) == ("2", str(workspace / "specs/001-albums/tasks.md"))
    assert "T002 [US1] Album model" in step["prompt"]
    out = run_cli("next", str(workspace), "--plan", "2025-02-01-rules")
    assert out.returncode == 3  # an archived change hands out nothing
    out = run_cli("check", str(workspace), "--plan", "002-search")
    assert out.returncode == 0 and out.stdout == ""
    before = (workspace / "specs/001-albums/tasks.md").read_bytes()
    out = run_cli("next", str(workspace), "--plan", "001-albums", "--claim", "bot", "--push")
    assert out.returncode == 2 and "root prompt plan only" in out.stderr  # not a wrong plan
    assert (workspace / "specs/001-albums/tasks.md").read_bytes() == before


def test_done_in_a_kiro_plan_changes_one_byte(workspace):
    path = workspace / ".kiro/specs/login/tasks.md"
    before = path.read_bytes()
    out = run_cli("done", "2.1", str(workspace), "--plan", "login")
    assert out.returncode == 0, out.stderr
    after = path.read_bytes()
    assert len(after) == len(before)
    changed = [i for i in range(len(before)) if before[i] != after[i]]
    assert changed == [before.index(b"[ ] 2.1") + 1]
    out = run_cli("next", str(workspace), "--plan", "login")
    assert out.returncode == 3  # only the optional 2.2 is left: task 2 is finished
    out = run_cli("done", "T002", str(workspace), "--plan", "specs/001-albums")
    assert out.returncode == 0 and "task T002: 1 item marked done" in out.stdout
