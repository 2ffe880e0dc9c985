"""Finding the planning files where people keep them, and the project a folder belongs to.

The settings name the files (`todo.md`, `prompt_plan.md`, `spec.md` at the root by default).
When a named file is not there, the project is searched for it the way authors lay plans out:
`docs/todo.md`, a checklist called `TODO.md` or `redrum-todo.md`, a plan called `plan.md`, a
plan in `docs/plans/dev/` beside a checklist in `docs/`. The search skips the folders that the
watcher skips (virtual environments, `node_modules`, VCS folders, anything gitignored, hidden
folders) and is bounded in depth and in folders visited, so it costs milliseconds.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from plan_ls.sync.pathfilter import PathFilter

MAX_DEPTH = 5  # folders below the root
MAX_DIRS = 4000  # folders visited, at most

# Name patterns, best first (lower-case names). A rank is the index of the first match.
_TODO_NAMES = (re.compile(r"todo\.md"), re.compile(r"(?:.*[-_. ])?todo(?:[-_. ].*)?\.md"))
_PLAN_NAMES = (re.compile(r"prompt[-_ ]?plan\.md"), re.compile(r"plan\.md"))
_SPEC_NAMES = (re.compile(r"spec\.md"),)
_PATTERNS = {"todo": _TODO_NAMES, "plan": _PLAN_NAMES, "spec": _SPEC_NAMES}
_LOOSE_PLAN_RANK = 1  # "plan.md" is also spec-kit's design plan: only beside a checklist or
_LOOSE_PLAN_DEPTH = 1  # near the root
PROJECT_MARKERS = (".git", ".plan-ls", ".hg")


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path  # absolute
    folder: Path
    depth: int  # folders below the root
    rank: int  # how well the name matches, 0 best


def _rank(role: str, name: str) -> int | None:
    lower = name.lower()
    for i, pattern in enumerate(_PATTERNS[role]):
        if pattern.fullmatch(lower):
            return i
    return None


def candidates(root: Path) -> dict[str, list[Candidate]]:
    """Every file under `root` whose name looks like a planning file, per role, walking
    breadth-first without entering ignored folders."""
    found: dict[str, list[Candidate]] = {role: [] for role in _PATTERNS}
    path_filter = PathFilter(root, [])
    queue: list[tuple[Path, int]] = [(root, 0)]
    visited = 0
    while queue and visited < MAX_DIRS:
        folder, depth = queue.pop(0)
        visited += 1
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                if depth < MAX_DEPTH and not entry.name.startswith(".") \
                        and not path_filter.prunes(entry.path):
                    queue.append((Path(entry.path), depth + 1))
            elif is_file and entry.name.lower().endswith(".md"):
                for role in _PATTERNS:
                    rank = _rank(role, entry.name)
                    if rank is not None:
                        found[role].append(Candidate(Path(entry.path), folder, depth, rank))
    return found


def _relation(folder: Path, other: Path) -> int:
    """How near `other` is to `folder`: 0 the same, 1 below it, 2 above it, 3 elsewhere."""
    if other == folder:
        return 0
    if folder in other.parents:
        return 1
    if other in folder.parents:
        return 2
    return 3


def discover(root: Path, present: dict[str, Path | None]) -> dict[str, Path]:
    """The planning files of the project at `root`.

    `present` maps each role ("todo", "plan", "spec") to the file the settings name when it
    exists (those always win), else None. Returns a path for every role that was found,
    present or discovered; a role found nowhere is left out."""
    out = {role: path for role, path in present.items() if path is not None}
    missing = [role for role in ("todo", "plan", "spec") if role in present and role not in out]
    if not missing:
        return out
    found = candidates(root)
    for role, cands in found.items():  # a spec-kit feature's spec.md is not this plan's
        found[role] = [c for c in cands if not in_format_folder(root, c.folder)]

    def plan_ok(c: Candidate, todo_folder: Path | None) -> bool:
        return c.rank < _LOOSE_PLAN_RANK or c.depth <= _LOOSE_PLAN_DEPTH or c.folder == todo_folder

    todo = out.get("todo")
    plan = out.get("plan")
    if todo is None and plan is None:
        # the best pair: a checklist with a plan beside or near it, the shallowest first
        best: tuple | None = None
        for t in found["todo"]:
            plans = [p for p in found["plan"] if plan_ok(p, t.folder)]
            near = min(plans, key=lambda p: (_relation(t.folder, p.folder), p.rank, p.depth),
                       default=None)
            if t.rank > 0 and (near is None or near.folder != t.folder):
                continue  # "notes-todo.md" is the checklist only beside a plan
            key = (near is None, _relation(t.folder, near.folder) if near else 9, t.depth,
                   t.rank, str(t.path))
            if best is None or key < best[0]:
                best = (key, t, near)
        if best is not None:
            todo = best[1].path
            plan = best[2].path if best[2] is not None else None
        else:
            plans = [p for p in found["plan"] if plan_ok(p, None)]
            if plans:
                plan = min(plans, key=lambda p: (p.depth, p.rank, str(p.path))).path
    elif todo is None:
        assert plan is not None
        todos = [t for t in found["todo"] if t.rank == 0 or t.folder == plan.parent]
        if todos:
            todo = min(todos, key=lambda t: (_relation(plan.parent, t.folder), t.depth,
                                             t.rank, str(t.path))).path
    elif plan is None:
        plans = [p for p in found["plan"] if plan_ok(p, todo.parent)]
        if plans:
            plan = min(plans, key=lambda p: (_relation(todo.parent, p.folder), p.rank,
                                             p.depth, str(p.path))).path
    if "todo" in missing and todo is not None:
        out["todo"] = todo
    if "plan" in missing and plan is not None:
        out["plan"] = plan
    if "spec" in missing and found["spec"]:
        anchor = (plan or todo or root / "x").parent
        out["spec"] = min(found["spec"], key=lambda s: (_relation(anchor, s.folder), s.depth,
                                                        str(s.path))).path
    return out


def in_format_folder(root: Path, folder: Path) -> bool:
    """Whether `folder` (under `root`) is the plan folder of spec-kit, Kiro or OpenSpec,
    whose files belong to that plan (sync/plans.py), not to the prompt plan."""
    from plan_ls.sync.plans import known_format

    try:
        parts = folder.relative_to(root).parts
    except ValueError:
        return False
    return bool(parts) and known_format(list(parts[:-1]), parts[-1]) is not None


def project_root(start: Path, names: tuple[str, ...]) -> Path:
    """The project a folder belongs to, found like git finds a repository.

    `start` itself when a planning file lies in or under it; else the nearest folder above it
    that holds a planning file (`names`, relative to that folder) or a project marker
    (`.git`, `.plan-ls`); else `start`."""
    start = start.resolve()
    found = candidates(start)
    if found["todo"] or found["plan"]:
        return start
    for folder in start.parents:
        if any((folder / n).is_file() for n in names) or any(
                (folder / m).exists() for m in PROJECT_MARKERS):
            return folder
    return start
