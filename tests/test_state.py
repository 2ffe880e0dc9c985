"""The plan state's in-place edit path gives exactly what a full parse gives."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from plan_ls.sync.state import PlanState

PLAN = "".join(f"## Step {n}: Part {n}\n```text\nbuild part {n}\n```\n" for n in range(1, 5))
TODO = (
    "# Todo\n## Step 1: Part 1\n- [x] a\n- [ ] b (@ana)\n  - [ ] b.1\n"
    "## Step 2: Part 2\n- [ ] c\n- [x] d\n## Step 3\n- [ ] e\n## Notes\n- [ ] f\n"
)


def fresh(tmp: Path, todo: str) -> PlanState:
    (tmp / "prompt_plan.md").write_text(PLAN)
    (tmp / "todo.md").write_text(todo)
    state = PlanState(tmp)
    state.load_all_from_disk()
    return state


def strip_paths(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "spec"}


edits = st.tuples(
    st.sampled_from([2, 3, 4, 6, 7, 9, 11]),  # item lines
    st.sampled_from(["- [x] ", "- [ ] ", "- [~] ", "  - [x] ", "* [ ] ", "- []"]),
    st.sampled_from(["a", "b (@bo)", "c (step 3)", "Step 2 thing", "", "d ✓ ünï"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(edits, min_size=1, max_size=6))
def test_in_place_edits_match_a_full_parse(tmp_path_factory, changes):
    tmp = tmp_path_factory.mktemp("state")
    state = fresh(tmp, TODO)
    lines = TODO.split("\n")
    for version, (line, prefix, text) in enumerate(changes, 2):
        lines[line] = prefix + text
        state.editor_text("todo", "\n".join(lines), version)
        state.rebuild()
    expected = fresh(tmp_path_factory.mktemp("full"), "\n".join(lines))
    got = strip_paths(state.status_json())
    want = strip_paths(expected.status_json())
    for data in (got, want):  # the two live in different folders
        data["todo"]["path"] = data["plan"]["path"] = None
        for d in data["diagnostics"]:
            d["path"] = None
    assert got == want


def test_a_check_off_takes_the_fast_path(tmp_path):
    state = fresh(tmp_path, TODO)
    generation = state.generation
    parsed = state.snapshot.todo
    state.editor_text("todo", TODO.replace("- [ ] c", "- [x] c"), 2)
    state.rebuild()
    assert state.snapshot.todo is parsed  # updated in place, not parsed again
    assert state.generation == generation + 1
    assert state.snapshot.step_progress(1).done == 2
    assert state.snapshot.heading_progress[0].done == 3
