"""Claims through the remote: `plan-ls next --claim NAME --push` from 8 clones at once against
one bare repository, and `release --push` (issue 19)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.test_merge_git import ENV, git, new_repo

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
    reason="needs git")

STEPS = 5
CLONES = 8
# Each round is 8 processes on 2 cores (~5 s): one by default; more to stress it
ROUNDS = int(os.environ.get("PLAN_LS_CLAIM_ROUNDS", "1"))
PLAN = "# Plan\n\n" + "".join(
    f"## Step {n}: Part {n}\n\n```text\nBuild part {n}.\n```\n\n" for n in range(1, STEPS + 1))
TODO = "# Todo\n\n" + "".join(f"## Step {n}: Part {n}\n- [ ] part {n}\n\n"
                              for n in range(1, STEPS + 1))


def remote_with_clones(tmp_path: Path, count: int) -> tuple[Path, list[Path]]:
    seed = new_repo(tmp_path / "seed", {"prompt_plan.md": PLAN, "todo.md": TODO})
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(remote))
    clones = []
    for n in range(count):
        clone = tmp_path / f"clone{n}"
        git(tmp_path, "clone", "-q", str(remote), clone.name)
        clones.append(clone)
    return remote, clones


def next_claim(clone: Path, name: str) -> subprocess.Popen[str]:
    """`plan-ls next --claim NAME --push` started as a process (they race each other)."""
    return subprocess.Popen(
        [sys.executable, "-m", "plan_ls", "next", "--claim", name, "--push", "--json"],
        cwd=clone, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def claims_on(remote: Path) -> dict[str, list[str]]:
    plan = git(remote, "show", "main:prompt_plan.md").stdout
    return {m.group(1): re.findall(r"\(@([\w.\-]+)\)", m.group(2))
            for m in re.finditer(r"^## Step (\d+): Part \d+(.*)$", plan, re.M)}


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_eight_clones_claim_at_once_and_no_step_is_held_twice(tmp_path: Path,
                                                              round_: int) -> None:
    remote, clones = remote_with_clones(tmp_path, CLONES)
    # each clone has a commit of its own that must never reach the remote
    for n, clone in enumerate(clones):
        (clone / "notes.md").write_text(f"local {n}\n")
        git(clone, "add", "notes.md")
        git(clone, "commit", "-qm", f"local work {n}")
    procs = [next_claim(clone, f"bot-{n}") for n, clone in enumerate(clones)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]

    got = {}
    for n, (code, out, err) in enumerate(results):
        assert code in (0, 3), err
        if code == 0:
            data = json.loads(out)
            assert data["claim"] == f"bot-{n}"
            got[data["number"]] = f"bot-{n}"
    assert len(got) == STEPS  # every step went to someone, each to one process
    assert sum(code == 3 for code, _o, _e in results) == CLONES - STEPS
    # on the remote: each step claimed by exactly the name that was told it got it
    assert claims_on(remote) == {number: [name] for number, name in got.items()}
    log = git(remote, "log", "--format=%s", "main").stdout.splitlines()
    claims = sorted(line for line in log if line.startswith("claim:"))
    assert claims == sorted(f"claim: Step {k} for {v}" for k, v in got.items())
    assert len(log) == STEPS + 1  # the claims and the first commit: nothing local was pushed
    for commit in git(remote, "rev-list", "main", "--max-count", str(STEPS)).stdout.split():
        changed = git(remote, "show", "--name-only", "--format=", commit).stdout.split()
        assert changed == ["prompt_plan.md"]
    # a winner's own branch has its claim and still its local commit on top
    n = int(got["1"].split("-")[1])
    assert f"## Step 1: Part 1 (@bot-{n})" in (clones[n] / "prompt_plan.md").read_text()
    assert (clones[n] / "notes.md").read_text() == f"local {n}\n"
    assert git(clones[n], "status", "--porcelain").stdout == ""


def test_release_push_and_claim_again(tmp_path: Path) -> None:
    remote, (one, two) = remote_with_clones(tmp_path, 2)
    first = run_cli("next", "--claim", "ana", "--push", "--json", cwd=one, env=ENV)
    assert first.returncode == 0, first.stderr
    assert claims_on(remote)["1"] == ["ana"]
    done = run_cli("release", "1", "--push", cwd=two, env=ENV)
    assert done.returncode == 0, done.stderr
    assert "released on the remote" in done.stderr
    assert claims_on(remote)["1"] == []
    assert git(remote, "log", "-1", "--format=%s", "main").stdout.strip() == \
        "release: Step 1 (was @ana)"
    # the clone that released is up to date; the step is open again for anyone
    assert "(@ana)" not in (two / "prompt_plan.md").read_text()
    again = run_cli("next", "--claim", "bob", "--push", "--json", cwd=two, env=ENV)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["number"] == "1"
    assert claims_on(remote)["1"] == ["bob"]


def test_push_needs_a_claim_name(tmp_path: Path) -> None:
    done = run_cli("next", "--push", cwd=tmp_path, env=ENV)
    assert done.returncode == 2 and "--push needs --claim" in done.stderr
