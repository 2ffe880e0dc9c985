"""A tiny real project for the tests of `plan-ls run`: a git repository with a two-step plan,
its checklist, and pytest tests; the stand-in agent (tests/standin_agent.py) can do each
step from its prompt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
AGENT = HERE / "standin_agent.py"
# -p no:cacheprovider: no .pytest_cache; the project's pytest.ini keeps plan-ls's own
# configuration out
# plan-ls's own plugins (pytest-lsp, hypothesis, ...) are not the project's: no autoload
TEST_COMMAND = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q " \
    "-p no:cacheprovider"
# the same tests, run by tests/standin_tests.py (~15 ms of CPU instead of pytest's ~0.2 s):
# for the tests where the gate is any test command, not pytest's own output
STANDIN_TEST_COMMAND = f"{sys.executable} {HERE / 'standin_tests.py'}"

PLAN = """# Calculator plan

## Step 1: Adder

```text
Write an add function in calc.py, with its test.

FILE calc.py
~~~
def add(a, b):
    return a + b
~~~

FILE tests/test_add.py
~~~
from calc import add


def test_add():
    assert add(2, 3) == 5
~~~
```

## Step 2: Doubler

```text
Write double(x) in double.py, with its test.

FILE double.py
~~~
def double(x):
    return x + x
~~~

FILE tests/test_double.py
~~~
from double import double


def test_double():
    assert double(4) == 8
~~~
```
"""

TODO = """# Todo

## Step 1: Adder
- [ ] add() in `calc.py`
- [ ] a test for add

## Step 2: Doubler
- [ ] double() in `double.py`
- [ ] a test for double
"""

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True, env={**os.environ, **GIT_ENV}).stdout


def make_project(root: Path, init: bool = True) -> Path:
    """Write the project into `root`, `git init` it and commit everything (only write it
    when not `init`)."""
    (root / "tests").mkdir(parents=True)
    (root / "prompt_plan.md").write_text(PLAN, encoding="utf-8")
    (root / "todo.md").write_text(TODO, encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\ntestpaths = tests\n",
                                     encoding="utf-8")
    (root / "tests" / "test_smoke.py").write_text("def test_smoke():\n    assert True\n",
                                                  encoding="utf-8")
    (root / ".gitignore").write_text("__pycache__/\n", encoding="utf-8")
    if init:
        init_repo(root)
    return root


def init_repo(root: Path, message: str = "start") -> None:
    """`root` as a git repository (branch main, a test identity) with everything in it
    committed."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def agent_command(mode: str) -> str:
    return f"{sys.executable} {AGENT} {{prompt_file}} {mode}"
