"""Where the plan and the checklist disagree, as plain findings (no LSP types)."""

from __future__ import annotations

from dataclasses import dataclass

from plan_ls.model.links import Link
from plan_ls.model.plan import PlanDoc
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


def find_drift(todo: TodoDoc | None, plan: PlanDoc | None, links: list[Link]) -> list[Finding]:
    out: list[Finding] = []
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
    if todo is None:
        return out
    for bad in todo.malformed:
        out.append(Finding("todo", bad.line, bad.start, bad.end, WARNING, bad.message,
                           "malformed-checkbox"))
    if plan is None or not plan.steps or not todo.items:
        return out
    linked = [0] * len(plan.steps)
    missing_reported: set[int] = set()
    for item, link in zip(todo.items, links):
        if link.step is not None:
            linked[link.step] += 1
        elif link.how == "missing" and link.named_line not in missing_reported:
            line = link.named_line if link.named_line is not None else item.line
            missing_reported.add(line)
            out.append(_whole_line(todo.blocks.lines, "todo", line, WARNING,
                                   f"Names step {link.named}, but {_plan_name(plan)} has no such "
                                   "step", "unknown-step"))
    if any(linked):
        for step in plan.steps:
            if linked[step.index] == 0 and step.index not in duplicates:
                out.append(_whole_line(plan.blocks.lines, "plan", step.line, WARNING,
                                       f"{step.display} has no todo item", "step-without-todo"))
    else:
        out.append(Finding("todo", 0, 0, 0, INFO,
                           "No todo item is linked to a plan step: name the step in a heading "
                           "or an item (\"## Step 3: ...\", \"- [ ] ... (step 3)\")", "unlinked"))
    out.extend(_done_out_of_order(todo, links))
    return out


def _plan_name(plan: PlanDoc) -> str:
    return "the plan"


def _done_out_of_order(todo: TodoDoc, links: list[Link]) -> list[Finding]:
    out = []
    open_seen: dict[int, int] = {}  # step -> line of the first open item
    for item, link in zip(todo.items, links):
        if link.step is None:
            continue
        if not item.done:
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
