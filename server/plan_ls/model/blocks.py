"""Block structure of a markdown file, from markdown-it, parsed section by section.

markdown-it-py needs ~50 µs a line, so a 10,000-line checklist would take half a second
on every keystroke. A top-level ATX heading always starts a new block (outside fences, HTML
blocks and front matter, which `_section_starts` tracks), so the text is cut at those
headings and each section is parsed on its own and cached by its text: an edit re-parses
only the section it touched.

The cutter is a fast guess; the parse checks it. A heading line at column 0 closes every
block except a fence, an HTML block or front matter that is still open, so when a section's
parse ends inside one of those, the cut after it is dropped and the two sections are parsed
as one. The result is exactly the whole-document parse (`parse_blocks(text, sectioned=False)`;
a property test holds the two equal). The cache is bounded by the bytes of text it holds.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from plan_ls.model.text import normalize_newlines, strip_bom

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

logging.getLogger("markdown_it").disabled = True  # its per-block debug calls cost a third


@dataclass(slots=True)
class Heading:
    line: int
    level: int
    text: str
    end_line: int = -1  # exclusive end of the section this heading opens; set by Blocks


@dataclass(slots=True)
class ListItem:
    line: int
    end_line: int  # exclusive
    depth: int  # 0 for a top-level item
    parent: int | None  # index of the enclosing list item (not on the same line)
    ordered: bool


@dataclass(slots=True)
class Fence:
    start: int  # the opening line
    end: int  # exclusive; includes the closing line when there is one
    info: str
    content: str
    in_list: bool


@dataclass(slots=True)
class Paragraph:
    line: int
    end_line: int
    text: str
    in_list: bool


@dataclass
class Blocks:
    """Everything the planning-file parsers need to know about a markdown text."""

    lines: list[str]
    bom: bool
    headings: list[Heading] = field(default_factory=list)
    items: list[ListItem] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    opaque: list[tuple[int, int]] = field(default_factory=list)  # code, HTML, quotes, front matter
    code_blocks: list[tuple[int, int]] = field(default_factory=list)  # indented code (top level)
    # the lines edited in place since the parse (todo.py), in order: what a reader that keeps
    # something per line must look at again (features/kiro.py)
    edited: list[int] = field(default_factory=list, compare=False, repr=False)

    def source_lines(self) -> list[str]:
        """The lines as in the text (a BOM kept on line 0), the ones edit columns refer to."""
        if not self.bom:
            return self.lines
        return ["\ufeff" + self.lines[0], *self.lines[1:]]


_BOUNDARY = re.compile(
    r"^(?: {0,3}(?P<fence>`{3,}|~{3,})[^\n]*"
    r"| {0,3}(?P<html><!--|<\?|<![A-Za-z]|<!\[CDATA\[|<(?:pre|script|style|textarea)(?:[\s>]|$))[^\n]*"
    r"|(?P<heading>#{1,6})(?:[ \t][^\n]*)?)$",
    re.M | re.I,
)
_HTML_END = {"<!--": "-->", "<?": "?>", "<![cdata[": "]]>"}
# Front matter ends where mdit-py-plugins' front_matter rule closes it: the first line of at
# least as many dashes as the opener (indented at most 3 spaces: 4 make a code block, which
# does not close it) or of `...` at the margin, then only spaces or tabs. Nothing before that
# line is cut; a text that opens with a dash line and has no such line is not cut at all.
_FRONT_MATTER = re.compile(
    r"\A(-{3,})[ \t]*\n(?:.*?\n)??(?: {0,3}\1-*[ \t]*|\.\.\.[ \t]*)(?:\n|\Z)", re.S)
_DASH_START = re.compile(r"\A-{3,}[ \t]*(?:\n|\Z)")


def _section_starts(text: str) -> list[int]:
    """Offsets of top-level ATX heading lines that markdown-it will see as headings."""
    starts: list[int] = []
    pos = 0
    if _DASH_START.match(text):
        fm = _FRONT_MATTER.match(text)
        if fm is None:
            return starts
        pos = fm.end()
    fence: str | None = None
    while True:
        m = _BOUNDARY.search(text, pos)
        if m is None:
            break
        pos = m.end()
        line = m.group(0)
        if fence is not None:
            marker = m.group("fence")
            if marker and marker[0] == fence[0] and len(marker) >= len(fence) and (
                line.strip() == marker
            ):
                fence = None
            continue
        if m.group("fence"):
            marker = m.group("fence")
            if marker[0] == "`" and "`" in line.strip()[len(marker):]:
                continue  # backtick fences may not have backticks in the info string
            fence = marker
        elif m.group("html"):
            opener = m.group("html").lower()
            end = _HTML_END.get(opener)
            if end is None and opener.startswith("<!") and not opener.startswith("<!--"):
                end = ">"
            if end is None:
                end = "</" + opener[1:].rstrip(" >\t") + ">"
            after = m.start() + len(m.group(0)) - len(line) + line.find(m.group("html")) \
                + len(m.group("html"))
            closing = re.compile(re.escape(end), re.I).search(text, after)
            if closing is None:
                break  # the block runs to the end: nothing after it can be cut
            newline = text.find("\n", closing.end())
            pos = len(text) if newline < 0 else newline  # the block ends on that line
        elif m.group("heading") and m.start() > 0:
            starts.append(m.start())
    return starts


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # imported on the first parse, which comes after the server answered `initialize`
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    # commonmark's nesting limit (20 tokens: 10 list levels) hides items of deep checklists;
    # 64 stays far from Python's recursion limit
    md = MarkdownIt("commonmark", {"maxNesting": 64}).use(front_matter_plugin)
    md.disable(["inline"])  # block structure is all we need; inline text is read from source
    return md


@dataclass
class _Section:
    """One section's blocks with lines relative to the section start."""

    line_count: int
    headings: list[tuple[int, int, str]]
    items: list[tuple[int, int, int, int | None, bool]]
    fences: list[tuple[int, int, str, str, bool]]
    paragraphs: list[tuple[int, int, str, bool]]
    opaque: list[tuple[int, int]]
    code_blocks: list[tuple[int, int]]
    open_end: bool  # ends inside a fence, HTML block or front matter: a heading may follow


