"""One consistent view of the three planning files: links, progress, drift, the next step."""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from plan_ls.model.drift import (
    Drift,
    Finding,
    _done_out_of_order,
    claim_findings,
    drift_parts,
    unknown_dependencies_on,
)
from plan_ls.model.links import Link, link_items, links_in_plan, words_matter
from plan_ls.model.plan import PlanDoc, Step
from plan_ls.model.spec import SpecDoc
from plan_ls.model.tasks import TaskEdit
from plan_ls.model.todo import _CLAIM, DONE_MARKERS, TodoDoc, TodoItem


def _claim(text: str) -> str | None:
    m = _CLAIM.search(text)
    return m.group(1) if m else None


@dataclass
class Progress:
    total: int = 0
    done: int = 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total

    def __str__(self) -> str:
        return f"{self.done}/{self.total}"


@dataclass
class PlanSnapshot:
    todo: TodoDoc | None
    plan: PlanDoc | None
    spec: SpecDoc | None = None
    links: list[Link] = field(default_factory=list)
    step_items: list[list[int]] = field(default_factory=list)  # per step: item indexes
    heading_progress: list[Progress] = field(default_factory=list)  # per todo heading
    findings: list[Finding] = field(default_factory=list)
    # Bumped by item_edited when progress or links change: together with the snapshot's
    # identity, it tells readers (lenses, planLs/progress) that nothing they show changed.
    revision: int = 0
    _children: dict[int, list[TodoItem]] | None = field(default=None, repr=False)
    # per step: how many of its items are checked (step_progress), kept through check-offs
    _step_done: list[int] | None = field(default=None, repr=False)
    _next: dict[bool, tuple[int, Step | None]] = field(default_factory=dict, repr=False)

    checklist_in_plan: bool = False  # the todo was parsed from the plan's own text
    archived: bool = False  # finished history (an archived OpenSpec change): nothing is next
    # a planning file exists but cannot be read (binary, too large): what is done is unknown
    unreadable: bool = False
    _done_ids: Counter[str] | None = field(default=None, repr=False)  # id -> checked boxes
    _by_id: dict[str, list[TodoItem]] | None = field(default=None, repr=False)
    _drift: Drift | None = field(default=None, repr=False)  # the parts of `findings`
    _deps: _Dependencies | None = field(default=None, repr=False)

    @classmethod
    def build(cls, todo: TodoDoc | None, plan: PlanDoc | None,
              spec: SpecDoc | None = None, checklist_in_plan: bool = False,
              archived: bool = False, unreadable: bool = False) -> PlanSnapshot:
        """Link, count and check the planning files. With `checklist_in_plan`, `todo` was
        parsed from the plan's own text (a plan that holds each step's boxes under the step)
        and every box belongs to the step it sits in. `archived`: the plan is finished
        history, so no step is next. `unreadable`: a planning file exists but could not be
        read, so no step is next either (its checklist may have finished any of them)."""
        snap = cls(todo, plan, spec, checklist_in_plan=checklist_in_plan, archived=archived,
                   unreadable=unreadable)
        if todo is None:
            snap.links = []
        elif checklist_in_plan:
            snap.links = links_in_plan(todo, plan)
        else:
            snap.links = link_items(todo, plan)
        if plan is not None:
            snap.step_items = [[] for _ in plan.steps]
            for i, link in enumerate(snap.links):
                if link.step is not None:
                    snap.step_items[link.step].append(i)
        if todo is not None:
            snap.heading_progress = [Progress() for _ in todo.headings]
            for item in todo.items:
                h = item.heading
                while h is not None:
                    hp = snap.heading_progress[h]
                    hp.total += 1
                    hp.done += item.done
                    h = todo.heading_parent[h]
        snap._find_drift()
        return snap

    def _find_drift(self) -> None:
        self._drift = drift_parts(self.todo, self.plan, self.links)
        self.findings = self._drift.all()
        self._deps = None

    def item_edited(self, item: TodoItem, old_marker: str, old_text: str) -> bool:
        """Follow an in-place edit of one item (TodoDoc.update_item_line). Returns False when
        the edit changed what the item links to or claims, and a full build is needed."""
        if self.todo is None or _claim(item.text) != _claim(old_text):
            return False
        relink = self.plan is not None and not self.checklist_in_plan \
            and words_matter(self.plan, old_text, item.text)
        if relink:  # the structure is the same: link again without parsing again
            links = link_items(self.todo, self.plan) if self.plan is not None else self.links
            if links != self.links:
                self.links = links
                if self.plan is not None:
                    self.step_items = [[] for _ in self.plan.steps]
                    self._step_done = None
                    for i, link in enumerate(links):
                        if link.step is not None:
                            self.step_items[link.step].append(i)
        was_done = old_marker in DONE_MARKERS
        self._done_ids = None
        if was_done != item.done:
            delta = 1 if item.done else -1
            h = item.heading
            while h is not None:
                self.heading_progress[h].done += delta
                h = self.todo.heading_parent[h]
            self._count_done(item, delta)
        if relink or was_done != item.done:
            self._find_drift()
            self.revision += 1
        elif self._finding_on(item.line):  # its columns come from the text
            self._find_drift()
        return True

    def task_edited(self, line: int, edit: TaskEdit, item: TodoItem | None = None,
                    old_marker: str = "", old_text: str = "") -> bool:
        """Follow an in-place edit of one line of a tasks file (tasks.task_line_edited has
        followed it in the plan): `item`, `old_marker`, `old_text` when the line holds a
        box (TodoDoc.update_item_line), none for a task's detail line. The cost is the
        line's: the indexes of task ids and the findings are renewed where the line and
        its task touch them (its step's order, the tasks that depend on its id). Returns
        False when a full build is needed (a claim changed)."""
        todo = self.todo
        if todo is None or self._drift is None or item is not None and _claim(
                item.text) != _claim(old_text):
            return False
        was_done = item is not None and old_marker in DONE_MARKERS
        is_done = item is not None and item.done
        drift = self._drift
        renewed = False
        if edit.line is not None and (edit.old != edit.new or was_done != is_done):
            old_id = edit.old.id if edit.old else None
            new_id = edit.new.id if edit.new else None
            if self._done_ids is not None:
                if was_done and old_id:
                    self._done_ids[old_id] -= 1
                    if not self._done_ids[old_id]:
                        del self._done_ids[old_id]
                if is_done and new_id:
                    self._done_ids[new_id] += 1
            if self._by_id is not None and old_id != new_id:
                box = todo.items[todo.by_line[edit.line]]
                if old_id:
                    self._by_id[old_id].remove(box)
                    if not self._by_id[old_id]:
                        del self._by_id[old_id]
                if new_id:
                    boxes = self._by_id.setdefault(new_id, [])
                    boxes.insert(bisect.bisect_left(boxes, box.line, key=lambda b: b.line), box)
        if self.plan is not None and self.plan.tasks and self.plan.format == "spec-kit" \
                and edit.line is not None:
            if self._deps is None:  # made from the tasks as they are now, the edit included
                self._deps = _Dependencies(self.plan)
                found = self._deps.findings()
                found = None if found == drift.dependencies else found
            else:
                found = self._deps.edited(self.plan, edit.line, edit.old, edit.new)
            if found is not None:
                drift.dependencies, renewed = found, True
        if was_done != is_done and item is not None:
            delta = 1 if is_done else -1
            h = item.heading
            while h is not None:
                self.heading_progress[h].done += delta
                h = todo.heading_parent[h]
            self._count_done(item, delta)
            step = self.links[item.index].step if item.index < len(self.links) else None
            if step is not None and self.step_items:
                drift.order = self._order_in_step(step)
                renewed = True
            if item.claim:
                drift.claims = claim_findings(todo, self.plan, self.links)
        on_line = [f for f in self.findings if f.line == line]
        if on_line:  # its columns come from the text: find the part it is in again
            if any(f in drift.steps or f in drift.links for f in on_line):
                self._find_drift()
                drift, renewed = self._drift, False
            elif any(f in drift.claims for f in on_line):
                drift.claims = claim_findings(todo, self.plan, self.links)
                renewed = True
        if renewed:
            self.findings = drift.all()
        if edit.changed or was_done != is_done:
            self.revision += 1  # next_step and the lenses follow the revision
        return True

    def _order_in_step(self, step: int) -> list[Finding]:
        """The `order` part of the findings with the step's own found again."""
        assert self.todo is not None and self._drift is not None
        items = self.step_items[step]
        lines = {self.todo.items[i].line for i in items}
        if self._children is None:
            self._item_finished_children()
        parents = set(self._children or ())
        mine = _done_out_of_order(self.todo, self.links, items, parents)
        rest = [f for f in self._drift.order if f.line not in lines]
        return sorted(rest + mine, key=lambda f: f.line) if mine else rest


    def _finding_on(self, line: int) -> bool:
        """Whether a finding of the checklist's file sits on the line."""
        return any(f.line == line and (f.file == "todo" or self.checklist_in_plan)
                   for f in self.findings)

    # --- progress -------------------------------------------------------------------------
    @property
    def overall(self) -> Progress:
        if self.todo is None:
            return Progress()
        return Progress(self.todo.total, self.todo.done)

    def step_progress(self, step: Step | int) -> Progress:
        idx = step if isinstance(step, int) else step.index
        if not self.step_items or self.todo is None:
            return Progress()
        if self._step_done is None:
            items = self.todo.items
            self._step_done = [sum(1 for i in its if items[i].done) for its in self.step_items]
        return Progress(len(self.step_items[idx]), self._step_done[idx])

    def _count_done(self, item: TodoItem, delta: int) -> None:
        """An item was checked (+1) or unchecked (-1) in place: its step's count follows."""
        if self._step_done is not None and item.index < len(self.links):
            step = self.links[item.index].step
            if step is not None:
                self._step_done[step] += delta

    def items_of_step(self, step: Step | int) -> list[TodoItem]:
        idx = step if isinstance(step, int) else step.index
        if self.todo is None or not self.step_items:
            return []
        return [self.todo.items[i] for i in self.step_items[idx]]

    def step_of_item(self, item: TodoItem) -> Step | None:
        if self.plan is None or item.index >= len(self.links):
            return None
        idx = self.links[item.index].step
        return None if idx is None else self.plan.steps[idx]

    def finished(self, step: Step | int) -> bool:
        """Whether a step's own work is finished: the plan marks it done on its label
        ("✅ COMPLETED"), or it has checklist items and every one is finished.

        An item is finished when it is checked (`[x]`, `[X]`, `[✅]`), or when it has checkbox
        children and all of them are finished: a parent box left open over finished children
        is a forgotten tick, not open work. Every other marker is open work: `[ ]`, `[~]` and
        `[/]` (in progress), `[-]` (cancelled in some checklists, in progress in Kiro's),
        `[>]` (deferred), `[!]`, `[?]`.

        In the task formats (model/tasks.py) also: an optional task (Kiro's `[ ]*`) never
        holds a step open; a task whose id is checked elsewhere in the file (spec-kit lists
        copied twice) is finished; in Kiro, a checked task settles the sub-tasks under it
        (their marks are stale: Kiro ticks the task when its work is complete)."""
        s = self.plan.steps[step] if isinstance(step, int) else step
        if s.marked_done:
            return True
        progress = self.step_progress(s)
        if progress.complete:  # every box checked: nothing to look at item by item
            return True
        items = self.items_of_step(s)
        return bool(items) and all(self._item_finished(i) for i in items)

    def task(self, item: TodoItem):
        """The item's tasks.TaskInfo in the task formats, else None."""
        return self.plan.tasks.get(item.line) if self.plan is not None and self.plan.tasks \
            else None

    def item_finished(self, item: TodoItem) -> bool:
        """Whether one item's work is finished (see `finished` for what counts)."""
        return self._item_finished(item)

    def _item_finished(self, item: TodoItem) -> bool:
        if item.done:
            return True
        info = self.task(item)
        if info is not None and self.todo is not None:
            if info.optional:
                return True
            if info.id and info.id in self._checked_ids():
                return True
            if self.plan is not None and self.plan.format == "kiro":
                up = item.parent
                while up is not None:
                    if self.todo.items[up].done:
                        return True
                    up = self.todo.items[up].parent
        if self._children is None:
            self._item_finished_children()
        kids = self._children.get(item.index)
        return bool(kids) and all(self._item_finished(k) for k in kids)

    def _item_finished_children(self) -> None:
        """Index the items' children (the structure never changes in place)."""
        self._children = {}
        if self.todo is not None:
            for it in self.todo.items:
                if it.parent is not None:
                    self._children.setdefault(it.parent, []).append(it)

    def _checked_ids(self) -> Counter[str]:
        """The task ids with a checked box somewhere in the file (id -> how many)."""
        if self._done_ids is None:
            self._done_ids = Counter()
            if self.todo is not None:
                for item in self.todo.items:
                    info = self.task(item) if item.done else None
                    if info is not None and info.id:
                        self._done_ids[info.id] += 1
        return self._done_ids

    def task_finished(self, task_id: str) -> bool:
        """Whether every box of the task `task_id` is finished (see `finished`); True for an
        id that no box carries (nothing of it is open here)."""
        return all(self._item_finished(it) for it in self.task_boxes(task_id))

    def task_boxes(self, task_id: str) -> list[TodoItem]:
        """The boxes that carry the task id `task_id` ("T007"), in file order; [] for none."""
        if self.todo is None:
            return []
        if self._by_id is None:  # an index: next_step asks this for every open dependency
            self._by_id = {}
            for it in self.todo.items:
                info = self.task(it)
                if info is not None and info.id:
                    self._by_id.setdefault(info.id, []).append(it)
        return self._by_id.get(task_id, [])

    def task_state(self, task_id: str) -> str:
        """What a dependency's reader needs to know of the task `task_id`: "done" (finished,
        see `finished`), "in progress" (a box of it is marked so), "open", or "unknown" (no
        box carries the id)."""
        boxes = self.task_boxes(task_id)
        if not boxes:
            return "unknown"
        if all(self._item_finished(it) for it in boxes):
            return "done"
        if any(it.state == "in-progress" or (it.marker == "-" and self.plan is not None
                                             and self.plan.format == "kiro") for it in boxes):
            return "in progress"
        return "open"

    def blocked(self, step: Step | int) -> bool:
        """Whether every open item of a step waits for a task that is not finished
        (spec-kit's "depends on T007"): such a step is not next. False for a step without
        open items and in formats without dependencies."""
        s = self.plan.steps[step] if isinstance(step, int) else step
        open_items = [it for it in self.items_of_step(s) if not self._item_finished(it)]
        if not open_items:
            return False
        for it in open_items:
            info = self.task(it)
            if info is None or not info.depends or all(self.task_finished(d)
                                                       for d in info.depends):
                return False
        return True

    def next_step(self, *, skip_claimed: bool = True) -> Step | None:
        """The first step whose own work is not finished (see `finished`) and, by default,
        that nobody has claimed. None when every step is finished, and None when a checklist
        exists but none of its items belongs to a step and the plan marks no step done:
        progress is then unknown, and handing out step 1 would be a guess.

        Cached until the next `revision`: every change of plan state asks for it, and the
        answer sums the progress of every step before it."""
        cached = self._next.get(skip_claimed)
        if cached is not None and cached[0] == self.revision:
            return cached[1]
        step = self._find_next_step(skip_claimed)
        self._next[skip_claimed] = (self.revision, step)
        return step

    @property
    def progress_unknown(self) -> bool:
        """True when there is a checklist but none of its items belongs to a step and the
        plan marks no step done: then there is no next step, though no step may be finished
        either (handing out step 1 would be a guess)."""
        return self.plan is not None and self.todo is not None \
            and not any(self.step_items) and not any(s.marked_done for s in self.plan.steps)

    def _find_next_step(self, skip_claimed: bool) -> Step | None:
        if self.plan is None or self.archived or self.unreadable or self.progress_unknown:
            return None
        for step in self.plan.steps:
            if self.finished(step):
                continue
            if skip_claimed and step.claim:
                continue
            if self.plan.tasks and self.blocked(step):
                continue
            return step
        return None

    # --- the JSON contract of `plan-ls status --json` and `planLs.status` ------------------
    def status_json(self, todo_path: str | None, plan_path: str | None,
                    spec_path: str | None = None) -> dict[str, Any]:
        items = []
        kiro = self.plan is not None and self.plan.format == "kiro"
        if self.todo is not None:
            for item in self.todo.items:
                step = self.step_of_item(item)
                entry = {
                    "line": item.line + 1, "text": item.text, "done": item.done,
                    # Kiro's [-] is a task in progress, not a cancelled one
                    "state": "in-progress" if kiro and item.marker == "-" else item.state,
                    "step": step.number if step else None,
                    "claim": item.claim,
                }
                info = self.task(item)
                if info is not None and info.as_json():
                    entry["task"] = info.as_json()
                items.append(entry)
        steps = []
        if self.plan is not None:
            for step in self.plan.steps:
                p = self.step_progress(step)
                steps.append({
                    "number": step.number, "title": step.title, "line": step.line + 1,
                    "todo_total": p.total, "todo_done": p.done, "claim": step.claim,
                })
        paths = {"todo": todo_path, "plan": plan_path}
        nxt = self.next_step()
        return {
            "todo": {"path": todo_path, "total": self.overall.total, "done": self.overall.done,
                     "items": items},
            "plan": {"path": plan_path, "steps": steps},
            "spec": {"path": spec_path,
                     "sections": [s.title for s in self.spec.sections] if self.spec else []},
            "next_step": {"number": nxt.number, "title": nxt.title} if nxt else None,
            "diagnostics": [
                {"path": paths[f.file], "line": f.line + 1, "severity": f.severity,
                 "message": f.message, "code": f.code}
                for f in self.findings
            ],
        }


