"""Go to definition and find references: from an item or a step mention to its step, from a
`path:line` in an answer file to that source line, from a step to everything that names it."""

from __future__ import annotations

from itertools import compress
from operator import is_not
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as t

from plan_ls.confinement import OutsideWorkspace, resolve
from plan_ls.features.feature import Feature
from plan_ls.features.finding_links import is_answer
from plan_ls.features.positions import codec_of, finding_range, line_range, server_column
from plan_ls.model.text import split_lines
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.model.navigation import Mention
    from plan_ls.model.plan import Step
    from plan_ls.sync.state import PlanState



class StepMentions(Feature):
    """The lines and step mentions of each document, computed once per text and plan."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        # uri -> (the text, the plan they were resolved against, lines, mentions, a copy of
        # the lines: an in-place edit of a checklist changes one line of the same list)
        self._cache: dict[str, tuple[object, object, list[str], list[Mention], list[str]]] = {}

    def register(self) -> None:
        """Nothing to attach: the other navigation features ask this one."""

    def lines_of(self, uri: str) -> list[str] | None:
        """A document's lines as edits and mentions count them (a planning file's parsed
        lines, else the editor's or the disk's text split); None when it cannot be read."""
        got = self.of(uri, mentions=False)
        return got[0] if got is not None else None

    def of(self, uri: str, mentions: bool = True) -> tuple[list[str], list[Mention]] | None:
        """(lines, mentions) of the document at `uri`; mentions are empty without a plan
        (and not looked for with `mentions=False`)."""
        from plan_ls.model.navigation import find_mentions
        ls = self.server
        state = ls.state_for(uri)
        snap = state.snapshot
        role = ls.role_of_uri(uri)
        text: str | None = None
        if role in ("plan", "todo"):
            fs = state.state[role]
            parsed = snap.plan if role == "plan" else snap.todo
            if not fs.has_text or parsed is None:
                return None
            key: object = (fs, fs.revision)  # reading fs.text could join a whole checklist
        else:
            if ls.path_of(uri) is None:
                return None
            key = text = ls.document_text(uri)
            if text is None:
                return None
            parsed = None
        cached = self._cache.get(uri)
        if cached is not None and (cached[0] is key or (
                isinstance(key, tuple) and cached[0] == key)) and cached[1] is snap.plan:
            return cached[2], cached[3]
        lines = parsed.blocks.source_lines() if parsed is not None else split_lines(text or "")
        if not mentions:
            return lines, []
        found = self._rescan(cached, lines) if cached is not None and cached[1] is snap.plan \
            else None
        if found is None:
            found = find_mentions(lines, snap.plan) if snap.plan is not None else []
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[uri] = (key, snap.plan, lines, found, list(lines))
        return lines, found

    def _rescan(self, cached: tuple, lines: list[str]) -> list[Mention] | None:
        """The mentions after a few lines changed in place (a keystroke in a 10,000-line
        checklist): only those lines are searched again. None when more changed."""
        from plan_ls.model.navigation import find_mentions
        old = cached[4]
        plan = cached[1]  # the plan the cached mentions were found against
        if plan is None or len(old) != len(lines):
            return None
        # the unchanged lines are the very same str objects: compared in C, not one by one
        changed = list(compress(range(len(lines)), map(is_not, old, lines)))
        if len(changed) > 8:
            return None
        if not changed:
            return cached[3]
        again = set(changed)
        found = [m for m in cached[3] if m.line not in again]
        for n in changed:
            found.extend(find_mentions([lines[n]], plan, n))
        return sorted(found, key=lambda m: (m.line, m.start))

    def mention_at(self, uri: str, position: t.Position) -> Mention | None:
        """The step mention under the client's cursor, if any."""
        from plan_ls.model.navigation import find_mentions, mention_at
        got = self.of(uri, mentions=False)
        if got is None:
            return None
        lines = got[0]
        plan = self.server.state_for(uri).snapshot.plan
        if plan is None or not 0 <= position.line < len(lines):
            return None
        text = lines[position.line]
        column = server_column(codec_of(self.server), text, position.character)
        # the cursor's line only: after each keystroke the whole file's mentions are stale
        return mention_at(find_mentions([text], plan, position.line), position.line, column)

    def step_location(self, step: Step, state: PlanState | None = None) -> t.Location | None:
        """Where the plan (of `state`, the primary by default) names `step`: the whole line
        of its label."""
        ls = self.server
        plan_uri = ls.role_uri("plan", state)
        lines = self.lines_of(plan_uri)
        if lines is None:
            return None
        return t.Location(uri=plan_uri, range=line_range(lines, step.line, codec_of(ls)))

    def step_at(self, uri: str, position: t.Position) -> Step | None:
        """The step a cursor names: a mention of it, or (in the plan) its label line."""
        plan = self.server.state_for(uri).snapshot.plan
        if plan is None:
            return None
        mention = self.mention_at(uri, position)
        if mention is not None:
            return plan.steps[mention.step] if mention.step is not None else None
        if self.server.role_of_uri(uri) == "plan":
            return plan.step_on_line(position.line)
        return None


