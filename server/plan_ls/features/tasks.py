"""spec-kit task ids as links: a `T007` written in a task's text leads to the task T007.

Go-to-definition on the id jumps to the first box that carries it, and documentLink makes
every such id a link, in the tasks.md of a spec-kit feature. Ids that no task carries are no
link (a dependency on one is a warning: model/drift.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.features.positions import codec_of, finding_range, line_range, server_column
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.snapshot import PlanSnapshot


class TaskLinks(Feature):
    """Definition and document links from a spec-kit task id to its task."""

    def register(self) -> None:
        self.server.definition_providers.append(self.definition)
        self.server.document_link_providers.append(self.document_links)

    def _tasks_file(self, ls: PlanServer, uri: str) -> tuple[PlanSnapshot, list[str]] | None:
        """(snapshot, lines) when `uri` is the tasks.md of a spec-kit feature."""
        from plan_ls.features.navigate import StepMentions

        state = ls.state_for(uri)
        if state.format != "spec-kit" or ls.role_of_uri(uri) != "plan":
            return None
        snap = state.snapshot
        if snap.plan is None or not snap.plan.tasks:
            return None
        lines = ls.get_feature(StepMentions).lines_of(uri)
        return (snap, lines) if lines is not None else None

    def definition(self, ls: PlanServer, params: t.DefinitionParams) -> list[t.Location] | None:
        """A task id under the cursor -> the line of the first box that carries it."""
        from plan_ls.model.tasks import task_mentions

        uri, position = params.text_document.uri, params.position
        got = self._tasks_file(ls, uri)
        if got is None or not 0 <= position.line < len(got[1]):
            return None
        snap, lines = got
        text = lines[position.line]
        column = server_column(codec_of(ls), text, position.character)
        for start, end, tid in task_mentions(text):
            boxes = snap.task_boxes(tid) if start <= column <= end else []
            if boxes:
                return [t.Location(uri=uri, range=line_range(lines, boxes[0].line, codec_of(ls)))]
        return None

    def document_links(self, ls: PlanServer, uri: str) -> list[t.DocumentLink]:
        """Every task id in the file that names another task, linked to that task's line."""
        from plan_ls.model.tasks import task_mentions

        got = self._tasks_file(ls, uri)
        if got is None:
            return []
        snap, lines = got
        codec = codec_of(ls)
        caps = ls.client_capabilities.text_document
        tooltips = bool(caps and caps.document_link and caps.document_link.tooltip_support)
        out: list[t.DocumentLink] = []
        for n, text in enumerate(lines):
            if "T" not in text:
                continue
            for start, end, tid in task_mentions(text):
                boxes = snap.task_boxes(tid)
                if boxes and boxes[0].line != n:  # a task's own id is no link
                    out.append(t.DocumentLink(
                        range=finding_range(lines, n, start, end, codec),
                        target=f"{uri}#L{boxes[0].line + 1}",
                        tooltip=f"Go to task {tid}" if tooltips else None))
        return out
