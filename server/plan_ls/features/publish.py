"""After every change of plan state: diagnostics for both files, lenses, progress."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.features.positions import codec_of, finding_range
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.drift import Finding
    from plan_ls.model.snapshot import PlanSnapshot
    from plan_ls.sync.state import PlanState

_SEVERITY = {
    "error": t.DiagnosticSeverity.Error,
    "warning": t.DiagnosticSeverity.Warning,
    "information": t.DiagnosticSeverity.Information,
    "hint": t.DiagnosticSeverity.Hint,
}
PROGRESS = "planLs/progress"
log = logging.getLogger(__name__)


class _Published:
    """What was last sent to the client for one plan, so that a change sends only what it
    changed."""

    def __init__(self) -> None:
        # uri -> ((FileState, its revision) of the text, the findings, the diagnostics) last sent
        self.diagnostics: dict[str, tuple[tuple[object, int], tuple, list[t.Diagnostic]]] = {}
        self.findings: tuple[object, tuple[Finding, ...]] | None = None  # by snapshot.findings
        self.shown: tuple[object, int] | None = None  # (snapshot, revision) of what follows
        self.entry: dict | None = None  # this plan's progress, as in planLs/progress
        self.claims: tuple = ()  # who holds which item: the Plan view shows it
        self.lenses: tuple | None = None


class _MergeDriver:
    """Whether git merges the plan with plan-ls's merge driver (sync/git.py `driver_state`:
    "ok", "attributes", "config", or None outside git), asked in a worker thread (git must
    not run on the loop) when the root changes and again at most every `AGE` seconds."""

    AGE = 30.0

    def __init__(self) -> None:
        self.state: str | None = None
        self.asked: tuple[object, float] | None = None  # (the plan file, when)
        self.task: asyncio.Task[None] | None = None

    def get(self, ls: PlanServer, publish: Callable[[], None]) -> str | None:
        """The state as known now; asks git again when it is old, then `publish`es if the
        answer changed."""
        plan = ls.state.path_of("plan") if ls.root is not None else None
        now = time.monotonic()
        fresh = self.asked is not None and self.asked[0] == plan and \
            now - self.asked[1] < self.AGE
        if plan is None or fresh or (self.task is not None and not self.task.done()):
            return self.state if plan is not None else None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the server's loop (a unit test)
            return self.state
        self.asked = (plan, now)
        self.task = loop.create_task(self._ask(ls.root, plan, publish))
        return self.state

    async def _ask(self, root: Path, plan: Path, publish: Callable[[], None]) -> None:
        from plan_ls.sync.git import driver_state, repository_root

        def ask() -> str | None:
            repo = repository_root(root)
            return None if repo is None else driver_state(repo, plan)

        state = await asyncio.to_thread(ask)
        if state != self.state:
            self.state = state
            publish()


class _Sent:
    """What was last sent for the whole workspace: per plan (by id), and the notification."""

    def __init__(self) -> None:
        self.plans: dict[str, _Published] = {}
        self.progress: dict | None = None
        self.claims: tuple | None = None


class Publisher(Feature):
    """Sends diagnostics, planLs/progress and a code-lens refresh after each plan change,
    each only when it changed (a keystroke must not cost the whole plan)."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        self.sent = _Sent()
        self.merge_driver = _MergeDriver()

    def register(self) -> None:
        self.server.on_plan_changed.append(self.publish)

    def publish(self, ls: PlanServer, force: bool = False) -> None:
        """A file's diagnostics go out when its text or its findings changed since the last
        time (a keystroke in todo.md need not resend the plan's), or always with `force` (an
        editor that opens a file wants its diagnostics). `planLs/progress` goes out when its
        content changed, and a code-lens refresh when what the lenses show changed: typing
        in an item's text or a title sends neither."""
        _publish(ls, self.sent, force, self.merge_driver.get(ls, lambda: self._resend(ls)))

    def _resend(self, ls: PlanServer) -> None:
        self.sent.progress = None  # the progress changed, though the plan did not
        self.publish(ls)


