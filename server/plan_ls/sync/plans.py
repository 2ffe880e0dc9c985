"""The plans of a workspace: which exist, where, and in which format.

A workspace may hold several plans: the prompt-plan trio at the root or under `docs/`, GitHub
spec-kit features (`specs/NNN-name/`, also under `docs/`), Kiro specs (`.kiro/specs/NAME/`)
and OpenSpec changes (`openspec/changes/NAME/`, finished ones under `changes/archive/`), plus
the folders or files that the `planLs.plans` globs name. Each is a `PlanRef`; a `PlanState`
follows one of them.

Finding them is one breadth-first walk of the tree that never enters ignored folders
(virtual environments, `node_modules`, VCS folders, anything gitignored: pathfilter.py) or
hidden ones (except `.kiro`), bounded in depth and in folders visited like discover.py, and
confined to the root: a file that a symlink leads out of the root is no plan's file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from plan_ls.settings import FileSettings

Format = Literal["prompt_plan", "spec-kit", "kiro", "openspec"]
FORMATS: tuple[Format, ...] = ("prompt_plan", "spec-kit", "kiro", "openspec")
ROOT_ID = "."  # the id of the plan whose folder is the workspace root

MAX_DEPTH = 6  # folders below the root ("openspec/changes/archive/NAME" is 4)
MAX_DIRS = 4000  # folders visited, at most
_FEATURE = re.compile(r"\d{3,}-.+")  # spec-kit's feature folders: "001-photo-albums"
_PROMPT_PLAN = re.compile(r"prompt[-_ ]?plan\.md")
# The files of each format, by role (the first existing name of a role wins). "plan" is the
# file that holds the steps; spec-kit's own plan.md is a design document ("design").
_ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "spec-kit": {"plan": ("tasks.md",), "spec": ("spec.md",), "design": ("plan.md",)},
    "kiro": {"plan": ("tasks.md",), "spec": ("requirements.md",),
             "requirements": ("requirements.md",), "design": ("design.md",)},
    "openspec": {"plan": ("tasks.md",), "spec": ("proposal.md",),
                 "proposal": ("proposal.md",), "design": ("design.md",)},
    "prompt_plan": {"plan": ("prompt_plan.md", "prompt-plan.md", "plan.md"),
                    "todo": ("todo.md", "TODO.md"), "spec": ("spec.md",)},
}
# Where a role's file goes when it does not exist yet (relative to the plan's folder).
HOME_NAMES: dict[str, dict[str, str]] = {
    f: {role: names[0] for role, names in roles.items()} for f, roles in _ROLES.items()}


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


def discover_plans(root: Path, files: FileSettings | None = None,
                   globs: Iterable[str] = ()) -> list[PlanRef]:
    """Every plan under `root`, the primary plan first (the prompt-plan trio that the
    settings name or that discover.py finds, when there is one), then the others by id.

    `files`: the `planLs.files.*` settings naming the primary plan's files. `globs`: the
    `planLs.plans` setting, gitignore-style patterns relative to the root; a matching folder
    is a plan folder, a matching markdown file makes its folder one (the format is told by
    the folder's files). Never raises for an unreadable folder (it is skipped)."""
    from plan_ls.confinement import OutsideWorkspace, resolve

    try:
        root = resolve(root)
    except OutsideWorkspace:
        return []
    named: dict[Path, Path] = {}  # folder -> the markdown file a glob named in it
    folders = _walk(root, [g for g in globs if g and g.strip()], named)
    refs: dict[Path, PlanRef] = {}
    for folder, (fmt, archived) in folders.items():
        ref = _ref(root, folder, fmt, archived, named.get(folder))
        if ref is not None:
            refs[folder] = ref
    claimed = [f for f, r in refs.items() if r.format != "prompt_plan"]
    primary = _primary(root, files, claimed)
    if primary is not None:
        used = set(primary.files.values())
        for folder, ref in list(refs.items()):  # a folder whose files the primary took
            if ref.format == "prompt_plan" and (folder == root or used & set(ref.files.values())):
                del refs[folder]
    rest = sorted(refs.values(), key=lambda r: r.id)
    return ([primary] if primary is not None else []) + rest


def _primary(root: Path, files: FileSettings | None, claimed: list[Path]) -> PlanRef | None:
    """The prompt-plan trio of the project, found as a PlanState finds it, without the files
    that lie in another format's plan folder (a spec-kit feature's spec.md)."""
    from plan_ls.sync.state import PlanState

    state = PlanState(root, files)
    found = {role: fs.path for role, fs in state.state.items()
             if fs.refused is None and fs.path.is_file()}
    if state.checklist_in_plan:
        found.pop("todo", None)
    settings = files or FileSettings()
    found = {role: p for role, p in found.items()  # what the settings name always stays
             if p == (root / getattr(settings, role)).resolve()
             or not any(c == p.parent or c in p.parents for c in claimed)}
    if "plan" not in found and "todo" not in found:
        return None
    return PlanRef(ROOT_ID, "prompt_plan", state.root or root, found)


def _ref(root: Path, folder: Path, fmt: Format, archived: bool,
         named: Path | None = None) -> PlanRef | None:
    """The plan in `folder` read as `fmt`, with the files of its roles that exist (inside
    the root); None when it has none of them. `named`: a markdown file that a `plans` glob
    named in a folder without the usual names: the plan (the checklist when its name says
    todo)."""
    from plan_ls.confinement import OutsideWorkspace, confine_markdown

    found: dict[str, Path] = {}
    if named is not None and fmt == "prompt_plan":
        try:
            found["todo" if "todo" in named.name.lower() else "plan"] = confine_markdown(
                root, named, named.name)
        except OutsideWorkspace:
            pass
    for role, names in _ROLES[fmt].items():
        for name in names:
            path = folder / name
            if role not in found and path.is_file():
                try:
                    found[role] = confine_markdown(root, path, name)
                except OutsideWorkspace:  # a symlink out of the workspace: not read
                    continue
                break
    if not found or (fmt == "prompt_plan" and "plan" not in found and "todo" not in found):
        return None
    plan_id = folder.relative_to(root).as_posix() if folder != root else ROOT_ID
    return PlanRef(plan_id, fmt, folder, found, archived)


def detect_format(folder: Path) -> Format | None:
    """The format of the plan in `folder`, told by its files: a `tasks.md` beside
    `requirements.md` is Kiro's, beside `proposal.md` OpenSpec's, else spec-kit's; a prompt
    plan or checklist makes a prompt plan. None when the folder holds no plan."""
    if (folder / "tasks.md").is_file():
        if (folder / "requirements.md").is_file():
            return "kiro"
        if (folder / "proposal.md").is_file():
            return "openspec"
        return "spec-kit"
    names = _ROLES["prompt_plan"]
    if any((folder / n).is_file() for n in (*names["plan"], *names["todo"])):
        return "prompt_plan"
    return None


def _walk(root: Path, globs: list[str],
          named: dict[Path, Path]) -> dict[Path, tuple[Format, bool]]:
    """Plan folders under `root`: {folder: (format, archived)}. A markdown file that a glob
    matches in a folder with no plan by the usual names goes into `named`."""
    from plan_ls.sync.pathfilter import PathFilter

    path_filter = PathFilter(root, [])
    spec = None
    explicit: set[str] = set()  # hidden/ignored folders a glob names: entered anyway
    if globs:
        from pathspec import GitIgnoreSpec

        spec = GitIgnoreSpec.from_lines(globs)
        for g in globs:
            parts = g.strip().strip("/").split("/")
            for i in range(1, len(parts) + 1):
                if set("*?[") & set(parts[i - 1]):
                    break
                explicit.add("/".join(parts[:i]))
    out: dict[Path, tuple[Format, bool]] = {}
    queue: list[tuple[Path, str, int]] = [(root, "", 0)]
    visited = 0
    while queue and visited < MAX_DIRS:
        folder, rel, depth = queue.pop(0)
        visited += 1
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        parts = rel.split("/") if rel else []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            child = f"{rel}/{entry.name}" if rel else entry.name
            if not is_dir:
                if spec is not None and entry.name.lower().endswith((".md", ".markdown")) \
                        and spec.match_file(child) and folder not in out:
                    fmt = detect_format(folder)
                    if fmt is None:  # a plan of its own name: "plans/roadmap.md"
                        fmt, named[folder] = "prompt_plan", Path(entry.path)
                    out[folder] = (fmt, False)
                elif _PROMPT_PLAN.fullmatch(entry.name.lower()) and folder not in out:
                    out[folder] = ("prompt_plan", False)
                continue
            path = Path(entry.path)
            found = known_format(parts, entry.name)
            if found is None and spec is not None and spec.match_file(child + "/"):
                fmt = detect_format(path)
                found = (fmt, False) if fmt is not None else None
            if found is not None:
                out[path] = found
                continue  # a plan's folder holds no other plans
            asked = child in explicit
            if depth < MAX_DEPTH and (asked or (
                    (not entry.name.startswith(".") or entry.name == ".kiro")
                    and not path_filter.prunes(entry.path))):
                queue.append((path, child, depth + 1))
    return out


def known_format(parents: list[str], name: str) -> tuple[Format, bool] | None:
    """The format of a folder where the tools put their plans, from its path alone."""
    if len(parents) >= 1 and parents[-1] == "specs":
        if len(parents) >= 2 and parents[-2] == ".kiro":
            return ("kiro", False)
        if _FEATURE.fullmatch(name):
            return ("spec-kit", False)
    if parents[-2:] == ["openspec", "changes"] and name != "archive":
        return ("openspec", False)
    if parents[-3:] == ["openspec", "changes", "archive"]:
        return ("openspec", True)
    return None


class PlanNotFound(LookupError):
    """`--plan` names no plan, or more than one; the message says which exist."""


def select_plan(refs: list[PlanRef], key: str) -> PlanRef:
    """The plan `key` names: its id ("specs/001-albums", "." for the root plan), or a unique
    suffix of an id along whole folder names ("001-albums", "changes/add-auth").

    Raises PlanNotFound naming the candidates when no plan or several plans match."""
    key = key.strip().strip("/")
    for ref in refs:
        if ref.id == key or (key in ("", ROOT_ID) and ref.id == ROOT_ID):
            return ref
    matches = [r for r in refs if r.id.endswith("/" + key)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(r.id for r in refs) or "none"
    if matches:
        raise PlanNotFound(f"plan {key!r} is ambiguous: "
                           + ", ".join(r.id for r in matches) + "; give more of its path")
    raise PlanNotFound(f"no plan {key!r} here (plans: {known})")


def plan_entry(ref: PlanRef, data: dict, root: Path) -> dict:
    """One plan in the `plans` list of `plan-ls status --json` and `planLs.status`:
    {id, format, archived, files: {plan, todo, spec} (posix paths relative to `root`, a role
    left out when its file is missing), steps, todo: {total, done, items}, next_step,
    diagnostics, unreadable (only when a file of the plan cannot be read: [{path, reason}])}.
    `data` is the plan's own status object (PlanState.status_json)."""
    files: dict[str, str] = {}
    for role in ("plan", "todo", "spec"):
        path = (data.get(role) or {}).get("path")
        if path and Path(path).is_file():
            try:
                files[role] = Path(path).resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                files[role] = path
    todo = data.get("todo") or {}
    entry = {
        "id": ref.id, "format": ref.format, "archived": ref.archived, "files": files,
        "steps": (data.get("plan") or {}).get("steps", []),
        "todo": {"total": todo.get("total", 0), "done": todo.get("done", 0),
                 "items": todo.get("items", [])},
        "next_step": data.get("next_step"),
        "diagnostics": data.get("diagnostics", []),
    }
    if data.get("unreadable"):  # a file of the plan exists but cannot be read
        entry["unreadable"] = data["unreadable"]
    return entry
