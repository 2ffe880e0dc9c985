"""Block structure of a markdown file, from markdown-it, parsed section by section.

markdown-it-py needs ~50 µs a line, so a 10,000-line checklist would take half a second
on every keystroke. A top-level ATX heading always starts a new block (outside fences, HTML
blocks and front matter, which `_section_starts` tracks), so the text is cut at those
headings and each section is parsed on its own and cached by its text: an edit re-parses
only the section it touched.
"""

from __future__ import annotations

import logging
import re
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
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


def _section_starts(text: str) -> list[int]:
    """Offsets of top-level ATX heading lines that markdown-it will see as headings."""
    starts: list[int] = []
    pos = 0
    fm = _FRONT_MATTER.match(text)
    if fm:
        pos = fm.end()
    fence: str | None = None
    html_end: str | None = None
    for m in _BOUNDARY.finditer(text, pos):
        line = m.group(0)
        if html_end is not None:
            if html_end in line.lower():
                html_end = None
            continue
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
            if end not in line.lower()[len(m.group("html")):]:
                html_end = end
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


_CACHE: dict[str, _Section] = {}
_CACHE_LIMIT = 20_000
# and by size: a section that keeps growing (an answer streamed into an open file, each
# didChange a longer text) would otherwise keep every version of itself
_CACHE_CHARS_LIMIT = 8_000_000
_cache_chars = 0


def _parse_section(text: str) -> _Section:
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    tokens = _markdown().parse(text)
    headings: list[tuple[int, int, str]] = []
    items: list[tuple[int, int, int, int | None, bool]] = []
    fences: list[tuple[int, int, str, str, bool]] = []
    paragraphs: list[tuple[int, int, str, bool]] = []
    opaque: list[tuple[int, int]] = []
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
                if items[idx][0] != tok.map[0]:
                    parent = idx
                    break
            if quote_depth == 0:
                depth = sum(1 for idx in item_stack if items[idx][0] != tok.map[0])
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
            if kind == "fence" and quote_depth == 0:
                fences.append((tok.map[0], tok.map[1], tok.info.strip(), tok.content,
                               bool(item_stack)))
        elif kind in ("html_block", "front_matter") and tok.map:
            opaque.append((tok.map[0], tok.map[1]))
    # items inside a quote were pushed as -1 placeholders only on the stack, never stored
    section = _Section(text.count("\n") + 1, headings, items, fences, paragraphs, opaque)
    global _cache_chars
    if len(_CACHE) >= _CACHE_LIMIT or _cache_chars + len(text) > _CACHE_CHARS_LIMIT:
        _CACHE.clear()
        _cache_chars = 0
    _CACHE[text] = section
    _cache_chars += len(text)
    return section


def parse_blocks(text: str) -> Blocks:
    """Parse a markdown text into its blocks; line numbers are 0-based over LSP lines."""
    text, bom = strip_bom(text)
    norm = normalize_newlines(text)
    lines = norm.split("\n")
    blocks = Blocks(lines=lines, bom=bom)
    cuts = [0, *_section_starts(norm), len(norm)]
    offset = 0
    for a, b in zip(cuts, cuts[1:]):
        if a == b:
            continue
        sec = _parse_section(norm[a:b])
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
        offset += norm.count("\n", a, b)
    _close_sections(blocks.headings, len(lines))
    return blocks


def _close_sections(headings: list[Heading], line_count: int) -> None:
    """Set each heading's end_line: the next heading of the same or a higher level."""
    open_: list[Heading] = []
    for h in headings:
        while open_ and open_[-1].level >= h.level:
            open_.pop().end_line = h.line
        open_.append(h)
    for h in open_:
        h.end_line = line_count
