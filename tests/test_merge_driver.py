"""The merge driver's line rules, with the text merged by the real `git merge-file` (issue 19).

Each case is (base, ours, theirs) and the merged result line by line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from plan_ls.model.merge import merge_claims, merge_marker, merge_plans, normalise, parse_line
from plan_ls.sync.git import merge_text_with_git
from tests.cli_runner import run_cli

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
    reason="the driver merges text with git merge-file")

HEAD = "# Todo\n\n## Step 1: Parser\n"


def merge(tmp_path: Path, base: str, ours: str, theirs: str, **kw):
    return merge_plans(base, ours, theirs, merge_text_with_git(tmp_path), **kw)


def test_neighbouring_ticks_of_the_issue_merge(tmp_path: Path) -> None:
    base = HEAD + "- [ ] tokenizer\n- [ ] grammar\n"
    ours = HEAD + "- [ ] tokenizer\n- [x] grammar\n"
    theirs = HEAD + "- [x] tokenizer\n- [ ] grammar\n"
    # what git does without the driver: the conflict of the issue
    plain = _git_merge_file(tmp_path, base, ours, theirs)
    assert plain.returncode == 1 and b"<<<<<<<" in plain.stdout
    result = merge(tmp_path, base, ours, theirs)
    assert (result.text, result.conflicts) == (HEAD + "- [x] tokenizer\n- [x] grammar\n", 0)


@pytest.mark.parametrize(("o", "a", "b", "want"), [
    ("- [ ] a", "- [x] a", "- [ ] a", "- [x] a"),  # ticked on one side
    ("- [ ] a", "- [ ] a", "- [X] a", "- [X] a"),
    ("- [ ] a", "- [x] a", "- [x] a", "- [x] a"),  # both
    ("- [ ] a", "- [x] a", "- [X] a", "- [x] a"),  # both done, written differently
    ("- [x] a", "- [ ] a", "- [x] a", "- [ ] a"),  # unticked on one side
    ("- [ ] a", "- [~] a", "- [ ] a", "- [~] a"),  # any marker
    ("- [ ] a (@ana)", "- [ ] a (@ana)", "- [ ] a", "- [ ] a"),  # released
    ("- [ ] a", "- [ ] a (@ana)", "- [x] a", "- [x] a (@ana)"),  # claim and tick
    ("- [ ] a", "- [ ] a (@ana)", "- [ ] a (@bot-2)", "- [ ] a (@ana) (@bot-2)"),
    ("- [ ] a (@ana)", "- [ ] a (@bob)", "- [ ] a (@ana)", "- [ ] a (@bob)"),  # handed over
    ("- [ ] a", "- [ ] a  (@ana)", "- [ ] a", "- [ ] a  (@ana)"),  # the tail as written
    ("- [ ] parse", "- [ ] parse input", "- [x] parse", "- [x] parse input"),  # text + tick
    ("* [ ] a", "* [x] a", "* [ ] a", "* [x] a"),
    ("1. [ ] a", "1. [ ] a", "1. [x] a", "1. [x] a"),
    ("  - [ ] a", "  - [x] a", "  - [ ] a", "  - [x] a"),  # nested
    ("[ ] a", "[x] a", "[ ] a", "[x] a"),  # a bare box
    ("- [ ] T012 [P] write it", "- [x] T012 [P] write it", "- [ ] T012 [P] write it (@b)",
     "- [x] T012 [P] write it (@b)"),  # spec-kit
    ("- [ ]* 3. optional", "- [ ]* 3. optional", "- [-]* 3. optional", "- [-]* 3. optional"),
    ("## Step 2: Lexer", "## Step 2: Lexer (@ana)", "## Step 2: Lexer (@bot)",
     "## Step 2: Lexer (@ana) (@bot)"),  # claims on a plan step's heading
])
def test_one_line_rules(tmp_path: Path, o: str, a: str, b: str, want: str) -> None:
    # neighbours changed on both sides too: without the driver these would conflict
    base = f"- [ ] before\n{o}\n- [ ] after\n"
    ours = f"- [x] before\n{a}\n- [ ] after\n"
    theirs = f"- [ ] before\n{b}\n- [x] after\n"
    result = merge(tmp_path, base, ours, theirs)
    assert result.conflicts == 0, result.text
    assert result.text == f"- [x] before\n{want}\n- [x] after\n"


def test_two_claims_are_kept_and_reported(tmp_path: Path) -> None:
    result = merge(tmp_path, "## Step 3: Docs\n", "## Step 3: Docs (@ana)\n",
                   "## Step 3: Docs (@bot-2)\n")
    assert result.conflicts == 0 and result.claim_conflicts == [0]


def test_tick_against_another_marker_conflicts_on_that_line_only(tmp_path: Path) -> None:
    base = HEAD + "- [ ] one\n- [ ] two\n- [ ] three\n"
    ours = HEAD + "- [x] one\n- [x] two\n- [ ] three\n"
    theirs = HEAD + "- [ ] one\n- [-] two\n- [x] three\n"
    result = merge(tmp_path, base, ours, theirs, labels=("HEAD", "base", "other"))
    assert result.conflicts == 1
    assert result.text.splitlines() == [
        *HEAD.splitlines(), "- [x] one",
        "<<<<<<< HEAD", "- [x] two", "=======", "- [-] two", ">>>>>>> other",
        "- [x] three"]


def test_text_conflicts_stay_as_git_makes_them_with_each_sides_boxes(tmp_path: Path) -> None:
    base = HEAD + "- [ ] one\n- [ ] two\n"
    ours = HEAD + "- [x] one, quickly\n- [ ] two\n"
    theirs = HEAD + "- [ ] one, slowly\n- [x] two\n"
    result = merge(tmp_path, base, ours, theirs)
    assert result.conflicts == 1
    assert result.text.splitlines() == [
        *HEAD.splitlines(), "<<<<<<< ours", "- [x] one, quickly", "=======",
        "- [ ] one, slowly", ">>>>>>> theirs", "- [x] two"]


def test_a_deleted_line_ticked_on_the_other_side_conflicts(tmp_path: Path) -> None:
    base = HEAD + "- [ ] one\n\n- [ ] two\n\n- [ ] three\n"
    ours = HEAD + "- [ ] one\n\n\n- [ ] three\n"
    theirs = HEAD + "- [ ] one\n\n- [x] two\n\n- [ ] three\n"
    result = merge(tmp_path, base, ours, theirs)
    assert result.conflicts == 1
    assert "=======\n- [x] two\n>>>>>>> theirs" in result.text
    # deleted on one side, untouched on the other: gone, as git does
    result = merge(tmp_path, base, ours, base.replace("three", "3"))
    assert (result.conflicts, result.text) == (0, HEAD + "- [ ] one\n\n\n- [ ] 3\n")


def test_bytes_stay_crlf_bom_and_no_final_newline(tmp_path: Path) -> None:
    base = "\ufeff- [ ] a\r\n- [ ] b\r\n- [ ] c"
    ours = "\ufeff- [x] a\r\n- [ ] b\r\n- [ ] c"
    theirs = "\ufeff- [ ] a\r\n- [x] b\r\n- [x] c (@me)"
    result = merge(tmp_path, base, ours, theirs)
    assert (result.text, result.conflicts) == ("\ufeff- [x] a\r\n- [x] b\r\n- [x] c (@me)", 0)
    # a conflict in such a file: markers with the file's endings
    result = merge(tmp_path, base, base.replace("[ ] c", "[x] c"), base.replace("[ ] c", "[-] c"))
    assert result.text.endswith("\r\n<<<<<<< ours\r\n- [x] c\r\n=======\r\n- [-] c\r\n"
                                ">>>>>>> theirs\r\n")


def test_lines_like_conflict_markers_in_the_file_are_text(tmp_path: Path) -> None:
    base = "Title\n=======\n\n- [ ] a\n- [ ] b\n"
    ours = "Title\n=======\n\n- [x] a\n- [ ] b\n"
    theirs = "Title changed\n=======\n\n- [ ] a\n- [x] b\n"
    result = merge(tmp_path, base, ours, theirs)
    assert (result.text, result.conflicts) == ("Title changed\n=======\n\n- [x] a\n- [x] b\n", 0)


def test_line_parts() -> None:
    line = parse_line("  - [x] ship it (@ana) (@bot-2)\r\n")
    assert (line.marker, line.claims, line.ending) == ("x", ("ana", "bot-2"), "\r\n")
    assert line.norm == "  - [ ] ship it\r\n"
    assert parse_line("- [link](x)\n").marker is None  # a link, not a box
    assert normalise("a (@b) c\n- [X] d (@e)") == "a (@b) c\n- [ ] d"
    assert merge_marker(" ", "x", "-") is None and merge_marker(None, None, "x") == "x"
    assert merge_claims(["a"], ["a", "b"], []) == ("b",)


def _git_merge_file(tmp: Path, base: str, ours: str, theirs: str):
    for name, text in (("o", base), ("a", ours), ("b", theirs)):
        (tmp / name).write_text(text)
    return subprocess.run(["git", "merge-file", "-p", "a", "o", "b"], cwd=tmp,
                          capture_output=True, check=False)


def test_driver_command_writes_ours_and_exits_with_conflicts(tmp_path: Path) -> None:
    for name, text in (("O", "- [ ] a\n- [ ] b\n"), ("A", "- [x] a\n- [ ] b\n"),
                       ("B", "- [ ] a\n- [-] b\n")):
        (tmp_path / name).write_bytes(text.encode())
    # the command itself; tests/test_merge_git.py has git start it as a process
    run = ("merge-driver", "O", "A", "B", "todo.md")
    done = run_cli(*run, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "A").read_text() == "- [x] a\n- [-] b\n"
    (tmp_path / "B").write_text("- [ ] a\n- [-] b\n")
    (tmp_path / "A").write_text("- [x] a\n- [x] b\n")
    done = run_cli(*run, cwd=tmp_path)
    assert done.returncode == 1 and "todo.md: 1 conflict left" in done.stderr
    assert "<<<<<<< ours\n- [x] b\n=======\n- [-] b\n>>>>>>> theirs\n" in \
        (tmp_path / "A").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["A", "B", "O"]  # no temp left


def test_diff3_style_keeps_the_base_section_with_the_bases_boxes(tmp_path: Path) -> None:
    base = "- [ ] one\n- [ ] two\n- [x] three\n"
    ours = "- [x] one, quick\n- [ ] two\n- [x] three\n"
    theirs = "- [ ] one, slow\n- [ ] two\n- [ ] three\n"
    result = merge_plans(base, ours, theirs, merge_text_with_git(tmp_path, "diff3"))
    assert result.conflicts == 1
    assert result.text.splitlines() == [
        "<<<<<<< ours", "- [x] one, quick", "||||||| base", "- [ ] one", "=======",
        "- [ ] one, slow", ">>>>>>> theirs", "- [ ] two", "- [ ] three"]
