"""The task files of spec-kit, Kiro and OpenSpec read as plans: steps, items, task fields,
links, done and next (model/tasks.py, snapshot.py). Fixtures written for these tests."""

from __future__ import annotations

import pytest

from plan_ls.model.edit import apply_edits, mark_items
from plan_ls.model.snapshot import PlanSnapshot
from plan_ls.model.tasks import parse_tasks, task_info
from plan_ls.model.todo import parse_todo


def snap(text: str, fmt: str, archived: bool = False) -> PlanSnapshot:
    return PlanSnapshot.build(parse_todo(text, fmt), parse_tasks(text, fmt),
                              checklist_in_plan=True, archived=archived)


def steps(s: PlanSnapshot) -> list[str]:
    return [st.number for st in s.plan.steps]


def links(s: PlanSnapshot) -> dict[int, str | None]:
    """1-based line of each item -> its step's number."""
    return {it.line + 1: (st.number if (st := s.step_of_item(it)) else None)
            for it in s.todo.items}


def nxt(s: PlanSnapshot) -> str | None:
    step = s.next_step()
    return step.number if step else None


# --- spec-kit -------------------------------------------------------------------------------

SPECKIT = """\
# Tasks: Photo albums

## Format: `[ID] [P?] [Story] Description`

- **[P]**: may run in parallel

## Phase 1: Setup

- [x] T001 Create the project skeleton
- [x] T002 [P] Configure the formatter

## Phase 2: User Story 1 - Albums (Priority: P1) 🎯 MVP

### Tests for User Story 1

- [x] T003 [P] [US1] Contract test for albums in tests/test_albums.py

### Implementation for User Story 1

- [ ] T004 [US1] Album model in src/models/album.py
- [ ] T005 [US1] Album endpoint (depends on T004)

**Checkpoint**: albums can be created and listed

## Phase 3: Polish

- [ ] T006 [P] Write the docs

## Notes

- [P] tasks = different files, no dependencies
"""


def test_speckit_phases_are_the_steps_and_tasks_their_items():
    s = snap(SPECKIT, "spec-kit")
    assert steps(s) == ["1", "2", "3"]
    assert s.plan.steps[1].title.startswith("User Story 1 - Albums")
    assert s.plan.steps[1].name == "Phase 2"
    # sub-headings (### Tests / ### Implementation) stay inside their phase; the legend
    # line "- [P] tasks = ..." and the checkpoint paragraph are no items
    assert links(s) == {9: "1", 10: "1", 16: "2", 20: "2", 21: "2", 27: "3"}
    assert (s.overall.total, s.overall.done) == (6, 3)
    assert nxt(s) == "2"


def test_speckit_task_fields():
    s = snap(SPECKIT, "spec-kit")
    info = {it.line + 1: s.task(it) for it in s.todo.items}
    assert (info[10].id, info[10].parallel, info[10].story) == ("T002", True, None)
    assert (info[16].id, info[16].parallel, info[16].story) == ("T003", True, "US1")
    assert info[21].depends == ("T004",)
    assert task_info("T009 [US2] Wire it up, depends on T007 and T008", "spec-kit").depends \
        == ("T007", "T008")


def test_speckit_the_parallel_legend_is_not_a_box_only_in_speckit():
    text = "## Phase 1: Setup\n- [P] T001, T002 can run in parallel\n- [ ] T001 Do it\n"
    assert [it.text for it in parse_todo(text, "spec-kit").items] == ["T001 Do it"]
    assert len(parse_todo(text).items) == 2  # the prompt-plan checklist is read as before


def test_speckit_a_phase_whose_open_tasks_wait_for_later_work_is_not_next():
    text = ("## Phase 1: Setup\n- [x] T001 Start\n"
            "## Phase 2: Reports\n- [ ] T002 Export reports, depends on T003\n"
            "## Phase 3: Data\n- [ ] T003 Load the data\n")
    s = snap(text, "spec-kit")
    assert s.blocked(1) and not s.blocked(2)
    assert nxt(s) == "3"
    done = apply_edits(text, mark_items([s.todo.items[2]], True))
    assert nxt(snap(done, "spec-kit")) == "2"


