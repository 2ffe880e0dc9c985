"""A keystroke in a spec-kit, Kiro or OpenSpec tasks.md is applied to the parsed model in place,
and gives exactly what a full parse of the new text gives: the blocks, the items, the tasks'
ids, dependencies and requirements, the steps, the findings with their columns, status."""

from __future__ import annotations

import functools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as t

from plan_ls.sync.plans import PlanRef
from plan_ls.sync.state import PlanState
from plan_ls.textdoc import LineTextDocument

SPECKIT = """# Tasks: a shelf of parts

**Input**: the design of the shelf

## Phase 1: Setup

- [x] T001 Make the frame in src/frame.py
- [ ] T002 [P] Cut the boards (depends on T001)
- [ ] T003 [P] [US1] Sand the edges, depends on T002 and T009 (@ana)

**Checkpoint**: the frame stands

## Phase 2: User Story 1 - Fill the shelf

- [ ] T004 [US1] Put the first part on it (depends on T003)
  - [ ] T005 Label the part
- [x] T006 [US1] Count what is there

## Notes

- [P] = may run in parallel
- plain words about `T004` and <b>more</b>
"""

KIRO = """# Implementation Plan

- [ ] 1. Build the frame
  - [x] 1.1 Cut the boards
    - _Requirements: 1.1, 1.2_
  - [ ]* 1.2 Sand the edges
    - _Requirements: 2.1_
- [-] 2. Fill the shelf (@bo)
  - [ ] 2.1 Put parts on it
    - keep them in order
    - _Requirements: 3_
- [ ] 3. Count the parts
"""

OPENSPEC = """# Tasks

## 1. Frame

- [x] 1.1 Cut the boards
- [ ] 1.2 Sand the edges

## 2. Parts

- [ ] 2.1 Put parts on it
  plain detail of the part

- [ ] 3. Count the parts
"""

FILES = {"spec-kit": (Path("specs/001-shelf"), SPECKIT),
         "kiro": (Path(".kiro/specs/shelf"), KIRO),
         "openspec": (Path("openspec/changes/shelf"), OPENSPEC)}


def fresh(tmp: Path, fmt: str, text: str) -> PlanState:
    where, _ = FILES[fmt]
    folder = tmp / where
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tasks.md").write_text(text)
    files = {"plan": folder / "tasks.md"}
    if fmt == "kiro":
        (folder / "requirements.md").write_text("# Requirements\n\n### Requirement 1\n\n1. A\n")
        files["requirements"] = folder / "requirements.md"
    state = PlanState(tmp, ref=PlanRef(where.as_posix(), fmt, folder, files))
    state.load_all_from_disk()
    return state


def model(state: PlanState) -> dict:
    """Everything the edit may touch, comparable across two folders."""
    snap = state.snapshot
    plan, todo = snap.plan, snap.todo
    data = state.status_json()
    for key in ("todo", "plan", "spec"):
        data[key]["path"] = None
    for d in data["diagnostics"]:
        d["path"] = None
    return {
        "status": data,
        "findings": snap.findings,
        "blocks": todo.blocks if todo else None,
        "items": todo.items if todo else None,
        "malformed": todo.malformed if todo else None,
        "tasks": plan.tasks if plan else None,
        "steps": [(s.number, s.title, s.line, s.end_line, s.claim, s.kind,
                   [(p.start, p.end, p.text) for p in s.prompts]) for s in plan.steps]
        if plan else None,
        "extra": plan.extra_ranges if plan else None,
        "next": snap.next_step(),
    }


