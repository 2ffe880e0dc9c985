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

import bisect
import re
from dataclasses import dataclass

from plan_ls.model.plan import _CLAIM, PlanDoc, Prompt, Step, clean_title, normalize_number
from plan_ls.model.spec import SpecDoc
from plan_ls.model.todo import TodoDoc, TodoItem, parse_todo

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
_TASK_MENTION = re.compile(r"(?<![\w-])T\d{2,}(?![\w-])")  # "T007", not "T0x" or "ST007"
_USER_STORY = re.compile(r"user\s+story\s+(?P<n>\d+)\b\s*[-–—:.]*\s*(?P<title>.*?)"
                         r"\s*(?:\(priority[^)]*\))?\s*$", re.I)
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


def task_mentions(line: str) -> list[tuple[int, int, str]]:
    """Every spec-kit task id (`T007`) written in `line`: (start, end, id), str indexes."""
    return [(m.start(), m.end(), m.group()) for m in _TASK_MENTION.finditer(line)]


def dependency_mentions(line: str) -> list[tuple[int, int, str]]:
    """The task ids of a spec-kit line's "depends on T007, T009": (start, end, id), str
    indexes; [] when the line names no dependency."""
    d = _DEPENDS.search(line)
    if d is None:
        return []
    base = d.start("ids")
    return [(base + m.start(), base + m.end(), m.group())
            for m in _TASK_REF.finditer(d.group("ids"))]


def story_title(spec: SpecDoc | None, story: str) -> str | None:
    """The title spec-kit's spec.md gives user story `story` ("US1"): the text after
    "User Story 1 -" in a heading, without "(Priority: P1)". None when the spec has none."""
    if spec is None or not story[2:].isdigit():
        return None
    number = str(int(story[2:]))
    for section in spec.flat():
        m = _USER_STORY.search(section.title)
        if m and str(int(m.group("n"))) == number:
            return m.group("title").strip() or None
    return None


