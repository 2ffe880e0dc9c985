"""The loop of `plan-ls run`: for each step, claim it, hand its prompt to a coding agent,
run the tests, and only when they pass check its items off and commit.

Everything the loop does is told through `emit(event)` (a dict with "event" and its
fields): the CLI prints it (or writes it as JSON lines), the server turns it into progress.
Exit codes: 0 the step(s) passed, 1 tests still red or the agent failed, 2 refused (bad
usage, dirty tree, claimed by someone else, done), 3 nothing left to run, 130 interrupted.
"""

from __future__ import annotations

import glob
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plan_ls.run import git, record
from plan_ls.run.agents import Agent
from plan_ls.run.process import Finished, run_process
from plan_ls.run.testcmd import summarize

if TYPE_CHECKING:
    from plan_ls.model.plan import Step
    from plan_ls.settings import FileSettings
    from plan_ls.sync.plans import PlanRef
    from plan_ls.sync.state import PlanState

PASSED, RED, REFUSED, NOTHING_LEFT, INTERRUPTED = 0, 1, 2, 3, 130
FEEDBACK_CHARS = 20_000  # the tail of the failing output that goes back to the agent
Emit = Callable[[dict[str, Any]], None]


class Refused(Exception):
    """The run cannot start (or go on): the message says why. Exit status 2."""


class _Interrupted(Exception):
    """Cancelled (the editor's Cancel) or Ctrl-C: the agent's group is already stopped."""


@dataclass
class RunOptions:
    """What `plan-ls run` was asked to do. `step`/`until` are step numbers as written in
    the plan; `timeout` is seconds per agent attempt and per test run (None: no limit);
    `commit` None means "when the root is in a git repository"."""

    root: Path
    agent: Agent
    test: str
    step: str | None = None
    until: str | None = None
    auto: bool = False
    retries: int = 2
    commit: bool | None = None
    timeout: float | None = None
    allow_dirty: bool = False
    files: FileSettings | None = None
    plan: PlanRef | None = None
    env: Mapping[str, str] | None = None  # the children's environment (None: plan-ls's)
    grace: float = 2.0  # seconds between SIGTERM and SIGKILL


def run_steps(opts: RunOptions, emit: Emit, cancel: threading.Event | None = None) -> int:
    """Run steps as `opts` says; returns the exit status (see the module)."""
    try:
        return _Runner(opts, emit, cancel).run()
    except Refused as exc:
        emit({"event": "refused", "message": str(exc)})
        return REFUSED