# what a keystroke may leave on a line: task lines of each format, details, hostile lines
_TASK_LINES = st.sampled_from([
    "- [ ] T002 [P] Cut the boards (depends on T001)", "- [x] T002 [P] Cut the boards",
    "- [ ] T002 [P] Cut the boards (depends on T0019)", "- [ ] T010 New (depends on T004)",
    "- [ ] T003 [P] [US1] Sand the edges, depends on T002 and T009",
    "- [ ] T003 [P] [US2] Sand the edges (@cy)", "  - [x] T005 Label the part",
    "- [ ] 1. Build the frame", "- [ ] 1. Build the frames", "- [x] 4. Paint it",
    "  - [ ] 1.1 Cut the boards", "  - [ ]* 1.2 Sand", "  - [ ]\\* 1.2 Sand",
    "- [-] 2. Fill the shelf (@bo)", "- [-] 2. Fill it (@bo)", "- [ ] 2. Fill it",
    "    - _Requirements: 1.1, 1.2_", "    - _Requirements: 1.1, 1.27_", "    - _Requirements: 3_",
    "    - _Requirement: 9_", "    - keep them in order", "    - keep them", "  plain detail",
    "  plain detail of T001", "- [ ] 1.2 Sand the edges", "- [ ] 3. Count", "1. [ ] Count",
    "**Checkpoint**: the frame stands still", "plain words", "## Phase 3: Polish",
    "## 3. Polish", "### Setup (Phase 1)", "", "- [P] T001, T002", "- [] T007 bad box",
    "-[ ] T008 glued", "- [ ] T009 ## Glued heading", "<details>", "- [ ] T012 fold <details>",
    "</details>", "```", "> - [ ] T011 quoted",
    "    - _Requirements: 1.1_ <!--", "---", "===", "- plain item", "    1. numbered detail",
])
_INDENTS = st.sampled_from(["", "", "  ", "    "])
_PREFIXES = st.sampled_from(["", "", "- ", "* ", "1. ", "> "])
_BODIES = st.sampled_from(["text", "[ ] open", "[x] done", "# Heading", "```", "<div>", "---",
                           "===", "title: x", "T004 again", "_Requirements: 1.1_", "\\# x",
                           "`code` and <i>html</i>", "ü🚀 ☕"])
new_lines = st.one_of(_TASK_LINES, st.tuples(_INDENTS, _PREFIXES, _BODIES).map("".join))
edits = st.lists(st.tuples(st.integers(0, 60), new_lines), min_size=1, max_size=6)


def _edit(doc, line: int, text: str) -> None:
    """Replace the content of `line` by `text`, as an editor sends it: one range in one line."""
    old = doc.lines[line].rstrip("\r\n")
    doc.apply_change(t.TextDocumentContentChangePartial(
        range=t.Range(start=t.Position(line=line, character=0),
                      end=t.Position(line=line, character=len(old.encode("utf-16-le")) // 2)),
        text=text))


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(sorted(FILES)), edits, st.booleans())
def test_in_place_edits_of_a_tasks_file_match_a_full_parse(tmp_path_factory, fmt, changes,
                                                           as_editor):
    _, text = FILES[fmt]
    state = fresh(tmp_path_factory.mktemp("live"), fmt, text)
    lines = text.split("\n")
    doc = LineTextDocument("file:///w/tasks.md", text, version=1)
    state.editor_text("plan", doc.source, 1, key=doc.key)
    state.rebuild()
    for version, (n, new) in enumerate(changes, 2):
        n %= len(lines) - 1  # a line of the text (not the empty one after the last break)
        lines[n] = new
        if as_editor:  # the server's didChange: a LineEdit, the text made only if needed
            _edit(doc, n, new)
            edit = doc.line_edit
            make = functools.partial(doc.text_at, doc.key) if edit is not None else doc.source
            state.editor_text("plan", make, version, edit, key=doc.key)
        else:
            state.editor_text("plan", "\n".join(lines), version, (n, new + "\n"))
        state.rebuild()
    expected = fresh(tmp_path_factory.mktemp("full"), fmt, "\n".join(lines))
    assert model(state) == model(expected)
    assert state.state["plan"].text == "\n".join(lines)


def _line(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.split("\n")) if line.startswith(start))


