"""The pure navigation model (issue 16): mentions, number spans, outline, folds, renumbering."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_ls.model.edit import apply_edits
from plan_ls.model.navigation import (
    find_mentions,
    matches_query,
    mention_at,
    plan_folds,
    plan_outline,
    step_number_span,
)
from plan_ls.model.plan import parse_plan
from plan_ls.model.renumber import RenameRefused, format_like, rename_step, rename_target
from plan_ls.model.todo import parse_todo

PLAN = """# Bakery plan

## Part A: Dough

### Prompt 01: Mix the flour

```text
Start here.
```

### Prompt 02: Knead ü

```text
Knead what Prompt 01 mixed; Steps 1-2 are the base. See step 2 as well.
```

## Part B: Oven

### Prompt 03: Bake

```text
Bake it.
```
"""


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def test_mentions_resolve_and_skip_ranges_and_unknown_numbers():
    plan = parse_plan(PLAN)
    text = "- [ ] prompt 2 then Prompt 9, steps 1-3, task 3, Step 03"
    found = find_mentions([text], plan)
    assert [(text[m.start:m.end], m.number, m.step) for m in found] == [
        ("prompt 2", "2", 1), ("Prompt 9", "9", None), ("Step 03", "03", 2)]
    m = found[0]
    assert text[m.num_start:m.num_end] == "2"
    assert mention_at(found, 0, m.end) is m  # a cursor just after the word still names it
    assert mention_at(found, 0, m.end + 1) is None


def test_number_spans_of_each_labelling():
    plans = {
        "## Step 3: Build\n\n```text\nx\n```\n\n## Step 4: Ship\n\n```text\ny\n```\n": "3",
        "## 3. Build\n\n```text\nx\n```\n\n## 4. Ship\n\n```text\ny\n```\n": "3",
        "**Prompt 3:** build\n\n```text\nx\n```\n\n**Prompt 4:** ship\n\n```text\ny\n```\n": "3",
        "```text\nPROMPT 3: build\n```\n\n```text\nPROMPT 4: ship\n```\n": "3",
    }
    for text, number in plans.items():
        plan = parse_plan(text)
        lines = plan.blocks.source_lines()
        span = step_number_span(lines, plan.steps[0])
        assert span is not None, text
        assert lines[span.line][span.start:span.end] == number, text
    bare = parse_plan("```text\nDo a thing.\n```\n")
    assert step_number_span(bare.blocks.source_lines(), bare.steps[0]) is None


def test_outline_nests_steps_under_parts():
    plan = parse_plan(PLAN)
    nodes = plan_outline(plan, lambda s: f"{s.index}/9")
    assert [(n.name, n.kind, n.line, n.end_line,
             [(c.name, c.detail, c.line) for c in n.children]) for n in nodes] == [
        ("Part A: Dough", "phase", 2, 16, [("Prompt 01: Mix the flour", "0/9", 4),
                                           ("Prompt 02: Knead ü", "1/9", 10)]),
        ("Part B: Oven", "phase", 16, 24, [("Prompt 03: Bake", "2/9", 18)]),
    ]


def test_folds_end_at_the_last_text_of_a_step():
    plan = parse_plan(PLAN)
    assert [(f.start, f.end, f.kind) for f in plan_folds(plan)] == [
        (4, 8, "step"), (6, 8, "fence"), (10, 14, "step"), (12, 14, "fence"),
        (18, 22, "step"), (20, 22, "fence")]


def test_query_matches_characters_in_order():
    assert matches_query("knd", "Prompt 02: Knead ü")
    assert matches_query("", "anything")
    assert not matches_query("bake", "Prompt 02: Knead ü")


def test_rename_keeps_padding_and_changes_only_numbers():
    plan = parse_plan(PLAN)
    lines = plan.blocks.source_lines()
    todo = "## Prompt 1\n- [ ] mix (prompt 01)\n- [ ] knead, after Prompt 1\n"
    edits = rename_step(plan, plan.steps[0], "7", lines, {"todo": lines_of(todo)})
    assert apply_edits(PLAN, edits["plan"]) == PLAN.replace("Prompt 01: Mix", "Prompt 07: Mix") \
        .replace("what Prompt 01", "what Prompt 07")
    assert apply_edits(todo, edits["todo"]) == todo.replace("1", "7").replace("01", "07")
    assert format_like("03", "4") == "04" and format_like("3", "12") == "12"
    assert format_like("003", "1.2") == "1.2"


def test_rename_refusals():
    plan = parse_plan(PLAN)
    lines = plan.blocks.source_lines()
    with pytest.raises(RenameRefused, match="already has the number 3"):
        rename_step(plan, plan.steps[0], "3", lines, {})
    with pytest.raises(RenameRefused, match="not a step number"):
        rename_step(plan, plan.steps[0], "three", lines, {})
    assert rename_step(plan, plan.steps[0], "1", lines, {}) == {}  # "01" is 1 already
    with pytest.raises(RenameRefused, match="line 2 of the todo names a step 9"):
        rename_step(plan, plan.steps[0], "9", lines, {"todo": ["# x", "- [ ] see step 9"]})


def test_rename_target_on_a_numbered_heading():
    text = "## 1. Set up\n\n```text\nx\n```\n\n## 2. Build\n\n```text\nsee step 1\n```\n"
    plan = parse_plan(text)
    lines = plan.blocks.source_lines()
    mentions = find_mentions(lines, plan)
    target = rename_target(plan, lines, mentions, 0, 3, in_plan=True)
    assert target is not None and (target.step.index, target.number) == (0, "1")
    assert rename_target(plan, lines, mentions, 0, 8, in_plan=True) is None  # on the title
    edits = rename_step(plan, target.step, "4", lines, {})
    assert apply_edits(text, edits["plan"]) == text.replace("## 1.", "## 4.").replace(
        "step 1", "step 4")


# --- property: renaming on generated plans -------------------------------------------------

_SCHEMES = {
    "heading": lambda n, title: f"## Step {n}: {title}",
    "padded": lambda n, title: f"### Prompt {n:02d}: {title}",
    "numbered": lambda n, title: f"## {n}. {title}",
    "bold": lambda n, title: f"**Prompt {n}:** {title}",
}
_WORDS = st.sampled_from(["set", "up", "café", "store", "🚀", "page", "tests", "wire", "über"])


@st.composite
def plans(draw):
    """(plan text, todo text, a step index, a number 8-99): whole-numbered plans in each
    labelling of _SCHEMES, and dotted ones ("## Step 1.2: x", numbers restarting under each
    group), with mentions of their steps and of some missing ones."""
    scheme = draw(st.sampled_from(sorted(_SCHEMES) + ["dotted", "phased"]))
    if scheme == "phased":  # "## Phase 1" with Step 1, 2, ..., "## Phase 2" from Step 1 again
        return draw(phased_plans())
    if scheme == "dotted":  # groups of 1-3 steps: 1.1, 1.2, 2.1, ...
        sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).filter(
            lambda s: sum(s) >= 2))
        numbers = [f"{g}.{k}" for g, size in enumerate(sizes, 1) for k in range(1, size + 1)]
        missing = [f"{g}.{size + 1}" for g, size in enumerate(sizes, 1)] + \
            [f"{len(sizes) + 1}.1"]
    else:
        count = draw(st.integers(2, 7))
        numbers = [str(n) for n in range(1, count + 1)]
        missing = [str(count + 1), str(count + 2)]
    word = "Prompt" if scheme in ("padded", "bold") else "Step"
    label = _SCHEMES.get(scheme, lambda n, title: f"## Step {n}: {title}")
    refs = st.sampled_from(numbers + missing)  # sometimes a step the plan lacks
    parts = ["# Plan", ""]
    for n in numbers:
        title = " ".join(draw(st.lists(_WORDS, min_size=1, max_size=3)))
        parts += [label(int(n) if n.isdigit() else n, title), "", "```text",
                  f"Do {title}; builds on {word} {draw(refs)}.", "```", ""]
    plan_text = "\n".join(parts)
    todo_lines = ["# Todo", ""]
    for _ in range(draw(st.integers(0, 8))):
        todo_lines.append(f"- [ ] {' '.join(draw(st.lists(_WORDS, max_size=2)))} "
                          f"({draw(st.sampled_from(['step', 'Step', 'prompt']))} "
                          f"{draw(refs)})")
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    todo_text = ending.join(todo_lines) + ending
    return plan_text, todo_text, draw(st.integers(0, len(numbers) - 1)), \
        draw(st.integers(8, 99))


@st.composite
def phased_plans(draw):
    """Like plans(), with numbers restarting in every phase (keys "1/1", "1/2", "2/1"); a
    mention in the plan names a step of its own phase, one in the checklist any phase's."""
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=3))
    parts = ["# Plan", ""]
    for g, size in enumerate(sizes, 1):
        parts += [f"## Phase {g}: {draw(_WORDS)}", ""]
        for k in range(1, size + 1):
            title = " ".join(draw(st.lists(_WORDS, min_size=1, max_size=3)))
            parts += [f"### Step {k}: {title}", "", "```text",
                      f"Do {title}; builds on Step {draw(st.integers(1, size + 1))}.", "```",
                      ""]
    todo_lines = ["# Todo", ""]
    for _ in range(draw(st.integers(0, 2))):
        todo_lines.append(f"- [ ] {draw(_WORDS)} (step {draw(st.integers(1, max(sizes)))})")
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return "\n".join(parts), ending.join(todo_lines) + ending, \
        draw(st.integers(0, sum(sizes) - 1)), draw(st.integers(8, 99))


