"""Moving around a plan: where steps are named, what names them, outlines and folds.

Pure functions over parsed planning files (no LSP, no I/O). Columns are str indices into the
lines given (the caller passes `Blocks.source_lines()`, the lines its edits refer to); lines
are 0-based. The features turn these into LSP locations through the position codec.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from plan_ls.model.blocks import Blocks
from plan_ls.model.plan import (
    _GROUP,
    _LABEL,
    _NUMBERED,
    STEP_WORDS,
    PlanDoc,
    Step,
    normalize_number,
    struck,
)


@dataclass(frozen=True, slots=True)
class Mention:
    """A step named in a text ("Step 3", "prompt 2.1"): where, and which step it resolves to."""

    line: int
    start: int  # str index of the label's first character ("S" of "Step 3")
    end: int  # exclusive: after the number
    num_start: int  # the number as written: line[num_start:num_end]
    num_end: int
    number: str
    step: int | None  # index into plan.steps; None when the plan has no such step


def _mention_words(plan: PlanDoc) -> frozenset[str]:
    """The words that name steps in mentions: the plan's own labels, and "step"/"prompt",
    which every plan's readers use. Other step words ("task 3") are often a checklist's own
    numbering, and renumbering them would change text the plan does not own."""
    return frozenset({"step", "prompt"} | {s.label.lower() for s in plan.steps if s.label})


def find_mentions(lines: list[str], plan: PlanDoc, first_line: int = 0) -> list[Mention]:
    """Every step mention in `lines` (numbered from `first_line`), in order. Ranges ("Steps
    1-3") and struck-through mentions ("~~Step 3~~", a removed step) are left out; a mention
    of a number the plan lacks has `step` None."""
    text = "\n".join(lines)  # one pass over the text: a big checklist has few mentions
    out: list[Mention] = []
    n, at = 0, 0  # the line of the last match, and where that line starts
    for m in _label_matches(text, _mention_words(plan)):
        number = m.group("num")
        if "-" in number or "–" in number or "\n" in m.group(0) \
                or struck(text, m.start(), m.end()):  # "~~Step 3~~" names a removed step
            continue
        n += text.count("\n", at, m.start())
        at = text.rfind("\n", 0, m.start()) + 1
        step = plan.find(number)
        if step is not None and step.key != _key(number):
            step = None  # a range step ("Prompts 1-10") holds it: not renamable alone
        num_start = m.start("num") - at
        out.append(Mention(n + first_line, m.start() - at, num_start + len(number), num_start,
                           num_start + len(number), number,
                           None if step is None else step.index))
    return out


def _label_matches(text: str, words: frozenset[str]) -> Iterator[re.Match[str]]:
    """The label pattern's matches in `text`. A case-insensitive regex is slow in Python (10 ms
    on a 10,000-line checklist): the words are found in the lower-cased text first, and the
    pattern is tried only there."""
    pattern = _mention_pattern(words)
    lower = text.lower()
    if len(lower) != len(text):  # a character whose lower case is longer: shifted offsets
        yield from pattern.finditer(text)
        return
    candidates: list[int] = []
    for word in words:  # str.find runs at memchr speed; the few hits are checked below
        at = lower.find(word)
        while at >= 0:
            candidates.append(at)
            at = lower.find(word, at + 1)
    end = 0
    for at in sorted(candidates):
        if at < end:
            continue
        m = pattern.match(text, at)
        if m is not None:
            end = m.end()
            yield m


@lru_cache(maxsize=64)
def _mention_pattern(words: frozenset[str]) -> re.Pattern[str]:
    """plan._LABEL for only these step words."""
    alternatives = "|".join(sorted(map(re.escape, words)))
    return re.compile(_LABEL.pattern.replace(f"(?P<word>{STEP_WORDS})",
                                             f"(?P<word>{alternatives})"), _LABEL.flags)


def _key(number: str) -> str:
    return normalize_number(number)


def mention_at(mentions: list[Mention], line: int, column: int) -> Mention | None:
    """The mention under a cursor (str index `column`; its end counts, as editors place a
    cursor after a word)."""
    for m in mentions:
        if m.line == line and m.start <= column <= m.end:
            return m
    return None


@dataclass(frozen=True, slots=True)
class NumberSpan:
    """Where a step's own number is written: line[start:end]."""

    line: int
    start: int
    end: int


def step_number_span(lines: list[str], step: Step) -> NumberSpan | None:
    """Where the plan writes `step`'s number: in its label ("## Step 3: x", "**Prompt 3:**",
    "Step 3: x", a fence's first line) or its numbered heading ("## 3. x"). None for steps
    whose number is not written (bare fences, phase-qualified numbers, closing sections)."""
    if "/" in step.number or step.kind == "bare" or not any(c.isdigit() for c in step.number):
        return None
    last = min(len(lines), step.end_line, step.line + (4 if step.kind == "fence" else 1))
    for n in range(step.line, last):
        line = lines[n]
        if step.kind.startswith("numbered"):
            body = line.lstrip(" ")
            body = body[len(body) - len(body.lstrip("#")):].lstrip(" \t")
            offset = len(line) - len(body)
            m = _NUMBERED.match(body)
            if m and _key(m.group("num")) == step.key:
                return NumberSpan(n, offset + m.start("num"), offset + m.end("num"))
            continue
        for m in _LABEL.finditer(line):
            if _key(m.group("num")) == step.key:
                return NumberSpan(n, m.start("num"), m.end("num"))
    return None


