"""Kiro's requirements.md and the requirement ids its tasks name (pure: no I/O, no LSP).

Kiro writes one `### Requirement N` section per user story (the heading may go on with a
title: `### Requirement 2: Export`), and under it the numbered acceptance criteria
(`1. WHEN ... THEN the system SHALL ...`). Criterion M of requirement N has the id "N.M". A
task names the criteria it serves in a detail line such as `_Requirements: 1.2, 3.4_`; a bare
"2" names requirement 2 as a whole.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from plan_ls.model.text import split_lines

_REQUIREMENT = re.compile(r"requirement\s+(\d+)\b[\s:.\-–—]*(.*)", re.IGNORECASE)
# "_Requirements: 1.2, 3.4_", "*Requirements*: 1.2", "Requirement: 2" (the ids follow)
_REFS = re.compile(r"[_*]*requirements?[_*]*\s*:[_*]*\s*((?:\d+(?:\.\d+)*[\s,;]*(?:and\s+)?)+)",
                   re.IGNORECASE)
_ID = re.compile(r"\d+(?:\.\d+)*")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One acceptance criterion: `id` "N.M", its text on one line, where it starts (0-based
    line of requirements.md) and which requirement it belongs to."""

    id: str
    line: int
    text: str
    requirement: str  # "N"


@dataclass(slots=True)
class Requirement:
    number: str  # "N"
    title: str  # the heading's text after "Requirement N", may be ""
    line: int  # the heading's line
    story: str = ""  # the "**User Story:** ..." line, when there is one
    criteria: list[Criterion] = field(default_factory=list)


@dataclass(slots=True)
class Requirements:
    """The parsed requirements.md: requirements by number, criteria by id."""

    requirements: dict[str, Requirement] = field(default_factory=dict)
    criteria: dict[str, Criterion] = field(default_factory=dict)

    def find(self, ref: str) -> Criterion | Requirement | None:
        """The criterion "N.M" or the requirement "N" that `ref` names; None: unknown."""
        return self.criteria.get(ref) or self.requirements.get(ref)


@dataclass(frozen=True, slots=True)
class RequirementRef:
    """A requirement id named in a task: on `line`, columns [start, end) (str indexes)."""

    line: int
    start: int
    end: int
    id: str


_MD = MarkdownIt("commonmark")


def parse_requirements(text: str) -> Requirements:
    """Read Kiro's requirements.md. A requirement's criteria are the items of the first
    ordered lists directly in its section (nested lists are details of a criterion, not
    criteria); each criterion's number is the one its author wrote."""
    lines = split_lines(text)
    out = Requirements()
    current: Requirement | None = None
    tokens = _MD.parse(text)
    list_depth = 0  # nesting of lists inside the current requirement
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map is not None:
            inline = tokens[i + 1].content if i + 1 < len(tokens) else ""
            match = _REQUIREMENT.match(inline.strip().strip("*_ "))
            if match and match.group(1) not in out.requirements:
                current = Requirement(match.group(1), match.group(2).strip(), tok.map[0])
                out.requirements[current.number] = current
            elif tok.tag in ("h1", "h2", "h3") or match:
                current = None  # a section of its own ends the requirement
            list_depth = 0
        elif current is None:
            continue
        elif tok.type in ("ordered_list_open", "bullet_list_open"):
            list_depth += 1
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            list_depth -= 1
        elif tok.type == "list_item_open" and list_depth == 1 and tok.markup in (".", ")") \
                and tok.info and tok.map is not None:
            start = tok.map[0]
            # the item's first paragraph: its nested lists are details, not the criterion
            inline = next((x for x in tokens[i + 1:i + 4] if x.type == "inline"), None)
            body = " ".join(inline.content.split()) if inline is not None else \
                re.sub(r"^\s*\d+[.)]\s*", "", lines[start])
            cid = f"{current.number}.{int(tok.info)}"
            if cid not in out.criteria:
                crit = Criterion(cid, start, body, current.number)
                current.criteria.append(crit)
                out.criteria[cid] = crit
        elif tok.type == "inline" and not current.story and "user story" in tok.content.lower():
            current.story = " ".join(tok.content.split())
    return out