def _named_steps(plan, lines: list[str], in_plan: bool) -> list[int | None]:
    """The step each mention of `lines` names: in a per-phase plan, a mention in the plan
    names its own phase's step (read from the "## Phase N" heading above it)."""
    mentions = find_mentions(lines, plan)
    if not any("/" in s.key for s in plan.steps):
        return [m.step for m in mentions]
    out = []
    for m in mentions:
        phase = next((ln.split()[2].rstrip(":") for ln in reversed(lines[:m.line + 1])
                      if ln.startswith("## Phase ")), None) if in_plan else None
        found = plan.by_key.get(f"{phase}/{int(m.number)}") if phase else None
        out.append(found[0] if found else None)
    return out


def _is_phased(plan) -> bool:
    return any("/" in s.key for s in plan.steps)


def _parents(plan) -> list[str]:
    """Each step's group: "1" for 1.2 and for Phase 1 / Step 2 ("1/2"), "" for a whole
    number."""
    return [re.split(r"[./](?=\d+$)", s.key)[0] if re.search(r"[./]", s.key) else ""
            for s in plan.steps]


def _consecutive(plan) -> bool:
    """Whether each group's steps are numbered 1, 2, 3 … in order (whole, dotted, phased)."""
    seen: dict[str, int] = {}
    for s, parent in zip(plan.steps, _parents(plan)):
        last = re.split(r"[./]", s.key)[-1]
        seen[parent] = seen.get(parent, 0) + 1
        if last != str(seen[parent]):
            return False
    return True


