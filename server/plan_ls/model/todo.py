"""The checklist (`todo.md` and any file of `- [ ]` items): items with exact positions."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from plan_ls.model.blocks import Blocks, Heading, _close_sections, parse_blocks

# The list markers of one line (several for "- 1. [ ] x"), then a one-character box.
# Kiro glues a `*` (optional task) to the box, escaped as `\*` by Prettier: `- [ ]* 2.1 x`; a
# full-width bracket may follow a box without a space (`- [x]（Plan#6）...`).
_BOX = re.compile(r"^([ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)+)\[([^\[\]\\])\]"
                  r"(?:\\?\*(?=[ \t]|$)|(?=[ \t]|$|（))[ \t]*(.*)$")
# A list item that starts with something box-like that is not a box: "[]", "[ x]", "[xx]".
_BAD_BOX = re.compile(
    r"^[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)+(\[(?:[ \t]*|[ \t]*[xX][ \t]+|[ \t]+[xX][ \t]*|[xX]{2,})\])(?![(\[:])"
)
# A bullet glued to its box ("-[ ] x"), which markdown does not read as a list item at all.
_GLUED_BOX = re.compile(r"^[ \t]*([-*+])(\[[ xX]\])")
_CLAIM = re.compile(r"\(@([\w][\w.\-]*)\)")
# A line of plain text: list markers (or none), then text that opens no block and ends none
# (no list marker, heading, quote, fence, HTML, link definition, thematic break or setext
# underline; no tab, whose width markdown-it works out by column). See update_line.
_PLAIN_LINE = re.compile(
    r"^(?P<markers> *(?:(?:[-+*]|\d{1,9}[.)]) {1,4})*)"
    r"(?![-+*](?: |$)|\d{1,9}[.)](?: |$)|(?P<rule>[*_-])(?: *(?P=rule)){2,} *$|(?:=+|-+) *$)"
    r"(?P<text>[\w*(\"'.,:;!?/\\@$%&=+-][^\t\x00-\x1f]*)$")
# A heading glued to the end of a line ("- [ ] .env.local## Types"): an export that lost its
# line break. Two or more hashes after a non-space, then a title.
_GLUED_HEADING = re.compile(r"(?<=[^\s#`\\])(#{2,6})[ \t]+(?=[^\s#])(.*)$")

# Markers that mean done: "[x]", "[X]", and the emoji boxes some checklists use ("[✅]").
DONE_MARKERS = "xX✅✔☑"

STATE_NAMES = {
    " ": "open",
    "x": "done",
    "X": "done",
    "~": "in-progress",
    "/": "in-progress",
    "-": "cancelled",
    ">": "deferred",
    "!": "important",
    "?": "question",
    "✅": "done",
    "✔": "done",
    "☑": "done",
}


@dataclass(slots=True)
class TodoItem:
    index: int
    line: int  # 0-based
    col: int  # str index of "[" in the line (after any BOM on line 0)
    marker: str  # the character between the brackets, as written
    text: str  # the rest of the first line, as written
    depth: int
    parent: int | None  # index of the parent checklist item
    heading: int | None  # index of the innermost heading above
    claim: str | None

    @property
    def done(self) -> bool:
        return self.marker in DONE_MARKERS

    @property
    def state(self) -> str:
        return STATE_NAMES.get(self.marker, "other")


@dataclass(slots=True)
class Malformed:
    line: int
    start: int
    end: int
    message: str


@dataclass
class TodoDoc:
    items: list[TodoItem]
    headings: list[Heading]
    heading_parent: list[int | None]  # per heading: the enclosing heading's index
    malformed: list[Malformed]
    blocks: Blocks
    by_line: dict[int, int] = field(default_factory=dict)
    done: int = 0  # kept current by update_item_line
    fmt: str = "prompt_plan"  # the plan format it was parsed for (parse_todo)

    @property
    def total(self) -> int:
        return len(self.items)

    def update_item_line(self, line: int, source: str) -> tuple[TodoItem, str, str] | None:
        """Apply an edit that stays inside one item's line and keeps its list markers (a
        check-off, typing in the item's text): such an edit cannot change the block structure,
        so the item is updated in place. Returns (item, old marker, old text), or None when
        the edit needs a full parse."""
        item = self.item_at(line)
        old_source = self.blocks.lines[line]
        old = _BOX.match(old_source)
        new = _BOX.match(source)
        if item is None or old is None or new is None or old.group(1) != new.group(1):
            return None
        if _is_legend(new.group(2), new.group(3)) or (self.fmt == "spec-kit"
                                                      and new.group(2) == "P"):
            return None  # it stops being an item
        if "#" in source and _GLUED_HEADING.search(source) or \
                "#" in old_source and _GLUED_HEADING.search(old_source):
            return None  # a glued heading appears or goes: the sections change
        if "details" in source.lower() or "details" in old_source.lower():
            return None  # a <details> tag folds the headings after it away (blocks.py)
        if "\t" in new.group(1):
            return None  # markdown-it works out the width of a tab by column
        claim = _CLAIM.search(new.group(3))
        old_marker, old_text = item.marker, item.text
        self.done += (new.group(2) in DONE_MARKERS) - item.done
        item.marker, item.text = new.group(2), new.group(3).rstrip()
        item.claim = claim.group(1) if claim else None
        self.blocks.lines[line] = source
        self.blocks.edited.append(line)
        _set_paragraph_text(self.blocks, line, source[len(new.group(1)):])
        return item, old_marker, old_text

    def update_line(self, line: int, source: str) -> bool:
        """Apply an edit that stays inside one line that holds no item, when it provably
        keeps the block structure (typing in a task's detail line, in a paragraph): both
        the old and the new line are plain text after the same list markers, outside code,
        HTML and quotes, with nothing a checklist reads (a box, a heading, `<details>`).
        Returns False, and changes nothing, when the edit needs a full parse."""
        blocks = self.blocks
        if line in self.by_line or not 0 <= line < len(blocks.lines):
            return False
        old_source = blocks.lines[line]
        old = _PLAIN_LINE.match(old_source)
        new = _PLAIN_LINE.match(source)
        if old is None or new is None or old.group("markers") != new.group("markers"):
            return False
        for text in (old_source, source):
            if "[" in text and (_BOX.match(text) or _BAD_BOX.match(text) or _BARE_BOX.match(
                    text) or _GLUED_BOX.match(text)) or "#" in text and _GLUED_HEADING.search(
                    text) or "details" in text.lower():
                return False
        if self.heading_at(line) is not None or any(a <= line < b for a, b in blocks.opaque):
            return False
        blocks.lines[line] = source
        blocks.edited.append(line)
        _set_paragraph_text(blocks, line, new.group("text"))
        return True

    def item_at(self, line: int) -> TodoItem | None:
        idx = self.by_line.get(line)
        return None if idx is None else self.items[idx]

    def heading_at(self, line: int) -> int | None:
        """The index of the heading on this exact line."""
        i = bisect.bisect_left(self.headings, line, key=lambda h: h.line)  # in line order
        return i if i < len(self.headings) and self.headings[i].line == line else None

    def heading_path(self, heading: int | None) -> list[Heading]:
        path: list[Heading] = []
        while heading is not None:
            path.append(self.headings[heading])
            heading = self.heading_parent[heading]
        path.reverse()
        return path

    def items_under_heading(self, heading: int) -> list[TodoItem]:
        h = self.headings[heading]
        return self.items_in_lines(h.line + 1, h.end_line - 1)

    def items_in_lines(self, first: int, last: int) -> list[TodoItem]:
        """The items whose line is in [first, last] (0-based, inclusive), in document order:
        a binary search, since a code action asks this on every cursor move."""
        lo = bisect.bisect_left(self.items, first, key=lambda it: it.line)
        hi = bisect.bisect_right(self.items, last, lo=lo, key=lambda it: it.line)
        return self.items[lo:hi]


def _set_paragraph_text(blocks: Blocks, line: int, text: str) -> None:
    """The text of the paragraph that starts on `line` (if one does) after an edit of the
    line: `text`, the line after its list markers and indentation, as blocks.py keeps it."""
    from markdown_it.common.utils import MD_TRIM_CHARS

    paragraphs = blocks.paragraphs
    i = bisect.bisect_left(paragraphs, line, key=lambda p: p.line)  # in line order
    if i < len(paragraphs) and paragraphs[i].line == line:
        p = paragraphs[i]  # markdown-it trims the paragraph, not each of its lines
        text = text.lstrip(MD_TRIM_CHARS)
        p.text = text if p.end_line - p.line > 1 else text.rstrip(MD_TRIM_CHARS)


def parse_todo(text: str, fmt: str = "prompt_plan") -> TodoDoc:
    """Find every checklist item; boxes in code, HTML and quotes are not items. `fmt`: the
    plan's format (sync/plans.py); in spec-kit's, `[P]` opening a list item is the parallel
    legend ("- [P] T001, T002 can run in parallel"), never a box."""
    blocks = parse_blocks(text)
    lines = blocks.lines
    bom_shift = 1 if blocks.bom else 0
    glued = _glued_headings(blocks)
    if glued:
        blocks.headings = sorted([*blocks.headings, *glued], key=lambda h: h.line)
        for h in blocks.headings:
            h.end_line = -1
        _close_sections(blocks.headings, len(lines))
    heading_parent = _heading_parents(blocks.headings)

    innermost: dict[int, int] = {}  # line -> index of the innermost list item starting there
    for i, li in enumerate(blocks.items):
        innermost[li.line] = i

    # (line, col, marker, text, depth, parent line) of every box, found in two ways
    found: list[tuple[int, int, str, str, int, int | None]] = []
    boxed: set[int] = set()  # lines of list items that hold a box
    malformed: list[Malformed] = []
    headings = blocks.headings
    for i, li in enumerate(blocks.items):
        if innermost.get(li.line) != i:
            continue
        source = lines[li.line]
        m = _BOX.match(source)
        if m is None:
            bad = _BAD_BOX.match(source)
            if bad:
                malformed.append(Malformed(li.line, bad.start(1), bad.end(1),
                                           f"Malformed checkbox {bad.group(1)!r}: write [ ] or [x]"))
            continue
        if _is_legend(m.group(2), m.group(3)) or (fmt == "spec-kit" and m.group(2) == "P"):
            continue
        parent = li.parent  # the nearest enclosing list item that holds a box
        while parent is not None and blocks.items[parent].line not in boxed:
            parent = blocks.items[parent].parent
        boxed.add(li.line)
        found.append((li.line, m.end(1), m.group(2), m.group(3), li.depth,
                      None if parent is None else blocks.items[parent].line))
    bare = _bare_boxes(blocks, innermost, boxed)
    if bare:
        found = sorted(found + bare)

    items: list[TodoItem] = []
    by_line: dict[int, int] = {}
    h_idx = -1
    for line, col, marker, text_part, depth, parent_line in found:
        while h_idx + 1 < len(headings) and headings[h_idx + 1].line < line:
            h_idx += 1
        claim = _CLAIM.search(text_part)
        item = TodoItem(
            index=len(items),
            line=line,
            col=col + (bom_shift if line == 0 else 0),
            marker=marker,
            text=text_part.rstrip(),
            depth=depth,
            parent=None if parent_line is None else by_line.get(parent_line),
            heading=h_idx if h_idx >= 0 else None,
            claim=claim.group(1) if claim else None,
        )
        by_line[line] = item.index
        items.append(item)
    malformed.extend(_glued_boxes(lines, blocks.opaque))
    malformed.sort(key=lambda m: m.line)
    done = sum(1 for it in items if it.marker in DONE_MARKERS)
    return TodoDoc(items, headings, heading_parent, malformed, blocks, by_line, done, fmt)


# A box at the start of a line without a list marker: "    [X] Prompt 1.1: done" (indented
# into a code block by CommonMark), "  ▶ [ ] sub-task" on a list item's continuation line.
_BARE_BOX = re.compile(r"^([ \t]*(?:[▶►▸•‣→][ \t]*)?)\[([^\[\]\\])\](?=[ \t]|$)[ \t]*(.*)$")
_LEGEND = re.compile(r"^(?:\w+[ \t]+)?[=:]")


def _is_legend(marker: str, text: str) -> bool:
    """`- [P] = parallel`, `- [S]: serial`: a key to the letters a checklist uses, not a task."""
    return marker.isalpha() and marker not in "xX" and bool(_LEGEND.match(text))


def _bare_boxes(blocks: Blocks, innermost: dict[int, int],
                boxed: set[int]) -> list[tuple[int, int, str, str, int, int | None]]:
    """Boxes people write without a list marker, read as items: outside fences, HTML and
    quotes (an indented code block of boxes is a checklist that was indented too far)."""
    lines = blocks.lines
    hits = [n for n, line in enumerate(lines) if "[" in line and n not in innermost
            and _BARE_BOX.match(line)]
    if not hits:
        return []
    code = blocks.code_blocks
    shut = [span for span in blocks.opaque if span not in code]
    out: list[tuple[int, int, str, str, int, int | None]] = []
    starts = [li.line for li in blocks.items]
    for n in hits:
        if any(a <= n < b for a, b in shut):
            continue
        m = _BARE_BOX.match(lines[n])
        assert m is not None
        if _is_legend(m.group(2), m.group(3)):
            continue
        depth, parent_line = 0, None
        k = bisect.bisect_left(starts, n) - 1
        for _ in range(200):  # the innermost list item around the line starts latest
            if k < 0:
                break
            li = blocks.items[k]
            if li.end_line > n:
                depth = li.depth + 1
                up: int | None = k
                while up is not None and blocks.items[up].line not in boxed:
                    up = blocks.items[up].parent
                parent_line = None if up is None else blocks.items[up].line
                break
            k -= 1
        out.append((n, m.end(1), m.group(2), m.group(3), depth, parent_line))
    return out


def _glued_headings(blocks: Blocks) -> list[Heading]:
    """Headings glued to the end of a list item's line, read as the author meant: a heading
    that starts after that line (its `line` is the glued line)."""
    out: list[Heading] = []
    seen: set[int] = set()
    for li in blocks.items:
        if li.line in seen:
            continue
        seen.add(li.line)
        line = blocks.lines[li.line]
        if "#" not in line:
            continue
        m = _GLUED_HEADING.search(line)
        if m and line.count("`", 0, m.start()) % 2 == 0:  # not inside inline code
            out.append(Heading(li.line, len(m.group(1)), m.group(2).strip().rstrip("#").strip()))
    return out


def _heading_parents(headings: list[Heading]) -> list[int | None]:
    parents: list[int | None] = []
    stack: list[int] = []
    for i, h in enumerate(headings):
        while stack and headings[stack[-1]].level >= h.level:
            stack.pop()
        parents.append(stack[-1] if stack else None)
        stack.append(i)
    return parents


def _glued_boxes(lines: list[str], opaque: list[tuple[int, int]]) -> list[Malformed]:
    found: list[Malformed] = []
    spans = sorted(opaque)
    j = 0
    for n, line in enumerate(lines):
        if "[" not in line:
            continue
        m = _GLUED_BOX.match(line)
        if m is None:
            continue
        while j < len(spans) and spans[j][1] <= n:
            j += 1
        if j < len(spans) and spans[j][0] <= n < spans[j][1]:
            continue
        found.append(Malformed(n, m.start(1), m.end(2),
                               f"Malformed checkbox {m.group(1) + m.group(2)!r}: "
                               f"put a space between {m.group(1)!r} and the box"))
    return found
