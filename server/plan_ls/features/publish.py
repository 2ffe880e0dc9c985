"""After every change of plan state: diagnostics for both files, lenses, progress."""

from __future__ import annotations

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.features.positions import codec_of, finding_range
from plan_ls.server import PlanServer

_SEVERITY = {
    "error": t.DiagnosticSeverity.Error,
    "warning": t.DiagnosticSeverity.Warning,
    "information": t.DiagnosticSeverity.Information,
    "hint": t.DiagnosticSeverity.Hint,
}
PROGRESS = "planLs/progress"


class Publisher(Feature):
    """Sends diagnostics, planLs/progress and a code-lens refresh after each plan change."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        # uri -> (the text, the diagnostics) last published
        self.published: dict[str, tuple[str | None, list[t.Diagnostic]]] = {}

    def register(self) -> None:
        self.server.on_plan_changed.append(self.publish)

    def publish(self, ls: PlanServer, force: bool = False) -> None:
        """Publish what changed: a file's diagnostics go out when its text or its
        diagnostics changed since the last time (a keystroke in todo.md need not resend the
        plan's), or always with `force` (an editor that opens a file wants them)."""
        _publish(ls, self.published, force)


def publish_plan_state(ls: PlanServer, force: bool = False) -> None:
    """`Publisher.publish` of the server's publisher."""
    ls.get_feature(Publisher).publish(ls, force)


def _publish(ls: PlanServer, published: dict[str, tuple[str | None, list[t.Diagnostic]]],
             force: bool) -> None:
    snap = ls.state.snapshot
    by_role: dict[str, list[t.Diagnostic]] = {"todo": [], "plan": []}
    lines = {
        "todo": snap.todo.blocks.lines if snap.todo else [],
        "plan": snap.plan.blocks.lines if snap.plan else [],
    }
    codec = codec_of(ls)
    for f in snap.findings:
        by_role[f.file].append(t.Diagnostic(
            range=finding_range(lines[f.file], f.line, f.start, f.end, codec),
            message=f.message, severity=_SEVERITY[f.severity], source="plan-ls", code=f.code))
    files = {role: ls.state.state[role] for role in ("todo", "plan", "spec")}
    if ls.state.todo_home is not None:  # a plan that holds its checklist: one file, one list
        by_role["plan"] += by_role.pop("todo")
        from plan_ls.sync.state import FileState  # the model: not before initialize

        files["todo"] = FileState(ls.state.todo_home)  # a checklist file gone: clear its list
    for role, fs in files.items():
        diags = by_role.get(role, [])
        if fs.error:
            diags = [t.Diagnostic(range=t.Range(start=t.Position(line=0, character=0),
                                                end=t.Position(line=0, character=0)),
                                  message=f"plan-ls cannot read this file: {fs.error}",
                                  severity=t.DiagnosticSeverity.Error, source="plan-ls")]
        uri = ls.uri_of(fs.path)
        last = published.get(uri)
        if not force and last is not None and last[0] is fs.text and last[1] == diags:
            continue
        published[uri] = (fs.text, diags)
        ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(
            uri=uri, diagnostics=diags, version=fs.version))
    nxt = snap.next_step()
    overall = snap.overall
    ls.protocol.notify(PROGRESS, {
        "done": overall.done,
        "total": overall.total,
        "nextStep": {"number": nxt.number, "title": nxt.title} if nxt else None,
        "files": list(dict.fromkeys(ls.uri_of(ls.state.state[r].path)
                                    for r in ("todo", "plan", "spec")
                                    if ls.state.state[r].text is not None)),
    })
    _refresh_code_lenses(ls)


def _refresh_code_lenses(ls: PlanServer) -> None:
    caps = ls.client_capabilities.workspace
    if caps and caps.code_lens and caps.code_lens.refresh_support:
        ls.workspace_code_lens_refresh(None)
