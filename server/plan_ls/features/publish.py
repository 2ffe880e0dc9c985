"""After every change of plan state: diagnostics for both files, lenses, progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.features.positions import codec_of, finding_range
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.drift import Finding
    from plan_ls.model.snapshot import PlanSnapshot

_SEVERITY = {
    "error": t.DiagnosticSeverity.Error,
    "warning": t.DiagnosticSeverity.Warning,
    "information": t.DiagnosticSeverity.Information,
    "hint": t.DiagnosticSeverity.Hint,
}
PROGRESS = "planLs/progress"


class _Published:
    """What was last sent to the client, so that a change sends only what it changed."""

    def __init__(self) -> None:
        # uri -> ((FileState, its revision) of the text, the findings, the diagnostics) last sent
        self.diagnostics: dict[str, tuple[tuple[object, int], tuple, list[t.Diagnostic]]] = {}
        self.findings: tuple[object, tuple[Finding, ...]] | None = None  # by snapshot.findings
        self.shown: tuple[object, int] | None = None  # (snapshot, revision) of what follows
        self.progress: dict | None = None
        self.claims: tuple | None = None  # who holds which item: the Plan view shows it
        self.lenses: tuple | None = None


class Publisher(Feature):
    """Sends diagnostics, planLs/progress and a code-lens refresh after each plan change,
    each only when it changed (a keystroke must not cost the whole plan)."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        self.sent = _Published()

    def register(self) -> None:
        self.server.on_plan_changed.append(self.publish)

    def publish(self, ls: PlanServer, force: bool = False) -> None:
        """A file's diagnostics go out when its text or its findings changed since the last
        time (a keystroke in todo.md need not resend the plan's), or always with `force` (an
        editor that opens a file wants its diagnostics). `planLs/progress` goes out when its
        content changed, and a code-lens refresh when what the lenses show changed: typing
        in an item's text or a title sends neither."""
        _publish(ls, self.sent, force)


def publish_plan_state(ls: PlanServer, force: bool = False) -> None:
    """`Publisher.publish` of the server's publisher."""
    ls.get_feature(Publisher).publish(ls, force)


def _publish(ls: PlanServer, sent: _Published, force: bool) -> None:
    snap = ls.state.snapshot
    by_role = _findings_by_role(sent, snap.findings)
    for provider in ls.extra_findings:
        for f in provider(ls):
            by_role[f.file] = (*by_role.get(f.file, ()), f)
    lines = {
        "todo": snap.todo.blocks.lines if snap.todo else [],
        "plan": snap.plan.blocks.lines if snap.plan else [],
    }
    codec = codec_of(ls)
    files = {role: ls.state.state[role] for role in ("todo", "plan", "spec")}
    if ls.state.todo_home is not None:  # a plan that holds its checklist: one file, one list
        by_role["plan"] = by_role["plan"] + by_role.pop("todo")
        from plan_ls.sync.state import FileState  # the model: not before initialize

        files["todo"] = FileState(ls.state.todo_home)  # a checklist file gone: clear its list
    for role, fs in files.items():
        found = by_role.get(role, ())
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
                code=f.code) for f in found]
        if not force and same_text and last[2] == diags:
            sent.diagnostics[uri] = (text_id, found, diags)
            continue
        sent.diagnostics[uri] = (text_id, found, diags)
        ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(
            uri=uri, diagnostics=diags, version=fs.version))
    uris = list(dict.fromkeys(ls.uri_of(ls.state.state[r].path) for r in ("todo", "plan", "spec")
                              if ls.state.state[r].has_text))
    shown = (snap, snap.revision)
    if sent.shown is not None and sent.shown[0] is shown[0] and sent.shown[1] == shown[1] \
            and sent.progress is not None and sent.progress["files"] == uris:
        return  # an edit in place that changed no box and no link: progress and lenses stay
    sent.shown = shown
    nxt = snap.next_step()
    overall = snap.overall
    progress = {
        "done": overall.done,
        "total": overall.total,
        "nextStep": {"number": nxt.number, "title": nxt.title} if nxt else None,
        "files": uris,
    }
    # clients redraw their plan views on planLs/progress: a claim taken or released changes
    # no count, but it changes what they show
    claims = tuple((i.line, i.claim) for i in snap.todo.items if i.claim) if snap.todo else ()
    if progress != sent.progress or claims != sent.claims:
        sent.progress, sent.claims = progress, claims
        ls.protocol.notify(PROGRESS, progress)
    lenses = lens_key(snap)
    if lenses != sent.lenses:
        sent.lenses = lenses
        _refresh_code_lenses(ls)


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