def test_speckit_a_second_copy_of_the_list_links_to_its_phases():
    text = ("## Task list\n### Phase 1: Base\n- [x] T001 Base\n"
            "### Phase 2: Screens\n- [x] T002 Screens\n"
            "## Quality checklist\n### Base (Phase 1)\n- [x] T001 Base\n"
            "### Screens (Phase 2)\n- [ ] T002 Screens\n## Notes\n- [ ] loose\n")
    s = snap(text, "spec-kit")
    assert steps(s) == ["1", "2"]  # the copy's headings are no new steps
    assert links(s) == {3: "1", 5: "2", 8: "1", 10: "2", 12: None}
    # T002 is checked in the task list: the stale copy does not hold phase 2 open
    assert nxt(s) is None


def test_speckit_a_phase_without_boxes_is_open():
    text = "## Phase 1: Setup\n### T001: Create types\n## Phase 2: Ship\n- [ ] Release\n"
    s = snap(text, "spec-kit")
    assert steps(s) == ["1", "2"] and links(s) == {4: "2"}
    assert nxt(s) == "1"


# --- Kiro -----------------------------------------------------------------------------------

KIRO = """\
# Implementation Plan

- [x] 1. Create the data layer
  - Define the tables
  - _Requirements: 1.1, 2.3_

- [x] 2. Build the login flow
  - [-] 2.1 Write the login form
    - _Requirements: 3.1_
  - [x] 2.2 Check passwords

- [ ] 3. Sessions
  - [x] 3.1 Store sessions
  - [ ]* 3.2 Property tests for sessions

## Phase 2

- [ ] 4. Notifications
  - [ ] 4.1 Send mail
  - [ ]\\* 4.2 Mail templates
- [ ]\\* 5. Load tests

## Acceptance checklist

- [x] Pages load fast
"""


def test_kiro_numbered_tasks_are_the_steps_and_sub_tasks_their_items():
    s = snap(KIRO, "kiro")
    assert steps(s) == ["1", "2", "3", "4", "5"]
    assert s.plan.steps[2].title == "Sessions"
    # a heading ends a task: the acceptance boxes at the end belong to no task
    assert links(s) == {3: "1", 7: "2", 8: "2", 10: "2", 12: "3", 13: "3", 14: "3",
                        18: "4", 19: "4", 20: "4", 21: "5", 25: None}
    # the optional marker, also escaped by Prettier, is no malformed box
    assert not s.todo.malformed
    assert (s.overall.total, s.overall.done) == (12, 5)


def test_kiro_optional_tasks_never_block_and_a_checked_task_settles_its_sub_tasks():
    s = snap(KIRO, "kiro")
    assert [bool(s.task(it).optional) for it in s.todo.items if it.line + 1 in (13, 14, 20, 21)] \
        == [False, True, True, True]
    # task 2 is checked although 2.1 still shows [-]: finished. Task 3's parent box is open,
    # but its required work (3.1) is done and 3.2 is optional: finished. 4.1 is open.
    assert s.finished(1) and s.finished(2)
    assert nxt(s) == "4"
    text = KIRO.replace("- [ ] 4.1 Send mail", "- [x] 4.1 Send mail")
    assert nxt(snap(text, "kiro")) is None  # only optional work is left


def test_kiro_in_progress_and_requirements_in_the_status_json():
    data = snap(KIRO, "kiro").status_json("tasks.md", "tasks.md")
    by_line = {it["line"]: it for it in data["todo"]["items"]}
    assert by_line[8]["state"] == "in-progress"
    assert by_line[3]["task"] == {"id": "1", "requirements": ["1.1", "2.3"]}
    assert by_line[8]["task"] == {"id": "2.1", "requirements": ["3.1"]}
    assert by_line[14]["task"] == {"id": "3.2", "optional": True}