class _Runner:
    def __init__(self, opts: RunOptions, emit: Emit, cancel: threading.Event | None) -> None:
        self.opts = opts
        self.emit = emit
        self.cancel = cancel
        self.root = opts.root
        self.plan_id = opts.plan.id if opts.plan is not None else "."

    # --- the loop ---------------------------------------------------------------------------
    def run(self) -> int:
        opts = self.opts
        if opts.retries < 0:
            raise Refused("--retries must be 0 or more")
        self.repo = git.is_repository(self.root)
        if opts.commit is None:
            opts.commit = self.repo
        if opts.commit and not self.repo:
            raise Refused(f"{self.root} is not in a git repository: run with --no-commit")
        self.dirty_before: dict[str, bytes | None] = {}
        if self.repo:
            try:
                dirty = git.uncommitted(self.root, opts.agent.own_files)
            except git.GitError as exc:
                raise Refused(str(exc)) from None
            # --allow-dirty: the user's own uncommitted work stays out of the step's commit
            self.dirty_before = {p: _read_or_none(self.root / p) for p in dirty}
            if dirty and not opts.allow_dirty:
                shown = ", ".join(dirty[:8]) + (f" and {len(dirty) - 8} more"
                                                if len(dirty) > 8 else "")
                raise Refused(f"the work tree has uncommitted changes ({shown}): commit or "
                              "stash them first, so that the step's commit holds only its "
                              "own work (or run with --allow-dirty)")
        ran = 0
        explicit = opts.step
        while True:
            state = self._state()
            step = self._pick(state, explicit)
            if step is None:
                if ran == 0:
                    self.emit({"event": "nothing_left",
                               "message": "no open step is left to run" if not opts.until
                               else f"no open step is left up to step {opts.until}"})
                    return NOTHING_LEFT
                return PASSED
            status = self._run_step(state, step)
            ran += 1
            if status != PASSED:
                return status
            if opts.until is not None:
                if state.snapshot.plan is not None \
                        and step.key == self._until_step(state).key:
                    return PASSED
            elif not opts.auto:
                return PASSED  # stop after each step for review
            explicit = None

    def _state(self) -> PlanState:
        from plan_ls.sync.state import PlanState

        state = PlanState(self.root, self.opts.files, ref=self.opts.plan)
        state.load_all_from_disk()
        errors = [fs.error for fs in state.state.values() if fs.error and fs.text is None
                  and fs.path.exists()]
        if errors:
            raise Refused("; ".join(errors))
        if state.snapshot.plan is None:
            raise Refused(f"no plan here ({state.path_of('plan').name})")
        return state

    def _until_step(self, state: PlanState) -> Step:
        step = state.snapshot.plan.find(self.opts.until)  # type: ignore[union-attr]
        if step is None:
            raise Refused(f"no step {self.opts.until} in the plan (--until)")
        return step

    def _pick(self, state: PlanState, explicit: str | None) -> Step | None:
        from plan_ls.sync.claims import step_title

        snap = state.snapshot
        plan = snap.plan
        assert plan is not None
        name = self.opts.agent.name
        if explicit is not None:
            step = plan.find(explicit)
            if step is None:
                raise Refused(f"no step {explicit} in the plan")
            if snap.finished(step):
                raise Refused(f"{step.name} ({step_title(step)}) is done already")
            if step.claim and step.claim != name:
                raise Refused(f"{step.name} is claimed by @{step.claim}")
        else:
            limit = self._until_step(state).index if self.opts.until is not None else None
            if snap.todo is not None and not any(snap.step_items) \
                    and not any(s.marked_done for s in plan.steps):
                raise Refused("no checklist item belongs to a step, so plan-ls cannot tell "
                              "which steps are done (run `plan-ls check`)")
            step = next((s for s in plan.steps if not snap.finished(s)
                         and (not s.claim or s.claim == name)), None)
            if step is None or (limit is not None and step.index > limit):
                return None
        if not snap.items_of_step(step):
            raise Refused(f"{step.name} has no checklist items, so passing tests could not "
                          "mark it done: add its items to the checklist first")
        return step

    # --- one step ---------------------------------------------------------------------------
    def _run_step(self, state: PlanState, step: Step) -> int:
        from plan_ls.sync.claims import step_title

        opts = self.opts
        title = step_title(step)
        run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + \
            f"-step{_safe(step.number)}-{secrets.token_hex(2)}"
        run_dir = self.root / record.RUNS_DIR / run_id
        _make_run_dir(self.root, run_dir)
        rel_run_dir = run_dir.relative_to(self.root)
        prompt_file = run_dir / "prompt.md"
        base = git.head(self.root) if self.repo else None
        was_done = {i.line for i in state.snapshot.items_of_step(step) if i.done}
        common = {"run_id": run_id, "step": step.number, "title": title,
                  "agent": opts.agent.name, "plan": self.plan_id}
        self.emit({"event": "step", **common, "test": opts.test,
                   "prompt_file": str(rel_run_dir / "prompt.md"),
                   "log": str(rel_run_dir / "agent.log")})
        claimed = self._claim(step, opts.agent.name)
        planning = _read_planning(self._state())  # as the agent must leave them
        failure: str | None = None
        attempts = opts.retries + 1
        attempt, started, t0 = 0, _utc_now(), time.monotonic()
        try:
            for attempt in range(1, attempts + 1):
                started, t0 = _utc_now(), time.monotonic()
                prompt = compose_prompt(state, step, opts.test, attempt, failure)
                prompt_file.write_text(prompt, encoding="utf-8")
                self.emit({"event": "attempt", "step": step.number, "attempt": attempt,
                           "of": attempts})
                agent = self._agent(step, prompt, prompt_file, run_dir, attempt)
                rec = {**common, "attempt": attempt, "start": started,
                       "agent_exit": agent.exit_code, "test_exit": None, "tests": "",
                       "commit": None, "files": []}
                if agent.cancelled:
                    raise _Interrupted
                self._put_back_planning(planning, run_dir, step, attempt)
                if not agent.ok:
                    why = f"timed out after {opts.timeout:g} s" if agent.timed_out \
                        else f"exited with {agent.exit_code}"
                    self._record(rec, "timeout" if agent.timed_out else "agent_failed", t0)
                    self.emit({"event": "step_failed", "step": step.number,
                               "reason": f"the agent {why}", "log": str(run_dir / "agent.log")})
                    return self._red_end(step, was_done)
                self.emit({"event": "tests", "step": step.number, "attempt": attempt,
                           "command": opts.test})
                tests = run_process(opts.test, cwd=self.root, env=self._env(step, run_dir,
                                                                             prompt_file,
                                                                             attempt),
                                    log=run_dir / f"tests-{attempt}.log",
                                    on_output=self._output("tests"), timeout=opts.timeout,
                                    cancel=self.cancel, grace=opts.grace)
                if tests.cancelled:
                    raise _Interrupted
                summary = summarize(tests.output, tests.exit_code)
                if tests.timed_out:
                    summary = f"timed out after {opts.timeout:g} s; {summary}"
                rec.update(test_exit=tests.exit_code, tests=summary)
                self.emit({"event": "tests_done", "step": step.number, "attempt": attempt,
                           "passed": tests.ok, "exit": tests.exit_code, "summary": summary})
                if tests.ok:
                    return self._green(step, title, rec, t0, base, claimed)
                self._record(rec, "failed", t0, base)
                if tests.exit_code == 127:  # the shell found no such command: no retry helps
                    self.emit({"event": "step_failed", "step": step.number,
                               "reason": f"the test command was not found: {opts.test}",
                               "output": tests.output[-4000:]})
                    return self._red_end(step, was_done)
                failure = tests.output[-FEEDBACK_CHARS:]
            self.emit({"event": "step_failed", "step": step.number,
                       "reason": f"the tests are still red after {attempts} attempt"
                                 f"{'s' if attempts != 1 else ''}",
                       "output": (failure or "")[-4000:]})
            return self._red_end(step, was_done)
        except (KeyboardInterrupt, _Interrupted):
            self._put_back_planning(planning, run_dir, step, attempt)
            self._record({**common, "attempt": attempt, "start": started, "agent_exit": None,
                          "test_exit": None, "tests": "", "commit": None, "files": []},
                         "interrupted", t0, base)
            self.emit({"event": "interrupted", "step": step.number,
                       "message": "stopped: the agent's processes are gone, nothing was "
                                  "committed and no item was checked off"})
            return INTERRUPTED
        finally:
            if claimed:
                self._release(step, opts.agent.name)

    def _agent(self, step: Step, prompt: str, prompt_file: Path, run_dir: Path,
               attempt: int) -> Finished:
        opts = self.opts
        rel = prompt_file.relative_to(self.root)
        argv = opts.agent.argv(rel, prompt, run_dir.relative_to(self.root))
        with open(run_dir / "agent.log", "ab") as fh:
            fh.write(f"\n===== attempt {attempt}: {opts.agent.name} =====\n".encode())
        try:
            return run_process(argv, cwd=self.root,
                               env=self._env(step, run_dir, prompt_file, attempt),
                               stdin=prompt_file, log=run_dir / "agent.log",
                               on_output=self._output("agent"), timeout=opts.timeout,
                               cancel=self.cancel, grace=opts.grace)
        except OSError as exc:
            raise Refused(f"cannot start the agent ({argv[0]}): {exc.strerror or exc}; is it "
                          "installed and on PATH?") from None

    def _env(self, step: Step, run_dir: Path, prompt_file: Path, attempt: int) -> dict:
        env = dict(self.opts.env if self.opts.env is not None else os.environ)
        env.update(PLAN_LS_STEP=step.number, PLAN_LS_ATTEMPT=str(attempt),
                   PLAN_LS_RUN_DIR=str(run_dir), PLAN_LS_PROMPT_FILE=str(prompt_file))
        return env

    def _output(self, source: str) -> Callable[[str], None]:
        return lambda text: self.emit({"event": "output", "source": source, "text": text})

    def _green(self, step: Step, title: str, rec: dict, t0: float, base: str | None,
               claimed: bool) -> int:
        ticked = set_items(self.root, self.opts.files, self.opts.plan, step.key, True)
        self.emit({"event": "ticked", "step": step.number, "items": ticked})
        if claimed:  # released before the commit, so that the plan is committed clean
            self._release(step, self.opts.agent.name)
        status = PASSED
        if self.opts.commit:
            try:
                theirs = [p for p, data in self.dirty_before.items()
                          if _read_or_none(self.root / p) == data]
                sha, files = git.commit_all(self.root, f"{step.name}: {title}",
                                            [*self.opts.agent.own_files,
                                             *(glob.escape(p) for p in theirs)])
                if theirs:
                    self.emit({"event": "warning", "message": _listed(
                        theirs, "left out of the commit (uncommitted before the run, "
                                "untouched by the agent)")})
                mixed = [p for p in files if p in self.dirty_before]
                if mixed:
                    self.emit({"event": "warning", "message": _listed(
                        mixed, "committed with the changes you had not committed before "
                               "the run (the run changed them too)")})
                rec.update(commit=sha, files=files)
                self.emit({"event": "commit", "step": step.number, "commit": sha,
                           "files": files})
            except git.GitError as exc:
                self.emit({"event": "warning", "message": f"not committed: {exc}"})
                status = RED
        self._record(rec, "passed", t0, base if not rec["commit"] else None)
        if status == PASSED:
            self.emit({"event": "step_done", "step": step.number, "title": title,
                       "commit": rec["commit"]})
        return status

    def _put_back_planning(self, planning: dict[Path, bytes | None], run_dir: Path,
                           step: Step, attempt: int) -> None:
        """The agent was told not to edit the plan or the checklist: a file it changed,
        deleted or created anyway is put back as it was before the agent ran (so that only
        plan-ls ticks items, and a deleted or rewritten plan is never committed). What the
        agent wrote is kept in the run's folder and named in a warning."""
        from plan_ls.fileio import write_atomic

        for path, before in planning.items():
            try:
                now: bytes | None = path.read_bytes()
            except FileNotFoundError:
                now = None
            if now == before:
                continue
            rel = path.relative_to(self.root).as_posix()
            kept = ""
            if now is not None:
                copy = run_dir / f"agent-{attempt}-{path.name}"
                copy.write_bytes(now)
                kept = f"; the agent's version is in {copy.relative_to(self.root).as_posix()}"
            if before is None:
                path.unlink()
            else:
                write_atomic(path, before.decode("utf-8", "surrogateescape"))
            what = "deleted" if now is None else "created" if before is None else "changed"
            self.emit({"event": "warning", "message":
                       f"the agent {what} {rel} during {step.name}, which it must not "
                       f"touch: put back as it was{kept}"})

    def _red_end(self, step: Step, was_done: set[int]) -> int:
        """The step stays open: boxes the agent ticked during the run are reported and
        unticked (a step whose tests are red is not done)."""
        state = self._state()
        plan = state.snapshot.plan
        new = next((s for s in plan.steps if s.key == step.key), None) if plan else None
        if new is not None:
            lines = [i.line for i in state.snapshot.items_of_step(new)
                     if i.done and i.line not in was_done]
            if lines:
                n = set_items(self.root, self.opts.files, self.opts.plan, step.key, False,
                              only_lines=set(lines))
                self.emit({"event": "warning", "message":
                           f"the agent checked off {n} item{'s' if n != 1 else ''} of "
                           f"{step.name} (lines {', '.join(str(x + 1) for x in lines)}) "
                           "but the tests are red: unchecked again"})
        return RED

    def _record(self, rec: dict, result: str, t0: float, base: str | None = None) -> None:
        rec = {**rec, "result": result, "duration": round(time.monotonic() - t0, 3)}
        if not rec.get("files") and self.repo:
            try:
                rec["files"] = git.changed_since(self.root, base or git.head(self.root),
                                                 self.opts.agent.own_files)
            except git.GitError:
                pass
        record.append(self.root, rec)

    # --- claims -----------------------------------------------------------------------------
    def _claim(self, step: Step, name: str) -> bool:
        """Write `(@name)` on the step's line under the plan lock; False when the step's
        form cannot hold a claim (bare prompts). Refused when someone else holds it."""
        def change(claim: str | None, current: Step) -> str | None:
            if current.claim and current.claim != name:
                raise Refused(f"{current.name} is claimed by @{current.claim}")
            return None if current.kind == "bare" else name

        done = _rewrite_claim(self.root, self.opts.files, self.opts.plan, step.key, change)
        if done:
            self.emit({"event": "claimed", "step": step.number, "name": name})
        return done

    def _release(self, step: Step, name: str) -> None:
        def change(claim: str | None, current: Step) -> str | None:
            return "" if current.claim == name else None

        try:
            if _rewrite_claim(self.root, self.opts.files, self.opts.plan, step.key, change):
                self.emit({"event": "released", "step": step.number, "name": name})
        except Exception as exc:  # noqa: BLE001 - a release must not hide the run's result
            self.emit({"event": "warning", "message": f"the claim on {step.name} was not "
                                                      f"released: {exc}"})


