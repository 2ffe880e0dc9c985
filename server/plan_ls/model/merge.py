"""Three-way merge of planning files that knows what a checklist line means (issue 19).

Git merges `todo.md` like any text: two people who tick neighbouring items conflict. Here a
line is three things: its *text* (the line with the box's character blanked and the claims at
its end removed), its *marker* (the character in `[ ]`) and its *claims* (`(@name)` tags at
its end). The texts merge exactly as `git merge-file` merges them (the caller's `merge_text`,
run on the normalised files); then each merged line gets back a marker and claims merged
three-way from its counterparts in the base and the two sides:

- a marker changed on one side only is taken; the same change on both sides is taken; two
  different changes (`[x]` against `[-]`) conflict on that line only (two done markers, `x`
  and `X`, agree);
- claims merge as sets: a name one side added is added, a name one side removed is removed,
  so two names claimed on one line at once are both kept (the plan's diagnostics report a
  `claim-conflict`, the merge does not);
- a line one side deleted while the other changed its marker or claims conflicts, as a
  delete/modify conflict does in git; a line one side deleted is otherwise gone.

Counterparts are found with difflib (`SequenceMatcher`, no junk heuristic) between the merged
text and each side's normalised text, and between the base and each side; a hunk that replaces
n lines by n lines pairs them in order, so a line whose text one side edited still takes the
other side's tick; in a hunk of another size, the lines that are one line edited (difflib's
similarity above 0.6) pair up. Works on any markdown checklist line (`- [ ]`, `* [x]`,
`1. [ ]`, a bare `[ ]`, any one-character marker) and on any line that ends in claims (a plan
step's heading).

Byte-exact: lines split on "\\n" only (as git does), each keeps its ending (CRLF or LF, none
on a last line without one), a BOM stays on the first line, and unchanged bytes are copied.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# A checklist line: indentation, zero or more list markers, a one-character box. After the box
# a space, the end, or Kiro's `*` (an optional task). A BOM may open the file's first line.
_BOX = re.compile(
    r"^(\ufeff?[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*)\[([^\[\]\\\r\n])\](?=[ \t*]|\r?$)")
# The claims at the end of a line: `(@ana)`, `(@ana) (@bot-2)`, then optional blanks.
_TAIL = re.compile(r"(?:[ \t]*\(@[\w][\w.\-]*\))+[ \t]*$")
_NAME = re.compile(r"\(@([\w][\w.\-]*)\)")
_DONE = frozenset("xX✅✔☑")
BLANK = " "  # the marker every checklist line has in the normalised text

# (base, ours, theirs, marker size) -> the text as `git merge-file -p` merges it, conflicts
# written with markers of that size and the labels "ours", "base" (diff3 style) and "theirs".
MergeText = Callable[[str, str, str, int], str]


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a planning file, taken apart."""

    raw: str  # as written, with its ending
    norm: str  # marker blanked, trailing claims removed, ending kept
    marker: str | None  # the box's character; None when the line is no checklist line
    col: int  # str index of the marker in `raw` and `norm` (-1: none)
    claims: tuple[str, ...]
    tail: str  # the claims as written, with their blanks ("" when none)
    ending: str  # "\r\n", "\n" or ""


def parse_line(raw: str) -> Line:
    """Take a line (with its ending) apart into text, marker and claims."""
    ending = "\r\n" if raw.endswith("\r\n") else "\n" if raw.endswith("\n") else ""
    body = raw[:len(raw) - len(ending)]
    tail_m = _TAIL.search(body)
    tail = tail_m.group(0) if tail_m else ""
    content = body[:len(body) - len(tail)]
    claims = tuple(dict.fromkeys(_NAME.findall(tail)))
    box = _BOX.match(content)
    if box is None:
        return Line(raw, content + ending, None, -1, claims, tail, ending)
    col = box.start(2)
    norm = content[:col] + BLANK + content[col + 1:] + ending
    return Line(raw, norm, box.group(2), col, claims, tail, ending)


def split_lines_keepends(text: str) -> list[str]:
    """Lines with their endings, split on "\\n" only: git's notion of a line."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def normalise(text: str) -> str:
    """The text git merges: every marker blanked, every line's trailing claims removed."""
    return "".join(parse_line(raw).norm for raw in split_lines_keepends(text))


@dataclass
class MergeResult:
    """The merged text and how many conflict blocks it holds (0: merged cleanly)."""

    text: str
    conflicts: int
    # 0-based lines of the merged text that hold two or more claims (a claim-conflict)
    claim_conflicts: list[int] = field(default_factory=list)


