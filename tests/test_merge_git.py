"""The merge driver in real repositories: registered with `plan-ls init --git` as a user
does, then `git merge` and `git pull --rebase` against a bare remote (issue 19)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
    reason="needs git")

ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
}

TODO = """\
# Todo

## Step 1: Parser
- [ ] tokenizer
- [ ] grammar
- [x] error messages

## Step 2: Output
- [ ] printer
- [ ] colours
"""

PLAN = """\
# Plan

## Step 1: Parser

```text
Write the parser.
```

## Step 2: Output

```text
Print the result.
```
"""


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["git", *args], cwd=cwd, env=ENV, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stdout}{done.stderr}")
    return done


def plan_ls(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in this process; git starts the merge driver as a process of its own."""
    return run_cli(*args, cwd=cwd, env=ENV)


def new_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """`path` as a new repository on main with `files` (name -> text; default this module's
    todo.md and prompt_plan.md) in its first commit."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for name, text in (files or {"todo.md": TODO, "prompt_plan.md": PLAN}).items():
        (path / name).write_text(text)
    git(path, "add", ".")
    git(path, "commit", "-qm", "plan")
    return path


def commit_edit(repo: Path, branch: str | None, old: str, new: str, name: str = "todo.md"):
    if branch:
        git(repo, "checkout", "-q", "-B", branch, "main")
    path = repo / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    git(repo, "commit", "-qam", f"{old} -> {new}")


def init_git(repo: Path) -> str:
    done = plan_ls(repo, "init", "--git")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_issues_conflict_is_gone_once_init_git_ran(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    commit_edit(repo, "ana", "- [ ] grammar", "- [x] grammar")
    commit_edit(repo, "bot", "- [ ] tokenizer", "- [x] tokenizer")
    git(repo, "checkout", "-q", "ana")
    # without the driver: the issue's conflict on two neighbouring lines
    assert git(repo, "merge", "-q", "bot", check=False).returncode == 1
    assert "<<<<<<<" in (repo / "todo.md").read_text()
    git(repo, "merge", "--abort")

    out = init_git(repo)
    assert ".gitattributes" in out and "merge.plan-ls.driver" in out
    attributes = (repo / ".gitattributes").read_text().splitlines()
    assert {"todo.md merge=plan-ls", "prompt_plan.md merge=plan-ls",
            "specs/*/tasks.md merge=plan-ls", ".kiro/specs/*/tasks.md merge=plan-ls"} \
        <= set(attributes)
    assert "merge-driver %O %A %B %P" in git(repo, "config", "merge.plan-ls.driver").stdout
    assert "already" in init_git(repo)  # a second run changes nothing
    assert (repo / ".gitattributes").read_text().splitlines() == attributes
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "merge planning files with plan-ls")

    git(repo, "merge", "-q", "--no-edit", "bot")
    text = (repo / "todo.md").read_text()
    assert text == TODO.replace("- [ ] grammar", "- [x] grammar").replace(
        "- [ ] tokenizer", "- [x] tokenizer")
    assert git(repo, "status", "--porcelain").stdout == ""


def test_every_combination_in_one_merge_then_the_claim_conflict_diagnostic(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    init_git(repo)
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes")
    # ana: ticks, unticks, claims a step and an item, edits an item's text
    commit_edit(repo, "ana", "- [ ] tokenizer", "- [x] tokenizer")
    commit_edit(repo, None, "- [x] error messages", "- [ ] error messages")
    commit_edit(repo, None, "- [ ] printer", "- [ ] pretty printer (@ana)")
    commit_edit(repo, None, "## Step 2: Output", "## Step 2: Output (@ana)",
                name="prompt_plan.md")
    # bot: ticks the neighbours, ticks the item ana renamed, claims the same step
    commit_edit(repo, "bot", "- [ ] grammar", "- [x] grammar")
    commit_edit(repo, None, "- [ ] printer", "- [x] printer")
    commit_edit(repo, None, "- [ ] colours", "- [ ] colours (@bot-2)")
    commit_edit(repo, None, "## Step 2: Output", "## Step 2: Output (@bot-2)",
                name="prompt_plan.md")
    git(repo, "checkout", "-q", "ana")
    git(repo, "merge", "-q", "--no-edit", "bot")
    assert (repo / "todo.md").read_text().splitlines() == [
        "# Todo", "", "## Step 1: Parser",
        "- [x] tokenizer", "- [x] grammar", "- [ ] error messages", "",
        "## Step 2: Output",
        "- [x] pretty printer (@ana)", "- [ ] colours (@bot-2)"]
    assert "## Step 2: Output (@ana) (@bot-2)\n" in (repo / "prompt_plan.md").read_text()
    # two names on one step: the plan's diagnostics say so (not a merge conflict)
    check = plan_ls(repo, "check")
    assert check.returncode == 1
    assert "Step 2 is claimed by 2 names: @ana, @bot-2" in check.stdout


def test_a_real_conflict_stops_the_merge_on_that_line_only(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    init_git(repo)
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes")
    commit_edit(repo, "ana", "- [ ] printer", "- [x] printer")
    commit_edit(repo, None, "- [ ] tokenizer", "- [x] tokenizer")
    commit_edit(repo, "bot", "- [ ] printer", "- [-] printer")
    commit_edit(repo, None, "- [ ] colours", "- [x] colours")
    git(repo, "checkout", "-q", "ana")
    assert git(repo, "merge", "-q", "bot", check=False).returncode == 1
    lines = (repo / "todo.md").read_text().splitlines()
    assert lines[3:] == [
        "- [x] tokenizer", "- [ ] grammar", "- [x] error messages", "",
        "## Step 2: Output",
        "<<<<<<< ours", "- [x] printer", "=======", "- [-] printer", ">>>>>>> theirs",
        "- [x] colours"]
    assert "UU todo.md" in git(repo, "status", "--porcelain").stdout


def test_pull_rebase_between_two_clones_of_a_bare_remote(tmp_path: Path) -> None:
    origin = new_repo(tmp_path / "seed")
    init_git(origin)
    git(origin, "add", ".gitattributes")
    git(origin, "commit", "-qm", "attributes")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(remote))
    clones = []
    for name in ("one", "two"):
        git(tmp_path, "clone", "-q", str(remote), name)
        clones.append(tmp_path / name)
        init_git(tmp_path / name)  # every clone: git does not share .git/config
    one, two = clones
    commit_edit(one, None, "- [ ] tokenizer", "- [x] tokenizer")
    commit_edit(one, None, "- [ ] colours", "- [ ] colours (@one)")
    git(one, "push", "-q")
    commit_edit(two, None, "- [ ] grammar", "- [x] grammar")
    commit_edit(two, None, "- [ ] colours", "- [ ] colours (@two)")
    git(two, "pull", "-q", "--rebase")
    want = TODO.replace("- [ ] tokenizer", "- [x] tokenizer").replace(
        "- [ ] grammar", "- [x] grammar").replace("- [ ] colours", "- [ ] colours (@one) (@two)")
    assert (two / "todo.md").read_text() == want
    assert git(two, "status", "--porcelain").stdout == ""
    check = plan_ls(two, "check")
    assert "todo.md:10: warning: This item is claimed by 2 names: @one, @two" in check.stdout
    git(two, "push", "-q")
    git(one, "pull", "-q", "--rebase")
    assert (one / "todo.md").read_text() == want


def test_status_says_when_the_driver_is_missing(tmp_path: Path) -> None:
    from plan_ls.sync.git import driver_state

    repo = new_repo(tmp_path / "repo")
    plan = repo / "prompt_plan.md"
    assert driver_state(repo, plan) == "attributes"
    assert "run `plan-ls init --git` and commit" in plan_ls(repo, "status").stdout
    init_git(repo)
    assert driver_state(repo, plan) == "ok"
    assert "git:" not in plan_ls(repo, "status").stdout
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes")
    git(tmp_path, "clone", "-q", str(repo), "clone")  # a clone gets the attributes only
    assert driver_state(tmp_path / "clone", tmp_path / "clone" / "prompt_plan.md") == "config"
    assert "this clone lacks the plan-ls merge driver" in \
        plan_ls(tmp_path / "clone", "status").stdout
    (tmp_path / "plain").mkdir()
    assert driver_state(tmp_path / "plain", tmp_path / "plain" / "prompt_plan.md") is None


def test_a_driver_registered_from_an_active_venv_still_runs_without_it(tmp_path: Path) -> None:
    # `plan-ls init --git` run with the venv active (its plan-ls first on PATH); the merge
    # later runs where the venv is not active (another terminal, an IDE's git): the driver
    # must still start, else git leaves ours without markers and the other tick is dropped
    if sys.prefix == sys.base_prefix:
        pytest.skip("plan-ls is not installed in a virtual environment here")
    repo = new_repo(tmp_path / "repo")
    venv_bin = str(Path(sys.executable).parent)
    active = {**ENV, "PATH": venv_bin + os.pathsep + ENV.get("PATH", "")}
    done = run_cli("init", "--git", cwd=repo, env=active)
    assert done.returncode == 0, done.stderr
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "driver")
    commit_edit(repo, "ana", "- [ ] grammar", "- [x] grammar")
    commit_edit(repo, "bot", "- [ ] tokenizer", "- [x] tokenizer")
    git(repo, "checkout", "-q", "ana")
    bare = [p for p in ENV.get("PATH", "").split(os.pathsep)
            if p and Path(p).resolve() != Path(venv_bin).resolve()]
    merged = subprocess.run(["git", "merge", "-q", "--no-edit", "bot"], cwd=repo,
                            env={**ENV, "PATH": os.pathsep.join(bare)},
                            capture_output=True, text=True)
    assert merged.returncode == 0, merged.stderr
    todo = (repo / "todo.md").read_text()
    assert "- [x] tokenizer\n- [x] grammar\n" in todo
