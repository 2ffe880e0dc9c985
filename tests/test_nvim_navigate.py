"""Navigation in a real headless Neovim (issue 16): tests/nvim/navigate.lua jumps from an item
to its step, lists a step's references, renames a step number and folds a step; each test
here checks one part of what it recorded. A failing test prints Neovim's LSP log."""

from __future__ import annotations

import pytest

from tests.lsp_client import copy_sample
from tests.test_nvim import GLOB_FOLDER, HERE, NVIM, NvimRun, run_script

SCRIPT = HERE / "nvim" / "navigate.lua"

pytestmark = pytest.mark.skipif(not NVIM.exists(), reason="no nvim in the venv")


@pytest.fixture(scope="module")
def nvim(tmp_path_factory) -> NvimRun:
    tmp = tmp_path_factory.mktemp("nvim-nav")
    project = copy_sample("greenfield", tmp).rename(tmp / GLOB_FOLDER)
    run = run_script(SCRIPT, project, tmp)
    print(run.report())
    return run


def test_nvim_ctrl_bracket_from_an_item_lands_on_its_step(nvim: NvimRun):
    seen = nvim.check("definition")
    assert (seen["file"], seen["line"]) == ("prompt_plan.md", "## Step 3: Atomic store")


def test_nvim_references_list_the_steps_items(nvim: NvimRun):
    seen = nvim.check("references")
    todo = (nvim.project / "todo.md").read_text().split("\n")
    plan = (nvim.project / "prompt_plan.md").read_text().split("\n")
    heading = todo.index("## Step 3: Atomic store") + 1
    assert [(i["file"], i["lnum"]) for i in seen["items"]] == [
        ("prompt_plan.md", plan.index("## Step 3: Atomic store") + 1),
        ("todo.md", heading), ("todo.md", heading + 1), ("todo.md", heading + 2),
        ("todo.md", heading + 3), ("todo.md", heading + 4)]


def test_nvim_rename_renumbers_plan_and_checklist(nvim: NvimRun):
    seen = nvim.check("rename")
    assert seen["plan_line"] == "## Step 9: Atomic store"
    assert seen["todo_heading"] == "## Step 9: Atomic store"
    assert seen["todo_modified"]  # changed in the editor's buffer, for the user to save
    # the server wrote nothing behind the editor
    assert "## Step 3: Atomic store" in (nvim.project / "todo.md").read_text()


def test_nvim_zc_folds_a_step(nvim: NvimRun):
    seen = nvim.check("fold")
    plan = (nvim.project / "prompt_plan.md").read_text().split("\n")
    step = plan.index("## Step 2: Streak logic") + 1
    closing = plan.index("## Step 3: Atomic store") - 1  # the fence's closing line, 1-based
    assert seen["closed"] == [step, closing]