# Section text -> its blocks, least recently used first. Bounded by the characters of the
# keys: the blocks of a section take a few times its text, so 8 M characters of text keep the
# cache to some tens of MB however long and however often a big file is edited.
_CACHE: OrderedDict[str, _Section] = OrderedDict()
_CACHE_CHARS = 8_000_000
_cached_chars = 0


def _remember(text: str, section: _Section) -> None:
    global _cached_chars
    if len(text) > _CACHE_CHARS // 4:
        return  # one huge section would evict everything else for a single use
    _CACHE[text] = section
    _cached_chars += len(text)
    while _cached_chars > _CACHE_CHARS:
        old, _ = _CACHE.popitem(last=False)
        _cached_chars -= len(old)


def _parse_section(text: str) -> _Section:
    cached = _CACHE.get(text)
    if cached is not None:
        _CACHE.move_to_end(text)
        return cached
    section = _parse_section_uncached(text)
    _remember(text, section)
    return section


def _parse_section_uncached(text: str) -> _Section:
    tokens = _markdown().parse(text)
    md_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    open_end = False
    headings: list[tuple[int, int, str]] = []
    items: list[tuple[int, int, int, int | None, bool]] = []
    fences: list[tuple[int, int, str, str, bool]] = []
    paragraphs: list[tuple[int, int, str, bool]] = []
    opaque: list[tuple[int, int]] = []
    code_blocks: list[tuple[int, int]] = []
    item_stack: list[int] = []  # indexes into items
    ordered_stack: list[bool] = []
    quote_depth = 0
    pending_heading: tuple[int, int] | None = None
    pending_para: tuple[int, int] | None = None
    for tok in tokens:
        kind = tok.type
        if kind == "heading_open" and tok.map:
            pending_heading = (tok.map[0], int(tok.tag[1]))
        elif kind == "paragraph_open" and tok.map:
            pending_para = (tok.map[0], tok.map[1])
        elif kind == "inline":
            if pending_heading is not None:
                if quote_depth == 0 and not item_stack:
                    headings.append((pending_heading[0], pending_heading[1], tok.content.strip()))
                pending_heading = None
            elif pending_para is not None:
                if quote_depth == 0:
                    first = tok.content.split("\n", 1)[0]
                    paragraphs.append((pending_para[0], pending_para[1], first, bool(item_stack)))
                pending_para = None
        elif kind in ("bullet_list_open", "ordered_list_open"):
            ordered_stack.append(kind == "ordered_list_open")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            ordered_stack.pop()
        elif kind == "list_item_open" and tok.map:
            parent = None
            for idx in reversed(item_stack):
                if idx >= 0 and items[idx][0] != tok.map[0]:
                    parent = idx
                    break
            if quote_depth == 0:
                depth = sum(1 for idx in item_stack if idx >= 0 and items[idx][0] != tok.map[0])
                items.append((tok.map[0], tok.map[1], depth, parent, ordered_stack[-1]))
                item_stack.append(len(items) - 1)
            else:
                item_stack.append(-1)
        elif kind == "list_item_close":
            item_stack.pop()
        elif kind == "blockquote_open":
            quote_depth += 1
            if tok.map and quote_depth == 1:
                opaque.append((tok.map[0], tok.map[1]))
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind in ("fence", "code_block") and tok.map:
            opaque.append((tok.map[0], tok.map[1]))
            if kind == "code_block" and quote_depth == 0:
                code_blocks.append((tok.map[0], tok.map[1]))
            if kind == "fence" and tok.map[1] >= md_lines and not _fence_closed(text, tok):
                open_end = True
            if kind == "fence" and quote_depth == 0:
                fences.append((tok.map[0], tok.map[1], tok.info.strip(), tok.content,
                               bool(item_stack)))
        elif kind in ("html_block", "front_matter") and tok.map:
            opaque.append((tok.map[0], tok.map[1]))
            # an HTML block may have closed on its last line: telling costs more than a merge
            open_end = open_end or tok.map[1] >= md_lines
    # items inside a quote were pushed as -1 placeholders only on the stack, never stored
    return _Section(text.count("\n") + 1, headings, items, fences, paragraphs, opaque,
                    code_blocks, open_end)