def _number_edit(old: str, new: str) -> bool:
    """Whether an edit changes only a step number, in its scheme: digits for digits, or the
    last component of a dotted number ("1.3" -> "1.4")."""
    number = re.compile(r"\d+(?:\.\d+)*")
    return bool(number.fullmatch(old) and number.fullmatch(new)
                and old.rpartition(".")[0] == new.rpartition(".")[0])


# 60 examples each: the branches these properties reach in plan_ls stop growing by 40-80
# (measured over 3 seeds at 40/80/150: the same ~860-875 arcs, ~1510 for remove_step)
NAV = settings(max_examples=60, deadline=None)


@NAV
@given(plans())
def test_rename_property(case):
    plan_text, todo_text, index, new = case
    plan = parse_plan(plan_text)
    plan_lines = plan.blocks.source_lines()
    todo_lines = parse_todo(todo_text).blocks.source_lines()
    before = {"plan": find_mentions(plan_lines, plan), "todo": find_mentions(todo_lines, plan)}
    keys = [s.key for s in plan.steps]
    named = {"plan": _named_steps(plan, plan_lines, True),
             "todo": _named_steps(plan, todo_lines, False)}
    parent = _parents(plan)[index]
    phased = _is_phased(plan)
    new = f"{parent}.{new}" if parent and not phased else str(new)  # in the plan's scheme
    new_key = f"{parent}/{new}" if phased else new
    try:
        edits = rename_step(plan, plan.steps[index], new, plan_lines, {"todo": todo_lines})
    except RenameRefused as exc:  # only ever because a dangling mention uses the number
        if phased and "would repeat across phases" in str(exc):  # it would stop being one
            assert len({k.split("/")[1] for i, k in enumerate(keys) if i != index}) == \
                len(keys) - 1
            return
        if phased and "which phase" in str(exc):  # or a checklist mention of the old one
            old = plan.steps[index].key.split("/")[1]
            assert any(m.number == old for m in before["todo"])
            return
        assert "that the plan lacks" in str(exc)
        assert any(m.step is None and m.number == new for ms in before.values() for m in ms)
        return
    texts = {"plan": plan_text, "todo": todo_text}
    after_texts = {k: apply_edits(v, edits.get(k, [])) for k, v in texts.items()}
    renamed = parse_plan(after_texts["plan"])
    # the step has its new number, every other step keeps its own
    if _is_phased(renamed) or not phased:
        assert [s.key for s in renamed.steps] == [new_key if i == index else k
                                                  for i, k in enumerate(keys)]
    # every mention still names the step it named (a missing step stays missing)
    for k in texts:
        lines = parse_todo(after_texts[k]).blocks.source_lines() if k == "todo" else \
            renamed.blocks.source_lines()
        after = find_mentions(lines, renamed)
        assert [m.line for m in after] == [m.line for m in before[k]]
        assert _named_steps(renamed, lines, k == "plan") == named[k]
    # nothing but the numbers changed: each edit replaces digits with digits, and the lines
    # are the same once the edited spans are cut out
    for k, file_edits in edits.items():
        old_lines = texts[k].split("\n")
        for e in file_edits:
            assert _number_edit(old_lines[e.line][e.start:e.end], e.text)
        by_line: dict[int, list] = {}
        for e in sorted(file_edits, key=lambda e: (e.line, e.start)):
            by_line.setdefault(e.line, []).append(e)
        new_lines = after_texts[k].split("\n")
        assert len(new_lines) == len(old_lines)
        for n, (a, b) in enumerate(zip(old_lines, new_lines)):
            old_spans, new_spans, shift = [], [], 0
            for e in by_line.get(n, []):
                old_spans.append((e.start, e.end))
                new_spans.append((e.start + shift, e.start + shift + len(e.text)))
                shift += len(e.text) - (e.end - e.start)
            assert _cut(a, old_spans) == _cut(b, new_spans)


