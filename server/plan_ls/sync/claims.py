"""Claims on disk: who a claim is for, and `next --claim` (pick and claim a step atomically).

A claim is `(@name)` at the end of a todo item's line or of a plan step's line, so it travels
with git like the rest of the plan.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from plan_ls.model.edit import apply_edits, claim_edit, release_edit
from plan_ls.model.plan import Step, parse_plan
from plan_ls.model.snapshot import PlanSnapshot
from plan_ls.model.text import split_lines
from plan_ls.model.todo import TodoDoc

if TYPE_CHECKING:
    from plan_ls.settings import FileSettings
    from plan_ls.sync.plans import PlanRef

_NOT_NAME = re.compile(r"[^\w.\-]+")
_CLAIM_TAG = re.compile(r"\s*\(@[\w][\w.\-]*\)")


class ClaimError(Exception):
    """A claim that cannot be written (bad name, a plan format that cannot hold it)."""


def clean_name(raw: str | None) -> str | None:
    """A name usable in `(@name)`: "Ana Lopez" -> "Ana-Lopez", "@bot 1" -> "bot-1"."""
    if not raw:
        return None
    name = _NOT_NAME.sub("-", raw.strip().lstrip("@").strip()).strip("-.")
    return name if name and (name[0].isalnum() or name[0] == "_") else None


def default_user(root: Path | None, setting: str = "") -> str | None:
    """The `planLs.user` setting, else `git config user.name` (run in the project)."""
    if clean_name(setting):
        return clean_name(setting)
    try:
        out = subprocess.run(["git", "config", "user.name"], cwd=root or None, timeout=3,
                             capture_output=True, text=True, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return clean_name(out.stdout.strip()) if out.returncode == 0 else None


def step_title(step: Step) -> str:
    """The step's title without the claim written on its line."""
    return _CLAIM_TAG.sub("", step.title).strip()


@dataclass(frozen=True)
class Target:
    """What a claim at a given line applies to: a todo item or a plan step."""

    line: int  # the line that holds (or will hold) the claim, 0-based
    claim: str | None
    label: str  # "this item", "Step 3"


def todo_target(todo: TodoDoc, line: int) -> Target | None:
    item = todo.item_at(line)
    return None if item is None else Target(item.line, item.claim, "this item")


def plan_target(snap: PlanSnapshot, line: int) -> Target | None:
    """The step whose range holds the line; bare fences cannot hold a claim."""
    step = snap.plan.step_at(line) if snap.plan else None
    if step is None or step.kind == "bare":
        return None
    return Target(step.line, step.claim, f"{step.label or 'Step'} {step.number}")


def claim_text(text: str, line: int, name: str | None) -> str | None:
    """The text with `(@name)` written on the line (None: release). None if unchanged."""
    lines = split_lines(text)
    if line >= len(lines):
        raise ClaimError(f"line {line + 1} is past the end of the file")
    edit = claim_edit(lines[line], line, name) if name else release_edit(lines[line], line)
    return None if edit is None else apply_edits(text, [edit])


@dataclass(frozen=True)
class NextStep:
    number: str
    title: str
    prompt: str
    line: int  # 0-based
    claim: str | None
    path: Path


def next_step(root: Path, name: str | None = None,
              files: FileSettings | None = None, ref: PlanRef | None = None) -> NextStep | None:
    """The first open step nobody has claimed; with a name, claim it for them. `files`:
    where the planning files are (the settings; None: the defaults); `ref`: the plan, when
    the workspace has several (sync/plans.py; None: the prompt plan the settings name).

    With a name this is a critical section: the plan lock is held from reading the plan to
    renaming the new version into place, so two processes never pick the same step, and the
    rename means a reader sees the old plan or the new one, never half of one.
    """
    from plan_ls.sync.state import PlanState

    def pick() -> NextStep | None:
        state = PlanState(root, files, ref)
        state.load_all_from_disk()
        step = state.snapshot.next_step(skip_claimed=True)
        if step is None:
            return None
        plan_path = state.path_of("plan")
        claim = step.claim
        if name:
            if step.kind == "bare":
                raise ClaimError("the plan's steps are bare prompts with no label line to hold "
                                 "a claim; give them headings (## Step 1: ...)")
            text = state.state["plan"].text or ""
            new_text = claim_text(text, step.line, name)
            if new_text is not None:
                _check_round_trip(new_text, step, name, state.format)
                from plan_ls.fileio import replace_if_unchanged

                # the same edit on the bytes on disk: the rest of the plan stays byte-exact
                replace_if_unchanged(plan_path, text,
                                     lambda raw: claim_text(raw, step.line, name) or raw)
            claim = name
        return NextStep(step.number, step_title(step), step.prompt_text, step.line, claim,
                        plan_path)

    if not name:
        return pick()
    from plan_ls.fileio import FileChanged
    from plan_ls.sync.lock import plan_lock

    with plan_lock(root):
        for _ in range(3):
            try:
                return pick()
            except FileChanged:  # an editor or agent saved the plan meanwhile: read it again
                continue
    raise ClaimError("the plan kept changing while plan-ls wrote the claim; nothing was "
                     "written")


def _check_round_trip(new_text: str, step: Step, name: str, fmt: str = "prompt_plan") -> None:
    """Refuse a write that the plan parser would not read back as this claim."""
    from plan_ls.model.tasks import TASK_FORMATS, parse_tasks

    doc = parse_tasks(new_text, fmt) if fmt in TASK_FORMATS else parse_plan(new_text)
    again = doc.step_on_line(step.line)
    if again is None or again.claim != name or again.key != step.key:
        raise ClaimError(f"cannot write a claim on step {step.number}'s line in this plan")
