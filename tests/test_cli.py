"""The command line: status, check, done (run in this process: tests/cli_runner.py)."""

from __future__ import annotations

import json

import pytest

from tests.cli_runner import run_cli
from tests.lsp_client import copy_sample


@pytest.fixture
def project(tmp_path):
    return copy_sample("greenfield", tmp_path)


def test_status_json_contract(project):
    out = run_cli("status", str(project), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["todo"]["path"] == str(project / "todo.md")
    assert (data["todo"]["total"], data["todo"]["done"]) == (20, 8)
    first = data["todo"]["items"][0]
    assert set(first) >= {"line", "text", "done", "step"}
    assert first["line"] == 4 and first["step"] == "1" and first["done"] is True
    steps = data["plan"]["steps"]
    assert [s["number"] for s in steps] == [str(n) for n in range(1, 9)]
    assert set(steps[0]) >= {"number", "title", "line", "todo_total", "todo_done"}
    assert steps[2] | {} == steps[2] and (steps[2]["todo_total"], steps[2]["todo_done"]) == (4, 2)
    assert {"path", "line", "severity", "message"} <= set(data["diagnostics"][0])


def test_status_table(project):
    out = run_cli("status", str(project))
    assert out.returncode == 0
    assert "8/20 done" in out.stdout and "next: 3 — Atomic store" in out.stdout


def test_check_exit_codes(project, tmp_path):
    out = run_cli("check", str(project))
    assert out.returncode == 1
    assert "prompt_plan.md:51: warning: Step 7: Friendly errors has no todo item" in out.stdout
    todo = project / "todo.md"
    todo.write_text(todo.read_text() + "\n## Step 7: Friendly errors\n- [ ] suggestions\n")
    assert run_cli("check", str(project)).returncode == 0
    assert run_cli("check", str(tmp_path / "nowhere")).returncode == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    out = run_cli("check", str(empty))
    assert out.returncode == 2 and "no todo.md" in out.stderr
    assert run_cli("check", "--bogus").returncode == 2


def test_done_by_step_and_by_line(project):
    todo = project / "todo.md"
    before = todo.read_text()
    out = run_cli("done", "4", str(project))
    assert out.returncode == 0, out.stderr
    assert "step 4: 3 items marked done" in out.stdout
    after = todo.read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(changed) == 3 and all(a.replace("[ ]", "[x]", 1) == b for a, b in changed)
    line = before.splitlines().index("- [ ] README with usage examples") + 1
    assert run_cli("done", f"line:{line}", str(project)).returncode == 0
    assert "- [x] README with usage examples" in todo.read_text()
    assert run_cli("done", f"line:{line}", str(project), "--undo").returncode == 0
    assert "- [ ] README with usage examples" in todo.read_text()


def test_done_refuses_unknown_targets(project):
    todo = project / "todo.md"
    before = todo.read_text()
    out = run_cli("done", "99", str(project))  # not a step: never read as line 99
    assert out.returncode == 2 and "no step 99" in out.stderr and "line:99" in out.stderr
    out = run_cli("done", "line:2", str(project))
    assert out.returncode == 2 and "is not a checklist item" in out.stderr
    out = run_cli("done", "7", str(project))
    assert out.returncode == 2 and "no todo items" in out.stderr
    out = run_cli("done", "line:1", str(project))
    assert out.returncode == 2
    assert todo.read_text() == before


def test_done_keeps_crlf(tmp_path):
    (tmp_path / "todo.md").write_bytes(b"## Step 1\r\n- [ ] a\r\n- [ ] b\r\n")
    assert run_cli("done", "line:2", str(tmp_path)).returncode == 0
    assert (tmp_path / "todo.md").read_bytes() == b"## Step 1\r\n- [x] a\r\n- [ ] b\r\n"


def test_module_entry_point_and_version():
    out = run_cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("plan-ls ")


def test_files_written_by_plan_ls_are_not_private(project):
    import os
    import stat

    (project / "todo.md").unlink()
    (project / "todo.md").write_text("- [ ] a\n")
    os.chmod(project / "todo.md", 0o644)
    assert run_cli("done", "line:1", str(project)).returncode == 0
    assert stat.S_IMODE((project / "todo.md").stat().st_mode) == 0o644
    from plan_ls.fileio import write_atomic

    write_atomic(project / "new.md", "x")
    assert stat.S_IMODE((project / "new.md").stat().st_mode) & 0o044  # readable by others