def _cut(line: str, spans: list[tuple[int, int]]) -> str:
    for start, end in reversed(spans):
        line = line[:start] + line[end:]
    return line


def test_completion_spot():
    from plan_ls.model.navigation import completion_spot

    plan = parse_plan(PLAN)
    assert completion_spot("- [ ] after Prompt ", plan).kind == "step"
    spot = completion_spot("- [ ] after step 1", plan)
    assert (spot.kind, spot.start, spot.typed) == ("step", 17, "1")
    assert completion_spot("- [ ] after task ", plan) is None  # not a word this plan uses
    assert completion_spot("- [ ] footstep ", plan) is None
    spot = completion_spot("- [ ] x (@an", plan)
    assert (spot.kind, spot.start, spot.typed) == ("claim", 10, "an")
    assert completion_spot("- [ ] plain", plan) is None


@NAV
@given(plans())
def test_insert_step_property(case):
    from plan_ls.model.renumber import insert_step_after

    plan_text, todo_text, index, _ = case
    plan = parse_plan(plan_text)
    plan_lines = plan.blocks.source_lines()
    todo_lines = parse_todo(todo_text).blocks.source_lines()
    before = {"plan": _named_steps(plan, plan_lines, True),
              "todo": _named_steps(plan, todo_lines, False)}
    try:
        edits = insert_step_after(plan, plan.steps[index], plan_lines, {"todo": todo_lines})
    except RenameRefused as exc:  # only a checklist mention that could name a moved step
        last = int(re.split(r"[./]", plan.steps[index].key)[-1])
        assert _is_phased(plan) and "which phase" in str(exc)
        assert any(int(m.number) > last for m in find_mentions(todo_lines, plan))
        return
    texts = {"plan": plan_text, "todo": todo_text}
    after_texts = {k: apply_edits(v, edits.get(k, [])) for k, v in texts.items()}
    after = parse_plan(after_texts["plan"])
    # numbered consecutively, in the file's scheme, with the new step after the chosen one
    assert _consecutive(after)
    parents = _parents(plan)
    assert _parents(after) == parents[:index + 1] + parents[index:]
    assert {s.kind for s in after.steps} == {s.kind for s in plan.steps}
    assert after.steps[index + 1].title == "New step"
    # every mention names the same step as before (shifted past the new one), or none
    new_label = after.steps[index + 1].line
    for k in texts:
        lines = parse_todo(after_texts[k]).blocks.source_lines() if k == "todo" else \
            after.blocks.source_lines()
        now = [step for m, step in zip(find_mentions(lines, after),
                                       _named_steps(after, lines, k == "plan"))
               if not (k == "plan" and m.line == new_label)]
        assert now == [None if step is None else step + (step > index) for step in before[k]]
    # only numbers change, besides the one inserted block
    inserts = [e for e in edits["plan"] if "\n" in e.text]
    assert len(inserts) == 1
    numbers_only = apply_edits(plan_text, [e for e in edits["plan"] if "\n" not in e.text])
    assert after_texts["plan"].replace(inserts[0].text, "", 1) == numbers_only
    for k, file_edits in edits.items():
        for e in file_edits:
            if "\n" not in e.text:
                assert _number_edit(texts[k].split("\n")[e.line][e.start:e.end], e.text)


