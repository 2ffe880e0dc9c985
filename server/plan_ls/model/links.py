"""Linking checklist items to plan steps, and the progress that follows from the links.

An item's step comes from, in order: a step number written in the item ("Step 3", "(prompt 2)",
"1.2.3 Do x"), in its parent items, or in the headings above it ("## Step 3: ...", "## 3. ...");
else from a heading whose text matches a step's title. A number that names a group of steps
("1.1" when the plan has 1.1.1 and 1.1.2) links nothing and is not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from plan_ls.model.plan import _GROUP, _LABEL, _NUMBERED, NUMBER, STEP_WORDS, PlanDoc
from plan_ls.model.todo import TodoDoc

_ITEM_LEAD = re.compile(rf"^[*_\s]*(?:(?:{STEP_WORDS})\s*#?\s*(?P<num>{NUMBER})(?![\w])"
                        rf"|(?P<dotted>\d+(?:\.\d+)+)(?![\w]))", re.I)
_ITEM_BRACKET = re.compile(rf"[(\[]\s*(?:{STEP_WORDS})\s*#?\s*(?P<num>{NUMBER})\s*[)\]]", re.I)
_ITEM_TAIL = re.compile(rf"[—–:-]\s*(?:{STEP_WORDS})\s*#?\s*(?P<num>{NUMBER})[\s.*_]*$", re.I)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"the", "a", "an", "and", "of", "for", "to", "in", "with", "on", "step", "prompt", "phase"}


@dataclass(slots=True)
class Link:
    step: int | None  # index into plan.steps
    how: str  # "item", "parent", "heading", "title", "group" or "none"
    named: str | None = None  # the number that was written, linked or not
    named_line: int | None = None  # where it was written (for a missing step's diagnostic)


@lru_cache(maxsize=65536)
def item_number(text: str) -> str | None:
    """A step number written in an item's text, or None."""
    for pattern in (_ITEM_LEAD, _ITEM_BRACKET, _ITEM_TAIL):
        m = pattern.search(text)
        if m:
            found = m.groupdict()
            return found.get("num") or found.get("dotted")
    return None


@lru_cache(maxsize=8192)
def heading_number(text: str) -> str | None:
    """A step number written in a heading ("Step 3", "3. Title"); phases name no step."""
    m = _LABEL.search(text)
    if m:
        return m.group("num")
    if _GROUP.match(text):
        return None
    m = _NUMBERED.match(text)
    return m.group("num") if m else None


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP and not w.isdigit())


def link_items(todo: TodoDoc, plan: PlanDoc | None) -> list[Link]:
    if plan is None or not plan.steps:
        return [Link(None, "none") for _ in todo.items]
    title_words = [(_words(s.title), s.index) for s in plan.steps if s.title]
    heading_links: dict[int, Link] = {}

    def via_number(number: str, how: str, line: int) -> Link:
        step = plan.find(number)
        if step is not None:
            return Link(step.index, how, number, line)
        if plan.has_group(number):
            return Link(None, "group", number, line)
        return Link(None, "missing", number, line)

    def for_heading(h_idx: int | None) -> Link:
        if h_idx is None:
            return Link(None, "none")
        cached = heading_links.get(h_idx)
        if cached is not None:
            return cached
        h = todo.headings[h_idx]
        number = heading_number(h.text)
        if number is not None:
            link = via_number(number, "heading", h.line)
            if link.how == "missing":  # a plan renumbered under the checklist: try the title
                by_title = _by_title(h.text, title_words)
                if by_title is not None:
                    link = Link(by_title.step, "title", number, h.line)
        else:
            link = for_heading(todo.heading_parent[h_idx])
            if link.how in ("none", "group"):
                link = _by_title(h.text, title_words) or link
        heading_links[h_idx] = link
        return link

    links: list[Link] = []
    for item in todo.items:
        number = item_number(item.text)
        if number is not None:
            link = via_number(number, "item", item.line)
        elif item.parent is not None:
            parent = links[item.parent]
            link = parent if parent.how != "item" else Link(parent.step, "parent", parent.named,
                                                          parent.named_line)
            if link.how in ("none", "group"):
                link = for_heading(item.heading) if link.how == "none" else link
        else:
            link = for_heading(item.heading)
        links.append(link)
    return links


def _by_title(text: str, title_words: list[tuple[frozenset[str], int]]) -> Link | None:
    words = _words(text)
    if not words:
        return None
    best, best_score = None, 0.0
    for tw, idx in title_words:
        if not tw:
            continue
        score = len(words & tw) / len(words | tw)
        if score > best_score:
            best, best_score = idx, score
    if best is not None and best_score >= 0.6:
        return Link(best, "title")
    return None