def test_typing_in_a_task_keeps_the_parse(tmp_path):
    """Typing in a task's text, checking it off and typing in a Kiro requirements line are
    applied in place: the same parsed objects, one parse of the blocks for both roles."""
    state = fresh(tmp_path / "s", "spec-kit", SPECKIT)
    snap = state.snapshot
    assert snap.plan.blocks is snap.todo.blocks  # the steps share the checklist's parse
    n = _line(SPECKIT, "- [ ] T004")
    lines = SPECKIT.split("\n")
    lines[n] = lines[n].replace("first part", "first parts")
    assert state.editor_text("plan", "\n".join(lines), 2, (n, lines[n]))
    state.rebuild()
    assert state.snapshot is snap and snap.todo.item_at(n).text.endswith("(depends on T003)")
    lines[n] = lines[n].replace("[ ]", "[x]")
    assert state.editor_text("plan", "\n".join(lines), 3, (n, lines[n]))
    state.rebuild()
    assert state.snapshot is snap and snap.step_progress(1).done == 2

    kiro = fresh(tmp_path / "k", "kiro", KIRO)
    snap = kiro.snapshot
    n = _line(KIRO, "    - _Requirements: 2.1_")
    lines = KIRO.split("\n")
    lines[n] = "    - _Requirements: 2.1, 3_"
    assert kiro.editor_text("plan", "\n".join(lines), 2, (n, lines[n]))
    kiro.rebuild()
    assert kiro.snapshot is snap
    assert snap.plan.tasks[n - 1].requirements == ("2.1", "3")


def test_an_unknown_dependency_comes_and_goes_in_place(tmp_path):
    state = fresh(tmp_path, "spec-kit", SPECKIT)
    snap = state.snapshot
    warned = [f.line for f in snap.findings if f.code == "unknown-task"]
    n = _line(SPECKIT, "- [ ] T002")
    assert warned == [_line(SPECKIT, "- [ ] T003")]  # T009 does not exist
    lines = SPECKIT.split("\n")
    lines[n] = lines[n].replace("T001)", "T0017)")
    state.editor_text("plan", "\n".join(lines), 2, (n, lines[n]))
    state.rebuild()
    assert state.snapshot is snap
    assert sorted(f.line for f in snap.findings if f.code == "unknown-task") == sorted(
        [n, *warned])


REQUIREMENTS = """# Requirements

### Requirement 1

1. WHEN a board is cut THEN it SHALL be straight
2. WHEN it is sanded THEN it SHALL be smooth

### Requirement 2: Parts

1. WHEN a part comes THEN the shelf SHALL hold it
"""
_REF_LINES = st.sampled_from([
    "    - _Requirements: 1.1, 1.2_", "    - _Requirements: 1.1, 1.27_", "    - _Requirements: 2_",
    "    - _Requirement: 9_", "    - *Requirements*: 2.1 and 1.2", "  - [ ] 1.1 Cut", "", "x"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(KIRO.split("\n")) - 1), _REF_LINES),
                min_size=1, max_size=8))
def test_requirement_refs_kept_line_by_line_match_a_fresh_index(changes):
    from plan_ls.model.requirements import RefIndex, parse_requirements, uncovered

    reqs = parse_requirements(REQUIREMENTS)
    lines = KIRO.split("\n")
    index = RefIndex(lines)
    index.unknown(reqs)  # what it knew before the edits must not stay
    for n, new in changes:
        lines[n] = new
        index.update(lines, [n])
    fresh_index = RefIndex(lines)
    assert index.refs() == fresh_index.refs()
    assert index.unknown(reqs) == [r for r in fresh_index.refs() if reqs.find(r.id) is None]
    assert index.uncovered(reqs) == uncovered(reqs, fresh_index.refs())