@NAV
@given(plans())
def test_move_step_property(case):
    from plan_ls.model.renumber import move_step_down

    plan_text, todo_text, index, _ = case
    plan = parse_plan(plan_text)
    if index + 1 >= len(plan.steps):
        index = len(plan.steps) - 2
    plan_lines = plan.blocks.source_lines()
    todo_lines = parse_todo(todo_text).blocks.source_lines()
    titles = [s.title for s in plan.steps]
    before = {"plan": find_mentions(plan_lines, plan), "todo": find_mentions(todo_lines, plan)}
    try:
        edits = move_step_down(plan, plan.steps[index], plan_lines, {"todo": todo_lines})
    except RenameRefused as exc:  # per phase: across phases, or a checklist mention of either
        a, b = plan.steps[index].key.split("/"), plan.steps[index + 1].key.split("/")
        assert _is_phased(plan)
        if a[0] != b[0]:
            assert "different phases" in str(exc)
        else:
            assert "which phase" in str(exc)
            assert any(int(m.number) in (int(a[1]), int(b[1])) for m in before["todo"])
        return
    texts = {"plan": plan_text, "todo": todo_text}
    after_texts = {k: apply_edits(v, edits.get(k, [])) for k, v in texts.items()}
    after = parse_plan(after_texts["plan"])
    # the numbers stay in order; the two steps changed places
    assert [s.key for s in after.steps] == [s.key for s in plan.steps]
    swapped = titles[:index] + [titles[index + 1], titles[index]] + titles[index + 2:]
    assert [s.title for s in after.steps] == swapped
    # nothing added or lost, only moved (the generated numbers have one digit each)
    assert len(after_texts["plan"]) == len(plan_text)

    def named(plan, lines, in_plan):
        return [None if n is None else plan.steps[n].title
                for n in _named_steps(plan, lines, in_plan)]

    # in the checklist every mention names the step it named (by title), in place
    todo_after = parse_todo(after_texts["todo"]).blocks.source_lines()
    assert named(after, todo_after, False) == named(plan, todo_lines, False)
    assert [m.line for m in find_mentions(todo_after, after)] == \
        [m.line for m in before["todo"]]
    # in the plan the text moved: the same mentions, in another order
    assert sorted(map(str, named(after, after.blocks.source_lines(), True))) == \
        sorted(map(str, named(plan, plan_lines, True)))


