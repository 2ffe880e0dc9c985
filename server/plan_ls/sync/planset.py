"""The plan states of one workspace: one `PlanState` per plan that discovery finds.

The primary state is the one the server always had: the prompt-plan files the settings name
(or that `discover.py` finds in their place). It stays the target of generation (spec.md,
prompt_plan.md, todo.md go where it says) even while those files do not exist. Every other
plan `discover_plans` finds gets a `PlanState` that follows its `PlanRef`. A file belongs to
at most one plan; a request about a file finds its plan with `state_for(path)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from plan_ls.settings import FileSettings
from plan_ls.sync.plans import ROOT_ID, PlanRef, discover_plans
from plan_ls.sync.state import PlanState


class PlanSet:
    """Every plan of the workspace at `root`, keyed by `PlanRef.id`, the primary first."""

    def __init__(self, root: Path | None, files: FileSettings | None = None,
                 globs: Iterable[str] = ()) -> None:
        """`files`: the `planLs.files.*` settings (the primary plan's files); `globs`: the
        `planLs.plans` setting (more places that hold plans)."""
        self.primary = PlanState(root, files)
        self.globs = list(globs)
        self.others: dict[str, PlanState] = {}  # id -> state, in discovery order
        self._by_path: dict[Path, PlanState] = {}
        self._index()

    @property
    def root(self) -> Path | None:
        return self.primary.root

    def set_root(self, root: Path | None, files: FileSettings | None = None,
                 globs: Iterable[str] | None = None) -> None:
        """The root or the planning-file settings changed: locate the primary's files again
        and discover the other plans anew (call `refresh`)."""
        self.primary.set_root(root, files)
        if globs is not None:
            self.globs = list(globs)
        self.others = {}
        self._index()

    def refresh(self) -> list[PlanState]:
        """Discover the plans again (a plan appeared, moved or went away). Keeps the state
        (and the editor's text) of every plan whose files stayed the same. Returns the states
        that are new, unread: the caller reads them (`load_all_from_disk`) and gives them the
        editor's text of their open files."""
        root = self.primary.root
        refs = discover_plans(root, self.primary.files, self.globs) if root is not None else []
        primary_paths = {fs.path for fs in self.primary.state.values()}
        others: dict[str, PlanState] = {}
        new: list[PlanState] = []
        for ref in refs:
            if ref.id == ROOT_ID and ref.format == "prompt_plan":
                continue  # the primary state follows these files itself
            if ref.files.get("plan") in primary_paths:
                continue  # the primary state has taken this plan already
            old = self.others.get(ref.id)
            if old is not None and old.ref == ref:
                others[ref.id] = old
            else:
                state = PlanState(root, self.primary.files, ref=ref)
                others[ref.id] = state
                new.append(state)
        self.others = others
        self._index()
        return new

    def _index(self) -> None:
        by_path: dict[Path, PlanState] = {}
        # the other plans first: a file in a plan's own folder is that plan's, even when the
        # primary's search for a missing spec.md found it there
        for state in [*self.others.values(), self.primary]:
            for fs in state.state.values():
                if fs.refused is None:
                    by_path.setdefault(fs.path, state)
            if state.ref is not None:  # the format's other files (requirements.md, ...)
                for path in state.ref.files.values():
                    by_path.setdefault(path, state)
        self._by_path = by_path

    def __iter__(self) -> Iterator[PlanState]:
        """The primary, then the other plans in discovery order."""
        yield self.primary
        yield from self.others.values()

    def state_for(self, path: Path | None) -> PlanState | None:
        """The state of the plan one of whose files is `path` (resolved), else None."""
        return self._by_path.get(path) if path is not None else None

    def plans(self) -> list[tuple[str, PlanState]]:
        """(id, state) of every plan that has files: the primary (id ".") only when it has
        a plan or a checklist."""
        out: list[tuple[str, PlanState]] = []
        if any(self.primary.state[r].has_text for r in ("plan", "todo")):
            out.append((ROOT_ID, self.primary))
        out.extend(self.others.items())
        return out

    def watch_names(self) -> list[str]:
        """Every file the watcher must follow, relative to the root."""
        names = self.primary.watch_names()
        root = self.primary.root
        if root is not None:
            for state in self.others.values():
                for path in [fs.path for fs in state.state.values()] + list(
                        state.ref.files.values() if state.ref else []):
                    try:
                        names.append(path.relative_to(root).as_posix())
                    except ValueError:
                        pass
        return list(dict.fromkeys(names))


def plan_id(state: PlanState) -> str:
    """The id of a state's plan: its `PlanRef.id`, "." for the primary."""
    return state.ref.id if state.ref is not None else ROOT_ID


def plan_format(state: PlanState) -> str:
    """The format of a state's plan."""
    return state.ref.format if state.ref is not None else "prompt_plan"


__all__ = ["PlanSet", "PlanRef", "plan_format", "plan_id"]
