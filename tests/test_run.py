"""`plan-ls run` with a stand-in agent (a real program) on a tiny real project with real
tests in a real git repository; `plan-ls verify`; the pieces of the engine."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plan_ls.run.agents import AgentError, resolve_agent
from plan_ls.run.process import group_alive
from plan_ls.run.record import read_all
from plan_ls.run.testcmd import detect_test_command, summarize
from tests.cli_runner import run_cli, start_cli
from tests.run_project import (
    STANDIN_TEST_COMMAND,
    TEST_COMMAND,
    agent_command,
    git,
    init_repo,
    make_project,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")


def plan_ls(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`plan-ls run ROOT ARGS...` in this process (the agents and tests are processes)."""
    return run_cli("run", root, *args)


def run(root: Path, mode: str, *args: str,
        test: str = STANDIN_TEST_COMMAND) -> subprocess.CompletedProcess:
    """A run with the stand-in agent in `mode`, gated by `test` (the stand-in test runner
    unless the test is about pytest)."""
    return plan_ls(root, "--agent", agent_command(mode), "--test", test, *args)


def events(proc: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.splitlines()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2] not in "ZX"


def gone(pgid: int, within: float = 5.0) -> bool:
    """The process group has no live member (killed processes take a moment to die)."""
    deadline = time.monotonic() + within
    while group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "calc")


