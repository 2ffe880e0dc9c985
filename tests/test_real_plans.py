"""Plans and checklists as people write them (issue 12), on small fixtures of our own words.

One test (or a few) per kind of failure: outline headings that are not steps, labels that are
not headings, fences inside prompts, checklists without list markers, linking by text, the
next step, and warnings that can be trusted.
"""

from __future__ import annotations

from plan_ls.model.plan import parse_plan
from plan_ls.model.snapshot import PlanSnapshot
from plan_ls.model.todo import parse_todo


def numbers(text: str) -> list[str]:
    return [s.number for s in parse_plan(text).steps]


def fence(body: str, info: str = "text") -> str:
    return f"```{info}\n{body}\n```\n"


# --- 1. numbered headings that are not steps ---------------------------------------------------

OUTLINE = (
    "# 1. Blueprint\nWe build a kettle timer.\n"
    "## 2.1 Chunk A: Clock\nA clock that ticks.\n## 2.2 Chunk B: Alarm\nA bell.\n"
    "# 3. Prompts\n"
    "## 3.1 **Prompt: Chunk A – Clock**\n" + fence("Write the clock, with tests.") +
    "## 3.2 **Prompt: Chunk B – Alarm**\n" + fence("Ring the bell when time is up.") +
    "## 4. Closing notes\nThat is all.\n"
)


def test_outline_headings_around_the_prompts_are_not_steps():
    assert numbers(OUTLINE) == ["3.1", "3.2"]


# --- 2. labels that are not headings ------------------------------------------------------------


def test_a_label_as_the_first_line_of_a_fence():
    plan = "## Prompts\n" + fence("Prompt 1 – Grind the beans\nbody") + \
        fence("Prompt 2 – Boil the water\nbody")
    steps = parse_plan(plan).steps
    assert [(s.number, s.title) for s in steps] == [("1", "Grind the beans"),
                                                    ("2", "Boil the water")]


def test_a_fence_tag_takes_its_title_from_the_line_above_and_numbers_may_skip():
    plan = ("Grind the beans\n" + fence("Kitchen Prompt 4:\ngrind them fine") +
            "\nPour the water\n" + fence("Kitchen Prompt 7:\npour slowly"))
    steps = parse_plan(plan).steps
    assert [(s.number, s.title) for s in steps] == [("4", "Grind the beans"),
                                                    ("7", "Pour the water")]


def test_a_plain_label_repeated_before_its_body_is_one_step():
    plan = ("Prompt 1: Grind\n\nPrompt 1:\nGrind the beans.\n\n"
            "Prompt 2: Brew\n\nPrompt 2:\nBrew the coffee.\n")
    snap = PlanSnapshot.build(None, parse_plan(plan))
    assert [s.number for s in snap.plan.steps] == ["1", "2"]
    assert not [f for f in snap.findings if f.code == "duplicate-step"]


# --- 3. fences inside prompts ---------------------------------------------------------------------


def test_a_fence_nested_in_a_prompt_does_not_swallow_the_next_step():
    plan = ("## Step 1: Clock\n```text\nWrite this:\n  ```py\n  tick = 1\n  ```\nthen wire it.\n"
            "```\n## Step 2: Alarm\n" + fence("Ring the bell."))
    steps = parse_plan(plan).steps
    assert [s.number for s in steps] == ["1", "2"]
    assert "tick = 1" in steps[0].prompt_text and "then wire it." in steps[0].prompt_text
    assert steps[1].prompt_text == "Ring the bell."


def test_a_fence_left_open_gives_back_the_steps_it_swallowed():
    plan = ("### Prompt 1: Clock\n```text\nWrite the clock.\n\n"
            "Prompt 2: Alarm\nRing the bell.\n\nPrompt 3: Snooze\nWait five minutes.\n")
    steps = parse_plan(plan).steps
    assert [s.number for s in steps] == ["1", "2", "3"]
    assert steps[0].prompt_text == "Write the clock."