def test_a_read_of_the_same_text_keeps_the_parse_current(tmp_path):
    """The watcher reads every planning file once its watch is in place: a file that did
    not change must keep its parse current, or the next keystroke parses the whole file."""
    state = fresh(tmp_path, "kiro", KIRO)
    snap = state.snapshot
    path = state.path_of("plan")
    assert state.disk_changed(path) is None  # the same text: nothing changed
    doc = LineTextDocument(path.as_uri(), KIRO, version=1)
    state.editor_text("plan", doc.source, 1, key=doc.key)
    n = _line(KIRO, "  - [ ] 2.1")
    _edit(doc, n, "  - [ ] 2.1 Put the parts on it")
    assert state.editor_text("plan", functools.partial(doc.text_at, doc.key), 2, doc.line_edit,
                             key=doc.key)
    state.rebuild()
    assert state.snapshot is snap  # applied in place
    assert state.state["plan"]._read is not None  # and the text was not even joined


def test_several_changes_in_one_did_change_after_a_deferred_text(tmp_path):
    """A keystroke applied in place defers the text to the editor's version; a didChange
    that then carries two changes (an applied multi-line edit) passes that version by two:
    the state must neither ask for it (LookupError) nor lose the edit."""
    state = fresh(tmp_path / "live", "kiro", KIRO)
    doc = LineTextDocument("file:///w/tasks.md", KIRO, version=1)
    state.editor_text("plan", doc.source, 1, key=doc.key)
    a, b = _line(KIRO, "  - [x] 1.1"), _line(KIRO, "  - [ ] 2.1")
    _edit(doc, a, "  - [x] 1.1 Cut the boards twice")
    state.editor_text("plan", functools.partial(doc.text_at, doc.key), 2, doc.line_edit,
                      key=doc.key)
    assert state.state["plan"]._read is not None  # deferred
    _edit(doc, a, "  - [ ] 1.1 Cut the boards twice")
    _edit(doc, b, "  - [x] 2.1 Put parts on it")
    assert state.editor_text("plan", doc.source, 3, key=doc.key)
    state.rebuild()
    assert model(state) == model(fresh(tmp_path / "full", "kiro", doc.source))


def assert_one_line_edit_parses_as_whole(tmp: Path, fmt: str, text: str, n: int,
                                         new: str) -> None:
    """Line `n` of `text` typed over with `new` in the editor gives what a full parse of the
    new text gives."""
    state = fresh(tmp / "live", fmt, text)
    lines = text.split("\n")
    lines[n] = new
    state.editor_text("plan", "\n".join(lines), 2, (n, new))
    state.rebuild()
    assert model(state) == model(fresh(tmp / "full", fmt, "\n".join(lines))), new


def test_a_line_typed_into_a_setext_underline_is_parsed_again(tmp_path):
    """A detail line under a task typed into `==` or `--` makes the lines above it a
    heading (setext): no in-place edit may keep the old blocks. The property test above
    rarely puts these under a paragraph line, so each is checked here."""
    n = _line(OPENSPEC, "  plain detail")
    for k, underline in enumerate(("  ==", "  --", "  =")):
        assert_one_line_edit_parses_as_whole(tmp_path / str(k), "openspec", OPENSPEC, n,
                                             underline)


OPAQUE = """# Tasks: a lamp

Phase 1: Wiring
---------------

- [ ] T001 Strip the wires
  <!-- a note for later
  still the note
  -->

```text
plain words in a fence
- [ ] T009 not a task
```

- [ ] T002 Fit the plug

Notes on the lamp
=================

- [ ] T003 Test the switch
"""


def test_plain_lines_of_a_heading_a_comment_or_a_fence_are_parsed_again(tmp_path):
    """Plain text before and after, yet not a plain paragraph line: the text of a setext
    heading (a phase's title, another heading's), a line of an HTML comment that now ends
    it, a line of a fence. Each edit must give what a full parse gives."""
    for k, (start, new) in enumerate((("Phase 1: Wiring", "Phase 1: Wiring and plugs"),
                                      ("Notes on the lamp", "Notes on the lamps"),
                                      ("  still the note", "  still the note -->"),
                                      ("plain words in a fence", "other words, same fence"))):
        n = _line(OPAQUE, start)
        assert_one_line_edit_parses_as_whole(tmp_path / str(k), "spec-kit", OPAQUE, n, new)