def _read_or_none(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist (or is not a file)."""
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _listed(paths: list[str], what: str) -> str:
    """"N files WHAT: a, b, c" (at most 8 named)."""
    shown = ", ".join(paths[:8]) + (f" and {len(paths) - 8} more" if len(paths) > 8 else "")
    return f"{len(paths)} file{'s' if len(paths) != 1 else ''} {what}: {shown}"


def _read_planning(state: PlanState) -> dict[Path, bytes | None]:
    """The plan's and the checklist's files (one when the plan holds its checklist) and
    their bytes now (None: absent)."""
    out: dict[Path, bytes | None] = {}
    for role in ("plan", "todo"):
        path = state.path_of(role)
        if path is None or path in out:
            continue
        try:
            out[path] = path.read_bytes()
        except FileNotFoundError:
            out[path] = None
    return out


def _rewrite_claim(root: Path, files: FileSettings | None, ref: PlanRef | None, key: str,
                   change: Callable[[str | None, Step], str | None]) -> bool:
    """Under the plan lock, read the plan afresh, find the step by its key, and write the
    claim `change` gives ("": release, None: leave). True when the plan was rewritten."""
    from plan_ls.fileio import FileChanged, replace_if_unchanged
    from plan_ls.sync.claims import claim_text
    from plan_ls.sync.lock import plan_lock
    from plan_ls.sync.state import PlanState

    with plan_lock(root):
        for _ in range(3):
            state = PlanState(root, files, ref=ref)
            state.load_all_from_disk()
            plan = state.snapshot.plan
            current = next((s for s in plan.steps if s.key == key), None) if plan else None
            if current is None:
                return False
            name = change(current.claim, current)
            if name is None:
                return False
            text = state.state["plan"].text or ""
            new = claim_text(text, current.line, name or None)
            if new is None:
                return False
            try:
                return replace_if_unchanged(
                    state.path_of("plan"), text,
                    lambda raw, line=current.line, who=name or None: claim_text(raw, line, who)
                    or raw)
            except FileChanged:
                continue
    raise Refused("the plan kept changing while plan-ls wrote the claim")


def set_items(root: Path, files: FileSettings | None, ref: PlanRef | None, key: str,
              done: bool, only_lines: set[int] | None = None) -> int:
    """Mark the step's items (those on `only_lines`, when given) done or not done on
    disk: marker bytes only, under the plan lock, as `plan-ls done` does. Returns how
    many markers changed."""
    from plan_ls.fileio import FileChanged, replace_if_unchanged
    from plan_ls.model.edit import apply_edits, mark_items
    from plan_ls.sync.state import PlanState

    for _ in range(5):
        state = PlanState(root, files, ref=ref)
        state.load_all_from_disk()
        snap = state.snapshot
        step = next((s for s in snap.plan.steps if s.key == key), None) if snap.plan else None
        if step is None:
            return 0
        items = [i for i in snap.items_of_step(step)
                 if only_lines is None or i.line in only_lines]
        edits = mark_items(items, done)
        if not edits:
            return 0
        try:
            replace_if_unchanged(state.path_of("todo"), state.state["todo"].text or "",
                                 lambda text, edits=edits: apply_edits(text, edits),
                                 lock_root=root, lock_timeout=10.0)
            return len(edits)
        except FileChanged:
            continue
    raise Refused("the checklist kept changing while plan-ls checked the step off")


def compose_prompt(state: PlanState, step: Step, test: str, attempt: int,
                   failure: str | None) -> str:
    """The agent's prompt: the step's prompt, where the spec and the plan are, how the
    work is checked, what not to touch, the step's checklist, and on a retry the failing
    output of the tests."""
    from plan_ls.sync.claims import step_title

    root = state.root or Path(".")

    def rel(role: str) -> str | None:
        path = state.path_of(role)
        try:
            return path.relative_to(root).as_posix() if path.is_file() else None
        except ValueError:
            return None

    plan, todo, spec = rel("plan"), rel("todo"), rel("spec")
    parts = [f"# {step.name}: {step_title(step)}", "", step.prompt_text.strip() or
             f"(The plan gives no prompt for this step: carry out \"{step_title(step)}\".)", ""]
    parts += ["---", "", "## How this step is checked", ""]
    if spec:
        parts.append(f"- The specification is `{spec}`.")
    if plan:
        parts.append(f"- The whole plan is `{plan}`; this is {step.name} of it.")
    parts.append(f"- When you finish, plan-ls runs the tests with `{test}`. The step counts "
                 "as done only when they pass, so run them yourself and make them pass.")
    keep = [f"`{p}`" for p in dict.fromkeys(x for x in (todo, plan) if x)]
    parts.append(f"- Do not edit {' or '.join(keep) or 'the planning files'} and do not "
                 "commit: plan-ls checks the step's items off and commits when the tests "
                 "pass. Do not touch `.plan-ls/` or `.git/`, and stay inside this folder.")
    items = state.snapshot.items_of_step(step)
    if items:
        parts += ["", "## The checklist of this step", ""]
        parts += [f"- [{'x' if i.done else ' '}] {i.text.strip()}" for i in items]
    if failure is not None:
        parts += ["", f"## Attempt {attempt}: the tests failed after the previous attempt",
                  "", f"`{test}` printed this (its end); fix the code so that it passes:", "",
                  "````text", failure.rstrip("\n"), "````"]
    return "\n".join(parts) + "\n"


_OWN_IGNORE = "# written by plan-ls"


def _make_run_dir(root: Path, run_dir: Path) -> None:
    runs = root / record.RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    # .plan-ls/.gitignore, when plan-ls wrote it (sync/lock.py), also keeps runs.jsonl out
    # of `git status`; a .gitignore of the user's is left alone (the run files are kept
    # out of the dirty check and of the commits anyway)
    ignore = runs.parent / ".gitignore"
    try:
        text = ignore.read_text("utf-8") if ignore.exists() else None
        if text is None:
            ignore.write_text(f"{_OWN_IGNORE}: local to this machine\nplan.lock\n.gitignore\n"
                              "runs.jsonl\n", encoding="utf-8")
        elif text.startswith(_OWN_IGNORE) and "runs.jsonl" not in text.split():
            ignore.write_text(text.rstrip("\n") + "\nruns.jsonl\n", encoding="utf-8")
    except OSError:
        pass
    ignore = runs / ".gitignore"
    if not ignore.exists():  # the runs stay out of `git status` and of every commit
        ignore.write_text("# written by plan-ls: run logs are local to this machine\n*\n",
                          encoding="utf-8")
    run_dir.mkdir()


def _safe(number: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in number)[:20]


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