@NAV
@given(plans())
def test_remove_step_property(case):
    from plan_ls.model.drift import find_drift
    from plan_ls.model.links import link_items
    from plan_ls.model.plan import REMOVED_MENTION
    from plan_ls.model.renumber import remove_step

    plan_text, todo_text, index, _ = case
    plan = parse_plan(plan_text)
    step = plan.steps[index]
    plan_lines = plan.blocks.source_lines()
    todo_lines = parse_todo(todo_text).blocks.source_lines()
    titles = [s.title for s in plan.steps]
    before = {"plan": find_mentions(plan_lines, plan), "todo": find_mentions(todo_lines, plan)}
    named = {"plan": _named_steps(plan, plan_lines, True),
             "todo": _named_steps(plan, todo_lines, False)}
    try:
        edits = remove_step(plan, step, plan_lines, {"todo": todo_lines})
    except RenameRefused as exc:  # only a checklist mention that could name a moved step
        last = int(re.split(r"[./]", step.key)[-1])
        assert _is_phased(plan) and "which phase" in str(exc)
        assert any(int(m.number) >= last for m in find_mentions(todo_lines, plan))
        return
    texts = {"plan": plan_text, "todo": todo_text}
    after_texts = {k: apply_edits(v, edits.get(k, [])) for k, v in texts.items()}
    after = parse_plan(after_texts["plan"])
    # numbered consecutively in the file's scheme; the removed step's title is gone
    assert _consecutive(after)
    parents = _parents(plan)
    # (a per-phase plan left with steps in one phase only is read as numbered 1, 2, 3 …)
    assert _parents(after) == parents[:index] + parents[index + 1:] or \
        _is_phased(plan) and not _is_phased(after)
    assert {s.kind for s in after.steps} == {s.kind for s in plan.steps}
    assert [s.title for s in after.steps] == titles[:index] + titles[index + 1:]
    # every mention names the same step as before (shifted down past the removed one), or,
    # where it named the removed step, is struck through and names none
    for k in texts:
        lines = parse_todo(after_texts[k]).blocks.source_lines() if k == "todo" else \
            after.blocks.source_lines()
        kept = [n for m, n in zip(before[k], named[k])
                if not (k == "plan" and step.line <= m.line < step.end_line)]
        now = _named_steps(after, lines, k == "plan")
        assert now == [None if n is None else n - (n > index) for n in kept if n != index]
        struck = [(n, m.group("num")) for n, line in enumerate(lines)
                  for m in REMOVED_MENTION.finditer(line)]
        assert len(struck) == sum(1 for n in kept if n == index)
    # the checklist keeps every item; those that named the removed step belong to none and
    # are reported, once per line
    todo_after = parse_todo(after_texts["todo"])
    assert len(todo_after.items) == len(parse_todo(todo_text).items)
    links = link_items(todo_after, after)
    removed_lines = {m.line for m in before["todo"] if m.step == index}
    assert {i.line for i, link in zip(todo_after.items, links) if link.how == "removed"} \
        == removed_lines
    findings = find_drift(todo_after, after, links)
    assert {f.line for f in findings if f.code == "removed-step"} == removed_lines
    # only numbers change, mentions of the removed step gain "~~" around them, and the one
    # cut takes exactly the removed step's lines (and the blank lines that part it)
    cuts = [e for e in edits["plan"] if e.end_line is not None]
    assert len(cuts) == 1
    cut = cuts[0]
    cut_lines = plan_text.split("\n")

    def offset(line: int, column: int) -> int:
        return sum(len(text) + 1 for text in cut_lines[:line]) + column

    gone = plan_text[offset(cut.line, cut.start):offset(cut.end_line, cut.end)]
    assert gone.strip("\n") == "\n".join(cut_lines[step.line:step.end_line]).strip("\n")
    assert cut.text in ("", "\n")
    for k, file_edits in edits.items():
        old_lines = texts[k].split("\n")
        for e in file_edits:
            if e is cut:
                continue
            old = old_lines[e.line][e.start:e.end]
            assert _number_edit(old, e.text) or e.text == f"~~{old}~~"


def test_remove_step_strikes_its_mentions_and_refuses_to_drop_boxes():
    from plan_ls.model.renumber import remove_step

    text = ("## Step 1: Dig\n\n```text\nx\n```\n\n## Step 2: Pour\n\n```text\nafter Step 1\n```\n"
            "\n## Step 3: Cure\n\n```text\nwhat Step 2 poured\n```\n")
    todo = "## Step 2: Pour\n- [ ] mix\n\n## Step 3: Cure\n- [ ] wait (step 3)\n"
    plan = parse_plan(text)
    edits = remove_step(plan, plan.steps[1], plan.blocks.source_lines(), {"todo": lines_of(todo)})
    assert apply_edits(text, edits["plan"]) == (
        "## Step 1: Dig\n\n```text\nx\n```\n\n## Step 2: Cure\n\n```text\nwhat ~~Step 2~~ "
        "poured\n```\n")
    assert apply_edits(todo, edits["todo"]) == \
        "## ~~Step 2~~: Pour\n- [ ] mix\n\n## Step 2: Cure\n- [ ] wait (step 2)\n"
    last = remove_step(plan, plan.steps[2], plan.blocks.source_lines(), {})
    assert apply_edits(text, last["plan"]) == text[:text.index("\n## Step 3")]
    boxed = parse_plan("## Step 1: A\n\n- [ ] a\n\n## Step 2: B\n\n- [x] b\n")
    with pytest.raises(RenameRefused, match="Step 2 holds checklist items \\(line 7\\)"):
        remove_step(boxed, boxed.steps[1], boxed.blocks.source_lines(), {})
    with pytest.raises(RenameRefused, match="only step"):
        single = parse_plan("## Step 1: A\n\n```text\nx\n```\n")
        remove_step(single, single.steps[0], single.blocks.source_lines(), {})