def test_a_real_unclosed_fence_without_labels_stays_a_fence():
    plan = "## Step 1: Clock\n```text\nWrite the clock.\n# not a heading, code\n"
    steps = parse_plan(plan).steps
    assert [s.number for s in steps] == ["1"]
    assert "# not a heading, code" in steps[0].prompt_text


def test_an_escaped_export_reads_as_markdown():
    plan = "\\#\\# Step 1: Clock\n\\`\\`\\`text\nWrite it.\n\\`\\`\\`\n\\#\\# Step 2: Alarm\n"
    assert numbers(plan) == ["1", "2"]


# --- 4. checklists people actually write ---------------------------------------------------------


def test_boxes_without_list_markers_indented_and_crlf():
    todo = parse_todo("## Kettle\r\n\r\n    [X] Prompt 1: fill it\r\n\r\n"
                      "    [ ] Prompt 2: boil\r\n")
    assert [(i.line, i.marker, i.done) for i in todo.items] == [(2, "X", True), (4, " ", False)]
    for item in todo.items:  # the columns point at the box, for edits
        assert todo.blocks.lines[item.line][item.col:item.col + 3] == f"[{item.marker}]"


def test_sub_tasks_on_continuation_lines():
    todo = parse_todo("- [ ] brew\n  ▶ [x] grind\n  ▶ [ ] pour\n")
    assert [(i.text, i.parent, i.done) for i in todo.items] == [
        ("brew", None, False), ("grind", 0, True), ("pour", 0, False)]


def test_emoji_boxes_and_legend_lines():
    todo = parse_todo("- [P] = can run in parallel\n- [✅] grind\n- [🟡] pour\n- [ ] stir\n")
    assert [(i.text, i.done) for i in todo.items] == [("grind", True), ("pour", False),
                                                       ("stir", False)]
    assert todo.done == 1


def test_headings_folded_in_details_are_not_sections():
    todo = parse_todo("## Step 1: Grind\n- [ ] grind\n<details>\n<summary>old</summary>\n\n"
                      "## Step 9: Ghost\n- [ ] folded away\n\n</details>\n")
    assert [h.text for h in todo.headings] == ["Step 1: Grind"]
    assert [i.heading for i in todo.items] == [0, 0]


def test_front_matter_is_not_a_heading_or_an_item():
    todo = parse_todo("---\ntitle: kettle\n# owner: ana\n---\n## Step 1\n- [ ] boil\n")
    assert [h.text for h in todo.headings] == ["Step 1"] and todo.total == 1


def test_headings_glued_to_the_line_before():
    todo = parse_todo("## Grind\n- [ ] grind fine## Brew\n- [ ] brew\n")
    assert [h.text for h in todo.headings] == ["Grind", "Brew"]
    assert [i.heading for i in todo.items] == [0, 1]


# --- 5. linking by content, not only by number ---------------------------------------------------

PLAN = "".join(f"## Step {n}: {title}\n" + fence(body) for n, (title, body) in enumerate([
    ("Kettle driver", "Write the kettle driver that heats water to a temperature."),
    ("Grinder control", "Control the burr grinder: coarseness and dose in grams."),
    ("Brew scheduler", "Schedule brews at a time of day, with a timer."),
    ("Web dashboard", "Show the kettle and grinder state on a web dashboard."),
], 1))


def links(todo_text: str, plan_text: str = PLAN) -> list[str | None]:
    snap = PlanSnapshot.build(parse_todo(todo_text), parse_plan(plan_text))
    return [snap.plan.steps[link.step].number if link.step is not None else None
            for link in snap.links]


def test_sections_numbered_by_milestone_link_by_their_words():
    todo = ("## Milestone 1: Hardware\n- [ ] kettle driver heats water\n"
            "- [ ] burr grinder coarseness\n"
            "## Milestone 2: Software\n- [ ] brew timer at a time of day\n"
            "- [ ] web dashboard page\n")
    assert links(todo) == ["1", "2", "3", "4"]


