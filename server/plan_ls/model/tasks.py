"""The task files of spec-driven tools: spec-kit, Kiro and OpenSpec `tasks.md`.

Each is a plan that holds its own checklist: the steps are units of the file and every box
belongs to the step it sits in (`links.links_in_plan`).

- **spec-kit** (`specs/NNN-name/tasks.md`): the steps are the phases, headings such as
  `## Phase 3: User Story 1 ...` (`### Phase 2.9.1` too); a heading elsewhere that names a
  phase in parentheses (`### Setup (Phase 2.1)`, a second copy of the list) holds that
  phase's boxes as well. Items are `- [ ] T012 [P] [US1] text`: the task id, `[P]` (may run in
  parallel), the user story, and "depends on T007". `[P]` at the start of a list item is a
  legend, never a box; `**Checkpoint**:` paragraphs are not items.
- **Kiro** (`.kiro/specs/NAME/tasks.md`): the steps are the top-level numbered tasks
  (`- [ ] 2. Title`); sub-tasks (`- [ ] 2.1 ...`, indented or not) and every box up to the
  next task or heading are its items. `[-]` is in progress. A `*` right after the box (or
  `\\*`, as Prettier writes it) marks an optional task. `_Requirements: 1.2, 3.4_` names
  acceptance criteria of `requirements.md`.
- **OpenSpec** (`openspec/changes/NAME/tasks.md`): the steps are numbered section headings
  (`## 1. Title`, `### 0) Audit`) holding `- [ ] 1.1 ...` items, and top-level tasks outside
  such sections (`- [ ] 1. Title`, `1. [ ] Title` in an ordered list, `- [ ] **W1 ...**`).

Pure: no I/O. What "done" and "next" mean for these formats is in `snapshot.PlanSnapshot`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plan_ls.model.plan import _CLAIM, PlanDoc, Prompt, Step, clean_title, normalize_number
from plan_ls.model.todo import TodoDoc, parse_todo

TASK_FORMATS = ("spec-kit", "kiro", "openspec")

_PHASE = re.compile(r"^[\W_]*phase\s+(?P<num>\d+(?:\.\d+)*)(?![\w.])(?P<rest>.*)$", re.I)
_PHASE_MENTION = re.compile(r"\(\s*phase\s+(?P<num>\d+(?:\.\d+)*)\s*\)", re.I)
_NUMBERED_HEADING = re.compile(r"^[\W_]*?(?P<num>\d+(?:\.\d+)*)\s*[.):]\s*(?P<rest>\S.*)$")
# the id a task starts with: "2.", "2.1", "T012", "W1" (after bold markup)
_TASK_ID = re.compile(r"^(?:\*\*|__)?\s*(?P<id>(?:[A-Z]{1,3}\d+|\d+)(?:\.\d+)*)"
                      r"(?P<sep>[.):：]|\s|\*\*|$)")
_ORDERED = re.compile(r"^[ \t]*(?P<num>\d{1,9})[.)][ \t]+\[")
_SPECKIT_ID = re.compile(r"^(?P<id>T\d{2,})\b")
_PARALLEL = re.compile(r"\[P\]")
_STORY = re.compile(r"\[(?P<story>US\d+)\]")
_DEPENDS = re.compile(r"depend(?:s|encies|ing)?(?:\s+on)?\s*[:：]?\s*"
                      r"(?P<ids>T\d+(?:(?:\s*[,&/]\s*|\s+and\s+|\s*[-–]\s*)T\d+)*)", re.I)
_TASK_REF = re.compile(r"T\d+")
_REQUIREMENTS = re.compile(r"_(?:requirements?|需求)\s*[:：]\s*(?P<ids>[^_\n]+)_", re.I)
_REQ_ID = re.compile(r"\d+(?:\.\d+)*(?:\s*[-–]\s*\d+(?:\.\d+)*)?")


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """What a task line of these formats says beyond its box.

    `id`: "T012" (spec-kit), "2.1" (Kiro, OpenSpec) or None. `optional`: Kiro's `*` after the
    box. `parallel`/`story`/`depends`: spec-kit's `[P]`, `[US1]` and "depends on T007".
    `requirements`: the acceptance-criterion ids of Kiro's `_Requirements: 1.2, 3.4_`, as
    written ("1.2", "14", "1-3"); `requirements_line`: where they are written (0-based)."""

    id: str | None = None
    optional: bool = False
    parallel: bool = False
    story: str | None = None
    depends: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    requirements_line: int | None = None

    def as_json(self) -> dict[str, object]:
        """The fields that say something, for `status --json`."""
        out: dict[str, object] = {}
        if self.id:
            out["id"] = self.id
        if self.optional:
            out["optional"] = True
        if self.parallel:
            out["parallel"] = True
        if self.story:
            out["story"] = self.story
        if self.depends:
            out["depends"] = list(self.depends)
        if self.requirements:
            out["requirements"] = list(self.requirements)
        return out


def task_info(text: str, fmt: str, *, optional: bool = False,
              body: list[str] | None = None, body_line: int = 0) -> TaskInfo:
    """The task fields of one item's `text` (the line after its box) in format `fmt`.
    `optional`: the box was followed by `*`. `body`: the item's lines after the first (where
    Kiro writes `_Requirements: ..._`), starting at line `body_line`."""
    tid: str | None = None
    parallel, story, depends = False, None, ()
    if fmt == "spec-kit":
        m = _SPECKIT_ID.match(text)
        tid = m.group("id") if m else None
        head = text[:120]
        parallel = bool(_PARALLEL.search(head))
        s = _STORY.search(head)
        story = s.group("story") if s else None
        d = _DEPENDS.search(text)
        if d:
            depends = tuple(dict.fromkeys(_TASK_REF.findall(d.group("ids"))))
    else:
        m = _TASK_ID.match(text)
        tid = m.group("id") if m else None
    requirements: tuple[str, ...] = ()
    req_line = None
    for n, line in enumerate([text, *(body or [])]):
        r = _REQUIREMENTS.search(line) if "_" in line else None
        if r:
            requirements = tuple(re.sub(r"\s+", "", x) for x in _REQ_ID.findall(r.group("ids")))
            req_line = body_line + n - 1 if n else None
            break
    return TaskInfo(tid, optional, parallel, story, depends, requirements, req_line)


def parse_tasks(text: str, fmt: str) -> PlanDoc:
    """The steps of a tasks file in format `fmt` (one of TASK_FORMATS; see the module
    docstring), with `tasks` (line -> TaskInfo) for every box. Never raises."""
    todo = parse_todo(text, fmt)
    blocks = todo.blocks
    cands: list[tuple[str, str, int, int, int | None, str]] = []  # number, title, line, end,
    extra: list[tuple[int, int, str]] = []  # (line, end, number): more of a step's boxes
    if fmt == "spec-kit":
        cands = _phase_steps(todo, extra)
        if not cands:
            cands = _heading_steps(todo)
    elif fmt == "kiro":
        cands = _box_steps(todo, [])
    else:
        cands = _heading_steps(todo)
        cands = sorted(cands + _box_steps(todo, [(c[2], c[3]) for c in cands]),
                       key=lambda c: c[2])
    steps: list[Step] = []
    for number, title, line, end, level, kind in cands:
        body_start = line if kind == "task" else line + 1
        body = "\n".join(blocks.lines[body_start:end]).strip("\n")
        claim = _CLAIM.search(blocks.lines[line])
        step = Step(index=len(steps), number=number, key=normalize_number(number), title=title,
                    line=line, end_line=end, heading_level=level,
                    label="Phase" if fmt == "spec-kit" and kind == "heading" else "Task",
                    kind=kind, prompts=[Prompt(body_start, end, body, False)] if body else [],
                    claim=claim.group(1) if claim else None)
        steps.append(step)
    plan = PlanDoc(steps, blocks, format=fmt)
    for step in steps:
        plan.by_key.setdefault(step.key, []).append(step.index)
    for line, end, number in extra:
        idx = plan.by_key.get(normalize_number(number))
        if idx:
            plan.extra_ranges.append((line, end, idx[0]))
    plan.tasks = _task_infos(todo, fmt)
    return plan


def _task_infos(todo: TodoDoc, fmt: str) -> dict[int, TaskInfo]:
    lines = todo.blocks.lines
    out: dict[int, TaskInfo] = {}
    items = todo.items
    for i, item in enumerate(items):
        end = items[i + 1].line if i + 1 < len(items) else min(len(lines), item.line + 40)
        end = min(end, item.line + 40)
        raw = lines[item.line]
        glued = raw[item.col + 3:item.col + 5]
        optional = glued[:1] == "*" or glued == "\\*"
        out[item.line] = task_info(item.text, fmt, optional=optional,
                                   body=lines[item.line + 1:end], body_line=item.line + 1)
    return out


def _phase_steps(todo: TodoDoc, extra: list[tuple[int, int, str]]
                 ) -> list[tuple[str, str, int, int, int | None, str]]:
    """spec-kit: `Phase N` headings are the steps (the first of a number; a later heading of
    the same number, or one naming the phase in parentheses, adds its section to the step)."""
    out = []
    seen: set[str] = set()
    for h in todo.headings:
        m = _PHASE.match(h.text)
        if m:
            num = m.group("num")
            if normalize_number(num) in seen:
                extra.append((h.line, h.end_line, num))
                continue
            seen.add(normalize_number(num))
            out.append((num, clean_title(m.group("rest")), h.line, h.end_line, h.level,
                        "heading"))
            continue
        mention = _PHASE_MENTION.search(h.text)
        if mention:
            extra.append((h.line, h.end_line, mention.group("num")))
    return out


def _heading_steps(todo: TodoDoc) -> list[tuple[str, str, int, int, int | None, str]]:
    """Numbered section headings (`## 1. Title`, `### 0) Audit`, `## Phase 2 ...`): the
    outermost level that has them."""
    found = []
    for h in todo.headings:
        m = _NUMBERED_HEADING.match(h.text) or _PHASE.match(h.text)
        if m:
            found.append((m.group("num"), clean_title(m.group("rest")), h.line, h.end_line,
                          h.level, "heading"))
    if not found:
        return []
    # the numbered headings of one level are the steps; deeper ones ("### 1.1") are inside
    level = min(c[4] for c in found)
    return [c for c in found if c[4] == level]


def _box_steps(todo: TodoDoc, taken: list[tuple[int, int]]
               ) -> list[tuple[str, str, int, int, int | None, str]]:
    """Top-level tasks: boxes inside no other box whose text starts with a whole-number id
    (`2. Title`; `2.1` is a sub-task) or a letter id (`**W1 ...**`), or whose ordered-list
    marker numbers them (`1. [ ] ...`); outside the sections in `taken`. Each runs to the
    next one or the next heading."""
    lines = todo.blocks.lines
    found: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    for item in todo.items:
        if item.parent is not None or any(a <= item.line < b for a, b in taken):
            continue
        number, rest = None, ""
        o = _ORDERED.match(lines[item.line])
        if o and item.col == o.end() - 1:
            number, rest = o.group("num"), item.text
        else:
            m = _TASK_ID.match(item.text)
            if m and "." not in m.group("id") and (m.group("sep").strip() or not
                                                   m.group("id").isdigit()):
                number, rest = m.group("id"), item.text[m.end():]
        if number is not None and normalize_number(number) not in seen:
            seen.add(normalize_number(number))  # a later "1." (a checklist after the
            found.append((number, clean_title(rest), item.line))  # tasks) is no new task
    heading_lines = sorted(h.line for h in todo.headings)
    out = []
    for i, (number, title, line) in enumerate(found):
        end = found[i + 1][2] if i + 1 < len(found) else len(lines)
        for h in heading_lines:
            if line < h < end:
                end = h
                break
        for a, _ in taken:  # a numbered section after the task ends it
            if line < a < end:
                end = a
        out.append((number, title, line, end, None, "task"))
    return out