# --- numbering schemes kept: dotted ------------------------------------------------------------

_DOTTED = ("## Step 1.1: Dig\n\n```text\nx\n```\n\n## Step 1.2: Pour\n\n```text\nafter Step 1.1;"
           " before Step 1.3 and Step 2.1; step 1.4 is not written\n```\n\n"
           "## Step 1.3: Cure\n\n```text\nc\n```\n\n## Step 2.1: Paint\n\n```text\n"
           "on what step 1.3 cured\n```\n")
_DOTTED_TODO = "- [ ] a (Step 1.3)\n- [ ] b (step 2.1)\n- [ ] c (Step 1.2)\n"


def test_insert_in_a_dotted_plan_renumbers_only_the_group():
    from plan_ls.model.renumber import insert_step_after

    plan = parse_plan(_DOTTED)
    edits = insert_step_after(plan, plan.steps[1], plan.blocks.source_lines(),
                              {"todo": lines_of(_DOTTED_TODO)})
    assert apply_edits(_DOTTED, edits["plan"]) == _DOTTED.replace(
        "Step 1.3 and", "Step 1.4 and").replace("step 1.4 is", "step 1.5 is").replace(
        "## Step 1.3: Cure", "## Step 1.3: New step\n\n```text\n\n```\n\n## Step 1.4: Cure"
    ).replace("what step 1.3", "what step 1.4")
    assert apply_edits(_DOTTED_TODO, edits["todo"]) == _DOTTED_TODO.replace("1.3", "1.4")


def test_remove_and_move_in_a_dotted_plan():
    from plan_ls.model.renumber import move_step_down, remove_step

    plan = parse_plan(_DOTTED)
    lines = plan.blocks.source_lines()
    edits = remove_step(plan, plan.steps[0], lines, {"todo": lines_of(_DOTTED_TODO)})
    assert apply_edits(_DOTTED, edits["plan"]) == (
        "## Step 1.1: Pour\n\n```text\nafter ~~Step 1.1~~; before Step 1.2 and Step 2.1; "
        "step 1.4 is not written\n```\n\n## Step 1.2: Cure\n\n```text\nc\n```\n\n"
        "## Step 2.1: Paint\n\n```text\non what step 1.2 cured\n```\n")
    assert apply_edits(_DOTTED_TODO, edits["todo"]) == \
        "- [ ] a (Step 1.2)\n- [ ] b (step 2.1)\n- [ ] c (Step 1.1)\n"
    edits = move_step_down(plan, plan.steps[1], lines, {"todo": lines_of(_DOTTED_TODO)})
    assert apply_edits(_DOTTED_TODO, edits["todo"]) == \
        "- [ ] a (Step 1.2)\n- [ ] b (step 2.1)\n- [ ] c (Step 1.3)\n"


def test_dotted_steps_with_children_are_refused():
    from plan_ls.model.renumber import insert_step_after

    text = ("## Step 1.1: A\n\nx\n\n## Step 1.2: B\n\ny\n\n## Step 1.2.1: C\n\nz\n")
    plan = parse_plan(text)
    assert [s.key for s in plan.steps] == ["1.1", "1.2", "1.2.1"]
    with pytest.raises(RenameRefused, match="Step 1.2.1 is numbered under 1.2"):
        insert_step_after(plan, plan.steps[0], plan.blocks.source_lines(), {})


def test_bump_keeps_the_padding_of_the_last_component():
    from plan_ls.model.renumber import _bump

    assert [_bump(w, d) for w, d in [("03", 1), ("1.09", 1), ("01.08", 1), ("2.3", 1),
                                     ("9", 1)]] == ["04", "1.10", "01.09", "2.4", "10"]


# --- numbering schemes kept: numbers restarting in every phase ---------------------------------

_PHASED = ("# Plan\n\n## Phase 1: Ground\n\n### Step 1: Dig\n\nsee Step 2\n\n### Step 2: Pour\n\n"
           "x\n\n## Phase 2: House\n\n### Step 1: Walls\n\ny\n\n### Step 2: Roof\n\n"
           "on Step 1 and Step 2\n")