def test_kiro_sub_tasks_at_column_zero_and_requirement_spellings():
    text = ("### Stage one\n\n- [x] 1. Set up\n  - _需求: 需求4, 需求1-3_\n\n"
            "- [ ]* 1.1 Unit tests\n\n### Stage two\n\n- [ ] 2. Upload\n- [ ]* 2.1 Tests\n")
    s = snap(text, "kiro")
    assert steps(s) == ["1", "2"]
    assert links(s) == {3: "1", 6: "1", 10: "2", 11: "2"}
    assert s.task(s.todo.items[0]).requirements == ("4", "1-3")
    assert nxt(s) == "2"


def test_kiro_hard_cases_from_real_files():
    # an empty list item between tasks splits the list; a task box at [-] over finished
    # sub-tasks is finished; a numbered checklist after a heading is no second set of tasks
    text = ("- [x] 1. Scaffold\n  - [x] 1.1 Folders\n\n-\n\n- [-] 2. Pages\n"
            "  - [x] 2.1 Home\n  - [x] 2.2 About\n\n- [ ] 3. Deploy\n\n## Sign-off\n\n"
            "- [x] 1. Reviewed by the team\n")
    s = snap(text, "kiro")
    assert steps(s) == ["1", "2", "3"]
    assert links(s) == {1: "1", 2: "1", 6: "2", 7: "2", 8: "2", 10: "3", 14: None}
    assert s.finished(1) and nxt(s) == "3"


def test_a_box_glued_to_a_full_width_bracket_is_an_item():
    text = "### 1) Verify\n- [x]（Plan#2）record the results\n- [ ] archive the change\n"
    s = snap(text, "openspec")
    assert [(it.line + 1, it.done) for it in s.todo.items] == [(2, True), (3, False)]
    assert links(s) == {2: "1", 3: "1"}


# --- OpenSpec -------------------------------------------------------------------------------

def test_openspec_numbered_sections_are_the_steps():
    text = ("# Tasks\n\n## 1. Schema\n- [x] 1.1 Add the table\n- [x] 1.2 Migrate\n\n"
            "## 2. API\n- [x] 2.1 Endpoint\n- [ ] 2.2 Docs\n")
    s = snap(text, "openspec")
    assert steps(s) == ["1", "2"]
    assert links(s) == {4: "1", 5: "1", 8: "2", 9: "2"}
    assert nxt(s) == "2"
    assert nxt(snap(text, "openspec", archived=True)) is None  # finished history


def test_openspec_tasks_in_an_ordered_list_and_bold_workstreams():
    ordered = ("# Tasks\n\n1.  [ ] **Read the config**: from a file.\n    *   *Check*: it loads.\n"
               "2.  [x] **Validate**: the schema.\n10. [ ] **Ship**\n")
    s = snap(ordered, "openspec")
    assert steps(s) == ["1", "2", "10"]
    assert links(s) == {3: "1", 5: "2", 6: "10"}
    mixed = ("### Workstreams\n- [x] **A1 Parser**: read input\n- [x] **A2 Writer**: output\n\n"
             "### 0) Audit\n- [x] list the gaps\n  - [x] nested\n### 1) Build\n- [ ] build it\n"
             "### Open questions\n- none yet\n")
    s = snap(mixed, "openspec")
    assert steps(s) == ["A1", "A2", "0", "1"]
    assert links(s) == {2: "A1", 3: "A2", 6: "0", 7: "0", 9: "1"}
    assert nxt(s) == "1"


# --- check-off round trip -------------------------------------------------------------------

@pytest.mark.parametrize("fmt,text,line", [
    ("kiro", KIRO.replace("\n", "\r\n"), 19),
    ("spec-kit", SPECKIT, 20),
    ("kiro", "- [ ]\\* 1. Optional, escaped\n", 1),
])
def test_check_off_changes_the_marker_byte_only(fmt, text, line):
    s = snap(text, fmt)
    item = s.todo.item_at(line - 1)
    new = apply_edits(text, mark_items([item], True))
    assert len(new) == len(text)
    diff = [i for i, (a, b) in enumerate(zip(text, new)) if a != b]
    assert len(diff) == 1 and text[diff[0]] == " " and new[diff[0]] == "x"
    again = snap(new, fmt).todo.item_at(line - 1)
    assert again.done and again.text == item.text