def requirement_refs(lines: list[str]) -> list[RequirementRef]:
    """Every requirement id that a `Requirements:` detail names in `lines`, in order."""
    out: list[RequirementRef] = []
    for n, line in enumerate(lines):
        if "equirement" not in line:  # the fast path: most lines name none
            continue
        for match in _REFS.finditer(line):
            base = match.start(1)
            for idm in _ID.finditer(match.group(1)):
                out.append(RequirementRef(n, base + idm.start(), base + idm.end(), idm.group()))
    return out


class RefIndex:
    """The requirement refs of a tasks file by line, kept current line by line: an edit of
    one line costs that line, not the file (a keystroke in a 20,000-task Kiro spec)."""

    def __init__(self, lines: list[str]) -> None:
        """Index every ref of `lines` (the tasks file's lines, 0-based)."""
        self.by_line: dict[int, list[RequirementRef]] = {}
        self.named: Counter[str] = Counter()  # id -> how many refs name it
        self._unknown: dict[int, list[RequirementRef]] = {}
        self._unknown_of: Requirements | None = None
        self._stale: set[int] = set()  # lines whose unknown refs need a look
        for ref in requirement_refs(lines):
            self.by_line.setdefault(ref.line, []).append(ref)
            self.named[ref.id] += 1

    def update(self, lines: list[str], changed: Iterable[int]) -> None:
        """Read the lines `changed` (numbers into `lines`, none added or removed) again."""
        for n in set(changed):
            for ref in self.by_line.pop(n, ()):
                self.named[ref.id] -= 1
                if not self.named[ref.id]:
                    del self.named[ref.id]
            found = [RequirementRef(n, r.start, r.end, r.id)
                     for r in requirement_refs([lines[n]])] if 0 <= n < len(lines) else []
            if found:
                self.by_line[n] = found
                for ref in found:
                    self.named[ref.id] += 1
            self._stale.add(n)

    def refs(self) -> list[RequirementRef]:
        """Every ref, in order."""
        return [r for n in sorted(self.by_line) for r in self.by_line[n]]

    def at(self, line: int, column: int) -> RequirementRef | None:
        """The ref under a cursor at (line, column), its end included."""
        return ref_at(self.by_line.get(line, []), line, column)

    def unknown(self, reqs: Requirements) -> list[RequirementRef]:
        """The refs whose id `reqs` does not hold, in order; kept per line for the same
        `reqs` object, found again for another."""
        if reqs is not self._unknown_of:
            self._unknown_of, self._stale = reqs, set(self.by_line)
            self._unknown = {}
        for n in self._stale:
            bad = [r for r in self.by_line.get(n, ()) if reqs.find(r.id) is None]
            if bad:
                self._unknown[n] = bad
            else:
                self._unknown.pop(n, None)
        self._stale = set()
        return [r for n in sorted(self._unknown) for r in self._unknown[n]]

    def uncovered(self, reqs: Requirements) -> list[Criterion]:
        """`uncovered(reqs, refs)` without listing the refs."""
        return [c for c in reqs.criteria.values()
                if c.id not in self.named and c.requirement not in self.named]


def ref_at(refs: list[RequirementRef], line: int, column: int) -> RequirementRef | None:
    """The ref under a cursor at (line, column), its end included."""
    return next((r for r in refs if r.line == line and r.start <= column <= r.end), None)


def uncovered(reqs: Requirements, refs: list[RequirementRef]) -> list[Criterion]:
    """The criteria that no ref names, neither by id nor through its whole requirement."""
    named = {r.id for r in refs}
    return [c for c in reqs.criteria.values()
            if c.id not in named and c.requirement not in named]