def test_a_section_named_by_title_links_without_a_number():
    todo = "## Grinder control\n- [ ] pick coarseness\n- [ ] weigh the dose\n"
    assert links(todo) == ["2", "2"]


def test_numbers_of_another_scheme_give_way_to_the_text():
    # "1." and "2." number the checklist's own sections; the words name steps 3 and 4
    todo = ("## 1. Scheduling\n- [ ] brew scheduler with a timer\n"
            "## 2. Dashboard\n- [ ] web dashboard shows the kettle\n")
    snap = PlanSnapshot.build(parse_todo(todo), parse_plan(PLAN))
    assert [snap.plan.steps[link.step].number for link in snap.links] == ["3", "4"]
    assert not [f for f in snap.findings if f.severity in ("error", "warning")]


def test_a_second_unrelated_checklist_does_not_link_by_number():
    todo = ("## Step 1: Kettle driver\n- [x] heat water\n## Step 2: Grinder control\n- [x] grind\n"
            "# Shopping list\n## 1. Beans\n- [ ] buy beans\n## 2. Milk\n- [ ] buy milk\n")
    assert links(todo)[:2] == ["1", "2"]
    assert links(todo)[2:] == [None, None]


def test_items_that_match_nothing_belong_to_no_step_and_are_not_drift():
    todo = "## Step 1\n- [ ] heat\n## Misc\n- [ ] water the plants\n- [ ] call mum\n"
    snap = PlanSnapshot.build(parse_todo(todo), parse_plan(PLAN))
    assert [link.step for link in snap.links] == [0, None, None]
    notes = [f for f in snap.findings if f.code == "unlinked"]
    assert len(notes) == 1 and notes[0].severity == "information"
    assert notes[0].message.startswith("2 todo items belong to no plan step")


# --- 6. the next step ----------------------------------------------------------------------------


def next_number(todo_text: str, plan_text: str = PLAN) -> str | None:
    step = PlanSnapshot.build(parse_todo(todo_text), parse_plan(plan_text)).next_step()
    return step.number if step else None


def test_a_stale_parent_box_does_not_hold_a_step_open():
    todo = ("## Step 1\n- [ ] set up\n  - [x] unpack\n  - [x] plug in\n"
            "## Step 2\n- [ ] grind\n")
    assert next_number(todo) == "2"


def test_open_leaf_work_holds_a_step_open():
    todo = "## Step 1\n- [x] set up\n  - [ ] plug in\n## Step 2\n- [ ] grind\n"
    assert next_number(todo) == "1"


def test_in_progress_and_cancelled_markers_are_open_work():
    for marker in "~/->":
        todo = f"## Step 1\n- [x] a\n- [{marker}] b\n## Step 2\n- [ ] c\n"
        assert next_number(todo) == "1", marker


def test_steps_marked_done_in_the_plan():
    plan = "".join(f"Prompt {n} — Part {n} ✅ COMPLETED\nDo part {n}.\n\n" for n in (1, 2))
    plan += "Prompt 3 — Part 3\nDo part 3.\n"
    assert next_number("", plan) == "3"
    assert next_number("", plan.replace("Prompt 3 — Part 3", "Prompt 3 — Part 3 ✅")) is None


def test_no_step_is_handed_out_when_nothing_links():
    assert next_number("## Errands\n- [ ] water the plants\n") is None


# --- warnings that can be trusted -------------------------------------------------------------


def test_only_a_step_skipped_between_linked_steps_is_a_warning():
    todo = "## Step 1\n- [ ] a\n## Step 3\n- [ ] c\n"
    snap = PlanSnapshot.build(parse_todo(todo), parse_plan(PLAN))
    warnings = [f.message for f in snap.findings if f.severity == "warning"]
    assert warnings == ["Step 2: Grinder control has no todo item"]
    [note] = [f for f in snap.findings if f.code == "steps-without-todo"]
    assert note.severity == "information" and note.message == "1 step has no todo item: Step 4"


