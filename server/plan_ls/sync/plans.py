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

    The primary: the prompt-plan files the settings name or `discover.discover` finds. Then
    (a minimal version until the formats' discovery lands) other prompt-plan pairs in their
    own folders, spec-kit features, Kiro specs and OpenSpec changes, in path order."""
    from plan_ls.sync.state import PlanState

    state = PlanState(root, files)
    found = {role: fs.path for role, fs in state.state.items()
             if fs.refused is None and fs.path.is_file()}
    if state.checklist_in_plan:
        found.pop("todo", None)
    refs = [PlanRef(ROOT_ID, "prompt_plan", state.root or root, found)] if found else []
    return refs + _other_plans(state.root or root, set(found.values()))


# (format, folder glob relative to the root, archived): where the tools put their plans
_FORMAT_PLACES: tuple[tuple[Format, str, bool], ...] = (
    ("spec-kit", "specs/*", False),
    ("spec-kit", "docs/specs/*", False),
    ("kiro", ".kiro/specs/*", False),
    ("openspec", "openspec/changes/*", False),
    ("openspec", "openspec/changes/archive/*", True),
)
# role -> file name, per format: the file holding the steps is the "plan"
_FORMAT_FILES: dict[str, dict[str, str]] = {
    "spec-kit": {"plan": "tasks.md", "spec": "spec.md", "design": "plan.md"},
    "kiro": {"plan": "tasks.md", "spec": "requirements.md", "requirements": "requirements.md",
             "design": "design.md"},
    "openspec": {"plan": "tasks.md", "spec": "proposal.md", "proposal": "proposal.md",
                 "design": "design.md"},
}


def _other_plans(root: Path, taken: set[Path]) -> list[PlanRef]:
    """The plans besides the primary: the formats' folders that hold a tasks file, and
    prompt-plan pairs (a checklist beside a plan) in folders of their own."""
    from plan_ls.confinement import OutsideWorkspace, confine_markdown
    from plan_ls.sync.discover import candidates

    refs: dict[str, PlanRef] = {}
    for fmt, pattern, archived in _FORMAT_PLACES:
        for folder in sorted(root.glob(pattern)):
            if not folder.is_dir() or (fmt == "openspec" and not archived
                                       and folder.name == "archive"):
                continue
            files: dict[str, Path] = {}
            for role, name in _FORMAT_FILES[fmt].items():
                try:
                    path = confine_markdown(root, folder / name, role)
                except OutsideWorkspace:  # a symlink that leads out
                    continue
                if path.is_file():
                    files[role] = path
            if "plan" in files and files["plan"] not in taken:
                rel = folder.relative_to(root).as_posix()
                refs[rel] = PlanRef(rel, fmt, folder, files, archived)
    found = candidates(root)
    plans_by_folder: dict[Path, list[Path]] = {}
    for c in found["plan"]:
        plans_by_folder.setdefault(c.folder, []).append(c.path)
    for c in found["todo"]:
        if c.rank != 0 or c.path in taken or c.folder == root or c.folder not in plans_by_folder:
            continue
        rel = c.folder.relative_to(root).as_posix()
        if rel in refs or any(p in taken for p in plans_by_folder[c.folder]):
            continue
        files = {"todo": c.path, "plan": sorted(plans_by_folder[c.folder])[0]}
        spec = c.folder / "spec.md"
        if spec.is_file():
            files["spec"] = spec
        refs[rel] = PlanRef(rel, "prompt_plan", c.folder, files)
    return [refs[k] for k in sorted(refs)]
