"""`plan-ls watch --once` says what it found: a file it cannot read is not "missing", and a
folder without planning files is not a plan with "nothing open"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from plan_ls.sync.state import PLAN_FILE_LIMIT
from tests.lsp_client import copy_sample


def watch_once(folder: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-m", "plan_ls", "watch", "--once", str(folder)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line.strip("\f")]


def test_empty_folder_has_no_planning_files(tmp_path):
    lines = watch_once(tmp_path)
    assert lines[1:] == ["no planning files found (todo.md, prompt_plan.md, spec.md)"]


def test_binary_todo_is_unreadable_with_its_reason(tmp_path):
    project = copy_sample("greenfield", tmp_path)
    (project / "todo.md").write_bytes(b"# Todo\n\x00\x01\n- [ ] a binary checklist\n")
    lines = watch_once(project)
    assert lines[1] == ("todo.md: unreadable: looks like a binary file (NUL bytes), "
                        "not markdown")
    assert not [line for line in lines if "missing" in line]
    assert any("Atomic store" in line for line in lines)  # the plan is still shown


def test_oversized_todo_is_unreadable_with_its_size(tmp_path):
    project = copy_sample("greenfield", tmp_path)
    item = "- [ ] one more item in a checklist far too long to follow\n"
    (project / "todo.md").write_text(item * (PLAN_FILE_LIMIT // len(item) + 10))
    lines = watch_once(project)
    assert lines[1].startswith("todo.md: unreadable: todo.md is 4.0 MB, over the 4 MB")


def test_unreadable_plan_is_not_a_plan_with_nothing_open(tmp_path):
    project = copy_sample("greenfield", tmp_path)
    (project / "prompt_plan.md").write_bytes(b"\x00\xff\x00")
    lines = watch_once(project)
    assert lines[1].startswith("todo.md: 8/20 done")
    assert lines[2] == "next: no plan to take a step from"
    assert "prompt_plan.md: unreadable: looks like a binary file (NUL bytes), not markdown" \
        in lines
