"""Kiro specs: *Start task* (`[-]`), and the links from tasks to requirements.md.

A Kiro task names the acceptance criteria it serves (`_Requirements: 1.2, 3.4_`). Hover on an
id shows the criterion's text, go-to-definition jumps to it, an id that requirements.md does
not hold is a warning in tasks.md, and a criterion that no task names is an information
diagnostic in requirements.md. The parsing is model/requirements.py; this module only finds
the plan's texts and turns positions into the client's units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types as t

from plan_ls.confinement import OutsideWorkspace
from plan_ls.features.arguments import command, path_field
from plan_ls.features.checklists import checklist_for
from plan_ls.features.edits import StaleEdit, apply_text_edits, versioned_edit
from plan_ls.features.feature import Feature
from plan_ls.features.positions import codec_of, finding_range, server_column
from plan_ls.model.text import split_lines
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from pathlib import Path

    from plan_ls.model.requirements import RefIndex, RequirementRef, Requirements
    from plan_ls.sync.state import PlanState

KIND = t.CodeActionKind.RefactorRewrite
IN_PROGRESS = "-"  # Kiro's marker of a task under way


@attrs.define
class StartTaskArgs:
    uri: str = path_field("markdown", required=True)
    line: int = 0  # 0-based LSP line of the task


class Kiro(Feature):
    """Start task, and requirement hover / definition / diagnostics in Kiro specs."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        # per texts object: the parse, kept while the text is the same object
        self._reqs: dict[str, tuple[object, Requirements]] = {}  # path -> (version, parse)
        # path -> (what the index was made from, how many in-place edits it has seen,
        # the lines, the index): the blocks of the plan's parse, else the text
        self._refs: dict[str, tuple[object, int, list[str], RefIndex]] = {}
        # path of requirements.md -> ((its parse, the uncovered ids, the codec), diagnostics)
        self._uncovered: dict[str, tuple[tuple, list[t.Diagnostic]]] = {}

    def register(self) -> None:
        server = self.server
        command(server, "planLs.startTask", StartTaskArgs)(self.start_task)
        server.code_action_providers.append(self.start_actions)
        server.cursor_hover_providers.append(self.hover)
        server.definition_providers.append(self.definition)
        server.diagnostic_providers.append(self.diagnostics)

    # --- the texts ---------------------------------------------------------------------
    def _kiro(self, ls: PlanServer, uri: str) -> PlanState | None:
        state = ls.state_for(uri)
        return state if state.ref is not None and state.ref.format == "kiro" else None

    def requirements(self, ls: PlanServer, state: PlanState) -> tuple[Path, Requirements] | None:
        """(path, parse) of the spec's requirements.md: the editor's text while it is open.
        Asked on every publish of the plan (each keystroke in tasks.md): a closed file is
        read and parsed again only when its size or mtime changed."""
        from plan_ls.model.requirements import parse_requirements

        path = state.ref.files.get("requirements") if state.ref else None
        if path is None:
            return None
        uri = ls.uri_of(path)
        doc = ls.open_document(uri)
        if doc is not None:
            version: object = ("editor", doc.version)
        else:
            try:
                st = path.stat()
            except OSError:
                return None
            version = ("disk", st.st_mtime_ns, st.st_size)
        key = str(path)
        cached = self._reqs.get(key)
        if cached is None or cached[0] != version:
            text = ls.document_text(uri)
            if text is None:
                return None
            cached = (version, parse_requirements(text))
            self._reqs[key] = cached
        return path, cached[1]

    def task_refs(self, ls: PlanServer, state: PlanState) -> tuple[list[str], list[RequirementRef]]:
        """(lines, requirement refs) of the spec's tasks.md."""
        lines, index = self.ref_index(ls, state)
        return lines, index.refs()

    def ref_index(self, ls: PlanServer, state: PlanState) -> tuple[list[str], RefIndex]:
        """(lines, the index of requirement refs) of the spec's tasks.md. Made from the plan's
        parse when it is current (the text is not even joined), and then kept current from
        the lines that its in-place edits name: a keystroke costs its line."""
        from plan_ls.model.requirements import RefIndex

        fs = state.state["plan"]
        key = str(fs.path)
        cached = self._refs.get(key)
        blocks = state.current_blocks("plan")
        if blocks is not None:
            if cached is None or cached[0] is not blocks:
                cached = (blocks, len(blocks.edited), blocks.lines, RefIndex(blocks.lines))
            elif cached[1] < len(blocks.edited):
                cached[3].update(blocks.lines, blocks.edited[cached[1]:])
                cached = (blocks, len(blocks.edited), blocks.lines, cached[3])
            self._refs[key] = cached
            return cached[2], cached[3]
        text = fs.text
        if text is None:
            return [], RefIndex([])
        if cached is None or cached[0] is not text:
            lines = split_lines(text)
            if lines and lines[0].startswith("\ufeff"):
                lines[0] = lines[0][1:]
            cached = (text, 0, lines, RefIndex(lines))
            self._refs[key] = cached
        return cached[2], cached[3]

    def _ref_under_cursor(self, ls: PlanServer, uri: str, position: t.Position
                          ) -> tuple[PlanState, RequirementRef] | None:
        state = self._kiro(ls, uri)
        if state is None or ls.role_of_uri(uri) != "plan":
            return None
        lines, index = self.ref_index(ls, state)
        if not 0 <= position.line < len(lines):
            return None
        column = server_column(codec_of(ls), lines[position.line], position.character)
        found = index.at(position.line, column)
        return (state, found) if found is not None else None

    def _target_under_cursor(self, ls: PlanServer, uri: str, position: t.Position):
        """(id, (path, requirements) or None, the criterion or requirement it names or None)
        for the requirement id under the cursor in tasks.md; None when there is none."""
        got = self._ref_under_cursor(ls, uri, position)
        if got is None:
            return None
        state, ref = got
        reqs = self.requirements(ls, state)
        return ref.id, reqs, reqs[1].find(ref.id) if reqs else None

    # --- hover and definition ----------------------------------------------------------
    def hover(self, ls: PlanServer, params: t.HoverParams) -> t.Hover | None:
        """On a requirement id in tasks.md: the criterion's (or requirement's) text."""
        from plan_ls.model.requirements import Criterion

        got = self._target_under_cursor(ls, params.text_document.uri, params.position)
        if got is None:
            return None
        ref_id, reqs, target = got
        if target is None or reqs is None:
            text = f"Requirement {ref_id} is not in requirements.md"
        elif isinstance(target, Criterion):
            req = reqs[1].requirements[target.requirement]
            title = f": {req.title}" if req.title else ""
            text = f"**Requirement {target.id}** (of Requirement {req.number}{title})\n\n" \
                f"{target.text}"
        else:
            title = f": {target.title}" if target.title else ""
            rows = [f"**Requirement {target.number}{title}**"]
            if target.story:
                rows.append(target.story)
            rows.extend(f"{c.id}. {c.text}" for c in target.criteria)
            text = "\n\n".join(rows)
        return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text))

    def definition(self, ls: PlanServer, params: t.DefinitionParams) -> list[t.Location] | None:
        """A requirement id in tasks.md -> its line in requirements.md."""
        got = self._target_under_cursor(ls, params.text_document.uri, params.position)
        if got is None:
            return None
        _, reqs, target = got
        if reqs is None or target is None:
            return None
        at = t.Position(line=target.line, character=0)
        return [t.Location(uri=ls.uri_of(reqs[0]), range=t.Range(start=at, end=at))]

    # --- diagnostics ----------------------------------------------------------------------
    def diagnostics(self, ls: PlanServer, state: PlanState) -> dict[Path, list[t.Diagnostic]]:
        """Unknown ids (warnings, in tasks.md) and criteria no task names (information, in
        requirements.md), by file."""
        if state.ref is None or state.ref.format != "kiro":
            return {}
        got = self.requirements(ls, state)
        if got is None:
            return {}
        path, reqs = got
        lines, index = self.ref_index(ls, state)
        codec = codec_of(ls)
        unknown = [t.Diagnostic(
            range=finding_range(lines, r.line, r.start, r.end, codec),
            message=f"Requirement {r.id} is not in requirements.md",
            severity=t.DiagnosticSeverity.Warning, source="plan-ls", code="unknown-requirement")
            for r in index.unknown(reqs)]
        crits = index.uncovered(reqs) if state.state["plan"].has_text else []
        # requirements.md's lines are read again only when what is uncovered changed
        seen = (reqs, tuple(c.id for c in crits), codec)
        cached = self._uncovered.get(str(path))
        if cached is None or cached[0][0] is not reqs or cached[0][1:] != seen[1:]:
            req_lines = split_lines(ls.document_text(ls.uri_of(path)) or "") if crits else []
            open_ones: list[t.Diagnostic] = []
            for crit in crits:
                line = req_lines[crit.line] if crit.line < len(req_lines) else ""
                open_ones.append(t.Diagnostic(
                    range=finding_range(req_lines, crit.line, len(line) - len(line.lstrip()),
                                        len(line.rstrip()), codec),
                    message=f"Acceptance criterion {crit.id} is named by no task",
                    severity=t.DiagnosticSeverity.Information, source="plan-ls",
                    code="uncovered-requirement"))
            cached = self._uncovered[str(path)] = (seen, open_ones)
        return {state.state["plan"].path: unknown, path: list(cached[1])}

    # --- start task -------------------------------------------------------------------------
    def start_actions(self, ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        """*Start task* on an open task of a Kiro spec (not done, not started)."""
        uri = params.text_document.uri
        if self._kiro(ls, uri) is None or ls.role_of_uri(uri) != "plan":
            return []
        found = checklist_for(ls, uri)
        item = found[0].item_at(params.range.start.line) if found else None
        if item is None or item.done or item.marker == IN_PROGRESS:
            return []
        from plan_ls.model.edit import TextEdit

        lines = found[0].blocks.source_lines()
        edit = TextEdit(item.line, item.col + 1, item.col + 2, IN_PROGRESS)
        return [t.CodeAction(title="Start task", kind=KIND,
                             edit=versioned_edit(uri, ls.document_version(uri), lines, [edit],
                                                 codec_of(ls)))]

    async def start_task(self, ls: PlanServer, args: StartTaskArgs) -> dict[str, Any]:
        """Mark the task at `args.line` in progress (`[-]`), the marker only: {applied}.
        Only in a Kiro spec's tasks.md, as the code action: elsewhere `[-]` means other
        things (spec-kit and todo.md know only `[ ]`/`[x]`), so the file is left alone."""
        if self._kiro(ls, args.uri) is None or ls.role_of_uri(args.uri) != "plan":
            ls.tell_user(f"Start task is for the tasks of a Kiro spec (.kiro/specs/*/tasks.md), "
                         f"not {args.uri}")
            return {"applied": False}
        found = checklist_for(ls, args.uri)
        item = found[0].item_at(args.line) if found else None
        if found is None or item is None:
            ls.tell_user(f"No task at line {args.line + 1} of {args.uri}")
            return {"applied": False}
        if item.done or item.marker == IN_PROGRESS:
            return {"applied": True}  # already under way or done: nothing to write
        from plan_ls.model.edit import TextEdit

        edit = TextEdit(item.line, item.col + 1, item.col + 2, IN_PROGRESS)
        try:
            applied = await apply_text_edits(ls, args.uri, [edit], found[1])
        except StaleEdit as exc:
            ls.tell_user(f"Not applied: {exc}. Try again.")
            return {"applied": False}
        except (OSError, OutsideWorkspace) as exc:
            ls.tell_user(f"Could not write {args.uri}: {exc}")
            return {"applied": False}
        return {"applied": bool(applied)}
