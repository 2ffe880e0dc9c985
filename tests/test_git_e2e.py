"""The server in a git clone: planLs.claim / planLs.release with `push` claim on the remote,
and planLs/progress says when git merges of the plan lack the merge driver (issue 19)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import line_of, lsp_session, status_of, wait_until
from tests.test_claim_push import remote_with_clones
from tests.test_merge_git import git

pytestmark = [pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True)
                                 .returncode != 0, reason="needs git")]


def clone_of_a_remote(folder: Path) -> Path:
    _, (work,) = remote_with_clones(folder, 1)
    # the server runs with the user's git config: this clone names its committer itself
    git(work, "config", "user.name", "Tester")
    git(work, "config", "user.email", "tester@example.org")
    return work


client = lsp_session(clone_of_a_remote, options={"planLs": {"user": "tester"}})


async def command(client: LanguageClient, method: str, **args):
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command=method, arguments=[args]))


def remote_plan(client: LanguageClient) -> str:
    return git(client.project.parent / "remote.git", "show", "main:prompt_plan.md").stdout


async def step_claim(client: LanguageClient, number: str) -> str | None:
    status = await status_of(client)
    return next(s.get("claim") for s in status["plan"]["steps"] if s["number"] == number)


async def test_claim_and_release_through_the_remote(client: LanguageClient) -> None:
    # a clone whose .gitattributes does not send the plan to the driver: progress says so
    await wait_until(lambda: any(getattr(p, "mergeDriver", None) == "attributes"
                                 for p in client.progress_notes))
    plan = client.project / "prompt_plan.md"
    uri, line = plan.as_uri(), line_of(plan, "## Step 2") + 2  # inside step 2
    result = await command(client, "planLs.claim", uri=uri, line=line, push=True)
    assert result["applied"] and result["claim"] == "tester", result
    assert "## Step 2: Part 2 (@tester)\n" in remote_plan(client)
    subject = git(client.project.parent / "remote.git", "log", "-1", "--format=%s", "main")
    assert subject.stdout.strip() == "claim: Step 2 for tester"
    assert result["commit"] == git(client.project, "rev-parse", "HEAD").stdout.strip()
    assert "## Step 2: Part 2 (@tester)\n" in plan.read_text()  # the branch took it
    deadline = time.monotonic() + 5
    while await step_claim(client, "2") != "tester":  # the watcher brings the pulled plan in
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)

    result = await command(client, "planLs.release", uri=uri, line=line, push=True)
    assert result["applied"] and result["claim"] is None
    assert "(@tester)" not in remote_plan(client) and "(@tester)" not in plan.read_text()
    # a todo item is not a step: nothing pushed, the user is told
    todo = client.project / "todo.md"
    result = await command(client, "planLs.claim", uri=todo.as_uri(),
                           line=line_of(todo, "- [ ] part 1"), push=True)
    assert result == {"applied": False, "claim": None}
    assert "release: Step 2" in git(client.project.parent / "remote.git", "log", "-1",
                                    "--format=%s", "main").stdout