def test_green_on_the_first_try(project: Path):
    before = git(project, "rev-parse", "HEAD").strip()
    proc = run(project, "good")
    assert proc.returncode == 0, proc.stderr
    # the agent's change is there, the step's items are ticked, the rest untouched
    assert "return a + b" in (project / "calc.py").read_text()
    todo = (project / "todo.md").read_text()
    assert "- [x] add() in `calc.py`" in todo and "- [x] a test for add" in todo
    assert "- [ ] double() in `double.py`" in todo
    # one commit, named after the step, holding the code and the checklist, not the runs
    assert git(project, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert git(project, "log", "-1", "--format=%s").strip() == "Step 1: Adder"
    files = set(git(project, "show", "--name-only", "--format=", "HEAD").split())
    assert files == {"calc.py", "tests/test_add.py", "todo.md"}
    # the claim is gone from the plan, the tree is clean (run files are ignored)
    assert "(@standin_agent)" not in (project / "prompt_plan.md").read_text()
    assert git(project, "status", "--porcelain") == ""
    # the agent's output streamed to the terminal and to agent.log; the run is recorded
    assert "stand-in agent: wrote calc.py" in proc.stdout
    (rec,) = read_all(project)
    assert rec["step"] == "1" and rec["result"] == "passed" and rec["attempt"] == 1
    assert rec["commit"] == git(project, "rev-parse", "HEAD").strip()
    assert rec["agent"] == "standin_agent" and rec["test_exit"] == 0
    assert rec["tests"].startswith("2 passed")
    assert "calc.py" in rec["files"]
    run_dir = project / ".plan-ls" / "runs" / rec["run_id"]
    assert "wrote calc.py" in (run_dir / "agent.log").read_text()
    prompt = (run_dir / "prompt.md").read_text()
    assert prompt.startswith("# Step 1: Adder") and STANDIN_TEST_COMMAND in prompt
    assert "Do not edit `todo.md` or `prompt_plan.md`" in prompt


def test_the_step_is_claimed_while_the_agent_works(project: Path, tmp_path: Path):
    # an agent that copies the plan as it sees it shows the claim on the step's line
    spy = tmp_path / "spy.py"
    spy.write_text("import shutil, sys, os\n"
                   "shutil.copy('prompt_plan.md', os.environ['PLAN_LS_RUN_DIR'] + '/plan')\n"
                   "sys.exit(5)\n")
    proc = plan_ls(project, "--agent", f"{sys.executable} {spy}", "--test",
                   STANDIN_TEST_COMMAND)
    assert proc.returncode == 1
    (rec,) = read_all(project)
    seen = (project / ".plan-ls/runs" / rec["run_id"] / "plan").read_text()
    assert "## Step 1: Adder (@spy)" in seen
    assert rec["result"] == "agent_failed" and rec["agent_exit"] == 5
    assert "(@spy)" not in (project / "prompt_plan.md").read_text()


def test_red_then_green_on_retry_feeds_the_failure_back(project: Path):
    # the real pytest is the gate here: its failure report is what reaches the agent
    proc = run(project, "sloppy", "--json", test=TEST_COMMAND)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    recs = read_all(project)
    assert [r["result"] for r in recs] == ["failed", "passed"]
    run_dir = project / ".plan-ls" / "runs" / recs[0]["run_id"]
    first, second = (run_dir / "seen-1.md").read_text(), (run_dir / "seen-2.md").read_text()
    assert "tests failed" not in first
    # the failing assertion of attempt 1 reached the agent's prompt in attempt 2
    assert "the tests failed after the previous attempt" in second
    assert "assert -1 == 5" in second
    kinds = [e["event"] for e in events(proc)]
    assert kinds.count("attempt") == 2 and kinds[-1] == "step_done"
    assert "- [x] a test for add" in (project / "todo.md").read_text()


def test_red_to_the_end_keeps_the_step_open(project: Path):
    before = git(project, "rev-parse", "HEAD").strip()
    proc = run(project, "cheat", "--retries", "1")
    assert proc.returncode == 1
    assert "step 1 failed: the tests are still red after 2 attempts" in proc.stderr
    assert "assert add(2, 3) == 5" in proc.stderr  # what failed is printed
    # the boxes the agent ticked itself are reported and unticked; nothing committed
    assert "checked off 4 items of Step 1" not in proc.stderr
    assert "the agent changed todo.md during Step 1, which it must not touch: put back " \
        "as it was" in proc.stderr
    todo = (project / "todo.md").read_text()
    assert "- [ ] add() in `calc.py`" in todo and "- [ ] a test for add" in todo
    assert git(project, "rev-parse", "HEAD").strip() == before
    assert "(@standin_agent)" not in (project / "prompt_plan.md").read_text()
    assert [r["result"] for r in read_all(project)] == ["failed", "failed"]


def test_an_agent_that_edits_the_planning_files_gets_them_put_back(project: Path):
    # green tests, but the agent ticked every box (step 2's too) and rewrote the plan:
    # only step 1's items end ticked, and the commit holds the plan as it was
    plan_before = (project / "prompt_plan.md").read_bytes()
    proc = run(project, "meddle")
    assert proc.returncode == 0, proc.stderr
    assert "the agent changed prompt_plan.md during Step 1, which it must not touch" \
        in proc.stderr
    todo = (project / "todo.md").read_text()
    assert "- [x] add() in `calc.py`" in todo and "- [ ] double() in `double.py`" in todo
    assert (project / "prompt_plan.md").read_bytes() == plan_before
    files = set(git(project, "show", "--name-only", "--format=", "HEAD").split())
    assert files == {"calc.py", "tests/test_add.py", "todo.md"}
    assert git(project, "status", "--porcelain") == ""
    # what the agent wrote is not lost: it is kept in the run's folder
    (rec,) = read_all(project)
    kept = project / ".plan-ls/runs" / rec["run_id"] / "agent-1-prompt_plan.md"
    assert kept.read_text() == "# my own plan now\n"


def test_an_agent_that_deletes_the_checklist_does_not_get_it_committed(project: Path):
    todo_before = (project / "todo.md").read_text()
    proc = run(project, "deltodo")
    assert proc.returncode == 0, proc.stderr
    assert "the agent deleted todo.md during Step 1" in proc.stderr
    assert "checked off 2 items" in proc.stderr
    todo = (project / "todo.md").read_text()
    assert todo == todo_before.replace("- [ ] add()", "- [x] add()").replace(
        "- [ ] a test for add", "- [x] a test for add")
    files = set(git(project, "show", "--name-only", "--format=", "HEAD").split())
    assert files == {"calc.py", "tests/test_add.py", "todo.md"}
    assert git(project, "show", "HEAD:todo.md") == todo


def test_agent_failure_stops_without_retrying(project: Path):
    proc = run(project, "fail", "--json")
    assert proc.returncode == 1
    assert [r["result"] for r in read_all(project)] == ["agent_failed"]
    failed = [e for e in events(proc) if e["event"] == "step_failed"]
    assert failed and "exited with 3" in failed[0]["reason"]


def test_dirty_tree_is_refused(project: Path):
    (project / "notes.txt").write_text("mine\n")
    proc = run(project, "good")
    assert proc.returncode == 2
    assert "uncommitted changes (notes.txt)" in proc.stderr
    assert not (project / "calc.py").exists() and read_all(project) == []
    proc = run(project, "good", "--allow-dirty", "--no-commit")
    assert proc.returncode == 0, proc.stderr
    assert (project / "notes.txt").read_text() == "mine\n"


def test_allow_dirty_keeps_the_users_own_changes_out_of_the_commit(project: Path):
    # the user's untracked note and a half-done edit to a tracked file were there before
    # the run; the agent touches neither, so the step's commit holds neither
    (project / "n[1]otes.txt").write_text("mine\n")
    with (project / "prompt_plan.md").open("a") as fh:
        fh.write("\nAn idea for later.\n")
    proc = run(project, "good", "--allow-dirty")
    assert proc.returncode == 0, proc.stderr
    files = set(git(project, "show", "--name-only", "--format=", "HEAD").split())
    assert files == {"calc.py", "tests/test_add.py", "todo.md"}
    assert "2 files left out of the commit (uncommitted before the run, untouched by " \
        "the agent)" in proc.stderr
    status = git(project, "status", "--porcelain", "-uall").splitlines()
    assert sorted(status) == [" M prompt_plan.md", "?? n[1]otes.txt"]
    assert (project / "prompt_plan.md").read_text().endswith("An idea for later.\n")


def test_refusals_claimed_done_and_nothing_left(project: Path):
    plan = project / "prompt_plan.md"
    plan.write_text(plan.read_text().replace("## Step 1: Adder", "## Step 1: Adder (@ana)"))
    git(project, "commit", "-qam", "ana takes step 1")
    proc = run(project, "good", "--step", "1")
    assert proc.returncode == 2 and "Step 1 is claimed by @ana" in proc.stderr
    # --next skips a step someone else holds
    proc = run(project, "good", "--json")
    assert proc.returncode == 0, proc.stdout
    assert events(proc)[0]["step"] == "2"
    proc = run(project, "good", "--step", "2")
    assert proc.returncode == 2 and "done already" in proc.stderr
    proc = run(project, "good")
    assert proc.returncode == 3 and "no open step is left" in proc.stderr


def test_auto_runs_every_step_and_until_stops(project: Path):
    proc = run(project, "good", "--until", "1")
    assert proc.returncode == 0
    assert git(project, "log", "-1", "--format=%s").strip() == "Step 1: Adder"
    proc = run(project, "good", "--auto")
    assert proc.returncode == 0, proc.stderr
    log = git(project, "log", "--format=%s").split("\n")
    assert log[:3] == ["Step 2: Doubler", "Step 1: Adder", "start"]
    assert "- [ ]" not in (project / "todo.md").read_text()


def test_timeout_stops_the_agent(project: Path):
    t0 = time.monotonic()
    proc = run(project, "hang", "--timeout", "0.5", "--json")
    assert proc.returncode == 1
    assert time.monotonic() - t0 < 15
    (rec,) = read_all(project)
    assert rec["result"] == "timeout"
    pids = (project / ".plan-ls/runs" / rec["run_id"] / "pids").read_text().split()
    assert gone(int(pids[0]))
    assert "(@standin_agent)" not in (project / "prompt_plan.md").read_text()


def test_ctrl_c_stops_the_process_group_and_commits_nothing(project: Path):
    before = git(project, "rev-parse", "HEAD").strip()
    # a real process: SIGINT is what is under test
    proc = start_cli("run", project, "--agent", agent_command("hang"), "--test",
                     STANDIN_TEST_COMMAND, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     text=True)
    runs = project / ".plan-ls" / "runs"
    deadline = time.monotonic() + 20
    pids_file = None
    while pids_file is None and time.monotonic() < deadline:
        found = list(runs.glob("*/pids")) if runs.is_dir() else []
        pids_file = found[0] if found and found[0].read_text().endswith("\n") else None
        time.sleep(0.05)
    assert pids_file is not None, "the agent never started"
    agent_pid, child_pid = map(int, pids_file.read_text().split())
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground process
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "nothing was committed" in err
    assert gone(agent_pid)
    assert not _alive(child_pid)
    assert git(project, "rev-parse", "HEAD").strip() == before
    # the boxes the agent ticked before it was stopped are put back, as the message says
    assert "- [x]" not in (project / "todo.md").read_text()
    assert "the agent changed todo.md during Step 1" in err
    assert "(@standin_agent)" not in (project / "prompt_plan.md").read_text()
    assert [r["result"] for r in read_all(project)] == ["interrupted"]
    assert (project / "half_written.py").exists()  # the agent's own work stays to look at


def test_bad_usage(project: Path):
    assert plan_ls(project, "--test", STANDIN_TEST_COMMAND).returncode == 2  # no agent
    proc = plan_ls(project, "--agent", "aider", "--test", STANDIN_TEST_COMMAND, "--plan",
                   "nope")
    assert proc.returncode == 2 and "no plan 'nope'" in proc.stderr
    proc = run(project, "good", "--step", "9")
    assert proc.returncode == 2 and "no step 9" in proc.stderr


def test_verify_shows_runs_and_missing_files(project: Path):
    assert run(project, "good").returncode == 0
    todo = project / "todo.md"
    todo.write_text(todo.read_text().replace("- [ ] double() in `double.py`",
                                             "- [x] double() in `double.py`"))
    proc = run_cli("verify", project, "--test", STANDIN_TEST_COMMAND)
    assert proc.returncode == 1
    assert "tests: passed (2 passed" in proc.stdout
    assert "✓ 1  Adder: last run passed" in proc.stdout
    assert "todo.md:8: warning: marked done, but `double.py` does not exist" in proc.stdout
    (project / "double.py").write_text("")
    proc = run_cli("verify", project, "--no-tests", "--json")
    assert proc.returncode == 0, proc.stdout
    data = json.loads(proc.stdout)
    assert data["diagnostics"] == [] and data["done_steps"][0]["last_run"]["result"] == "passed"


# --- pieces --------------------------------------------------------------------------------

def test_presets_and_command_lines():
    aider = resolve_agent("aider")
    argv = aider.argv(Path(".plan-ls/runs/r/prompt.md"), "the prompt", Path(".plan-ls/runs/r"))
    assert argv[:3] == ["aider", "--message-file", ".plan-ls/runs/r/prompt.md"]
    assert "--no-auto-commits" in argv and ".plan-ls/runs/r/aider.chat.history.md" in argv
    claude = resolve_agent("claude").argv(Path("p.md"), "two words; $(rm -rf x)", Path("r"))
    assert claude[-1] == "two words; $(rm -rf x)"  # one argument, never seen by a shell
    own = resolve_agent("python3 tools/my-agent.py {prompt_file} --fast")
    assert own.name == "my-agent"
    assert own.argv(Path("p.md"), "x", Path("r")) == ["python3", "tools/my-agent.py",
                                                       "p.md", "--fast"]
    with pytest.raises(AgentError):
        resolve_agent("  ")
    with pytest.raises(AgentError):
        resolve_agent("agent 'unclosed")


def test_detect_test_command(tmp_path: Path):
    assert detect_test_command(tmp_path) is None
    (tmp_path / "Makefile").write_text("build:\n\ttrue\ntest:\n\ttrue\n")
    assert detect_test_command(tmp_path) == "make test"
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    assert detect_test_command(tmp_path) == "pytest"
    (tmp_path / "go.mod").write_text("module x\n")
    assert detect_test_command(tmp_path) == "go test ./..."
    (tmp_path / "package.json").write_text('{"scripts": {"test": "vitest"}}')
    assert detect_test_command(tmp_path) == "npm test"


def test_summaries():
    assert summarize("....\n==== 1 failed, 3 passed in 0.12s ====\n", 1) == "1 failed, 3 passed"
    assert summarize("2 passed in 0.01s\n", 0) == "2 passed"
    assert summarize("ok\nFAIL: boom\n\n", 2) == "exit 2: FAIL: boom"
    assert summarize("", None) == "stopped"


@pytest.mark.parametrize(("text", "paths"), [
    ("create `src/db/albums.ts` with the schema", ["src/db/albums.ts"]),
    ("write src/app/main.py and `package.json`", ["src/app/main.py", "package.json"]),
    ("`src/a.py:12` fails", ["src/a.py"]),
    ("Node.js, Vue.js, e.g. this, and/or that", []),  # no folder, no code span
    ("`config.debug` is on", []),  # code, not a file
    ("see https://example.com/a/b.py", []),
    ("`/etc/passwd`, `../up.py`, `~/x.py`, `*.py`, `<name>.py`", []),  # not the workspace's
])
def test_named_paths(text, paths):
    from plan_ls.model.paths import named_paths

    assert [p.path for p in named_paths(text)] == paths


def test_missing_files_only_for_ticked_items(tmp_path: Path):
    from plan_ls.model.todo import parse_todo
    from plan_ls.run.verify import missing_files

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "here.py").write_text("")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "local.md").write_text("")
    todo = parse_todo("# T\n- [x] `src/here.py`\n- [x] `src/gone.py`\n- [ ] `src/later.py`\n"
                      "- [x] delete `src/old.py`\n- [x] `local.md` next to the checklist\n")
    found = missing_files(todo, tmp_path, tmp_path / "docs")
    assert [(m.line, m.path, m.start, m.end) for m in found] == [(2, "src/gone.py", 7, 18)]


