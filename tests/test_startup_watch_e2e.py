"""Files written while the server starts are seen (issue 13, item 8).

The server reads the planning files on `initialized`, then starts watching; a file written
in between sent no event and stayed unseen. The server here takes half a second to set its
watches up (tests/slow_watch_server.py), and the files are written in that gap.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp_client import end_session, make_client, start_session, wait_until

SLOW_WATCH_SERVER = [sys.executable, str(Path(__file__).with_name("slow_watch_server.py"))]
PLAN = "# Plan\n\n## Step 1: Brew\n\n```text\nBrew the tea.\n```\n"
TODO = "# Todo\n\n## Step 1: Brew\n- [x] boil water\n- [ ] steep three minutes\n"


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "tea"
    root.mkdir()
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SLOW_WATCH_SERVER,
                                              client_factory=make_client))
async def client(lsp_client: LanguageClient, project):
    stale = project / f".todo.md.{dead_pid()}.0123abcd.tmp"  # left by a killed writer
    stale.write_text("half a fi")
    await start_session(lsp_client, project)
    yield
    await end_session(lsp_client)


async def test_files_written_before_the_watch_is_up_are_seen(client: LanguageClient):
    await wait_until(lambda: client.progress_notes)  # the first read is done: nothing there
    assert client.progress_notes[-1].total == 0
    (client.project / "spec.md").write_text("# Spec\n\nTea timer.\n", encoding="utf-8")
    (client.project / "prompt_plan.md").write_text(PLAN, encoding="utf-8")
    (client.project / "todo.md").write_text(TODO, encoding="utf-8")
    await wait_until(lambda: client.progress_notes[-1].total == 2, timeout=5)
    note = client.progress_notes[-1]
    assert (note.done, note.total, note.nextStep.number) == (1, 2, "1")
    assert len(note.files) == 3  # spec.md too
    # the killed writer's temporary file is removed once the watch is up
    await wait_until(lambda: not [p for p in client.project.iterdir() if p.suffix == ".tmp"],
                     timeout=5)