def test_per_phase_insert_and_remove_stay_in_the_phase():
    from plan_ls.model.renumber import insert_step_after, remove_step

    plan = parse_plan(_PHASED)
    assert [s.key for s in plan.steps] == ["1/1", "1/2", "2/1", "2/2"]
    lines = plan.blocks.source_lines()
    edits = insert_step_after(plan, plan.steps[0], lines, {})
    assert apply_edits(_PHASED, edits["plan"]) == _PHASED.replace(
        "see Step 2\n\n### Step 2: Pour",
        "see Step 3\n\n### Step 2: New step\n\n```text\n\n```\n\n### Step 3: Pour")
    edits = remove_step(plan, plan.steps[2], lines, {})
    assert apply_edits(_PHASED, edits["plan"]) == _PHASED.replace(
        "### Step 1: Walls\n\ny\n\n### Step 2: Roof\n\non Step 1 and Step 2",
        "### Step 1: Roof\n\non ~~Step 1~~ and Step 1")
    after = parse_plan(apply_edits(_PHASED, edits["plan"]))
    assert [s.key for s in after.steps] == ["1/1", "1/2", "2/1"]


def test_per_phase_mentions_outside_the_plan_are_refused_when_affected():
    from plan_ls.model.renumber import insert_step_after, remove_step

    plan = parse_plan(_PHASED)
    lines = plan.blocks.source_lines()
    with pytest.raises(RenameRefused, match="line 1 of the todo mentions '2'.*which phase"):
        insert_step_after(plan, plan.steps[2], lines, {"todo": ["- [ ] x (Step 2)"]})
    with pytest.raises(RenameRefused, match="line 2 of the todo mentions '1'"):
        remove_step(plan, plan.steps[0], lines, {"todo": ["# Todo", "- [ ] x (Step 1)"]})
    # a mention of a number below the change names the same step whichever phase it means
    edits = insert_step_after(plan, plan.steps[3], lines, {"todo": ["- [ ] x (Step 2)"]})
    assert "todo" not in edits


def test_per_phase_move_swaps_within_the_phase_only():
    from plan_ls.model.renumber import move_step_down

    plan = parse_plan(_PHASED)
    lines = plan.blocks.source_lines()
    edits = move_step_down(plan, plan.steps[0], lines, {"todo": ["- [ ] x (Step 3)"]})
    assert apply_edits(_PHASED, edits["plan"]) == _PHASED.replace(
        "### Step 1: Dig\n\nsee Step 2\n\n### Step 2: Pour\n\nx",
        "### Step 1: Pour\n\nx\n\n### Step 2: Dig\n\nsee Step 1")
    assert "todo" not in edits
    with pytest.raises(RenameRefused, match="in different phases"):
        move_step_down(plan, plan.steps[1], lines, {})
    with pytest.raises(RenameRefused, match="line 1 of the todo mentions '2'"):
        move_step_down(plan, plan.steps[2], lines, {"todo": ["- [ ] x (Step 2)"]})


def test_per_phase_rename_stays_in_the_phase():
    plan = parse_plan(_PHASED)
    lines = plan.blocks.source_lines()
    target = rename_target(plan, lines, [], 14, 9, in_plan=True)  # "### Step 1: Walls"
    assert target is not None and (target.step.key, target.number) == ("2/1", "1")
    edits = rename_step(plan, target.step, "7", lines, {})
    assert apply_edits(_PHASED, edits["plan"]) == _PHASED.replace(
        "### Step 1: Walls", "### Step 7: Walls").replace("on Step 1 and", "on Step 7 and")
    with pytest.raises(RenameRefused, match="Phase 2 / Step 2 already has the number 2"):
        rename_step(plan, target.step, "2", lines, {})
    with pytest.raises(RenameRefused, match="line 1 of the todo mentions '1'"):
        rename_step(plan, target.step, "7", lines, {"todo": ["- [ ] x (step 1)"]})


def test_per_phase_mention_qualified_by_its_phase_names_that_phase():
    from plan_ls.model.renumber import insert_step_after

    text = _PHASED.replace("on Step 1 and Step 2", "on Step 1 and Phase 1, Step 2")
    plan = parse_plan(text)
    edits = insert_step_after(plan, plan.steps[0], plan.blocks.source_lines(), {})
    after = apply_edits(text, edits["plan"])
    assert "see Step 3" in after and "on Step 1 and Phase 1, Step 3" in after
    edits = insert_step_after(plan, plan.steps[2], plan.blocks.source_lines(), {})
    assert "on Step 1 and Phase 1, Step 2" in apply_edits(text, edits["plan"])
