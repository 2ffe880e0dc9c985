"""The spec (`spec.md`): its sections as a heading tree with line ranges."""

from __future__ import annotations

from dataclasses import dataclass, field

from plan_ls.model.blocks import parse_blocks


@dataclass
class Section:
    title: str
    level: int
    line: int
    end_line: int  # exclusive
    children: list[Section] = field(default_factory=list)


@dataclass
class SpecDoc:
    sections: list[Section]  # top-level sections; each holds its subsections
    line_count: int

    def flat(self) -> list[Section]:
        out: list[Section] = []
        stack = list(reversed(self.sections))
        while stack:
            s = stack.pop()
            out.append(s)
            stack.extend(reversed(s.children))
        return out


def parse_spec(text: str) -> SpecDoc:
    blocks = parse_blocks(text)
    roots: list[Section] = []
    stack: list[Section] = []
    for h in blocks.headings:
        sec = Section(h.text, h.level, h.line, h.end_line)
        while stack and stack[-1].level >= h.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(sec)
        stack.append(sec)
    return SpecDoc(roots, len(blocks.lines))
