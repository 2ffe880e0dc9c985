"""Running plan steps with a coding agent from the editor (run/engine.py does the work).

- a "▶ Run with agent" code lens on each open step of the plan once an agent is set (while
  a step runs, its lens offers to stop it);
- `planLs.runStep {step?, plan?, allowDirty?}`: runs one step (the next open one by default;
  of the plan whose id is `plan`, the primary by default) with a
  cancellable work-done progress (step, attempt, tests); Cancel stops the agent's process
  group; the answer is `{status, exit, step, runId, log, message}`;
- `planLs.cancelRun {}` stops the running step (for clients without a progress UI);
- `planLs.runLog {}`: `{uri}` of the last run's agent log, for the client to open;
- the hover of a step ends with its last recorded run;
- a warning on a ticked item that names a file which does not exist ("marked done, but
  `src/db/albums.ts` does not exist"), the commonest false completion (run/verify.py).

Restricted mode: a client that says the workspace is not trusted (`workspaceTrusted:
false` in its planLs settings, as the VS Code extension does) gets no agent and no test
command from the workspace (neither `.plan-ls/config.toml` nor detection): only from the
user's own settings, which the client sends (its run.agent and run.test are user-scoped
there).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types as t

from plan_ls.features.arguments import command
from plan_ls.features.feature import Feature
from plan_ls.features.positions import codec_of, finding_range, line_range
from plan_ls.features.work_progress import WorkProgress
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.plan import Step
    from plan_ls.sync.state import PlanState

log = logging.getLogger(__name__)
RUN = "planLs.runStep"
CANCEL = "planLs.cancelRun"
MISSING_FILES_MAX_ITEMS = 5000  # the check costs ~1 µs per item and a stat per named path
_REPORT_EVERY = 0.25  # seconds between progress reports of the agent's output


@attrs.define
class RunStepArgs:
    step: str | None = None  # a step number; default: the next open step
    plan: str | None = None  # the plan's id (planLs/progress `plans`); default: the primary
    allowDirty: bool = False  # noqa: N815 - the JSON key


@attrs.define
class _Running:
    plan: str
    step: str | None
    cancel: threading.Event
    run_id: str | None = None
    attempt: str = ""  # "attempt 2/3", in progress reports


class Runs(Feature):
    """The run lens, planLs.runStep / cancelRun / runLog, and the last run in step hovers."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        self.running: _Running | None = None
        self.last_log: Path | None = None
        # runs.jsonl's (mtime, size) and its last record per (plan id, step)
        self._runs_cache: tuple[tuple[int, int] | None, dict[tuple[str, str], dict]] = (None, {})
        # per plan id: (the checklist text's revision, root, codec), its diagnostics
        self._missing: dict[str, tuple[tuple, dict[Path, list[t.Diagnostic]]]] = {}

    def register(self) -> None:
        server = self.server
        server.code_lens_providers.append(self.lenses)
        server.diagnostic_providers.append(self.missing_files)
        command(server, RUN, RunStepArgs)(self.run_step)
        command(server, CANCEL)(self.cancel_run)
        command(server, "planLs.runLog")(self.run_log)

    # --- lenses -----------------------------------------------------------------------------
    def lenses(self, ls: PlanServer, params: t.CodeLensParams) -> list[t.CodeLens]:
        """▶ Run with agent on each open step that has checklist items, once an agent is
        set (planLs.run.agent): a lens on every step that nobody can use is noise."""
        from plan_ls.sync.planset import plan_id

        uri = params.text_document.uri
        if ls.role_of_uri(uri) != "plan" or not agent_setting(ls):
            return []
        state = ls.state_for(uri)
        snap = state.snapshot
        if snap.plan is None:
            return []
        pid = plan_id(state)
        lines = snap.plan.blocks.lines
        out = []
        for step in snap.plan.steps:
            if snap.finished(step) or not snap.items_of_step(step):
                continue
            rng = line_range(lines, step.line, codec_of(ls))
            running = self.running
            if running is not None and (running.plan, running.step) == (pid, step.number):
                cmd = t.Command(title="■ Running with agent… stop", command=CANCEL,
                                arguments=[{}])
            else:
                cmd = t.Command(title="▶ Run with agent", command=RUN,
                                arguments=[{"step": step.number, "plan": pid}])
            out.append(t.CodeLens(range=rng, command=cmd))
        return out

    # --- ticked items naming files that do not exist -------------------------------------
    def missing_files(self, ls: PlanServer, state: PlanState) -> dict[Path, list[t.Diagnostic]]:
        """Warnings on ticked items naming a missing file, by file; computed again only when
        the checklist's text changed (a file created meanwhile shows at the next change)."""
        from plan_ls.run.verify import missing_files
        from plan_ls.sync.planset import plan_id

        todo, root = state.snapshot.todo, ls.root
        if todo is None or root is None or len(todo.items) > MISSING_FILES_MAX_ITEMS:
            return {}  # keystrokes in a huge checklist stay cheap; `plan-ls verify` checks it
        fs = state.state["todo"]
        codec = codec_of(ls)
        key = (fs.revision, root, codec)
        pid = plan_id(state)
        cached = self._missing.get(pid)
        if cached is None or cached[0] != key:
            lines = todo.blocks.lines
            diags = [t.Diagnostic(range=finding_range(lines, m.line, m.start, m.end, codec),
                                  message=m.message, severity=t.DiagnosticSeverity.Warning,
                                  source="plan-ls", code="missing-file")
                     for m in missing_files(todo, root, fs.path.parent)]
            cached = self._missing[pid] = (key, {fs.path: diags} if diags else {})
        return {path: list(diags) for path, diags in cached[1].items()}

    # --- the last run of a step -------------------------------------------------------------
    def last_run(self, ls: PlanServer, state: PlanState, step: Step) -> dict | None:
        """The step's last record in .plan-ls/runs.jsonl (read again when it changed)."""
        from plan_ls.run.record import RUNS_FILE, read_all
        from plan_ls.sync.planset import plan_id

        if ls.root is None:
            return None
        try:
            st = (ls.root / RUNS_FILE).stat()
            key: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except OSError:
            key = None
        if key != self._runs_cache[0]:
            last = {(str(r.get("plan", ".")), str(r.get("step"))): r
                    for r in (read_all(ls.root) if key else [])}
            self._runs_cache = (key, last)
        return self._runs_cache[1].get((plan_id(state), step.number))

    # --- commands ---------------------------------------------------------------------------
    async def run_step(self, ls: PlanServer, args: RunStepArgs) -> dict[str, Any]:
        """Run one step with the agent, gated by the tests (see the module)."""
        from plan_ls.run.agents import AgentError, resolve_agent
        from plan_ls.run.engine import RunOptions, run_steps

        if self.running is not None:
            return self._refuse(ls, f"a step is running already ({self.running.step or 'next'})"
                                ": wait for it or stop it")
        if ls.root is None:
            return self._refuse(ls, "no workspace folder is open")
        sources = run_sources(ls)
        if isinstance(sources, str):
            return self._refuse(ls, sources)
        agent_spec, test = sources
        try:
            agent = resolve_agent(agent_spec)
        except AgentError as exc:
            return self._refuse(ls, str(exc))
        plans = dict(ls.plans.plans())
        pid = args.plan or "."
        state = plans.get(pid) if args.plan else ls.state
        if state is None:
            return self._refuse(ls, f"no plan {args.plan!r} here (plans: "
                                f"{', '.join(plans) or 'none'})")
        unsaved = _unsaved_files(state)
        if unsaved:
            return self._refuse(ls, f"save {', '.join(unsaved)} first: a run claims and ticks "
                                "the step in the files on disk")
        s = ls.settings.run
        running = self.running = _Running(pid, args.step, threading.Event())
        opts = RunOptions(root=ls.root, agent=agent, test=test, step=args.step,
                          retries=s.retries, timeout=s.timeout if s.timeout > 0 else None,
                          allow_dirty=args.allowDirty, files=ls.settings.files,
                          plan=state.ref)
        progress = WorkProgress(ls, "run")
        await progress.begin(f"Run {'step ' + args.step if args.step else 'the next step'} "
                             f"with {agent.name}", "starting")
        progress.on_cancel(running.cancel.set)
        loop = asyncio.get_running_loop()
        result: dict[str, Any] = {"status": "refused", "exit": 2, "step": args.step,
                                  "runId": None, "log": None, "message": ""}

        def on_event(event: dict[str, Any]) -> None:  # on the engine's thread
            loop.call_soon_threadsafe(self._on_event, ls, running, progress, result, event)

        self._refresh_lenses(ls)
        try:
            code = await asyncio.to_thread(run_steps, opts, on_event, running.cancel)
        finally:
            self.running = None
            self._refresh_lenses(ls)
        await asyncio.sleep(0)  # the engine's last events, queued on the loop, come first
        result["exit"] = code
        result["status"] = {0: "passed", 1: "failed", 2: "refused", 3: "nothing_left",
                            130: "interrupted"}.get(code, "failed")
        progress.end(result["message"] or result["status"])
        kind = t.MessageType.Info if code == 0 else t.MessageType.Warning
        ls.tell_user(result["message"] or result["status"], kind)
        return result  # the checklist and the plan changed on disk: the watcher follows

    def cancel_run(self, ls: PlanServer) -> bool:
        """Stop the running step (its agent's process group); False when none runs."""
        if self.running is None:
            return False
        self.running.cancel.set()
        return True

    def run_log(self, ls: PlanServer) -> dict[str, Any]:
        """`{uri}` of the agent log of the last run (this session's, else the newest on
        disk), or `{uri: null}`."""
        from plan_ls.run.record import RUNS_DIR

        path = self.last_log
        if (path is None or not path.is_file()) and ls.root is not None:
            logs = sorted((ls.root / RUNS_DIR).glob("*/agent.log"),
                          key=lambda p: p.stat().st_mtime)
            path = logs[-1] if logs else None
        return {"uri": path.as_uri() if path is not None else None}

    # --- helpers ----------------------------------------------------------------------------
    def _on_event(self, ls: PlanServer, running: _Running, progress: WorkProgress,
                  result: dict[str, Any], e: dict[str, Any]) -> None:
        kind = e["event"]
        if kind == "step":
            running.step, running.run_id = e["step"], e["run_id"]
            result.update(step=e["step"], runId=e["run_id"])
            if ls.root is not None:
                self.last_log = ls.root / e["log"]
                result["log"] = self.last_log.as_uri()
            progress.report(f"Step {e['step']}: {e['title']}")
            self._refresh_lenses(ls)
        elif kind == "attempt":
            running.attempt = f"attempt {e['attempt']}/{e['of']}"
            progress.report(f"Step {e['step']}, {running.attempt}: agent working")
        elif kind == "output" and e["source"] == "agent":
            line = next((ln for ln in reversed(e["text"].splitlines()) if ln.strip()), "")
            if line:
                progress.report(f"{running.attempt}: {line.strip()[:100]}", every=_REPORT_EVERY)
        elif kind == "tests":
            progress.report(f"Step {e['step']}, {running.attempt}: running the tests")
        elif kind == "tests_done":
            progress.report(f"Step {e['step']}, {running.attempt}: tests "
                            f"{'passed' if e['passed'] else 'failed'} ({e['summary']})")
        elif kind == "step_done":
            result["message"] = f"Step {e['step']} done: tests passed" + \
                (f", committed {e['commit'][:8]}" if e.get("commit") else "")
        elif kind == "step_failed":
            result["message"] = f"Step {e['step']} failed: {e['reason']}; it stays open"
        elif kind in ("refused", "nothing_left", "interrupted"):
            result["message"] = e["message"]
        elif kind == "warning":
            ls.tell_user(e["message"])

    def _refuse(self, ls: PlanServer, message: str) -> dict[str, Any]:
        ls.tell_user(message)
        return {"status": "refused", "exit": 2, "step": None, "runId": None, "log": None,
                "message": message}

    def _refresh_lenses(self, ls: PlanServer) -> None:
        from plan_ls.features.publish import _refresh_code_lenses

        _refresh_code_lenses(ls)


