"""Review findings where they point: hover and a check-off code action on a source line that
a finding in `code-review.md` (or a missing test in `missing-tests.md`) names as
`path:line`. The answer files are parsed once per change (their editor text, else their
disk text by inode, size and mtime), so a hover costs one stat per answer file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as t

from plan_ls.features.feature import Feature
from plan_ls.fileio import UnreadableFile, read_text
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.review.findings import Finding

SOURCES = (("code-review.md", "Review finding"), ("missing-tests.md", "Missing test"))
SHOWN = 5


@dataclass(frozen=True)
class Hit:
    finding: Finding
    file: Path  # the answer file
    label: str  # "Review finding" | "Missing test"


class Findings(Feature):
    """Hover and check-off actions on the source lines that review findings name."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        # answer file -> (its text, or its disk identity; the findings parsed from it)
        self.cache: dict[Path, tuple[object, list[Finding]]] = {}

    def register(self) -> None:
        self.server.hover_providers.append(self.hover)
        self.server.code_action_providers.append(self.code_actions)

    def hover(self, ls: PlanServer, params: t.HoverParams) -> t.Hover | None:
        """The findings that name the hovered line (None: none does)."""
        return findings_hover(ls, params)

    def code_actions(self, ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        """Mark done / not done for each finding that names the line."""
        return findings_actions(ls, params)

    def findings(self, ls: PlanServer, path: Path) -> list[Finding]:
        """The findings of the answer file at `path`, parsed again only when it changed."""
        return _findings(ls, self.cache, path)


def _findings(ls: PlanServer, cache: dict[Path, tuple[object, list[Finding]]],
              path: Path) -> list[Finding]:
    from plan_ls.review.findings import parse_findings

    doc = ls.open_document(ls.uri_of(path))
    if doc is not None:
        key: object = doc.source
    else:
        try:
            st = path.stat()
        except OSError:
            return []
        key = (st.st_ino, st.st_size, st.st_mtime_ns)  # a check-off keeps the size
    cached = cache.get(path)
    if cached is not None and (cached[0] is key or cached[0] == key):
        return cached[1]
    try:
        text = doc.source if doc is not None else read_text(path)
    except (OSError, UnreadableFile):
        return []
    found = parse_findings(text)
    cache[path] = (key, found)
    return found


def hits_at(ls: PlanServer, uri: str, line: int) -> list[Hit]:
    """The findings that point at 0-based `line` of the document `uri`."""
    from plan_ls.review.findings import findings_at

    path = ls.path_of(uri)
    if ls.root is None or path is None:
        return []
    try:
        rel = path.relative_to(ls.root).as_posix()  # both resolved
    except ValueError:
        return []
    hits: list[Hit] = []
    finder = ls.get_feature(Findings)
    for name, label in SOURCES:
        answer = ls.root / name
        resolved = answer.resolve()
        if resolved == path or not ls.contains(resolved):  # a symlink out is not read
            continue
        hits.extend(Hit(f, answer, label)
                    for f in findings_at(finder.findings(ls, answer), rel, line + 1))
    return hits


def _describe(ls: PlanServer, hit: Hit) -> str:
    f = hit.finding
    where = f"[{hit.file.name}:{f.line + 1}]({ls.uri_of(hit.file)}#L{f.line + 1})"
    state = "done" if f.done else "open"
    section = f" · {' '.join(f.section.split())}" if f.section else ""
    return f"**{hit.label}** ({state}{section}) · {where}\n\n{' '.join(f.text.split())}"


def findings_hover(ls: PlanServer, params: t.HoverParams) -> t.Hover | None:
    hits = hits_at(ls, params.text_document.uri, params.position.line)
    if not hits:
        return None
    parts = [_describe(ls, h) for h in hits[:SHOWN]]
    if len(hits) > SHOWN:
        parts.append(f"… and {len(hits) - SHOWN} more")
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown,
                                            value="\n\n---\n\n".join(parts)))


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.replace("`", "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def findings_actions(ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
    hits = hits_at(ls, params.text_document.uri, params.range.start.line)
    several = len(hits) > 1
    out: list[t.CodeAction] = []
    for hit in hits:
        f = hit.finding
        noun = hit.label[0].lower() + hit.label[1:]
        title = f"Mark {noun} {'not done' if f.done else 'done'}"
        if several:
            title += f": {_short(f.text)}"
        out.append(t.CodeAction(
            title=title, kind=t.CodeActionKind.QuickFix,
            command=t.Command(title=title,
                              command="planLs.markNotDone" if f.done else "planLs.markDone",
                              arguments=[{"uri": ls.uri_of(hit.file), "lines": [f.line]}])))
    return out