def publish_plan_state(ls: PlanServer, force: bool = False) -> None:
    """`Publisher.publish` of the server's publisher."""
    ls.get_feature(Publisher).publish(ls, force)


def _publish(ls: PlanServer, sent: _Sent, force: bool,
             merge_driver: str | None = None) -> None:
    """Every plan's diagnostics, then planLs/progress: the top-level fields for the primary
    plan (the root's, else the first found), `plans` for each plan."""
    from plan_ls.sync.planset import plan_format, plan_id

    plans = ls.plans
    listed = plans.plans()
    ids = [plan_id(state) for state in plans]
    changed = False
    lenses = False
    for state, pid in zip(plans, ids):
        per = sent.plans.setdefault(pid, _Published())
        shown, lens = _publish_plan(ls, state, per, force)
        changed |= shown
        lenses |= lens
    for gone in set(sent.plans) - set(ids):  # a plan went away: its diagnostics go too
        for uri, last in sent.plans.pop(gone).diagnostics.items():
            if last[2] and not any(uri in per.diagnostics for per in sent.plans.values()):
                ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(
                    uri=uri, diagnostics=[]))
        changed = True
    if not changed and sent.progress is not None \
            and [p["id"] for p in sent.progress["plans"]] == [pid for pid, _ in listed]:
        return  # an edit in place that changed no box and no link: progress stays
    entries = []
    for pid, state in listed:
        per = sent.plans[pid]
        entry = dict(per.entry or {})
        entry.update(id=pid, format=plan_format(state),
                     name=state.ref.name if state.ref is not None else "",
                     archived=bool(state.ref and state.ref.archived))
        entries.append(entry)
    top = entries[0] if entries else (sent.plans[ids[0]].entry or {})
    progress = {
        "done": top.get("done", 0),
        "total": top.get("total", 0),
        "nextStep": top.get("nextStep"),
        "files": top.get("files", []),
        # "attributes"/"config": git merges of the plan may conflict on neighbouring ticks
        "mergeDriver": merge_driver,
        "plans": entries,
    }
    # clients redraw their plan views on planLs/progress: a claim taken or released changes
    # no count, but it changes what they show
    claims = tuple(sent.plans[pid].claims for pid in ids)
    if progress != sent.progress or claims != sent.claims:
        sent.progress, sent.claims = progress, claims
        ls.protocol.notify(PROGRESS, progress)
    if lenses:
        _refresh_code_lenses(ls)


