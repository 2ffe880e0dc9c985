"""Claims: names, the claim diagnostics of the model, and `plan-ls next` (with its race)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from plan_ls.model.plan import parse_plan
from plan_ls.model.snapshot import PlanSnapshot
from plan_ls.model.todo import parse_todo
from plan_ls.sync.claims import claim_text, clean_name, next_step
from tests.cli_runner import run_cli

PLAN = """# Plan

## Step 1: Parser{c1}

```text
Write the parser.
```

## Step 2: Printer{c2}

```text
Write the printer.
```
"""

TODO = """# Todo

## Step 1: Parser
- [{a}] write the parser{ca}
- [ ] test the parser{cb}

## Step 2: Printer
- [ ] write the printer
"""


def findings(c1="", c2="", a=" ", ca="", cb=""):
    plan = parse_plan(PLAN.format(c1=c1, c2=c2))
    todo = parse_todo(TODO.format(a=a, ca=ca, cb=cb))
    snap = PlanSnapshot.build(todo, plan)
    return [(f.file, f.line + 1, f.code, f.message) for f in snap.findings
            if f.code in ("claim-conflict", "checked-by-other")]


@pytest.mark.parametrize("raw, name", [
    ("ana", "ana"), ("@bot-1", "bot-1"), ("Ana Lopez", "Ana-Lopez"), ("  j.doe ", "j.doe"),
    ("", None), ("@", None), ("---", None), ("名前", "名前"),
])
def test_clean_name(raw, name):
    assert clean_name(raw) == name


def test_agreeing_claims_are_quiet():
    assert findings() == []
    assert findings(c1=" (@ana)", ca=" (@ana)", cb=" (@ana)") == []
    assert findings(ca=" (@ana)", cb=" (@bob)") == []  # an unclaimed step may be shared


def test_step_claimed_by_two_names():
    [f] = findings(c1=" (@ana) (@bob)")
    assert f[:3] == ("plan", 3, "claim-conflict") and "@ana, @bob" in f[3]
    got = findings(c1=" (@ana)", cb=" (@bob)")
    assert ("plan", 3, "claim-conflict") in [g[:3] for g in got]
    assert ("todo", 5, "claim-conflict") in [g[:3] for g in got]
    assert "Step 1 is claimed by @ana" in next(g[3] for g in got if g[0] == "todo")


def test_item_claimed_by_two_names():
    """What a merge of two claims of one item leaves (issue 19); a done item's is history."""
    [f] = findings(cb=" (@ana) (@bob)")
    assert f[:3] == ("todo", 5, "claim-conflict") and "@ana, @bob" in f[3]
    assert findings(cb=" (@ana) (@ana)") == []


def test_item_checked_off_by_another():
    """[x] claimed by @ana inside a step that @bob holds: @bob (the holder) checked it off."""
    [f] = findings(c1=" (@bob)", a="x", ca=" (@ana)")
    assert f[:3] == ("todo", 4, "checked-by-other")
    assert "@ana" in f[3] and "@bob" in f[3]
    # a done item of another name is history: it does not make the step doubly claimed
    assert not [g for g in findings(c1=" (@bob)", a="x", ca=" (@ana)") if g[0] == "plan"]


def test_parent_item_claim_is_the_holder():
    todo = parse_todo("- [ ] big job (@bob)\n  - [x] part (@ana)\n")
    plan = parse_plan("## Step 1: x\n\n```text\nx\n```\n")
    codes = [f.code for f in PlanSnapshot.build(todo, plan).findings]
    assert "checked-by-other" in codes


def test_claim_text_writes_and_releases_on_one_line():
    text = "# Plan\r\n\r\n## Step 1: Parser\r\n"
    claimed = claim_text(text, 2, "ana")
    assert claimed == "# Plan\r\n\r\n## Step 1: Parser (@ana)\r\n"
    assert claim_text(claimed, 2, "ana") is None
    assert claim_text(claimed, 2, "bob") == "# Plan\r\n\r\n## Step 1: Parser (@bob)\r\n"
    assert claim_text(claimed, 2, None) == text


# --- plan-ls next ------------------------------------------------------------------------

def plan_of(n: int) -> str:
    steps = [f"## Step {i}: Task number {i}\n\n```text\nDo task {i}, then wire it in.\n```\n"
             for i in range(1, n + 1)]
    return "# Plan\n\n" + "\n".join(steps)


def todo_of(n: int, done: set[int] = frozenset()) -> str:
    return "# Todo\n\n" + "".join(
        f"## Step {i}: Task number {i}\n- [{'x' if i in done else ' '}] task {i}\n\n"
        for i in range(1, n + 1))