def test_a_project_in_a_folder_of_a_repository(tmp_path: Path):
    # the repository holds more than the project: changes elsewhere are neither a reason to
    # refuse nor part of the step's commit, and the run files are recognised as such
    repo = tmp_path / "mono"
    project = make_project(repo / "apps" / "calc", init=False)
    (repo / "other.txt").write_text("v1\n")
    init_repo(repo, "monorepo")
    (repo / "other.txt").write_text("v2, staged by someone\n")
    git(repo, "add", "other.txt")
    assert run(project, "good").returncode == 0
    files = set(git(repo, "show", "--name-only", "--format=", "HEAD").split())
    assert files == {"apps/calc/calc.py", "apps/calc/tests/test_add.py", "apps/calc/todo.md"}
    assert git(repo, "diff", "--cached", "--name-only").split() == ["other.txt"]
    proc = run(project, "good")  # the first run's files do not make the tree dirty
    assert proc.returncode == 0, proc.stderr


def test_run_sources_in_an_untrusted_workspace(tmp_path: Path):
    """Restricted Mode: only the client's (user's) agent and test command count; the
    project's settings file and test detection do not."""
    from types import SimpleNamespace

    from plan_ls.features.run import run_sources
    from plan_ls.settings import load_settings

    (tmp_path / ".plan-ls").mkdir()
    (tmp_path / ".plan-ls" / "config.toml").write_text("[run]\nagent = 'repo-agent'\n"
                                                       "test = 'repo-tests'\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("")

    def server(client):
        settings, problems = load_settings(tmp_path, client)
        assert problems == []
        return SimpleNamespace(client_settings=client, settings=settings, root=tmp_path)

    assert run_sources(server(None)) == ("repo-agent", "repo-tests")  # Neovim, the CLI: trusted
    untrusted = {"planLs": {"workspaceTrusted": False}}
    assert "not trusted" in run_sources(server(untrusted))
    mine = {"planLs": {"workspaceTrusted": False, "run": {"agent": "aider"}}}
    assert "not trusted" in run_sources(server(mine))  # no test command of the user's
    mine["planLs"]["run"]["test"] = "pytest -q"
    assert run_sources(server(mine)) == ("aider", "pytest -q")
    # the section's content as workspace/configuration answers it, without the wrapper
    assert run_sources(server(mine["planLs"])) == ("aider", "pytest -q")


def test_run_settings_are_typed(tmp_path: Path):
    from plan_ls.settings import load_settings

    (tmp_path / ".plan-ls").mkdir()
    (tmp_path / ".plan-ls" / "config.toml").write_text("[run]\nagent = 'aider'\n"
                                                       "retries = 'many'\n")
    settings, problems = load_settings(tmp_path)
    assert settings.run.agent == "aider" and settings.run.retries == 2
    assert problems == [".plan-ls/config.toml: run.retries: expected integer, got the string "
                        "'many'; using 2"]
