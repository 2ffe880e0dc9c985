"""Finding the planning files where authors keep them, from the project or any folder in it."""

from __future__ import annotations

import json
from pathlib import Path

from plan_ls.settings import FileSettings
from plan_ls.sync.state import PlanState
from tests.cli_runner import run_cli

PLAN = "## Step 1: Parse\n```text\nparse it\n```\n## Step 2: Print\n```text\nprint it\n```\n"
TODO = "## Step 1: Parse\n- [x] parse\n## Step 2: Print\n- [ ] print\n"


def status(target: Path, cwd: Path | None = None) -> dict:
    out = run_cli("status", str(target), "--json", cwd=cwd)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def paths(state: PlanState) -> dict[str, str | None]:
    state.load_all_from_disk()
    root = state.root.resolve()
    return {r: state.path_of(r).relative_to(root).as_posix() if state.state[r].text is not None
            else None for r in ("todo", "plan")}


def test_plans_in_docs_are_found(tmp_path):
    write(tmp_path, "docs/prompt_plan.md", PLAN)
    write(tmp_path, "docs/todo.md", TODO)
    data = status(tmp_path)
    assert data["todo"]["path"] == str(tmp_path / "docs" / "todo.md")
    assert [s["todo_done"] for s in data["plan"]["steps"]] == [1, 0]
    assert data["next_step"]["number"] == "2"


def test_a_plan_named_plan_md_and_a_todo_in_capitals(tmp_path):
    write(tmp_path, "plan.md", PLAN)
    write(tmp_path, "TODO.md", TODO)
    assert paths(PlanState(tmp_path)) == {"todo": "TODO.md", "plan": "plan.md"}


def test_a_checklist_with_another_name_beside_the_plan(tmp_path):
    write(tmp_path, "prompt_plan.md", PLAN)
    write(tmp_path, "notes.md", "- [ ] not the checklist\n")
    write(tmp_path, "game-todo.md", TODO)
    assert paths(PlanState(tmp_path)) == {"todo": "game-todo.md", "plan": "prompt_plan.md"}


def test_the_plan_in_another_folder_than_the_checklist(tmp_path):
    write(tmp_path, "docs/todo.md", TODO)
    write(tmp_path, "docs/plans/dev/prompt_plan.md", PLAN)
    write(tmp_path, "other/prompt_plan.md", "## Step 9: Elsewhere\n")
    assert paths(PlanState(tmp_path)) == {"todo": "docs/todo.md",
                                          "plan": "docs/plans/dev/prompt_plan.md"}


def test_ignored_trees_are_never_searched(tmp_path):
    for folder in ("node_modules/pkg", ".venv/lib", "venv", "build"):
        write(tmp_path, f"{folder}/todo.md", TODO)
        write(tmp_path, f"{folder}/prompt_plan.md", PLAN)
    write(tmp_path, ".gitignore", "build/\n")
    assert paths(PlanState(tmp_path)) == {"todo": None, "plan": None}
    write(tmp_path, "docs/todo.md", TODO)
    assert paths(PlanState(tmp_path))["todo"] == "docs/todo.md"


def test_spec_kit_design_plans_deep_in_the_tree_are_not_prompt_plans(tmp_path):
    write(tmp_path, "specs/001-feature/plan.md", "# Implementation plan\n## Phase 1\n")
    write(tmp_path, "specs/001-feature/tasks.md", "- [ ] T001 do it\n")
    assert paths(PlanState(tmp_path))["plan"] is None


def test_named_files_in_the_settings_win(tmp_path):
    write(tmp_path, "docs/todo.md", TODO)
    write(tmp_path, "work/list.md", "## Step 2\n- [ ] only this\n")
    write(tmp_path, "docs/prompt_plan.md", PLAN)
    state = PlanState(tmp_path, FileSettings(todo="work/list.md"))
    assert paths(state) == {"todo": "work/list.md", "plan": "docs/prompt_plan.md"}


def test_from_a_subfolder_the_project_is_found_by_walking_up(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "prompt_plan.md", PLAN)
    write(tmp_path, "todo.md", TODO)
    sub = tmp_path / "src" / "pkg"
    sub.mkdir(parents=True)
    data = status(Path("."), cwd=sub)
    assert data["todo"]["path"] == str(tmp_path / "todo.md")
    assert data["todo"]["done"] == 1


def test_status_of_a_checklist_file_takes_its_folder(tmp_path):
    write(tmp_path, "a/prompt_plan.md", PLAN)
    write(tmp_path, "a/todo.md", TODO)
    write(tmp_path, "b/todo.md", "- [ ] other\n")
    write(tmp_path, "b/extra/tasks-todo.md", TODO.replace("[ ]", "[x]"))
    data = status(tmp_path / "b" / "extra" / "tasks-todo.md")
    assert data["todo"]["path"] == str(tmp_path / "b" / "extra" / "tasks-todo.md")
    assert data["todo"]["done"] == 2


def test_loosely_named_files_are_not_taken_for_the_plan_or_checklist(tmp_path):
    # copies kept aside are no plan: generating one must not overwrite them
    write(tmp_path, "old-prompt_plan.md", PLAN)
    write(tmp_path, "old-todo.md", TODO)
    state = PlanState(tmp_path)
    assert paths(state) == {"todo": None, "plan": None}
    assert state.path_of("plan") == (tmp_path / "prompt_plan.md").resolve()


def test_next_from_a_subfolder_of_a_project_with_plans_in_docs(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "docs/prompt_plan.md", PLAN)
    write(tmp_path, "docs/todo.md", TODO)
    sub = tmp_path / "src"
    sub.mkdir()
    out = run_cli("next", ".", cwd=sub)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "print it\n" and "step 2" in out.stderr