def merge_plans(base: str, ours: str, theirs: str, merge_text: MergeText, *,
                labels: tuple[str, str, str] = ("ours", "base", "theirs"),
                marker_size: int = 7) -> MergeResult:
    """Merge `ours` and `theirs`, both changed from `base`, line by line as described above.

    `merge_text` merges the normalised texts (git merge-file); `labels` (ours, base, theirs)
    and `marker_size` are what the conflict markers of the result carry. The result keeps
    every byte of the inputs that no merge rule changes."""
    sides = [[parse_line(r) for r in split_lines_keepends(t)] for t in (base, ours, theirs)]
    o_lines, a_lines, b_lines = sides
    # markers git cannot confuse with a line of the files (a setext underline "=======")
    size = max(7, marker_size, 1 + max((_run(ln.norm) for s in sides for ln in s), default=0))
    merged = merge_text(*("".join(ln.norm for ln in s) for s in sides), size)
    segments = _segments(split_lines_keepends(merged), size)
    return _Rebuild(o_lines, a_lines, b_lines, labels, marker_size).run(segments)


def _run(line: str) -> int:
    """How long the run of one of git's marker characters that opens the line is."""
    if not line or line[0] not in "<=>|":
        return 0
    return len(line) - len(line.lstrip(line[0]))


@dataclass
class _Conflict:
    ours: list[str]
    base: list[str] | None  # diff3 style only
    theirs: list[str]
    ending: str  # of git's marker lines


def _segments(lines: list[str], size: int) -> list[str | _Conflict]:
    """git merge-file's output: clean lines, and conflicts taken apart by their markers."""
    out: list[str | _Conflict] = []
    current: _Conflict | None = None
    part = ""
    for line in lines:
        kind = _marker_kind(line, size)
        if current is None:
            if kind == "<":
                ending = line[len(line.rstrip("\r\n")):]
                current, part = _Conflict([], None, [], ending), "ours"
            else:
                out.append(line)
            continue
        if kind == "|":
            current.base, part = [], "base"
        elif kind == "=":
            part = "theirs"
        elif kind == ">":
            out.append(current)
            current = None
        elif part == "base" and current.base is not None:
            current.base.append(line)
        else:
            getattr(current, part).append(line)
    if current is not None:  # cannot happen with git's output; keep every line anyway
        out.extend(current.ours + current.theirs)
    return out


def _marker_kind(line: str, size: int) -> str | None:
    head = line[:size]
    if len(head) < size or head != head[0] * size or head[0] not in "<|=>":
        return None
    rest = line[size:].rstrip("\r\n")
    if head[0] == "=":
        return "=" if rest == "" else None
    return head[0] if rest == "" or rest.startswith(" ") else None


