"""A stand-in coding agent for the tests of `plan-ls run`: a real program that does what a
step's prompt asks, in a form it can read, and can be told to do it badly.

The prompt (the file given as the first argument) asks for files like this:

    FILE calc.py
    ~~~
    def add(a, b):
        return a + b
    ~~~

Modes (second argument):
  good      writes the files as asked;
  sloppy    writes them with every " + " turned into " - " unless the prompt carries the
            failing test output of an earlier attempt (then it writes them right);
  broken    always writes them wrong (" + " -> " - ");
  cheat     writes them wrong and checks off every box in todo.md itself;
  meddle    writes them right, then checks off every box in todo.md (other steps' too)
            and replaces prompt_plan.md with a line of its own;
  deltodo   writes them right, then deletes todo.md;
  fail      writes nothing and exits 3;
  hang      starts a child that sleeps, writes half a file, checks off every box in
            todo.md, writes both pids to $PLAN_LS_RUN_DIR/pids, and sleeps until killed.
Each attempt's prompt is copied to $PLAN_LS_RUN_DIR/seen-$PLAN_LS_ATTEMPT.md, so a test can
see what reached the agent.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

_FILE = re.compile(r"^FILE (\S+)\n~~~[^\n]*\n(.*?)^~~~$", re.M | re.S)


def main() -> int:
    prompt_file, mode = Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "good"
    prompt = prompt_file.read_text("utf-8")
    run_dir = Path(os.environ["PLAN_LS_RUN_DIR"])
    (run_dir / f"seen-{os.environ['PLAN_LS_ATTEMPT']}.md").write_text(prompt, "utf-8")
    print(f"stand-in agent: {mode}, attempt {os.environ['PLAN_LS_ATTEMPT']}", flush=True)
    if mode == "fail":
        print("stand-in agent: giving up", flush=True)
        return 3
    if mode == "hang":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        Path("half_written.py").write_text("def add(a, b):\n", "utf-8")
        todo = Path("todo.md")
        todo.write_text(todo.read_text("utf-8").replace("- [ ]", "- [x]"), "utf-8")
        (run_dir / "pids").write_text(f"{os.getpid()} {child.pid}\n", "utf-8")
        time.sleep(120)
        return 0
    feedback = "the tests failed after the previous attempt" in prompt
    wrong = mode in ("broken", "cheat") or (mode == "sloppy" and not feedback)
    for path, body in _FILE.findall(prompt):
        if wrong:
            body = body.replace(" + ", " - ")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, "utf-8")
        print(f"stand-in agent: wrote {path}", flush=True)
    if mode == "deltodo":
        Path("todo.md").unlink()
    if mode == "meddle":
        Path("prompt_plan.md").write_text("# my own plan now\n", "utf-8")
    if mode in ("cheat", "meddle"):
        todo = Path("todo.md")
        todo.write_text(todo.read_text("utf-8").replace("- [ ]", "- [x]"), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
