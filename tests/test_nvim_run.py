"""`plan-ls run` from a real headless Neovim (issue 17): tests/nvim/run.lua runs Step 1
through its "▶ Run with agent" code lens with the stand-in agent, then opens the run log
with :PlanRunLog. A failing test prints Neovim's LSP log."""

from __future__ import annotations

import json

import pytest

from tests.run_project import STANDIN_TEST_COMMAND, agent_command, git, make_project
from tests.test_nvim import HERE, NVIM, NvimRun, run_script

SCRIPT = HERE / "nvim" / "run.lua"

pytestmark = pytest.mark.skipif(not NVIM.exists(), reason="no nvim in the venv")


@pytest.fixture(scope="module")
def nvim(tmp_path_factory) -> NvimRun:
    tmp = tmp_path_factory.mktemp("nvim-run")
    project = make_project(tmp / "calc")
    config = project / ".plan-ls" / "config.toml"
    config.parent.mkdir()
    config.write_text(f"[run]\nagent = {json.dumps(agent_command('good'))}\n"
                      f"test = {json.dumps(STANDIN_TEST_COMMAND)}\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "settings")
    run = run_script(SCRIPT, project, tmp, timeout=90)
    print(run.report())
    return run


def test_nvim_lens_runs_a_step_with_the_agent(nvim: NvimRun):
    seen = nvim.check("lens_runs_the_step")
    assert "▶ Run with agent" in seen["menu"]
    assert seen["done"] and seen["calc"]
    assert git(nvim.project, "log", "-1", "--format=%s").strip() == "Step 1: Adder"


def test_nvim_plan_run_log_opens_the_agents_log(nvim: NvimRun):
    seen = nvim.check("run_log")
    assert seen["ended"]  # the run's end message reached Neovim
    assert seen["name"] == "agent.log"
    assert "stand-in agent: wrote calc.py" in seen["text"]
