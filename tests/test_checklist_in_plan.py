"""A plan that holds its own checklist (each step's boxes under it) and no checklist file:
the plan's file plays both roles, every box belongs to the step it sits in, and a checklist
file that appears later takes the role back (issue 12, kind 4)."""

from __future__ import annotations

from pathlib import Path

from plan_ls.model.plan import parse_plan
from plan_ls.model.snapshot import PlanSnapshot
from plan_ls.model.todo import parse_todo
from plan_ls.sync.state import PlanState
from tests.cli_runner import run_cli

PLAN = (
    "# Plan: a bicycle light\n\n"
    "- [ ] a box before any step belongs to none\n\n"
    "## Step 1: Battery holder\n```text\nDesign the holder; tests for the clip.\n```\n"
    "- [x] clip that holds\n- [x] holder test\n\n"
    "## Step 2: Blinking pattern\n"
    "```text\nBlink the LED; a fence with\n- [ ] a box in a prompt\n```\n"
    "- [x] slow blink\n- [ ] fast blink\n  - [ ] timing table\n\n"
    "## Step 3: Mounting bracket\n```text\nPrint the bracket.\n```\n"
    "- [ ] print it\n"
)


def snapshot(text: str) -> PlanSnapshot:
    return PlanSnapshot.build(parse_todo(text), parse_plan(text), checklist_in_plan=True)


def test_each_box_belongs_to_the_step_it_sits_in():
    snap = snapshot(PLAN)
    steps = [snap.plan.steps[link.step].number if link.step is not None else None
             for link in snap.links]
    # the box inside the prompt's fence is prompt text, not an item
    assert steps == [None, "1", "1", "2", "2", "2", "3"]
    assert [str(snap.step_progress(s)) for s in snap.plan.steps] == ["2/2", "1/3", "0/1"]
    assert snap.next_step().number == "2"


def test_the_same_boxes_read_as_a_separate_checklist_link_by_words_instead():
    # without the flag the boxes are a checklist of their own: the box before the steps and
    # the words decide, which is what a plan with a todo.md beside it needs
    snap = PlanSnapshot.build(parse_todo(PLAN), parse_plan(PLAN))
    assert snap.links[0].how != "inside"


def write(root: Path, plan: str = PLAN) -> PlanState:
    (root / "prompt_plan.md").write_text(plan)
    state = PlanState(root)
    state.load_all_from_disk()
    return state


def test_the_plan_file_plays_both_roles_without_a_checklist_file(tmp_path):
    state = write(tmp_path)
    plan = (tmp_path / "prompt_plan.md").resolve()
    assert state.checklist_in_plan and state.path_of("todo") == plan
    assert state.state["todo"] is state.state["plan"]
    assert state.role_of(plan) == "plan" and state.roles_of(plan) == ("plan", "todo")
    # generation writes a checklist file where the settings put it, never over the plan
    assert state.home_of("todo") == tmp_path.resolve() / "todo.md"
    data = state.status_json()
    assert data["todo"]["path"] == str(plan) and (data["todo"]["total"], data["todo"]["done"]) \
        == (7, 3)
    assert data["next_step"]["number"] == "2"


def test_an_edit_through_the_editor_is_seen_by_both_roles(tmp_path):
    state = write(tmp_path)
    text = PLAN.replace("- [ ] fast", "- [x] fast").replace("- [ ] timing", "- [x] timing")
    assert state.editor_text("plan", text, 2)
    snap = state.rebuild()
    assert snap.next_step().number == "3" and snap.overall.done == 5
    assert state.state["todo"].version == 2


def test_a_plan_without_boxes_keeps_no_checklist(tmp_path):
    state = write(tmp_path, "## Step 1: A\n```text\na\n```\n## Step 2: B\n```text\nb\n```\n")
    snap = state.snapshot
    assert snap.todo is None and not snap.checklist_in_plan
    assert snap.next_step().number == "1"  # as before: the first step is next
    assert not [f for f in snap.findings if f.severity == "warning"]


def test_boxes_outside_every_step_are_no_checklist_of_the_steps(tmp_path):
    plan = ("# Plan\n## Before you start\n- [ ] install the toolchain\n- [x] read the spec\n"
            "## Step 1: A\n```text\na\n```\n## Step 2: B\n```text\nb\n```\n")
    snap = write(tmp_path, plan).snapshot
    assert [s.number for s in snap.plan.steps] == ["1", "2"]
    assert snap.todo is None and snap.next_step().number == "1"
    assert not snap.findings


def test_a_checklist_file_that_appears_takes_the_role_back_and_leaves_again(tmp_path):
    state = write(tmp_path)
    todo = tmp_path / "todo.md"
    todo.write_text("## Step 1\n- [ ] clip\n## Step 2\n- [ ] blink\n")
    assert state.disk_changed(todo) == "todo"
    snap = state.rebuild()
    assert not state.checklist_in_plan and state.path_of("todo") == todo.resolve()
    assert snap.overall.total == 2 and snap.next_step().number == "1"
    todo.unlink()
    assert state.disk_changed(todo) == "todo"
    snap = state.rebuild()
    assert state.checklist_in_plan and snap.overall.total == 7


def test_plan_ls_done_checks_off_a_step_in_the_plan_itself(tmp_path):
    (tmp_path / "prompt_plan.md").write_text(PLAN)
    done = run_cli("done", "2", str(tmp_path))
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "prompt_plan.md").read_text()
    # the step's boxes only: the box in the prompt's fence is text
    assert text == PLAN.replace("- [ ] fast blink", "- [x] fast blink").replace(
        "- [ ] timing", "- [x] timing")
    nxt = run_cli("next", str(tmp_path))
    assert "Mounting bracket" in nxt.stderr and nxt.stdout == "Print the bracket.\n"
