"""Findings in `code-review.md` and `missing-tests.md`: checklist items that name a place.

The templates ask for one item per finding, starting with its place in backticks:
``- [ ] `invoicer/pricing.py:42`: what is wrong and how to fix it`` (or a range, `:42-48`).
Models drift from that, so the place is also found in bold, bare, as `path#L42` or as
`path` followed by "line 42"; the first place named in the item counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plan_ls.model.todo import parse_todo

# A path has a directory part or an extension, so "note: 3" or "step 2:4" are not places.
_PATH = r"(?:[\w.\-]+/)*[\w\-][\w.\-]*\.[A-Za-z0-9]{1,12}|(?:[\w.\-]+/)+[\w.\-]+"
_AT_LINE = re.compile(
    rf"(?<![\w/.:\-])(?P<path>{_PATH})(?::|#L)(?P<start>\d{{1,7}})"
    r"(?:\s?[-–]\s?L?(?P<end>\d{1,7}))?(?!\d)")
_LINE_WORD = re.compile(
    rf"`(?P<path>{_PATH})`[\s,(]*\blines?\s+(?P<start>\d{{1,7}})(?:\s?[-–]\s?(?P<end>\d{{1,7}}))?")


@dataclass(frozen=True)
class Place:
    path: str  # as the answer wrote it, posix, without a leading "./"
    start: int  # 1-based, inclusive
    end: int


@dataclass(frozen=True)
class Finding:
    place: Place
    line: int  # 0-based line of the item in the answer file
    done: bool
    text: str  # the item's text, as written
    section: str  # the heading above the item ("" when none)


def locate(text: str) -> Place | None:
    """The first place (`path:line`) an item names, or None."""
    best: re.Match[str] | None = None
    for pattern in (_AT_LINE, _LINE_WORD):
        m = pattern.search(text)
        if m is not None and (best is None or m.start() < best.start()):
            best = m
    if best is None:
        return None
    start = int(best.group("start"))
    end = int(best.group("end") or start)
    path = best.group("path").removeprefix("./")
    return Place(path, start, max(start, end))


def parse_findings(text: str) -> list[Finding]:
    """Every checklist item of an answer file that names a place, in document order."""
    todo = parse_todo(text)
    found: list[Finding] = []
    for item in todo.items:
        place = locate(item.text)
        if place is None:
            continue
        section = todo.headings[item.heading].text if item.heading is not None else ""
        found.append(Finding(place, item.line, item.done, item.text, section))
    return found


def same_file(named: str, rel: str) -> bool:
    """Whether a finding's path names the file at `rel` (posix, relative to the root).

    A model sometimes drops or adds a leading directory, so a match on whole trailing path
    components counts too."""
    if named == rel:
        return True
    return rel.endswith("/" + named) or named.endswith("/" + rel)


def findings_at(findings: list[Finding], rel: str, line: int) -> list[Finding]:
    """The findings that point at 1-based `line` of the file `rel`."""
    return [f for f in findings
            if f.place.start <= line <= f.place.end and same_file(f.place.path, rel)]


def places_in(text: str) -> list[tuple[int, int, Place]]:
    """Every place a line names, as (start index, end index, place), in order."""
    found: list[tuple[int, int, Place]] = []
    for pattern in (_AT_LINE, _LINE_WORD):
        for m in pattern.finditer(text):
            if any(s <= m.start() < e for s, e, _ in found):
                continue
            start = int(m.group("start"))
            end = max(start, int(m.group("end") or start))
            found.append((m.start(), m.end(), Place(m.group("path").removeprefix("./"),
                                                   start, end)))
    return sorted(found, key=lambda x: x[0])