def run_sources(ls: PlanServer) -> tuple[str, str] | str:
    """(agent, test command) for a run from the editor, or why there is none. In a
    workspace the client calls untrusted, both must come from the client's (user's)
    settings: nothing from the repository's settings file, no detected test command."""
    from plan_ls.run.testcmd import detect_test_command

    if not client_trusts_workspace(ls.client_settings):
        mine = _client_run(ls.client_settings)
        agent, test = mine.get("agent"), mine.get("test")
        if not (isinstance(agent, str) and agent.strip() and isinstance(test, str)
                and test.strip()):
            return ("This workspace is not trusted (Restricted Mode): plan-ls runs no agent "
                    "or test command that the workspace's own settings name. Set "
                    "planLs.run.agent and planLs.run.test in your user settings, or trust "
                    "the workspace.")
        return agent, test
    agent = ls.settings.run.agent
    if not agent.strip():
        return ("No agent to run: set planLs.run.agent (aider, claude, codex, gemini, or a "
                "command line with {prompt_file})")
    test = ls.settings.run.test or (detect_test_command(ls.root) if ls.root else None)
    if not test:
        return ("No test command: set planLs.run.test (plan-ls finds pytest, npm test, "
                "cargo test, go test and make test by themselves)")
    return agent, test


def agent_setting(ls: PlanServer) -> str:
    """The agent a run would use ("" when none is set), by the rules of `run_sources`."""
    if not client_trusts_workspace(ls.client_settings):
        agent = _client_run(ls.client_settings).get("agent")
        return agent.strip() if isinstance(agent, str) else ""
    return ls.settings.run.agent.strip()