def plan_ls(*args: str, process: bool = False) -> subprocess.CompletedProcess:
    return run_cli(*args, process=process)


def test_next_prints_claims_and_exits_3_when_nothing_is_left(tmp_path):
    (tmp_path / "prompt_plan.md").write_text(plan_of(3))
    (tmp_path / "todo.md").write_text(todo_of(3, done={1}))
    shown = plan_ls("next", str(tmp_path))
    assert shown.returncode == 0 and shown.stdout == "Do task 2, then wire it in.\n"
    assert "(@" not in (tmp_path / "prompt_plan.md").read_text()  # no --claim: no write
    first = plan_ls("next", str(tmp_path), "--claim", "bot-1")
    assert first.stdout == "Do task 2, then wire it in.\n" and "step 2" in first.stderr
    second = json.loads(plan_ls("next", str(tmp_path), "--claim", "bot-2", "--json").stdout)
    assert (second["number"], second["claim"], second["line"]) == ("3", "bot-2", 15)
    text = (tmp_path / "prompt_plan.md").read_text()
    assert "## Step 2: Task number 2 (@bot-1)\n" in text
    assert "## Step 3: Task number 3 (@bot-2)\n" in text
    assert plan_ls("next", str(tmp_path), "--claim", "bot-3").returncode == 3
    assert plan_ls("next", str(tmp_path)).returncode == 3
    assert not list(tmp_path.glob(".prompt_plan.md.*"))  # no temporary file left behind
    assert (tmp_path / ".plan-ls" / ".gitignore").read_text().count("plan.lock")


def test_next_refuses_bad_names_and_missing_plans(tmp_path):
    assert plan_ls("next", str(tmp_path)).returncode == 2
    (tmp_path / "prompt_plan.md").write_text(plan_of(1))
    bad = plan_ls("next", str(tmp_path), "--claim", "two words")
    assert bad.returncode == 2 and "not a claim name" in bad.stderr


def test_next_api_claims_for_the_name(tmp_path):
    (tmp_path / "prompt_plan.md").write_text(plan_of(2))
    step = next_step(tmp_path, "ana")
    assert step is not None and (step.number, step.claim, step.title) == ("1", "ana",
                                                                          "Task number 1")
    assert next_step(tmp_path).number == "2"


# a 50-step plan (a big file for the reader to catch half-written) of which the last 16
# are open: 8 processes race for them (each claim is a process start: keep them few)
WORKERS, STEPS, OPEN = 8, 50, 16
FIRST_OPEN = STEPS - OPEN + 1


def _worker(root: Path, name: str, barrier: threading.Barrier) -> list[tuple[str, str]]:
    barrier.wait()
    got = []
    while True:
        # processes: the race between them for the plan's lock is what is under test
        run = plan_ls("next", str(root), "--claim", name, "--json", process=True)
        if run.returncode == 3:
            return got
        assert run.returncode == 0, run.stderr
        data = json.loads(run.stdout)
        got.append((data["number"], data["prompt"]))


def _reader(path: Path, stop: threading.Event, seen: list[str]) -> None:
    """Reads the plan as fast as it can: every version it sees must be a whole plan."""
    while not stop.is_set():
        text = path.read_text()
        if text.count("\n## Step ") != STEPS or not text.endswith("```\n"):
            seen.append(text)
        time.sleep(0.001)  # leave the CPU to the racers


def test_race_of_eight_processes_never_gives_a_step_twice(tmp_path):
    plan = tmp_path / "prompt_plan.md"
    plan.write_text(plan_of(STEPS))
    (tmp_path / "todo.md").write_text(todo_of(STEPS, done=set(range(1, FIRST_OPEN))))
    barrier = threading.Barrier(WORKERS)
    stop, broken = threading.Event(), []
    reader = threading.Thread(target=_reader, args=(plan, stop, broken))
    reader.start()
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(lambda i: _worker(tmp_path, f"bot-{i}", barrier),
                                    range(WORKERS)))
    finally:
        stop.set()
        reader.join()
    claimed = [number for got in results for number, _ in got]
    assert sorted(claimed, key=int) == [str(i) for i in range(FIRST_OPEN, STEPS + 1)]  # once
    assert all(prompt == f"Do task {n}, then wire it in." for got in results
               for n, prompt in got)
    assert broken == []  # no reader ever saw a partial file
    final = parse_plan(plan.read_text())
    owner = {str(n): None for n in range(1, FIRST_OPEN)} | \
        {n: f"bot-{i}" for i, got in enumerate(results) for n, _ in got}
    assert {s.number: s.claim for s in final.steps} == owner  # the file agrees with stdout
    assert sum(1 for got in results if got) >= 2  # the workers really raced