class _Dependencies:
    """spec-kit's unknown dependencies kept per task, so that an edit of one task costs the
    tasks that its old and new id and dependencies touch (drift.unknown_dependencies)."""

    def __init__(self, plan: PlanDoc) -> None:
        self.ids: Counter[str] = Counter(info.id for info in plan.tasks.values() if info.id)
        self.waiting: dict[str, set[int]] = {}  # id -> lines of the tasks that depend on it
        self.unknown: dict[int, list[Finding]] = {}  # line -> its findings
        for line, info in plan.tasks.items():
            for d in info.depends:
                self.waiting.setdefault(d, set()).add(line)
            found = unknown_dependencies_on(plan, line, info, self.ids)
            if found:
                self.unknown[line] = found

    def edited(self, plan: PlanDoc, line: int, old, new) -> list[Finding] | None:
        """The task on `line` went from TaskInfo `old` to `new` (its text may have changed
        even when they are equal): the `dependencies` part of the findings anew, or None
        when it stays the same."""
        look = {line}
        if old is not None and old.id:
            self.ids[old.id] -= 1
            if not self.ids[old.id]:
                del self.ids[old.id]
                look |= self.waiting.get(old.id, set())
        if new is not None and new.id:
            if not self.ids[new.id]:
                look |= self.waiting.get(new.id, set())
            self.ids[new.id] += 1
        for d in old.depends if old is not None else ():
            self.waiting.get(d, set()).discard(line)
        for d in new.depends if new is not None else ():
            self.waiting.setdefault(d, set()).add(line)
        changed = False
        for n in look:
            info = plan.tasks.get(n)
            found = unknown_dependencies_on(plan, n, info, self.ids) if info is not None else []
            if found != self.unknown.get(n, []):
                changed = True
                if found:
                    self.unknown[n] = found
                else:
                    self.unknown.pop(n, None)
        return self.findings() if changed else None

    def findings(self) -> list[Finding]:
        """What `drift.unknown_dependencies` finds, in its order."""
        return [f for n in sorted(self.unknown) for f in self.unknown[n]]