def _publish_plan(ls: PlanServer, state: PlanState, sent: _Published,
                  force: bool) -> tuple[bool, bool]:
    """One plan's diagnostics; its progress entry and claims kept in `sent`. Returns
    (whether what planLs/progress shows may have changed, whether its lenses changed)."""
    snap = state.snapshot
    by_role = _findings_by_role(sent, snap.findings)
    lines = {
        "todo": snap.todo.blocks.lines if snap.todo else [],
        "plan": snap.plan.blocks.lines if snap.plan else [],
    }
    codec = codec_of(ls)
    extra = _extra_diagnostics(ls, state)
    files = {role: state.state[role] for role in ("todo", "plan", "spec")}
    if state.todo_home is not None:  # a plan that holds its checklist: one file, one list
        by_role["plan"] = by_role["plan"] + by_role.pop("todo")
        from plan_ls.sync.state import FileState  # the model: not before initialize

        files["todo"] = FileState(state.todo_home)  # a checklist file gone: clear its list
    for role, fs in files.items():
        more = extra.pop(fs.path, [])
        found = by_role.get(role, ()) + ((tuple(more),) if more else ())
        uri = ls.uri_of(fs.path)
        last = sent.diagnostics.get(uri)
        # the text as (its FileState, revision): reading fs.text could join a whole file
        text_id = (fs, fs.revision)
        same_text = last is not None and last[0][0] is fs and last[0][1] == fs.revision
        if not force and same_text and last[1] == found:
            continue
        if fs.error:
            diags = [t.Diagnostic(range=t.Range(start=t.Position(line=0, character=0),
                                                end=t.Position(line=0, character=0)),
                                  message=f"plan-ls cannot read this file: {fs.error}",
                                  severity=t.DiagnosticSeverity.Error, source="plan-ls")]
        else:
            diags = [t.Diagnostic(
                range=finding_range(lines[f.file], f.line, f.start, f.end, codec),
                message=f.message, severity=_SEVERITY[f.severity], source="plan-ls",
                code=f.code) for f in by_role.get(role, ())] + more
        if not force and same_text and last[2] == diags:
            sent.diagnostics[uri] = (text_id, found, diags)
            continue
        sent.diagnostics[uri] = (text_id, found, diags)
        ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(
            uri=uri, diagnostics=diags, version=fs.version))
    for path, diags in extra.items():  # files with no role (requirements.md): theirs alone
        uri = ls.uri_of(path)
        last = sent.diagnostics.get(uri)
        if force or last is None or last[2] != diags:
            sent.diagnostics[uri] = ((None, 0), (), diags)
            ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(
                uri=uri, diagnostics=diags))
    uris = list(dict.fromkeys(ls.uri_of(state.state[r].path) for r in ("todo", "plan", "spec")
                              if state.state[r].has_text))
    if state.ref is not None:  # the format's other files: the editor's plan is theirs too
        uris.extend(u for u in (ls.uri_of(p) for p in state.ref.files.values()) if u not in uris)
    shown = (snap, snap.revision)
    if sent.shown is not None and sent.shown[0] is shown[0] and sent.shown[1] == shown[1] \
            and sent.entry is not None and sent.entry["files"] == uris:
        return False, False  # an edit in place that changed no box and no link
    same_snapshot = sent.shown is not None and sent.shown[0] is snap
    sent.shown = shown
    nxt = snap.next_step()
    overall = snap.overall
    sent.entry = {
        "done": overall.done,
        "total": overall.total,
        "nextStep": {"number": nxt.number, "title": nxt.title} if nxt else None,
        "files": uris,
    }
    if not same_snapshot:  # a claim that changes makes a new snapshot (item_edited)
        sent.claims = tuple((i.line, i.claim) for i in snap.todo.items if i.claim) \
            if snap.todo else ()
    lenses = lens_key(snap)
    lens_changed = lenses != sent.lenses
    sent.lenses = lenses
    return True, lens_changed


def _extra_diagnostics(ls: PlanServer, state: PlanState) -> dict:
    """path -> diagnostics that the server's diagnostic providers add for this plan."""
    out: dict = {}
    for provider in ls.diagnostic_providers:
        try:
            for path, diags in provider(ls, state).items():
                out.setdefault(path, []).extend(diags)
        except Exception:  # a broken provider must not stop the drift diagnostics
            log.exception("diagnostic provider failed")
    return out


def _findings_by_role(sent: _Published, findings: list[Finding]) -> dict[str, tuple]:
    """The snapshot's findings split by file, kept while the list is the same object."""
    if sent.findings is None or sent.findings[0] is not findings:
        sent.findings = (findings, tuple(findings))
    out: dict[str, list[Finding]] = {"todo": [], "plan": []}
    for f in sent.findings[1]:
        out[f.file].append(f)
    return {role: tuple(fs) for role, fs in out.items()}


def lens_key(snap: PlanSnapshot) -> tuple:
    """What the code lenses of code_lens.py show (their lines and titles): the lenses need a
    refresh exactly when this changes."""
    todo_part: tuple = ()
    if snap.todo is not None:
        todo_part = tuple((h.line, p.done, p.total)
                          for h, p in zip(snap.todo.headings, snap.heading_progress))
    plan_part: tuple = ()
    if snap.plan is not None:
        nxt = snap.next_step()
        plan_part = (
            (nxt.name, nxt.title) if nxt else None,
            len(snap.plan.steps),
            tuple((s.line, str(snap.step_progress(s)), s.claim, bool(s.prompts))
                  for s in snap.plan.steps),
        )
    return todo_part, plan_part


def _refresh_code_lenses(ls: PlanServer) -> None:
    caps = ls.client_capabilities.workspace
    if caps and caps.code_lens and caps.code_lens.refresh_support:
        ls.workspace_code_lens_refresh(None)