def test_a_labelled_step_number_that_names_nothing_is_a_warning():
    todo = "## Step 1\n- [ ] a\n## Step 9: Ghost\n- [ ] b\n"
    snap = PlanSnapshot.build(parse_todo(todo), parse_plan(PLAN))
    [warning] = [f for f in snap.findings if f.code == "unknown-step"]
    assert warning.severity == "warning" and warning.line == 2


def test_sub_tasks_checked_under_an_open_parent_are_not_out_of_order():
    todo = "## Step 1\n- [ ] set up\n  - [x] unpack\n  - [x] plug in\n- [ ] test\n- [x] ship\n"
    snap = PlanSnapshot.build(parse_todo(todo), parse_plan(PLAN))
    assert [f.line for f in snap.findings if f.code == "done-out-of-order"] == [5]


def test_a_title_that_uses_the_word_done_is_not_a_done_mark():
    plan = ("## Step 1: Add and done commands\n" + fence("x") +
            "## Step 2: Parse ✅ COMPLETED\n" + fence("y") + "## ✅ Step 3: Print\n" + fence("z"))
    assert [s.marked_done for s in parse_plan(plan).steps] == [False, True, True]


def test_done_work_fits_a_collapsed_range_the_plan_marks_done():
    # the first prompts folded into one finished heading with few words; the checklist
    # numbers its own phases, and its finished work sometimes shares a word with a later step
    plan = ("### ✅ Prompts 1-4: COMPLETED\nThe basics are built and tested.\n\n"
            "### Prompt 5 — Milk frother\n" + fence("Froth milk with the steam wand; tests first.")
            + "### Prompt 6 — Latte art\n" + fence("Pour latte art patterns: heart and tulip."))
    todo = ("## Phase 0: Setup ✅\n- [x] **0.1: Repository**\n- [x] **0.2: Milk fridge sensor**\n"
            "## Phase 1: Brewing ✅\n- [x] **1.1: Espresso shot timing**\n- [x] **1.2: Tamping**\n"
            "## Phase 2: Next\n- [ ] **2.1: Steam wand frother**\n"
            "- [ ] **2.2: Latte art patterns**\n")
    assert links(todo, plan) == ["1-4"] * 4 + ["5", "6"]
    assert next_number(todo, plan) == "5"


def test_an_unnumbered_section_named_by_most_of_a_title_links_its_sub_sections():
    # "Final integration and release" names most of the last step's title in other words
    # (and every prompt speaks of integration); its sub-sections' items share no word with
    # any step and still belong to it
    plan = "".join(f"## Step {n}: {title}\n" + fence(body) for n, (title, body) in enumerate([
        ("Kettle driver", "Heat water; integration with the board."),
        ("Grinder control", "Burr coarseness; integration with the kettle."),
        ("Final integration testing", "Run the whole machine end to end; integration."),
    ], 1))
    todo = ("## Step 1\n- [x] heat\n## Step 2\n- [ ] grind\n"
            "## Final integration and release\n### Before release\n- [ ] every page checked\n"
            "### Release\n- [ ] version tagged\n")
    assert links(todo, plan) == ["1", "2", "3", "3"]


def test_a_numbered_group_heading_is_not_read_loosely_as_a_title():
    # "Milestone 3 – Brew scheduler work" groups work of its own and may run into the next
    # step: its number keeps the loose title reading away, so clear words still move an item
    todo = ("## Step 1\n- [x] heat\n## Step 2\n- [x] grind\n"
            "## Milestone 3 – Brew scheduler work\n- [ ] brew timer at a time of day\n"
            "- [ ] the state shown on the dashboard\n")
    assert links(todo) == ["1", "2", "3", "4"]