# --- outline --------------------------------------------------------------------------------

@dataclass(slots=True)
class OutlineNode:
    """One symbol of a document's outline: a phase, a step or a checklist section."""

    name: str
    kind: str  # "phase", "step" or "section"
    line: int  # the line that names it
    end_line: int  # exclusive
    detail: str = ""
    step: int | None = None  # for steps: the index into plan.steps
    children: list[OutlineNode] = field(default_factory=list)


def plan_outline(plan: PlanDoc, progress: Callable[[Step], str]) -> list[OutlineNode]:
    """The plan's steps, under the phase headings ("## Phase 2: ...") that hold them; each
    step's detail is `progress(step)` ("3/5"). A parent's range always holds its children."""
    phases: list[OutlineNode] = []
    for h in plan.blocks.headings:
        if _GROUP.match(h.text) and not _LABEL.search(h.text):
            phases.append(OutlineNode(h.text.strip(" #*_"), "phase", h.line, max(h.end_line,
                                                                                 h.line + 1)))
    top: list[OutlineNode] = []
    for step in plan.steps:
        node = OutlineNode(step.display, "step", step.line, max(step.end_line, step.line + 1),
                           progress(step), step.index)
        owner = None
        for p in phases:  # the innermost phase around the step
            if p.line < step.line < p.end_line:
                owner = p
        if owner is None:
            top.append(node)
        else:
            owner.children.append(node)
            owner.end_line = max(owner.end_line, node.end_line)
    nested: list[OutlineNode] = []
    for p in phases:  # phases inside phases ("## Part 1" > "### Phase 1.1")
        parent = None
        for q in phases:
            if q is not p and q.line < p.line < q.end_line and (parent is None or
                                                              q.line > parent.line):
                parent = q
        if parent is not None:
            parent.children.append(p)
            parent.end_line = max(parent.end_line, p.end_line)
        else:
            nested.append(p)
    for p in phases:
        p.children.sort(key=lambda c: c.line)
    kept = [p for p in nested if _has_steps(p)]
    return sorted(kept + top, key=lambda c: c.line)


def _has_steps(node: OutlineNode) -> bool:
    return any(c.kind == "step" or _has_steps(c) for c in node.children)


def section_outline(headings: list, heading_parent: list[int | None],
                    progress: Callable[[int], str]) -> list[OutlineNode]:
    """A checklist's sections as a tree of its headings; each detail is `progress(index)`."""
    nodes = [OutlineNode(h.text.strip(" #"), "section", h.line, max(h.end_line, h.line + 1),
                         progress(i)) for i, h in enumerate(headings)]
    top: list[OutlineNode] = []
    for i, node in enumerate(nodes):
        parent = heading_parent[i]
        (nodes[parent].children if parent is not None else top).append(node)
    return top


# --- folding --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Fold:
    start: int
    end: int  # inclusive, the way LSP folding ranges count
    kind: str  # "step" or "fence"


def plan_folds(plan: PlanDoc) -> list[Fold]:
    """A fold per step (its line to its last non-blank line) and per prompt fence."""
    lines = plan.blocks.lines
    out: list[Fold] = []
    for step in plan.steps:
        end = min(step.end_line, len(lines)) - 1
        while end > step.line and not lines[end].strip():
            end -= 1
        if end > step.line:
            out.append(Fold(step.line, end, "step"))
    out.extend(fence_folds(plan.blocks))
    return sorted(out, key=lambda f: (f.start, -f.end))


def fence_folds(blocks: Blocks) -> list[Fold]:
    """A fold per fenced block of more than one line."""
    return [Fold(f.start, f.end - 1, "fence") for f in blocks.fences if f.end - 1 > f.start]


# --- symbols in the workspace ----------------------------------------------------------------

def matches_query(query: str, text: str) -> bool:
    """Whether `text` matches a workspace-symbol query: its characters in order, any case
    ("auth" matches "Step 4: Add authentication", "s4" matches "Step 4")."""
    text = text.lower()
    at = 0
    for ch in query.lower().replace(" ", ""):
        at = text.find(ch, at)
        if at < 0:
            return False
        at += 1
    return True


# --- completion -------------------------------------------------------------------------------

_STEP_BEFORE = re.compile(rf"(?<![\w])(?P<word>{STEP_WORDS})s?[ \t]+#?(?P<num>[A-Z]?\d[\d.]*)?$",
                          re.I)
_CLAIM_BEFORE = re.compile(r"\(@(?P<name>[\w.\-]*)$")


@dataclass(frozen=True, slots=True)
class CompletionSpot:
    """What the text before a cursor asks for: a step number after "Step " ("step"), or a
    name after "(@" ("claim"); `start` is the str index where the typed part begins."""

    kind: str
    start: int
    typed: str


def completion_spot(prefix: str, plan: PlanDoc | None) -> CompletionSpot | None:
    """The completion the text before the cursor (`prefix`, one line) asks for, if any.
    Step numbers only after a word the plan's mentions use ("Step", "Prompt", its label)."""
    m = _CLAIM_BEFORE.search(prefix)
    if m:
        return CompletionSpot("claim", m.start("name"), m.group("name"))
    m = _STEP_BEFORE.search(prefix)
    if m and plan is not None and m.group("word").lower() in _mention_words(plan):
        typed = m.group("num") or ""
        return CompletionSpot("step", len(prefix) - len(typed), typed)
    return None
