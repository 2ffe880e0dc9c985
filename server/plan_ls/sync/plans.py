"""The plans of a workspace: which exist, where, and in which format.

A workspace may hold several plans: the prompt-plan trio at the root or under `docs/`, GitHub
spec-kit features (`specs/NNN-name/`), Kiro specs (`.kiro/specs/NAME/`) and OpenSpec changes
(`openspec/changes/NAME/`). Each is a `PlanRef`; a `PlanState` follows one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from plan_ls.settings import FileSettings

Format = Literal["prompt_plan", "spec-kit", "kiro", "openspec"]
FORMATS: tuple[Format, ...] = ("prompt_plan", "spec-kit", "kiro", "openspec")
ROOT_ID = "."  # the id of the plan whose folder is the workspace root


@dataclass(frozen=True, slots=True)
class PlanRef:
    """One plan: where it is and how to read it.

    `id` is the plan's folder relative to the workspace root in posix form (`ROOT_ID` for the
    root), unique in the workspace and stable while the folder stays. `files` maps a role to
    the absolute path of an existing file: "plan" (the file holding the steps), "todo" (the
    checklist, absent when the plan holds its own boxes), "spec", and the format's own roles
    ("requirements", "design", "proposal")."""

    id: str
    format: Format
    folder: Path  # absolute
    files: Mapping[str, Path] = field(default_factory=dict)
    archived: bool = False  # an OpenSpec change under changes/archive/: finished history

    @property
    def name(self) -> str:
        """A short name for people: the folder's name."""
        return self.folder.name


def discover_plans(root: Path, files: FileSettings | None = None) -> list[PlanRef]:
    """Every plan under `root`, the primary plan first (the one at the root when there is
    one). `files` are the `planLs.files.*` settings naming the root plan's files.

    Today: the prompt-plan files the settings name or `discover.discover` finds."""
    from plan_ls.sync.state import PlanState

    state = PlanState(root, files)
    found = {role: fs.path for role, fs in state.state.items()
             if fs.refused is None and fs.path.is_file()}
    if state.checklist_in_plan:
        found.pop("todo", None)
    if not found:
        return []
    return [PlanRef(ROOT_ID, "prompt_plan", state.root or root, found)]