def _fence_closed(text: str, tok) -> bool:
    """True when the fence token's last line is its closing fence (not the end of the text)."""
    start, end = tok.map
    if end - start < 2:
        return False
    last = text.split("\n", end)[end - 1] if end - 1 < text.count("\n") + 1 else ""
    marker = tok.markup
    stripped = last.strip()
    return (len(last) - len(last.lstrip(" ")) <= 3 and stripped.startswith(marker)
            and set(stripped) == {marker[0]})


def parse_blocks(text: str, sectioned: bool = True) -> Blocks:
    """Parse a markdown text into its blocks; line numbers are 0-based over LSP lines.

    `sectioned=False` parses the whole text at once (no cuts, no cache): the reference that
    the sectioned parse must equal."""
    text, bom = strip_bom(text)
    norm = normalize_newlines(text)
    lines = norm.split("\n")
    blocks = Blocks(lines=lines, bom=bom)
    cuts = [0, *(_section_starts(norm) if sectioned else ()), len(norm)]
    offset = 0
    a = 0
    for i in range(1, len(cuts)):
        b = cuts[i]
        if a == b:
            continue
        if not sectioned:
            sec = _parse_section_uncached(norm[a:b])
        else:
            sec = _parse_section(norm[a:b])
            if sec.open_end and i + 1 < len(cuts):
                continue  # the heading after it may be inside: parse on to the next cut
        base_item = len(blocks.items)
        for line, level, htext in sec.headings:
            blocks.headings.append(Heading(line + offset, level, htext))
        for line, end, depth, parent, ordered in sec.items:
            blocks.items.append(ListItem(line + offset, end + offset, depth,
                                         None if parent is None else parent + base_item, ordered))
        for start, end, info, content, in_list in sec.fences:
            blocks.fences.append(Fence(start + offset, end + offset, info, content, in_list))
        for line, end, ptext, in_list in sec.paragraphs:
            blocks.paragraphs.append(Paragraph(line + offset, end + offset, ptext, in_list))
        for start, end in sec.opaque:
            blocks.opaque.append((start + offset, end + offset))
        for start, end in sec.code_blocks:
            blocks.code_blocks.append((start + offset, end + offset))
        offset += norm.count("\n", a, b)
        a = b
    _drop_headings_in_details(blocks)
    _close_sections(blocks.headings, len(lines))
    return blocks


_DETAILS = re.compile(r"<(/?)details\b", re.I)


def _drop_headings_in_details(blocks: Blocks) -> None:
    """A heading inside a collapsed `<details>` block is the author's folded note, not a
    section of the document (markdown-it sees one once a blank line ends the HTML block)."""
    if not blocks.headings:
        return
    fenced = [(f.start, f.end) for f in blocks.fences]
    inside: list[tuple[int, int]] = []
    depth, opened = 0, 0
    f = 0
    for n, line in enumerate(blocks.lines):
        if "details" not in line and "DETAILS" not in line and "Details" not in line:
            continue
        while f < len(fenced) and fenced[f][1] <= n:
            f += 1
        if f < len(fenced) and fenced[f][0] <= n:
            continue
        for m in _DETAILS.finditer(line):
            if m.group(1):
                if depth > 0:
                    depth -= 1
                    if depth == 0:
                        inside.append((opened, n))
            else:
                if depth == 0:
                    opened = n
                depth += 1
    if depth > 0:
        inside.append((opened, len(blocks.lines)))
    if inside:
        blocks.headings = [h for h in blocks.headings
                           if not any(a < h.line < b for a, b in inside)]


def _close_sections(headings: list[Heading], line_count: int) -> None:
    """Set each heading's end_line: the next heading of the same or a higher level."""
    open_: list[Heading] = []
    for h in headings:
        while open_ and open_[-1].level >= h.level:
            open_.pop().end_line = h.line
        open_.append(h)
    for h in open_:
        h.end_line = line_count
