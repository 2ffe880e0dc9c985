"""`plan-ls run` (execute the plan's steps with a coding agent, gated by the tests) and
`plan-ls verify` (run the tests once; the evidence behind each done step)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from plan_ls.cli import at_least, usage_error

RUN_EPILOG = """\
agents: aider, claude, codex, gemini (presets), or a command line of your own in which
{prompt_file} is the prompt file and {prompt} its text (e.g. --agent "python agent.py
{prompt_file}"). Settings: run.agent, run.test, run.retries, run.timeout in
.plan-ls/config.toml.

exit status: 0 the step(s) passed their tests and were checked off, 1 the tests are still
red or the agent failed, 2 bad usage or refused (uncommitted changes, a step claimed by
someone else or done), 3 nothing left to run, 130 interrupted (the agent's processes are
stopped, nothing is committed)."""


def add_commands(sub: Any) -> None:
    p = sub.add_parser("run", help="run the next step's prompt with a coding agent; the "
                                   "step is checked off and committed when the tests pass",
                       epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", nargs="?", default=".", help="the project (default: .)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--step", metavar="N", help="run step N")
    which.add_argument("--next", action="store_true",
                       help="run the first open step not claimed by someone else (default)")
    p.add_argument("--until", metavar="N", help="go on, step after step, up to step N")
    p.add_argument("--auto", action="store_true",
                   help="go on to the next step after a green one (default: stop for review)")
    p.add_argument("--agent", metavar="NAME|COMMAND", help="a preset or a command line")
    p.add_argument("--test", metavar="COMMAND",
                   help="the test command (default: run.test, else detected)")
    p.add_argument("--retries", type=at_least(0), metavar="K",
                   help="attempts after the first while the tests are red (default 2)")
    p.add_argument("--commit", action=argparse.BooleanOptionalAction, default=None,
                   help="commit each green step as 'Step N: title' (default: on in a git "
                        "repository)")
    p.add_argument("--timeout", type=at_least(0, float), metavar="SECONDS",
                   help="limit per agent attempt and per test run (default 1800; 0: none)")
    p.add_argument("--allow-dirty", action="store_true",
                   help="run even when the work tree has uncommitted changes")
    p.add_argument("--plan", metavar="ID", help="the plan to run when the project has "
                   "several: its id or the end of it (specs/001-albums, 001-albums)")
    p.add_argument("--json", action="store_true", help="one JSON event per line on stdout")
    p.set_defaults(func=run_run)

    p = sub.add_parser("verify", help="run the tests once and show the evidence for each "
                                      "done step (its last run; ticked items naming files "
                                      "that do not exist)",
                       epilog="exit status: 0 the tests pass and every ticked item's files "
                              "exist, 1 otherwise, 2 bad usage")
    p.add_argument("dir", nargs="?", default=".")
    p.add_argument("--test", metavar="COMMAND", help="the test command (default: run.test, "
                                                    "else detected)")
    p.add_argument("--no-tests", action="store_true", help="only check the checklist")
    p.add_argument("--plan", metavar="ID", help="the plan to verify when the project has "
                   "several: its id or the end of it")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_verify)


def _project(args: argparse.Namespace):
    """(root, settings, plan ref or None for the primary plan) for the command's DIR and
    --plan (`plan-ls next`'s rule, cli/sync.py plan_target); a str when they cannot be used."""
    from plan_ls.cli.sync import plan_target

    if not Path(args.dir).is_dir():
        return f"{args.dir}: not a directory"
    try:
        return plan_target(args.dir, args.plan)
    except LookupError as exc:
        return str(exc)


def _test_command(args: argparse.Namespace, root: Path, settings: Any) -> str | None:
    from plan_ls.run.testcmd import detect_test_command

    return args.test or settings.run.test or detect_test_command(root)


def run_run(args: argparse.Namespace) -> int:
    from plan_ls.run.agents import AgentError, resolve_agent
    from plan_ls.run.engine import RunOptions, run_steps

    project = _project(args)
    if isinstance(project, str):
        return usage_error(project)
    root, settings, ref = project
    try:
        agent = resolve_agent(args.agent or settings.run.agent)
    except AgentError as exc:
        return usage_error(exc)
    test = _test_command(args, root, settings)
    if not test:
        return usage_error("no test command: give --test \"COMMAND\" or set run.test in "
                           ".plan-ls/config.toml (plan-ls finds pytest, npm test, cargo "
                           "test, go test and make test by themselves)")
    timeout = args.timeout if args.timeout is not None else settings.run.timeout
    opts = RunOptions(root=root, agent=agent, test=test, step=args.step, until=args.until,
                      auto=args.auto, retries=args.retries if args.retries is not None
                      else settings.run.retries, commit=args.commit,
                      timeout=timeout if timeout and timeout > 0 else None,
                      allow_dirty=args.allow_dirty, files=settings.files, plan=ref)
    emit = _json_events if args.json else _TerminalEvents()
    return run_steps(opts, emit)


def _json_events(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class _TerminalEvents:
    """The agent's and the tests' output as they come on stdout; plan-ls's own lines on
    stderr, prefixed, so that they stand out in the stream."""

    def __call__(self, e: dict[str, Any]) -> None:
        kind = e["event"]
        if kind == "output":
            sys.stdout.write(e["text"])
            sys.stdout.flush()
            return
        line = self.line(e)
        if line:
            sys.stdout.flush()
            print(f"plan-ls: {line}", file=sys.stderr, flush=True)

    @staticmethod
    def line(e: dict[str, Any]) -> str | None:
        kind = e["event"]
        if kind == "step":
            return (f"step {e['step']}: {e['title']} — agent {e['agent']}, tests `{e['test']}`"
                    f" (prompt: {e['prompt_file']}, log: {e['log']})")
        if kind == "claimed":
            return f"claimed step {e['step']} for @{e['name']}"
        if kind == "attempt":
            return f"attempt {e['attempt']} of {e['of']}"
        if kind == "tests":
            return f"running the tests: {e['command']}"
        if kind == "tests_done":
            return f"tests {'passed' if e['passed'] else 'failed'}: {e['summary']}"
        if kind == "ticked":
            return f"checked off {e['items']} item{'s' if e['items'] != 1 else ''}"
        if kind == "commit":
            return f"committed {e['commit'][:12]} ({len(e['files'])} files)" if e["commit"] \
                else "nothing to commit"
        if kind == "released":
            return f"released the claim on step {e['step']}"
        if kind == "step_done":
            return f"step {e['step']} done"
        if kind == "step_failed":
            tail = e.get("output") or ""
            tail = "\n".join(tail.rstrip().splitlines()[-15:])
            return f"step {e['step']} failed: {e['reason']}; it stays open" + \
                (f"\n{tail}" if tail else "")
        if kind in ("refused", "nothing_left", "interrupted", "warning"):
            return e["message"]
        return None


def run_verify(args: argparse.Namespace) -> int:
    from plan_ls.run.record import last_runs
    from plan_ls.run.verify import missing_files
    from plan_ls.sync.claims import step_title
    from plan_ls.sync.state import PlanState

    project = _project(args)
    if isinstance(project, str):
        return usage_error(project)
    root, settings, ref = project
    state = PlanState(root, settings.files, ref=ref)
    state.load_all_from_disk()
    snap = state.snapshot
    if snap.todo is None and snap.plan is None:
        return usage_error(f"{args.dir}: no checklist or plan here")
    tests: dict[str, Any] | None = None
    if not args.no_tests:
        test = _test_command(args, root, settings)
        if not test:
            return usage_error("no test command: give --test \"COMMAND\" (or --no-tests)")
        tests = _run_tests_once(test, root, settings, quiet=args.json)
    runs = last_runs(root, ref.id if ref is not None else None)
    steps = []
    if snap.plan is not None:
        for step in snap.plan.steps:
            if snap.finished(step):
                steps.append({"number": step.number, "title": step_title(step),
                              "last_run": runs.get(step.number)})
    todo_path = state.path_of("todo")
    missing = missing_files(snap.todo, root, todo_path.parent) if snap.todo else []
    diagnostics = [{"path": str(todo_path), "line": m.line + 1, "severity": "warning",
                    "message": m.message} for m in missing]
    red = tests is not None and not tests["passed"]
    if args.json:
        json.dump({"tests": tests, "done_steps": steps, "diagnostics": diagnostics},
                  sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 1 if red or diagnostics else 0
    if tests is not None:
        print(f"tests: {'passed' if tests['passed'] else 'FAILED'} ({tests['summary']})")
    for s in steps:
        run = s["last_run"]
        if run is None:
            what = "no recorded run"
        else:
            commit = f", commit {run['commit'][:12]}" if run.get("commit") else ""
            what = f"last run {run.get('result', '?')} {run.get('start', '')}" \
                   f" by {run.get('agent', '?')}{commit}"
        print(f"  ✓ {s['number']}  {s['title']}: {what}")
    for d in diagnostics:
        print(f"{_rel(d['path'])}:{d['line']}: {d['severity']}: {d['message']}")
    if red and steps:
        print(f"the tests are red while {len(steps)} step{'s are' if len(steps) != 1 else ' is'}"
              " marked done: the checklist claims more than the code shows")
    return 1 if red or diagnostics else 0


def _run_tests_once(test: str, root: Path, settings: Any, quiet: bool) -> dict[str, Any]:
    from plan_ls.run.process import run_process
    from plan_ls.run.testcmd import summarize

    def show(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    timeout = settings.run.timeout
    try:
        done = run_process(test, cwd=root, on_output=None if quiet else show,
                           timeout=timeout if timeout > 0 else None)
    except OSError as exc:
        return {"command": test, "passed": False, "exit": None, "summary": str(exc)}
    return {"command": test, "passed": done.ok, "exit": done.exit_code,
            "summary": summarize(done.output, done.exit_code)}


def _rel(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