def _align(x: Sequence[str], y: Sequence[str], pair_replaced: bool) -> dict[int, int]:
    """Index in x -> index in y of the lines that match (and, with `pair_replaced`, of the
    lines of hunks that replace n lines by n). The common head and tail are matched first:
    most of a merged file is unchanged, and SequenceMatcher is quadratic at worst."""
    pairs: dict[int, int] = {}
    head = 0
    while head < len(x) and head < len(y) and x[head] == y[head]:
        pairs[head] = head
        head += 1
    tail = 0
    while tail < len(x) - head and tail < len(y) - head and x[-1 - tail] == y[-1 - tail]:
        tail += 1
    for k in range(tail):
        pairs[len(x) - 1 - k] = len(y) - 1 - k
    mid_x, mid_y = x[head:len(x) - tail], y[head:len(y) - tail]
    if not mid_x or not mid_y:
        return pairs
    matcher = difflib.SequenceMatcher(None, mid_x, mid_y, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and pair_replaced and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                pairs[head + i1 + k] = head + j1 + k
        elif op == "replace" and pair_replaced and (i2 - i1) * (j2 - j1) <= _SIMILAR_WORK:
            for i, j in _similar(mid_x[i1:i2], mid_y[j1:j2]):
                pairs[head + i1 + i] = head + j1 + j
    return pairs


_SIMILAR = 0.6  # difflib's ratio above which two lines of a hunk are one line edited
_SIMILAR_WORK = 4096  # line pairs compared at most per hunk (a rewrite of a whole section)


def _similar(x: Sequence[str], y: Sequence[str]) -> list[tuple[int, int]]:
    """In a hunk that replaces some lines by a different number of lines, the pairs that are
    one line edited (in order, each line at most once), as difflib's Differ pairs them."""
    out: list[tuple[int, int]] = []
    start = 0
    for i, line in enumerate(x):
        best, best_j = _SIMILAR, -1
        for j in range(start, len(y)):
            ratio = difflib.SequenceMatcher(None, line, y[j], autojunk=False).ratio()
            if ratio > best:
                best, best_j = ratio, j
        if best_j >= 0:
            out.append((i, best_j))
            start = best_j + 1
    return out


def merge_marker(o: str | None, a: str | None, b: str | None) -> str | None:
    """The marker three-way; None: a conflict. A side's None means it has no such line."""
    if a is None:
        return b if b is not None else o
    if b is None or a == b:
        return a
    if a == o:
        return b
    if b == o:
        return a
    if a in _DONE and b in _DONE:
        return a
    return None


def merge_claims(o: Sequence[str] | None, a: Sequence[str] | None,
                 b: Sequence[str] | None) -> tuple[str, ...]:
    """Claims as sets three-way: the names both sides kept or one side added, in order."""
    if a is None or b is None:
        present = a if a is not None else b
        return tuple(present if present is not None else (o or ()))
    removed = set(o or ()) - (set(a) & set(b))
    return tuple(n for n in dict.fromkeys([*a, *b]) if n not in removed)


class _Rebuild:
    """Puts markers and claims back on the lines git merged (see the module's docstring)."""

    def __init__(self, o: list[Line], a: list[Line], b: list[Line],
                 labels: tuple[str, str, str], marker_size: int) -> None:
        self.o, self.a, self.b = o, a, b
        self.labels, self.size = labels, marker_size
        on, an, bn = ([ln.norm for ln in s] for s in (o, a, b))
        self.norms = (on, an, bn)
        self.o2a = _align(on, an, True)
        self.o2b = _align(on, bn, True)
        self.a2o = {j: i for i, j in self.o2a.items()}
        self.b2o = {j: i for i, j in self.o2b.items()}
        # the ending of marker lines where the line at hand has none (a last line)
        endings = [ln.ending for ln in a if ln.ending]
        self.eol = "\r\n" if endings.count("\r\n") * 2 > len(endings) else "\n"
        self.out: list[str] = []
        self.conflicts = 0
        self.used_o: set[int] = set()

    def run(self, segments: list[str | _Conflict]) -> MergeResult:
        # which line of each side every merged line is
        ma: list[str] = []
        mb: list[str] = []
        mo: list[str] = []
        where: list[tuple[int, int, int]] = []  # per segment: where it starts in ma, mb, mo
        for seg in segments:
            where.append((len(ma), len(mb), len(mo)))
            if isinstance(seg, str):
                ma.append(seg)
                mb.append(seg)
                mo.append(seg)
            else:
                ma.extend(seg.ours)
                mb.extend(seg.theirs)
                mo.extend(seg.base or ())
        on, an, bn = self.norms
        m2a, m2b, m2o = _align(ma, an, False), _align(mb, bn, False), _align(mo, on, False)

        # the base lines no merged line stands for; a change made to one of them is a
        # delete/modify conflict, written where the line was
        counterparts: dict[int, tuple[int | None, int | None, int | None]] = {}
        for n, (seg, (pa, pb, po)) in enumerate(zip(segments, where)):
            if isinstance(seg, str):
                counterparts[n] = self._counterparts(m2a.get(pa), m2b.get(pb))
                continue
            for k in range(len(seg.ours)):
                if (j := m2a.get(pa + k)) is not None and j in self.a2o:
                    self.used_o.add(self.a2o[j])
            for k in range(len(seg.theirs)):
                if (j := m2b.get(pb + k)) is not None and j in self.b2o:
                    self.used_o.add(self.b2o[j])
            for k in range(len(seg.base or ())):
                if (j := m2o.get(po + k)) is not None:
                    self.used_o.add(j)
        self.used_o.update(o for o, _a, _b in counterparts.values() if o is not None)
        orphans = [i for i in range(len(self.o)) if i not in self.used_o and self._changed(i)]

        pending: list[tuple[str, str]] = []  # a run of lines whose markers conflict
        for n, (seg, (pa, pb, po)) in enumerate(zip(segments, where)):
            if isinstance(seg, str):
                o, a, b = counterparts[n]
                if o is not None:
                    while orphans and orphans[0] < o:
                        self._flush(pending)
                        self._orphan(orphans.pop(0))
                line = self._line(seg, o, a, b)
                if isinstance(line, tuple):
                    pending.append(line)
                else:
                    self._flush(pending)
                    self.out.append(line)
                continue
            self._flush(pending)
            ours = [self._raw(self.a, m2a.get(pa + k), ln) for k, ln in enumerate(seg.ours)]
            theirs = [self._raw(self.b, m2b.get(pb + k), ln) for k, ln in enumerate(seg.theirs)]
            base = None if seg.base is None else [
                self._raw(self.o, m2o.get(po + k), ln) for k, ln in enumerate(seg.base)]
            self._conflict(ours, base, theirs, seg.ending)
        self._flush(pending)
        for i in orphans:
            self._orphan(i)
        text = "".join(self.out)
        claim_lines = [n for n, raw in enumerate(split_lines_keepends(text))
                       if len(parse_line(raw).claims) > 1]
        return MergeResult(text, self.conflicts, claim_lines)

    def _counterparts(self, a: int | None,
                      b: int | None) -> tuple[int | None, int | None, int | None]:
        o = self.a2o.get(a) if a is not None else None
        if o is None and b is not None:
            o = self.b2o.get(b)
        if o is not None:
            a = self.o2a.get(o) if a is None else a
            b = self.o2b.get(o) if b is None else b
        return o, a, b

    def _changed(self, i: int) -> bool:
        """Whether a side that kept base line i changed its marker or claims."""
        base = self.o[i]
        for pairs, lines in ((self.o2a, self.a), (self.o2b, self.b)):
            j = pairs.get(i)
            if j is not None and (lines[j].marker != base.marker
                                  or set(lines[j].claims) != set(base.claims)):
                return True
        return False

    def _line(self, merged: str, o: int | None, a: int | None,
              b: int | None) -> str | tuple[str, str]:
        """The merged line with marker and claims back; (ours, theirs) when markers conflict."""
        m = parse_line(merged)
        lo = self.o[o] if o is not None else None
        la = self.a[a] if a is not None else None
        lb = self.b[b] if b is not None else None
        if la is None and lb is None and lo is not None:
            la = lo  # neither side's line found: the line is the base's
        claims = merge_claims(*(ln.claims if ln is not None else None for ln in (lo, la, lb)))
        tail = next((ln.tail for ln in (la, lb, lo) if ln is not None and ln.claims == claims),
                    " " + " ".join(f"(@{n})" for n in claims) if claims else "")
        if m.marker is None:
            return _compose(m, None, tail)
        marks = [ln.marker if ln is not None and ln.marker is not None else None
                 for ln in (lo, la, lb)]
        marker = merge_marker(*marks)
        if marker is not None:
            return _compose(m, marker, tail)
        return _compose(m, marks[1], tail), _compose(m, marks[2], tail)

    def _raw(self, lines: list[Line], index: int | None, norm: str) -> str:
        """A side's line as written for a normalised line of a conflict."""
        if index is not None:
            return lines[index].raw
        for ln in lines:  # not aligned (duplicates): the first line of that text
            if ln.norm == norm:
                return ln.raw
        return norm

    def _orphan(self, i: int) -> None:
        """Base line i: one side deleted it, the other changed its marker or claims."""
        a, b = self.o2a.get(i), self.o2b.get(i)
        ours = [self.a[a].raw] if a is not None else []
        theirs = [self.b[b].raw] if b is not None else []
        self._conflict(ours, None, theirs, self.o[i].ending)

    def _flush(self, pending: list[tuple[str, str]]) -> None:
        if pending:
            ending = parse_line(pending[-1][0]).ending
            self._conflict([p[0] for p in pending], None, [p[1] for p in pending], ending)
            pending.clear()

    def _conflict(self, ours: list[str], base: list[str] | None, theirs: list[str],
                  ending: str) -> None:
        """One conflict block, with the caller's marker size and labels."""
        self.conflicts += 1
        ending = ending or self.eol
        if self.out and not self.out[-1].endswith("\n"):
            self.out[-1] += ending
        lab_o, lab_base, lab_t = self.labels
        self.out.append(_marker("<", self.size, lab_o, ending))
        self.out.extend(_ended(ours, ending))
        if base is not None:
            self.out.append(_marker("|", self.size, lab_base, ending))
            self.out.extend(_ended(base, ending))
        self.out.append(_marker("=", self.size, "", ending))
        self.out.extend(_ended(theirs, ending))
        self.out.append(_marker(">", self.size, lab_t, ending))


def _marker(char: str, size: int, label: str, ending: str) -> str:
    return char * size + (f" {label}" if label else "") + ending


def _ended(lines: list[str], ending: str) -> list[str]:
    """Inside a conflict every line needs an ending, even a file's last line."""
    return [ln if ln.endswith("\n") else ln + ending for ln in lines]


def _compose(m: Line, marker: str | None, tail: str) -> str:
    """The normalised line `m` with its marker and claims tail put back."""
    body = m.norm[:len(m.norm) - len(m.ending)]
    if marker is not None and m.col >= 0:
        body = body[:m.col] + marker + body[m.col + 1:]
    return body + tail + m.ending