def parse_tasks(text: str, fmt: str, todo: TodoDoc | None = None) -> PlanDoc:
    """The steps of a tasks file in format `fmt` (one of TASK_FORMATS; see the module
    docstring), with `tasks` (line -> TaskInfo) for every box. `todo`: the checklist already
    parsed from this same text in this format (`parse_todo(text, fmt)`), shared, not parsed
    again: the plan's `blocks` are then the checklist's, so that an edit in place of one
    (`task_line_edited`) is an edit of both. Never raises."""
    if todo is None or todo.fmt != fmt:
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
        claim = _CLAIM.search(blocks.lines[line])
        step = Step(index=len(steps), number=number, key=normalize_number(number), title=title,
                    line=line, end_line=end, heading_level=level,
                    label="Phase" if fmt == "spec-kit" and kind == "heading" else "Task",
                    kind=kind, prompts=_prompts(blocks.lines, line, end, kind),
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


def _prompts(lines: list[str], line: int, end: int, kind: str) -> list[Prompt]:
    """A step's one prompt: its lines (after its heading), or none when they are blank."""
    body_start = line if kind == "task" else line + 1
    body = "\n".join(lines[body_start:end]).strip("\n")
    return [Prompt(body_start, end, body, False)] if body else []


def _task_infos(todo: TodoDoc, fmt: str) -> dict[int, TaskInfo]:
    return {item.line: _item_info(todo, i, fmt) for i, item in enumerate(todo.items)}


def _item_info(todo: TodoDoc, index: int, fmt: str) -> TaskInfo:
    """The TaskInfo of item `index`: its text, and its body up to the next item (at most
    40 lines) for Kiro's requirements."""
    lines, items = todo.blocks.lines, todo.items
    item = items[index]
    end = items[index + 1].line if index + 1 < len(items) else len(lines)
    end = min(end, item.line + 40)
    glued = lines[item.line][item.col + 3:item.col + 5]
    optional = glued[:1] == "*" or glued == "\\*"
    return task_info(item.text, fmt, optional=optional, body=lines[item.line + 1:end],
                     body_line=item.line + 1)


def _box_step_number(todo: TodoDoc, item: TodoItem) -> str | None:
    """The number that makes a box a top-level task of `_box_steps` (the check on its
    parent and on numbered sections aside), or None."""
    o = _ORDERED.match(todo.blocks.lines[item.line])
    if o and item.col == o.end() - 1:
        return o.group("num")
    m = _TASK_ID.match(item.text)
    if m and "." not in m.group("id") and (m.group("sep").strip() or not
                                           m.group("id").isdigit()):
        return m.group("id")
    return None


@dataclass(frozen=True, slots=True)
class TaskEdit:
    """What an in-place edit of one line did to the tasks (`task_line_edited`): `changed`,
    whether anything that progress, dependencies, findings or lenses see changed; `line`,
    the task whose TaskInfo was read again (None: none), with its `old` and `new` info."""

    changed: bool
    line: int | None = None
    old: TaskInfo | None = None
    new: TaskInfo | None = None


def task_line_edited(plan: PlanDoc, todo: TodoDoc, line: int, old_text: str | None,
                     ) -> TaskEdit | None:
    """Follow an in-place edit of one line of a tasks file in `plan` (parsed by
    `parse_tasks` sharing `todo`, whose `update_item_line` or `update_line` has applied it):
    the task's TaskInfo, the title and claim of a step named on the line, the prompt of the
    steps that hold it. `old_text`: the item's text before the edit when the line holds a
    box, None for another line (the body of the box above it, where Kiro writes its
    requirements).

    Returns None when the edit changes which steps there are (a task's number, a phase
    heading: parse again), else a TaskEdit (`changed`: an id, a dependency, optional,
    requirements or a step's title changed)."""
    fmt = plan.format
    lines = plan.blocks.lines
    idx = todo.by_line.get(line)
    changed = False
    task_line, old, new = None, None, None
    if idx is not None:
        item = todo.items[idx]
        if fmt != "spec-kit" and old_text is not None:
            old_number = _box_step_number(todo, _with_text(item, old_text))
            if old_number != _box_step_number(todo, item):
                return None  # a task comes or goes, or is numbered anew
        task_line, old, new = line, plan.tasks.get(line), _item_info(todo, idx, fmt)
        plan.tasks[line] = new
        changed = old != new
    else:
        # a body line: the requirements of the box above it (up to 40 lines back)
        k = bisect.bisect_left(todo.items, line, key=lambda it: it.line) - 1
        if k >= 0 and line < todo.items[k].line + 40:
            task_line = todo.items[k].line
            old, new = plan.tasks.get(task_line), _item_info(todo, k, fmt)
            plan.tasks[task_line] = new
            changed = old != new
    for step in plan.steps_around(line):
        shown = (step.title, step.claim, bool(step.prompts))
        if step.line == line:
            if step.kind != "task":
                return None  # a heading's text: the cutter and the phases decide steps
            claim = _CLAIM.search(lines[line])
            step.claim = claim.group(1) if claim else None
            item = todo.item_at(line)
            if item is None:
                return None
            m = _TASK_ID.match(item.text)
            o = _ORDERED.match(lines[line])
            rest = item.text if o and item.col == o.end() - 1 else \
                item.text[m.end():] if m else item.text
            step.title = clean_title(rest)
        step.prompts = _prompts(lines, step.line, step.end_line, step.kind)
        changed |= shown != (step.title, step.claim, bool(step.prompts))
    plan.content = None  # the words of the steps' titles and prompts: built again on use
    return TaskEdit(changed, task_line, old, new)


def _with_text(item: TodoItem, text: str) -> TodoItem:
    """A copy of `item` with another text (to ask what the old text made of it)."""
    return TodoItem(item.index, item.line, item.col, item.marker, text, item.depth,
                    item.parent, item.heading, item.claim)


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
