"""One consistent view of the three planning files: links, progress, drift, the next step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plan_ls.model.drift import Finding, find_drift
from plan_ls.model.links import Link, link_items, links_in_plan, words_matter
from plan_ls.model.plan import PlanDoc, Step
from plan_ls.model.spec import SpecDoc
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
    _next: dict[bool, tuple[int, Step | None]] = field(default_factory=dict, repr=False)

    checklist_in_plan: bool = False  # the todo was parsed from the plan's own text

    @classmethod
    def build(cls, todo: TodoDoc | None, plan: PlanDoc | None,
              spec: SpecDoc | None = None, checklist_in_plan: bool = False) -> PlanSnapshot:
        """Link, count and check the planning files. With `checklist_in_plan`, `todo` was
        parsed from the plan's own text (a plan that holds each step's boxes under the step)
        and every box belongs to the step it sits in."""
        snap = cls(todo, plan, spec, checklist_in_plan=checklist_in_plan)
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
        snap.findings = find_drift(todo, plan, snap.links)
        return snap

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
                    for i, link in enumerate(links):
                        if link.step is not None:
                            self.step_items[link.step].append(i)
        was_done = old_marker in DONE_MARKERS
        if was_done != item.done:
            delta = 1 if item.done else -1
            h = item.heading
            while h is not None:
                self.heading_progress[h].done += delta
                h = self.todo.heading_parent[h]
        if relink or was_done != item.done:
            self.findings = find_drift(self.todo, self.plan, self.links)
            self.revision += 1
        return True

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
        items = self.step_items[idx]
        return Progress(len(items), sum(1 for i in items if self.todo.items[i].done))

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
        `[>]` (deferred), `[!]`, `[?]`."""
        s = self.plan.steps[step] if isinstance(step, int) else step
        if s.marked_done:
            return True
        items = self.items_of_step(s)
        return bool(items) and all(self._item_finished(i) for i in items)

    def _item_finished(self, item: TodoItem) -> bool:
        if item.done:
            return True
        if self._children is None:
            self._children = {}
            if self.todo is not None:
                for it in self.todo.items:
                    if it.parent is not None:
                        self._children.setdefault(it.parent, []).append(it)
        kids = self._children.get(item.index)
        return bool(kids) and all(self._item_finished(k) for k in kids)

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

    def _find_next_step(self, skip_claimed: bool) -> Step | None:
        if self.plan is None:
            return None
        if self.todo is not None and not any(self.step_items) \
                and not any(s.marked_done for s in self.plan.steps):
            return None
        for step in self.plan.steps:
            if self.finished(step):
                continue
            if skip_claimed and step.claim:
                continue
            return step
        return None

    # --- the JSON contract of `plan-ls status --json` and `planLs.status` ------------------
    def status_json(self, todo_path: str | None, plan_path: str | None,
                    spec_path: str | None = None) -> dict[str, Any]:
        items = []
        if self.todo is not None:
            for item in self.todo.items:
                step = self.step_of_item(item)
                items.append({
                    "line": item.line + 1, "text": item.text, "done": item.done,
                    "state": item.state, "step": step.number if step else None,
                    "claim": item.claim,
                })
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