class Definition(Feature):
    """`textDocument/definition`."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_DEFINITION, self.definition)

    def definition(self, ls: PlanServer, params: t.DefinitionParams) -> list[t.Location] | None:
        """A step mention -> the step; a checklist item -> its step; a `path:line` in an
        answer file -> that line of the file (only inside the workspace)."""
        uri, position = params.text_document.uri, params.position
        mentions = ls.get_feature(StepMentions)
        state = ls.state_for(uri)
        snap = state.snapshot
        mention = mentions.mention_at(uri, position)
        step = None
        if mention is not None and mention.step is not None and snap.plan is not None:
            step = snap.plan.steps[mention.step]
        elif ls.role_of_uri(uri) == "todo" and snap.todo is not None:
            item = snap.todo.item_at(position.line)
            step = snap.step_of_item(item) if item is not None else None
        if step is not None:
            location = mentions.step_location(step, state)
            return [location] if location is not None else None
        found = next(filter(None, (p(ls, params) for p in ls.definition_providers)), None)
        return found if found is not None else self._source_line(ls, uri, position)

    def _source_line(self, ls: PlanServer, uri: str,
                     position: t.Position) -> list[t.Location] | None:
        from plan_ls.review.findings import places_in
        path = ls.path_of(uri)
        if path is None or ls.root is None or not is_answer(path):
            return None
        lines = ls.get_feature(StepMentions).lines_of(uri)
        if lines is None or not 0 <= position.line < len(lines):
            return None
        text = lines[position.line]
        column = server_column(codec_of(ls), text, position.character)
        for start, end, place in places_in(text):
            if not start <= column <= end:
                continue
            target = _confined_file(ls, ls.root / place.path)
            if target is None:
                return None
            at = t.Position(line=max(0, place.start - 1), character=0)
            return [t.Location(uri=ls.uri_of(target), range=t.Range(start=at, end=at))]
        return None


def _confined_file(ls: PlanServer, path: Path) -> Path | None:
    """`path` resolved, when it is a file inside the workspace root; else None."""
    try:
        resolved = resolve(path)
    except OutsideWorkspace:
        return None
    return resolved if ls.contains(resolved) and resolved.is_file() else None


class References(Feature):
    """`textDocument/references`."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_REFERENCES, self.references)

    def references(self, ls: PlanServer, params: t.ReferenceParams) -> list[t.Location] | None:
        """On a step's label (or any mention of a step): the step itself when the client asks
        for declarations, every checklist item linked to it, and every mention of it in the
        plan and the checklist (and in the document asked about)."""
        mentions = ls.get_feature(StepMentions)
        uri = params.text_document.uri
        step = mentions.step_at(uri, params.position)
        if step is None:
            return None
        return step_references(ls, step, params.context.include_declaration, extra=uri,
                               state=ls.state_for(uri))


def step_references(ls: PlanServer, step: Step, include_declaration: bool,
                    extra: str | None = None,
                    state: PlanState | None = None) -> list[t.Location]:
    """The locations that name `step` (see References.references), plan first, each once.
    `state`: the plan the step is of (the primary by default)."""
    mentions = ls.get_feature(StepMentions)
    codec = codec_of(ls)
    out: list[t.Location] = []
    seen: set[tuple[str, int, int]] = set()

    def add(uri: str, lines: list[str], line: int, start: int, end: int) -> None:
        if (uri, line, start) not in seen:
            seen.add((uri, line, start))
            out.append(t.Location(uri=uri, range=finding_range(lines, line, start, end, codec)))

    plan_uri = ls.role_uri("plan", state)
    plan_got = mentions.of(plan_uri)
    if plan_got is None:
        return out
    plan_lines = plan_got[0]
    if include_declaration:
        add(plan_uri, plan_lines, step.line, 0, len(plan_lines[step.line]))
    uris = [plan_uri]
    snap = (state or ls.state).snapshot
    todo_uri = ls.role_uri("todo", state) if snap.todo is not None else None
    if todo_uri is not None:
        uris.append(todo_uri)
    if extra is not None and extra not in uris and ls.role_of_uri(extra) is None:
        uris.append(extra)
    for uri in uris:
        got = mentions.of(uri)
        if got is None:
            continue
        lines, found = got
        named: set[int] = set()
        for m in found:
            if m.step == step.index and not (uri == plan_uri and m.line == step.line):
                add(uri, lines, m.line, m.start, m.end)
                named.add(m.line)
        if uri == todo_uri:  # items linked without naming the step: their text
            for item in snap.items_of_step(step):
                if item.line not in named and item.line < len(lines):
                    text = lines[item.line]
                    after = item.col + 3  # past "[x]"
                    start = after + len(text[after:]) - len(text[after:].lstrip())
                    add(uri, lines, item.line, start, max(start, len(text.rstrip())))
    return sorted(out, key=lambda loc: (loc.uri != plan_uri, loc.uri, loc.range.start.line,
                                        loc.range.start.character))
