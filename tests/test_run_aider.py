"""A real agent: `plan-ls run --agent aider` with Aider (aider-chat, in its own virtual
environment from .ci/install-aider.sh) talking to the fake OpenAI-compatible endpoint,
which answers with an edit in Aider's SEARCH/REPLACE format. A real file changes, the real
tests turn green, the step's items are ticked and the commit exists."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from plan_ls.run.record import read_all
from tests.cli_runner import run_cli
from tests.fake_openai import (  # noqa: F401 - the fixture
    FakeOpenAI,
    fake_openai,
    search_replace_edit,
)
from tests.run_project import STANDIN_TEST_COMMAND, git, init_repo

AIDER_VERSION = "0.86.2"  # as .ci/install-aider.sh installs it
VENV = Path(os.environ.get("PLAN_LS_AIDER_VENV") or
            Path(os.environ.get("PLAN_LS_CI_DIR", "/opt/plan-ls-ci")) / f"aider-{AIDER_VERSION}")

pytestmark = pytest.mark.skipif(
    not (VENV / "bin" / "aider").is_file(),
    reason=f"Aider is not installed in {VENV}: run .ci/install-aider.sh (or set "
           "PLAN_LS_AIDER_VENV to a virtual environment that has aider-chat)")

PLAN = """# Calculator

## Step 1: Adder

```text
Implement add(a, b) in calc.py so that tests/test_add.py passes.
```
"""

TODO = """# Todo

## Step 1: Adder
- [ ] add() in `calc.py` returns the sum
- [ ] tests/test_add.py passes
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "calc"
    (root / "tests").mkdir(parents=True)
    (root / "prompt_plan.md").write_text(PLAN)
    (root / "todo.md").write_text(TODO)
    (root / "calc.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    (root / "tests" / "test_add.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\ntestpaths = tests\n")
    (root / ".gitignore").write_text("__pycache__/\n")
    init_repo(root)
    return root


def test_aider_does_a_step_and_the_tests_gate_it(project: Path, tmp_path: Path,
                                                 fake_openai: FakeOpenAI):  # noqa: F811
    fake_openai.default.text = search_replace_edit(
        "calc.py", "    raise NotImplementedError", "    return a + b",
        intro="add() should return the sum.")
    home = tmp_path / "home"  # Aider keeps its caches and analytics id under ~
    home.mkdir()
    env = {**os.environ, "HOME": str(home),
           "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "OPENAI_API_BASE": fake_openai.url, "OPENAI_API_KEY": fake_openai.api_key,
           "AIDER_MODEL": "openai/fake-chat", "AIDER_EDIT_FORMAT": "diff",
           "AIDER_SHOW_MODEL_WARNINGS": "false", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    t0 = time.monotonic()
    # plan-ls in this process; Aider is the real program, gated by the stand-in test runner
    proc = run_cli("run", project, "--agent", "aider", "--test", STANDIN_TEST_COMMAND,
                   "--retries", "0", env=env)
    took = time.monotonic() - t0
    print(f"plan-ls run --agent aider took {took:.1f} s")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # the model got the step's prompt through Aider, and Aider applied the answer's edit
    assert len(fake_openai.requests) >= 1
    assert "Implement add(a, b) in calc.py" in fake_openai.requests[0].prompt
    assert "Applied edit to calc.py" in proc.stdout
    assert (project / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    todo = (project / "todo.md").read_text()
    assert todo.count("- [x]") == 2 and "- [ ]" not in todo
    assert git(project, "log", "-1", "--format=%s").strip() == "Step 1: Adder"
    committed = set(git(project, "show", "--name-only", "--format=", "HEAD").split())
    assert committed == {"calc.py", "todo.md"}  # no .aider* cache or history in it
    (rec,) = read_all(project)
    assert rec["result"] == "passed" and rec["agent"] == "aider"
    assert git(project, "status", "--porcelain", "--untracked-files=no") == ""
