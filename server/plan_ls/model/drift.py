"""Where the plan and the checklist disagree, as plain findings (no LSP types)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from plan_ls.model.links import Link
from plan_ls.model.plan import _LABEL, PlanDoc
from plan_ls.model.tasks import dependency_mentions
from plan_ls.model.todo import TodoDoc

ERROR, WARNING, INFO, HINT = "error", "warning", "information", "hint"


@dataclass(frozen=True, slots=True)
class Finding:
    file: str  # "todo" or "plan"
    line: int  # 0-based
    start: int  # str index in the line
    end: int
    severity: str
    message: str
    code: str


def unknown_dependencies(plan: PlanDoc) -> list[Finding]:
    """spec-kit: each id in a "depends on T009" that no task of the file carries (a
    warning on the id: the task it waits for was renamed, removed or never written)."""
    ids = {info.id for info in plan.tasks.values() if info.id}
    out: list[Finding] = []
    for line, info in plan.tasks.items():
        out.extend(unknown_dependencies_on(plan, line, info, ids))
    return out


def unknown_dependencies_on(plan: PlanDoc, line: int, info, ids) -> list[Finding]:
    """`unknown_dependencies` of the task on `line` (its tasks.TaskInfo `info`), `ids`
    being the task ids of the file (anything that answers `in`)."""
    if all(d in ids for d in info.depends):
        return []
    return [Finding("plan", line, start, end, WARNING,
                    f"Depends on {tid}, but no task here has that id", "unknown-task")
            for start, end, tid in dependency_mentions(plan.blocks.lines[line])
            if tid not in ids]


@dataclass(slots=True)
class Drift:
    """The findings of `find_drift` in the parts that an edit in place may renew one by
    one (snapshot.py), in the order `find_drift` gives them."""

    steps: list[Finding]  # steps numbered twice
    claims: list[Finding]
    dependencies: list[Finding]  # spec-kit's unknown task ids
    links: list[Finding]  # malformed boxes, and what the links of items to steps say
    order: list[Finding]  # items checked off before earlier ones of their step

    def all(self) -> list[Finding]:
        return [*self.steps, *self.claims, *self.dependencies, *self.links, *self.order]


def find_drift(todo: TodoDoc | None, plan: PlanDoc | None, links: list[Link]) -> list[Finding]:
    """Every finding of the plan and its checklist (see `drift_parts`), in one list."""
    return drift_parts(todo, plan, links).all()


def drift_parts(todo: TodoDoc | None, plan: PlanDoc | None, links: list[Link]) -> Drift:
    """Where the plan and the checklist disagree, part by part (`Drift`)."""
    drift = Drift([], [], [], [], [])
    out = drift.steps
    duplicates: set[int] = set()
    if plan is not None:
        seen: dict[str, int] = {}
        for step in plan.steps:
            first = seen.get(step.key)
            if first is not None:
                duplicates.add(step.index)
                out.append(_whole_line(plan.blocks.lines, "plan", step.line, WARNING,
                                       f"Step {step.number} is numbered twice (first on line "
                                       f"{plan.steps[first].line + 1})", "duplicate-step"))
            else:
                seen[step.key] = step.index
        drift.claims = claim_findings(todo, plan, links)
        if plan.tasks and plan.format == "spec-kit":
            drift.dependencies = unknown_dependencies(plan)
    out = drift.links
    if todo is None:
        return drift
    for bad in todo.malformed:
        out.append(Finding("todo", bad.line, bad.start, bad.end, WARNING, bad.message,
                           "malformed-checkbox"))
    if plan is None or not plan.steps or not todo.items:
        return drift
    linked = [0] * len(plan.steps)
    missing_reported: set[int] = set()
    for item, link in zip(todo.items, links):
        if link.step is not None:
            linked[link.step] += 1
            if link.how == "title" and link.named and link.named_line not in missing_reported:
                missing_reported.add(link.named_line)
                step = plan.steps[link.step]
                # the words say which step: the number is the checklist's own, not drift
                out.append(_whole_line(todo.blocks.lines, "todo", link.named_line, INFO,
                                       f"Names step {link.named}, which the plan does not have; "
                                       f"linked to {step.name} by its title", "renumbered-step"))
        elif link.how == "removed" and link.named_line not in missing_reported:
            line = link.named_line if link.named_line is not None else item.line
            missing_reported.add(line)  # once per struck mention, not per item under it
            out.append(_whole_line(todo.blocks.lines, "todo", line, INFO,
                                   f"Names a removed step (was step {link.named}): its items "
                                   "belong to no step; link them to one or delete them",
                                   "removed-step"))
        elif link.how == "missing" and link.named_line not in missing_reported \
                and _labelled(todo.blocks.lines, link.named_line):
            line = link.named_line if link.named_line is not None else item.line
            missing_reported.add(line)
            out.append(_whole_line(todo.blocks.lines, "todo", line, WARNING,
                                   f"Names step {link.named}, but the plan has no such step",
                                   "unknown-step"))
    if any(linked):
        # a step the checklist clearly skips: one with items before it and after it. Steps
        # past the last linked one may simply not be written down yet: a note, not drift.
        first = next(i for i, n in enumerate(linked) if n)
        last = max(i for i, n in enumerate(linked) if n)
        later: list[int] = []
        # gaps are drift when the checklist names its steps (numbers, titles); when the links
        # come from the words of items alone, a step without an item is only a note
        by_name = sum(1 for link in links if link.step is not None and link.how != "content"
                      and not (link.how == "parent" and link.named is None))
        structural = by_name * 2 >= sum(1 for link in links if link.step is not None)
        for step in plan.steps:
            if linked[step.index] or step.index in duplicates or step.marked_done:
                continue
            if first < step.index < last and structural:
                out.append(_whole_line(plan.blocks.lines, "plan", step.line, WARNING,
                                       f"{step.display} has no todo item", "step-without-todo"))
            else:
                later.append(step.index)
        if later:
            names = ", ".join(plan.steps[i].name for i in later[:5]) + (
                ", ..." if len(later) > 5 else "")
            out.append(_whole_line(plan.blocks.lines, "plan", plan.steps[later[0]].line, INFO,
                                   f"{len(later)} step{'s' if len(later) > 1 else ''} ha"
                                   f"{'ve' if len(later) > 1 else 's'} no todo item: {names}",
                                   "steps-without-todo"))
        unlinked = [item for item, link in zip(todo.items, links)
                    if link.step is None and link.how not in ("group", "removed") and not (
                        link.how == "missing" and _labelled(todo.blocks.lines, link.named_line))]
        if unlinked:
            n = len(unlinked)
            out.append(_whole_line(todo.blocks.lines, "todo", unlinked[0].line, INFO,
                                   f"{n} todo item{'s' if n > 1 else ''} belong{'' if n > 1 else 's'}"
                                   f" to no plan step (first on line {unlinked[0].line + 1})",
                                   "unlinked"))
    else:
        out.append(Finding("todo", 0, 0, 0, INFO,
                           "No todo item is linked to a plan step: name the step in a heading "
                           "or an item (\"## Step 3: ...\", \"- [ ] ... (step 3)\")", "unlinked"))
    drift.order = _done_out_of_order(todo, links)
    return drift


def _labelled(lines: list[str], line: int | None) -> bool:
    """Whether a line names a step with a word ("Step 9", "Prompt 9"), not only a section
    number ("## 10. Docs" is the checklist's own numbering: it claims no step)."""
    return line is not None and 0 <= line < len(lines) and bool(_LABEL.search(lines[line]))


def _done_out_of_order(todo: TodoDoc, links: list[Link], items: list[int] | None = None,
                       parents: set[int] | None = None) -> list[Finding]:
    """Items checked off while an earlier item of their step is open; only among the item
    indexes `items` (in order) when given, e.g. the items of one step. `parents`: the
    indexes of the items that have child items, when known."""
    out = []
    open_seen: dict[int, int] = {}  # step -> line of the first open leaf item
    if parents is None:
        parents = {item.parent for item in todo.items if item.parent is not None}
    pairs = zip(todo.items, links) if items is None else ((todo.items[i], links[i])
                                                          for i in items)
    for item, link in pairs:
        if link.step is None:
            continue
        if not item.done:
            # a parent box is a heading for its sub-tasks: they are checked before it is
            if item.index not in parents:
                open_seen.setdefault(link.step, item.line)
        elif link.step in open_seen:
            out.append(Finding("todo", item.line, item.col, item.col + 3, INFO,
                               f"Checked off while an earlier item of the same step (line "
                               f"{open_seen[link.step] + 1}) is still open", "done-out-of-order"))
    return out


def _whole_line(lines: list[str], file: str, line: int, severity: str, message: str,
                code: str) -> Finding:
    text = lines[line] if line < len(lines) else ""
    start = len(text) - len(text.lstrip())
    return Finding(file, line, start, len(text.rstrip()), severity, message, code)


_CLAIM_TAG = re.compile(r"\(@([\w][\w.\-]*)\)")


def claim_findings(todo: TodoDoc | None, plan: PlanDoc, links: list[Link]) -> list[Finding]:
    """Claims that disagree. Who checked an item off is not in the file, so the rule is: the
    holder of the enclosing work (the nearest claimed parent item, else the item's step) is
    taken to be who checks its items off. An item `[x]` claimed by @a inside a step claimed by
    @b was therefore checked off by someone other than its claimant."""
    out: list[Finding] = []
    names: list[list[str]] = [
        [] if s.kind == "bare" else _unique(_CLAIM_TAG.findall(plan.blocks.lines[s.line]))
        for s in plan.steps]
    items = list(zip(todo.items, links)) if todo is not None else []
    for item, link in items:  # open items of a claimed step add their names; a done item's
        # claim is history, and the items of an unclaimed step may be shared out freely
        if item.claim and not item.done and link.step is not None and names[link.step]:
            if item.claim not in names[link.step]:
                names[link.step].append(item.claim)
    for step in plan.steps:
        if len(names[step.index]) > 1:
            who = ", ".join(f"@{n}" for n in names[step.index])
            out.append(_whole_line(plan.blocks.lines, "plan", step.line, WARNING,
                                   f"{step.name} is claimed by {len(names[step.index])} names: "
                                   f"{who}", "claim-conflict"))
    for item, link in items:
        if not item.claim:
            continue
        line = todo.blocks.lines[item.line]
        if not item.done and len(both := _unique(_CLAIM_TAG.findall(line))) > 1:
            # two people claimed it at once (a merge keeps both names): who does it?
            start = line.find("(@")
            out.append(Finding("todo", item.line, start, len(line.rstrip()), WARNING,
                               f"This item is claimed by {len(both)} names: "
                               + ", ".join(f"@{n}" for n in both), "claim-conflict"))
        holder, scope = _holder(todo, plan, item, link)
        if holder is None or holder == item.claim:
            continue
        if item.done:
            out.append(Finding("todo", item.line, item.col, item.col + 3, WARNING,
                               f"Claimed by @{item.claim} but checked off under @{holder}'s "
                               f"claim on {scope}", "checked-by-other"))
        else:
            line = todo.blocks.lines[item.line]
            tag = line.rfind(f"(@{item.claim})")
            start, end = (tag, tag + len(item.claim) + 3) if tag >= 0 else (item.col, item.col + 3)
            out.append(Finding("todo", item.line, start, end, WARNING,
                               f"Claimed by @{item.claim}, but {scope} is claimed by @{holder}",
                               "claim-conflict"))
    return out


def _holder(todo, plan: PlanDoc, item, link: Link) -> tuple[str | None, str]:
    parent = item.parent
    while parent is not None:
        above = todo.items[parent]
        if above.claim:
            return above.claim, f"its parent item (line {above.line + 1})"
        parent = above.parent
    if link.step is not None:
        step = plan.steps[link.step]
        return step.claim, step.name
    return None, ""



def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
