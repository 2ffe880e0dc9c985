"""Unit and property tests of the plan model (no server, no I/O)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plan_ls.model.edit import apply_edits, claim_edit, mark_items, release_edit
from plan_ls.model.links import item_number
from plan_ls.model.plan import normalize_number, parse_plan
from plan_ls.model.snapshot import PlanSnapshot
from plan_ls.model.spec import parse_spec
from plan_ls.model.todo import parse_todo
from tests.md_strategies import markdown_texts

# --- todo items ------------------------------------------------------------------------------


def test_items_states_nesting_and_headings():
    text = (
        "# Plan\n"
        "## Step 1: Setup\n"
        "- [ ] open item\n"
        "  - [x] nested done\n"
        "    * [X] deeper, capital X\n"
        "+ [~] in progress\n"
        "1. [-] cancelled, numbered\n"
        "2) [ ] paren numbered\n"
    )
    todo = parse_todo(text)
    assert [(i.line, i.marker, i.state, i.depth) for i in todo.items] == [
        (2, " ", "open", 0), (3, "x", "done", 1), (4, "X", "done", 2),
        (5, "~", "in-progress", 0), (6, "-", "cancelled", 0), (7, " ", "open", 0)]
    assert [i.parent for i in todo.items] == [None, 0, 1, None, None, None]
    assert [h.text for h in todo.heading_path(todo.items[0].heading)] == ["Plan",
                                                                          "Step 1: Setup"]
    assert todo.done == 2 and todo.total == 6


def test_boxes_in_code_html_and_quotes_are_not_items():
    text = (
        "```\n- [ ] in a fence\n```\n"
        "~~~md\n- [ ] in a tilde fence\n~~~\n"
        "<details>\n- [ ] in html\n</details>\n\n"
        "> - [ ] in a quote\n\n"
        "    - [ ] indented code\n\n"
        "- [ ] real\n"
    )
    todo = parse_todo(text)
    assert [i.text for i in todo.items] == ["real"]


def test_crlf_tabs_bom_and_unicode():
    text = "\ufeff# Ünïcode ✓\r\n- [x] done ü\r\n\t- [ ] tab item 🚀\r\n"
    todo = parse_todo(text)
    assert [(i.line, i.text, i.parent) for i in todo.items] == [(1, "done ü", None),
                                                                (2, "tab item 🚀", 0)]
    assert todo.headings[0].text == "Ünïcode ✓"
    edits = mark_items(todo.items, True)
    out = apply_edits(text, edits)
    assert out == text.replace("- [ ] tab", "- [x] tab")


def test_bom_on_the_first_line_keeps_the_column_right():
    text = "\ufeff- [ ] first\n"
    todo = parse_todo(text)
    out = apply_edits(text, mark_items(todo.items, True))
    assert out == "\ufeff- [x] first\n"


def test_malformed_checkboxes_are_reported():
    text = "- [] empty\n- [ x] spaced\n-[ ] glued\n- [link](http://x) not a box\n- [ ] fine\n"
    todo = parse_todo(text)
    assert [m.line for m in todo.malformed] == [0, 1, 2]
    assert [i.text for i in todo.items] == ["fine"]


def test_claims_are_read_from_items():
    todo = parse_todo("- [ ] write the parser (@ana)\n- [ ] nobody\n")
    assert [i.claim for i in todo.items] == ["ana", None]


# --- plans -------------------------------------------------------------------------------------


def test_plan_heading_steps_with_prompts():
    text = (
        "# Plan\n\n## Step 1: Skeleton\n\n```text\nMake the skeleton.\n```\n\n"
        "## Step 2: Logic ✅\n\nNo fence here, the body is the prompt.\n"
    )
    plan = parse_plan(text)
    assert [(s.number, s.title, s.line) for s in plan.steps] == [("1", "Skeleton", 2),
                                                                 ("2", "Logic", 8)]
    assert plan.steps[0].prompt_text == "Make the skeleton."
    assert not plan.steps[1].prompts[0].fenced
    assert "body is the prompt" in plan.steps[1].prompt_text


def test_plan_bold_labels_and_phase_groups():
    text = (
        "## Phase 1: Base\n\n**Prompt 1.1: First**\n\n```text\nA\n```\n\n"
        "**Prompt 1.2: Second**\n\n```text\nB\n```\n\n## Phase 2: More\n\n"
        "**Prompt 2.1: Third**\n\n```text\nC\n```\n"
    )
    plan = parse_plan(text)
    assert [(s.number, s.title, s.prompt_text) for s in plan.steps] == [
        ("1.1", "First", "A"), ("1.2", "Second", "B"), ("2.1", "Third", "C")]


def test_steps_that_restart_per_phase_are_qualified():
    text = ("# Phase 1\n## Step 1: a\n```text\nA\n```\n## Step 2: b\n```text\nB\n```\n"
            "# Phase 2\n## Step 1: c\n```text\nC\n```\n")
    plan = parse_plan(text)
    assert [s.number for s in plan.steps] == ["Phase 1 / Step 1", "Phase 1 / Step 2",
                                              "Phase 2 / Step 1"]
    assert plan.find("Phase 2 / Step 1").title == "c"


def test_bare_fences_are_steps():
    plan = parse_plan("# Intro\n\n```text\nFirst prompt\n```\n\n```\nSecond prompt\n```\n")
    assert [s.number for s in plan.steps] == ["1", "2"]
    assert plan.steps[1].prompt_text == "Second prompt"


def test_number_normalisation():
    assert normalize_number("01") == "1"
    assert normalize_number("1.02") == "1.2"
    assert normalize_number("p0") == "P0"


def test_plan_with_no_steps():
    plan = parse_plan("# Just notes\n\nNothing numbered here.\n")
    assert plan.steps == []


# --- linking -----------------------------------------------------------------------------------

PLAN = ("## Step 1: Setup\n```text\nset up\n```\n## Step 2: Parser\n```text\nparse\n```\n"
        "## Step 3: Output formatting\n```text\nformat\n```\n")


def test_item_numbers():
    assert item_number("Step 3: do it") == "3"
    assert item_number("**Prompt 2** wire it") == "2"
    assert item_number("1.2.3 Create the dir") == "1.2.3"
    assert item_number("write tests (step 4)") == "4"
    assert item_number("finish — Step 5") == "5"
    assert item_number("build the 3 step wizard") is None
    assert item_number("Handle step 2 of the onboarding") is None


def test_links_by_item_heading_and_title():
    todo = parse_todo(
        "## Step 1\n- [x] a\n"  # heading number
        "## Misc\n- [ ] b (step 2)\n"  # explicit in item
        "  - [ ] b child\n"  # inherits from parent
        "## Output formatting\n- [ ] c\n"  # by title
        "## Extras\n- [ ] d\n"  # nothing
        "## Step 9: ghost\n- [ ] e\n"  # names a missing step
    )
    snap = PlanSnapshot.build(todo, parse_plan(PLAN))
    got = [(link.step, link.how) for link in snap.links]
    assert got == [(0, "heading"), (1, "item"), (1, "parent"), (2, "title"), (None, "none"),
                   (None, "missing")]
    codes = {f.code for f in snap.findings}
    assert "unknown-step" in codes
    assert snap.step_progress(0).complete and str(snap.step_progress(1)) == "0/2"


def test_drift_findings():
    plan = parse_plan(PLAN + "## Step 2: again\n```text\nx\n```\n")
    todo = parse_todo("## Step 1\n- [ ] first\n- [x] second\n## Step 3\n- [ ] p\n")
    snap = PlanSnapshot.build(todo, plan)
    by_code = {f.code: f for f in snap.findings}
    assert by_code["duplicate-step"].file == "plan"
    # skipped between steps that have items: drift; past the last one: only a note
    assert by_code["step-without-todo"].message.startswith("Step 2")
    assert by_code["step-without-todo"].severity == "warning"
    short = PlanSnapshot.build(parse_todo("## Step 1\n- [ ] a\n## Notes\n- [ ] b\n- [ ] c\n"),
                               parse_plan(PLAN))
    notes = {f.code: f for f in short.findings}
    assert "step-without-todo" not in notes
    assert notes["steps-without-todo"].severity == "information"
    assert notes["steps-without-todo"].message.startswith("2 steps")
    assert notes["unlinked"].severity == "information"
    assert notes["unlinked"].message == "2 todo items belong to no plan step (first on line 4)"
    assert by_code["done-out-of-order"].line == 2
    assert by_code["done-out-of-order"].severity == "information"


def test_next_step_skips_done_and_claimed():
    plan = parse_plan(PLAN.replace("## Step 2: Parser", "## Step 2: Parser (@bot-1)"))
    todo = parse_todo("## Step 1\n- [x] a\n## Step 2\n- [ ] b\n## Step 3\n- [ ] c\n")
    snap = PlanSnapshot.build(todo, plan)
    assert plan.steps[1].claim == "bot-1"
    assert snap.next_step().number == "3"
    assert snap.next_step(skip_claimed=False).number == "2"


def test_status_json_shape():
    snap = PlanSnapshot.build(parse_todo("## Step 1\n- [x] a\n- [ ] b\n"), parse_plan(PLAN))
    data = snap.status_json("/p/todo.md", "/p/prompt_plan.md")
    assert data["todo"]["total"] == 2 and data["todo"]["done"] == 1
    assert data["todo"]["items"][0] == {"line": 2, "text": "a", "done": True, "state": "done",
                                        "step": "1", "claim": None}
    assert data["plan"]["steps"][0]["todo_total"] == 2
    assert {d["path"] for d in data["diagnostics"]} == {"/p/prompt_plan.md"}


def test_spec_sections():
    spec = parse_spec("# Spec\n## Goal\ntext\n## Data\n### Storage\n")
    [root] = spec.sections
    assert [c.title for c in root.children] == ["Goal", "Data"]
    assert root.children[1].children[0].title == "Storage"
    assert [s.title for s in spec.flat()] == ["Spec", "Goal", "Data", "Storage"]


# --- editing -------------------------------------------------------------------------------


def test_claim_and_release_edits():
    line = "- [ ] write the parser"
    e = claim_edit(line, 0, "ana")
    assert apply_edits(line, [e]) == "- [ ] write the parser (@ana)"
    claimed = "- [ ] write the parser (@ana)"
    assert claim_edit(claimed, 0, "ana") is None
    assert apply_edits(claimed, [claim_edit(claimed, 0, "bo")]) == "- [ ] write the parser (@bo)"
    assert apply_edits(claimed, [release_edit(claimed, 0)]) == line


# --- properties ------------------------------------------------------------------------------

_pieces = st.sampled_from([
    "- [ ] ", "- [x] ", "* [X] ", "1. [ ] ", "  - [~] ", "\t- [ ] ", "- [] ", "-[ ] ", "# ",
    "## Step 2: ", "```", "~~~", "> ", "<div>", "</div>", "\n", "\r\n", "\r", "\ufeff", "text",
    "ü🚀", "[x]", "**Prompt 1:**", "    ", "---\n", "<!--", "-->", "Step 1.1: ", "\x00",
])
# character soup, and line-based markdown with quotes, HTML, tables, lazy lines, nested
# fences and mixed indentation (a nested list in a quote once raised IndexError)
texts = st.one_of(st.lists(st.one_of(_pieces, st.text(max_size=8)), max_size=40).map("".join),
                  markdown_texts)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_parsing_any_text_never_raises(text):
    todo = parse_todo(text)
    plan = parse_plan(text)
    parse_spec(text)
    PlanSnapshot.build(todo, plan)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_marking_changes_exactly_the_marker(text):
    todo = parse_todo(text)
    for item in todo.items:
        new = apply_edits(text, mark_items([item], not item.done))
        assert len(new) == len(text)
        diff = [i for i, (a, b) in enumerate(zip(text, new)) if a != b]
        assert len(diff) <= 1  # " " -> "x" or a marker -> " "; "x"/"X" <-> " "
        assert parse_todo(new).items[item.index].done == (not item.done)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_toggling_twice_restores_the_bytes(text):
    todo = parse_todo(text)
    open_items = [i for i in todo.items if i.marker == " "]
    once = apply_edits(text, mark_items(open_items, True))
    again = parse_todo(once)
    back = apply_edits(once, mark_items([again.items[i.index] for i in open_items], False))
    assert back.encode() == text.encode()


def test_a_number_that_names_nothing_gives_way_to_the_text():
    todo = parse_todo("## 4. Parser\n- [ ] p\n")  # the plan calls it step 2
    snap = PlanSnapshot.build(todo, parse_plan(PLAN))
    assert snap.links[0].step == 1
    # its own section numbering, and the words say which step: nothing for the user to fix
    assert not [f for f in snap.findings if f.severity in ("error", "warning")]
    [note] = [f for f in snap.findings if f.code == "renumbered-step"]
    assert "linked to Step 2 by its title" in note.message


def test_deeply_nested_checklists_keep_their_items():
    text = "".join("  " * depth + f"- [ ] level {depth}\n" for depth in range(25))
    todo = parse_todo(text)
    assert [i.depth for i in todo.items] == list(range(25))
    assert all(item.parent == item.index - 1 for item in todo.items[1:])
