"""The plan state's in-place edit path gives exactly what a full parse gives."""

from __future__ import annotations

import functools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as t

from plan_ls.sync.state import PlanState
from plan_ls.textdoc import LineTextDocument

PLAN = "".join(f"## Step {n}: Part {n}\n```text\nbuild part {n}\n```\n" for n in range(1, 5))
TODO = (
    "# Todo\n## Step 1: Part 1\n- [x] a\n- [ ] b (@ana)\n  - [ ] b.1\n"
    "## Step 2: Part 2\n- [ ] c\n- [x] d\n## Step 3\n- [ ] e\n## Notes\n- [ ] f\n"
)


def fresh(tmp: Path, todo: str) -> PlanState:
    tmp.mkdir(exist_ok=True)
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


def normalized_status(state: PlanState) -> dict:
    data = strip_paths(state.status_json())
    data["todo"]["path"] = data["plan"]["path"] = None
    for d in data["diagnostics"]:
        d["path"] = None
    return data


def test_changed_line_hints_right_or_wrong_match_a_full_parse(tmp_path):
    """The editor's hint (which line changed, its new text) is used only when it is true:
    a hint that names another line or an old text must not change the outcome. Every item
    line, every kind of hint, a few edits each (exhaustive: a wrong hint taken is rare)."""
    base = TODO.split("\n")
    for line in (2, 3, 4, 6, 7, 9, 11):
        for prefix in ("- [x] ", "- [ ] ", "  - [x] "):
            for text in ("a", "b (@bo)", "Step 2 thing"):
                lines = list(base)
                lines[line] = prefix + text
                new = "\n".join(lines)
                expected = normalized_status(fresh(tmp_path / "full", new))
                for hint in ((line, lines[line] + "\n"), (line - 1, lines[line]),
                             (line + 1, lines[line]), (line, base[line]),
                             (line, lines[line] + "\r\n")):
                    state = fresh(tmp_path / "live", TODO)
                    state.editor_text("todo", new, 2, hint)
                    state.rebuild()
                    assert normalized_status(state) == expected, (line, prefix, text, hint)


def test_a_true_hint_takes_the_fast_path(tmp_path):
    state = fresh(tmp_path, TODO)
    parsed = state.snapshot.todo
    line = TODO.split("\n").index("- [ ] c")
    state.editor_text("todo", TODO.replace("- [ ] c", "- [ ] cc"), 2, (line, "- [ ] cc\n"))
    state.rebuild()
    assert state.snapshot.todo is parsed
    assert state.snapshot.todo.item_at(line).text == "cc"


def _edit(doc, line: int, start: int, end: int, text: str) -> None:
    doc.apply_change(t.TextDocumentContentChangePartial(
        range=t.Range(start=t.Position(line=line, character=start),
                      end=t.Position(line=line, character=end)), text=text))


def _tell(state: PlanState, doc, version: int) -> bool:
    """What the server does on didChange (features/documents.py)."""
    edit = doc.line_edit
    text = functools.partial(doc.text_at, doc.key) if edit is not None else doc.source
    return state.editor_text("todo", text, version, edit, key=doc.key)


def test_line_edits_without_the_text_match_a_full_parse(tmp_path):
    """An open document's LineEdit replaces the text only when it proves the change: line
    endings that only str.splitlines knows (form feed, U+2028) shift its line numbers, a
    BOM, CRLF, and a change the state was not told of (a stale key) must all give what a
    full parse gives."""
    texts = [TODO, "\ufeff" + TODO, TODO.replace("\n", "\r\n"),
             TODO.replace("# Todo", "# To\x0cdo"), TODO.replace("## Step 2", "## Step\u2028 2")]
    # (line, start, end, new text): check-offs, typing, a whole-line rewrite, a BOM deleted
    changes = [(6, 3, 4, "x"), (7, 3, 4, " "), (9, 7, 7, "ee"), (6, 0, 7, "# Notes"),
               (0, 0, 1, ""), (11, 6, 7, "f (@cy)")]
    for n, text in enumerate(texts):
        for skip in (False, True):
            state = fresh(tmp_path / f"live{n}{skip}", text)
            doc = LineTextDocument("file:///w/todo.md", text, version=1)
            state.editor_text("todo", doc.source, 1, key=doc.key)
            for version, change in enumerate(changes, 2):
                _edit(doc, *change)
                if skip and version == 3:
                    continue  # the state misses this change: the next proof is stale
                _tell(state, doc, version)
                state.rebuild()
                expected = normalized_status(fresh(tmp_path / f"full{n}{skip}{version}",
                                                   doc.source))
                assert normalized_status(state) == expected, (n, skip, change)
                assert state.state["todo"].text == doc.source


def test_a_check_off_in_an_open_document_joins_no_text(tmp_path):
    state = fresh(tmp_path, TODO)
    doc = LineTextDocument("file:///w/todo.md", TODO, version=1)
    state.editor_text("todo", doc.source, 1, key=doc.key)
    state.rebuild()
    parsed = state.snapshot.todo
    _edit(doc, 6, 3, 4, "x")
    assert doc.line_edit is not None
    assert _tell(state, doc, 2)
    state.rebuild()
    assert state.snapshot.todo is parsed and state.snapshot.step_progress(1).done == 2
    assert doc._source == TODO and state.state["todo"]._read is not None  # nothing joined
    assert state.state["todo"].text == TODO.replace("- [ ] c", "- [x] c")