def client_trusts_workspace(client: Any) -> bool:
    """False only when the client said so (`workspaceTrusted: false` in its settings)."""
    if isinstance(client, dict) and isinstance(client.get("planLs"), dict):
        client = client["planLs"]
    return not (isinstance(client, dict) and client.get("workspaceTrusted") is False)


def _client_run(client: Any) -> dict:
    if isinstance(client, dict) and isinstance(client.get("planLs"), dict):
        client = client["planLs"]
    run = client.get("run") if isinstance(client, dict) else None
    return run if isinstance(run, dict) else {}


def last_run_note(ls: PlanServer, state: PlanState, step: Step) -> str | None:
    """The hover's line about the step's last run: passed/failed, when, commit."""
    try:
        feature = ls.get_feature(Runs)
    except KeyError:
        return None
    rec = feature.last_run(ls, state, step)
    if rec is None:
        return None
    result = rec.get("result", "?")
    mark = "✓" if result == "passed" else "✗"
    commit = f" · commit `{str(rec['commit'])[:8]}`" if rec.get("commit") else ""
    tests = f" · {rec['tests']}" if rec.get("tests") else ""
    return (f"{mark} Last run: **{result}** {rec.get('start', '')} by {rec.get('agent', '?')}"
            f" (attempt {rec.get('attempt', '?')}){tests}{commit}")


def _unsaved_files(state: PlanState) -> list[str]:
    """The names of the plan's files that are open in the editor with text that differs from
    the disk's: a run writes the disk, and must not write behind unsaved work."""
    from plan_ls.fileio import UnreadableFile, read_text
    from plan_ls.model.text import normalize_newlines, strip_bom

    names: list[str] = []
    for fs in {id(fs): fs for fs in state.state.values()}.values():  # todo may share plan's
        if not fs.open_in_editor or fs.text is None or fs.path.name in names:
            continue
        try:
            disk = read_text(fs.path)
        except (OSError, UnreadableFile):
            disk = None
        same = disk is not None and \
            strip_bom(normalize_newlines(disk)) == strip_bom(normalize_newlines(fs.text))
        if not same:
            names.append(fs.path.name)
    return names
