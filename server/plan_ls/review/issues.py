"""`issues.md` as GitHub issues, and back.

The shape the `issues` template asks for, one section per issue:

    ## Title of the issue

    - [ ] Title of the issue

    What is wrong, where (`path/to/file.py:42`), how to reproduce it, what done looks like.

    Labels: bug, security

The `- [ ]` item is what plan-ls tracks (check it off when the issue is fixed); once the
issue is filed on GitHub its number is written at the end of that item, `(#123)`, which is
how posting twice never files twice. A section without an item carries the number on its
heading instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from plan_ls.model.todo import TodoDoc, TodoItem, parse_todo

ISSUE_LEVEL = 2  # "## Title"; the "# Issues" title above them is not an issue
_NUMBER = re.compile(r"\(#(\d+)\)\s*$")
_LABELS = re.compile(r"^\s*(?:[*_]{1,2})?labels?(?:[*_]{1,2})?\s*:(?:[*_]{1,2})?\s*(.*)$",
                     re.IGNORECASE)
_TITLE_PREFIX = re.compile(r"^(?:issue\s*)?#?\d+[.:)]\s+", re.IGNORECASE)


@dataclass
class Issue:
    title: str
    body: str
    labels: list[str] = field(default_factory=list)
    number: int | None = None
    done: bool = False
    line: int = 0  # 0-based line of the heading
    item_line: int | None = None  # 0-based line of the tracking item, if there is one

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, "labels": self.labels,
                "number": self.number, "done": self.done, "line": self.line + 1}


def _clean_title(text: str) -> str:
    text = _NUMBER.sub("", text).strip()
    return _TITLE_PREFIX.sub("", text).strip()


def _tracking_item(todo: TodoDoc, lines: list[str], first: int, last: int) -> TodoItem | None:
    """The section's first checklist item, when nothing but blank lines comes before it."""
    for n in range(first, last):
        if not lines[n].strip():
            continue
        item = todo.item_at(n)
        return item if item is not None and item.depth == 0 else None
    return None


def parse_issues(text: str) -> list[Issue]:
    todo = parse_todo(text)
    lines = todo.blocks.lines
    issues: list[Issue] = []
    sections = [h for h in todo.headings if h.level == ISSUE_LEVEL]
    for h in sections:
        first, last = h.line + 1, min(h.end_line, len(lines))
        item = _tracking_item(todo, lines, first, last)
        body: list[str] = []
        labels: list[str] = []
        for n in range(first, last):
            if item is not None and n == item.line:
                continue
            m = _LABELS.match(lines[n])
            if m is not None:
                labels = [x.strip(" `*_") for x in m.group(1).split(",") if x.strip(" `*_")]
                continue
            body.append(lines[n].rstrip("\r"))
        number_text = item.text if item is not None else h.text
        number = _NUMBER.search(number_text.rstrip())
        issues.append(Issue(
            title=_clean_title(h.text),
            body="\n".join(body).strip("\n"),
            labels=labels,
            number=int(number.group(1)) if number else None,
            done=bool(item and item.done),
            line=h.line,
            item_line=item.line if item is not None else None,
        ))
    return issues


def record_number(text: str, index: int, title: str, number: int) -> str | None:
    """`text` with `(#number)` added to issue `index` (which must still be titled `title`
    and have no number), or None when the file no longer has that issue unfiled."""
    issues = parse_issues(text)
    if index >= len(issues) or issues[index].title != title:
        matches = [i for i in issues if i.title == title and i.number is None]
        if len(matches) != 1:
            return None
        issue = matches[0]
    else:
        issue = issues[index]
    if issue.number is not None:
        return None
    lines = text.split("\n")
    n = issue.item_line if issue.item_line is not None else issue.line
    line = lines[n]
    cr = "\r" if line.endswith("\r") else ""
    lines[n] = f"{line.removesuffix(cr).rstrip()} (#{number}){cr}"
    return "\n".join(lines)
