"""The plan state: the current text of each planning file and the snapshot built from them.

One update path: the editor (didOpen/didChange/didClose) and the disk (start-up, the
watcher, writes of our own) both call into this class. While a file is open in the editor,
the editor's text is the truth and disk changes to it are ignored until it is closed.

A plan may hold its own checklist: each step's boxes under it, and no separate checklist file.
Then the plan's file plays both roles: the todo role shares the plan's `FileState` (one text,
one version), the checklist is parsed from the plan's text and each box belongs to the step it
sits in, and a checklist file created later (generated, or written by hand) takes the role back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from plan_ls.confinement import OutsideWorkspace, confine_markdown, resolve
from plan_ls.fileio import UnreadableFile, read_text
from plan_ls.model.blocks import Blocks
from plan_ls.model.plan import PlanDoc, parse_plan
from plan_ls.model.snapshot import PlanSnapshot
from plan_ls.model.spec import SpecDoc, parse_spec
from plan_ls.model.tasks import TASK_FORMATS, parse_tasks, task_line_edited
from plan_ls.model.text import normalize_newlines, split_lines, strip_bom
from plan_ls.model.todo import TodoDoc, parse_todo
from plan_ls.settings import FileSettings
from plan_ls.sync.line_edit import LineEdit
from plan_ls.sync.plans import HOME_NAMES, PlanRef

ROLES = ("todo", "plan", "spec")
# Parsing markdown costs ~50 µs a line: past a few MB a planning file is no longer usable
# live, so it gets a clear message instead of a frozen editor.
PLAN_FILE_LIMIT = 4_000_000
_REVISIONS = itertools.count(1)


@dataclass
class FileState:
    path: Path
    version: int | None = None  # the editor's version while open
    open_in_editor: bool = False
    error: str | None = None  # why the file could not be read
    refused: str | None = None  # confinement refused the path: never read or written
    # a new number on every assignment of the text, unique across FileStates (a settings
    # change makes new ones): what a parse was made from
    revision: int = field(default_factory=lambda: next(_REVISIONS))
    key: object = None  # the editor's key of the text (see LineEdit); None: not the editor's
    _text: str | None = None
    _read: Callable[[], str] | None = None  # makes the text, when it is read at all

    @property
    def text(self) -> str | None:
        """The file's text; None: missing or unreadable."""
        if self._read is not None:
            self._text, self._read = self._read(), None
        return self._text

    @text.setter
    def text(self, value: str | None) -> None:
        self._text, self._read = value, None
        self.revision = next(_REVISIONS)

    @property
    def has_text(self) -> bool:
        """`text is not None`, without making a deferred text."""
        return self._read is not None or self._text is not None

    def defer_text(self, read: Callable[[], str]) -> None:
        """Set the text to what `read()` returns, called only when someone reads it: a
        keystroke in a big checklist need not join its 50,000 lines."""
        self._text, self._read = None, read
        self.revision = next(_REVISIONS)


def _one_changed_line(old_lines: list[str], body: str, hint: tuple[int, str] | None,
                      bom: bool) -> tuple[int, str] | None:
    """(number, new text) of the one line in which `body` (normalised, no BOM) differs from
    `old_lines`; None when no line or several lines differ, or the line count changed.

    With `hint` (the line the editor changed and its new text), the answer costs one join
    and one comparison, both in C, instead of a Python loop over every line."""
    if hint is not None:
        number, raw = hint
        parts = split_lines(raw)
        line = parts[0] if parts else ""
        if number == 0 and bom and line.startswith("\ufeff"):
            line = line[1:]
        if 0 <= number < len(old_lines) and line != old_lines[number] and len(parts) <= 2 \
                and (len(parts) < 2 or parts[1] == ""):
            before = old_lines[number]
            old_lines[number] = line
            try:
                same = "\n".join(old_lines) == body
            finally:
                old_lines[number] = before
            if same:
                return number, line
    lines = body.split("\n")
    if len(lines) != len(old_lines):
        return None
    changed = [i for i, (a, b) in enumerate(zip(old_lines, lines)) if a != b]
    return (changed[0], lines[changed[0]]) if len(changed) == 1 else None


class PlanState:
    def __init__(self, root: Path | None, files: FileSettings | None = None,
                 ref: PlanRef | None = None) -> None:
        """The state of one plan of the workspace at `root`: the plan `ref` names (its files
        are taken as they are), or else the prompt-plan files that `files` name or that are
        found where plans live."""
        self.root = resolve(root) if root is not None else None
        self.files = files or FileSettings()
        self.ref = ref
        self.state: dict[str, FileState] = {}
        self._parsed: dict[str, TodoDoc | PlanDoc | SpecDoc | None] = {}
        self._parsed_rev: dict[str, int | None] = {}  # the FileState.revision each parsed
        self.snapshot = PlanSnapshot.build(None, None)
        self._dirty = True  # the snapshot needs a build
        self._roles_by_path: dict[Path, str | None] = {}
        # where the checklist file goes while the plan holds the checklist; else None
        self.todo_home: Path | None = None
        self.refused: list[str] = []  # settings refused by confinement, for the user
        self.generation = 0  # bumped on every change; lets readers cache per generation
        self._reset_paths()

    # --- where the files are ----------------------------------------------------------------
    def _reset_paths(self) -> None:
        """Where each role's file is: the setting's path, confined to the root (a setting
        can come from the repository itself: never trust it), else the default; a role with
        no file there is looked for where plans live (discover.py)."""
        self.refused = []
        defaults = FileSettings()
        paths: dict[str, Path] = {}
        refused: dict[str, str] = {}
        for role in ROLES:
            rel = getattr(self.files, role)
            if self.root is None:  # no workspace: nothing to read, and nothing to write
                paths[role], refused[role] = Path(rel), "no workspace folder is open"
                continue
            try:
                paths[role] = confine_markdown(self.root, rel, f"planLs.files.{role}")
            except OutsideWorkspace as exc:
                default = getattr(defaults, role)
                self.refused.append(f"{exc}; using {default}")
                try:
                    paths[role] = confine_markdown(self.root, default, default)
                except OutsideWorkspace as again:  # the default is a symlink out
                    paths[role], refused[role] = self.root / default, str(again)
        if self.root is not None and self.ref is not None:
            homes = HOME_NAMES.get(self.ref.format, {})
            for role in ROLES:
                if role in self.ref.files:
                    try:
                        paths[role] = confine_markdown(self.root, self.ref.files[role], role)
                        refused.pop(role, None)
                    except OutsideWorkspace as exc:
                        refused[role] = str(exc)
                else:
                    paths[role] = self.ref.folder / homes.get(role, getattr(defaults, role))
        elif self.root is not None:
            from plan_ls.sync.discover import discover

            present = {role: p if role not in refused and p.is_file() else None
                       for role, p in paths.items()}
            for role, found in discover(self.root, present).items():
                try:
                    paths[role] = confine_markdown(self.root, found, str(found))
                    refused.pop(role, None)
                except OutsideWorkspace:  # a discovered symlink that leads out
                    pass
        shared = self.root is not None and "todo" not in refused and "plan" not in refused \
            and (self.own_checklist or not paths["todo"].is_file()) and paths["plan"].is_file()
        self.todo_home = paths["todo"] if shared else None
        if shared:
            paths["todo"] = paths["plan"]
        for role in ROLES:
            path, why = paths[role], refused.get(role)
            old = self.state.get(role)
            if old is None or old.path != path or old.refused != why \
                    or (role == "todo" and (old is self.state.get("plan")) != shared):
                self.state[role] = FileState(path, refused=why)
        if shared:  # one file, one text: an edit through either role is an edit of both
            self.state["todo"] = self.state["plan"]
        self._roles_by_path = {}
        self._dirty = True

    @property
    def format(self) -> str:
        """The plan's format (sync/plans.py): the ref's, else "prompt_plan"."""
        return self.ref.format if self.ref is not None else "prompt_plan"

    @property
    def own_checklist(self) -> bool:
        """A format whose tasks file is always its own checklist (spec-kit, Kiro, OpenSpec):
        a todo.md beside it is not its checklist."""
        return self.format != "prompt_plan"

    @property
    def checklist_in_plan(self) -> bool:
        """Whether the plan's file is also the checklist (there is no checklist file)."""
        return self.todo_home is not None

    def set_root(self, root: Path | None, files: FileSettings | None = None) -> None:
        self.root = resolve(root) if root is not None else None
        if files is not None:
            self.files = files
        self._reset_paths()

    def current_lines(self, role: str) -> list[str] | None:
        """The lines (without endings, by LSP's rule, the BOM left out) of `role`'s current
        text as its parse split them, without making the text; None when there is no text or
        no parse of the current one yet."""
        blocks = self.current_blocks(role)
        return blocks.lines if blocks is not None else None

    def current_blocks(self, role: str) -> Blocks | None:
        """The blocks of the parse of `role`'s current text (their `lines` and the lines
        `edited` in place since), or None as for `current_lines`."""
        doc = self._parsed.get(role)
        if doc is None or self._parsed_rev.get(role) != self.state[role].revision:
            return None
        return doc.blocks

    def path_of(self, role: str) -> Path:
        """The file that plays `role` now (the plan's file for "todo" when the plan holds its
        own checklist)."""
        return self.state[role].path

    def home_of(self, role: str) -> Path:
        """Where `role`'s own file goes: what `path_of` gives, except for a checklist that
        lives in the plan, whose file would go where the settings put it. Generation writes
        here, so that generating todo.md never replaces the plan."""
        return self.todo_home if role == "todo" and self.todo_home is not None \
            else self.state[role].path

    def watch_names(self) -> list[str]:
        """What the watcher watches, relative to the root: the files the settings name (so
        that creating one is seen) and the files found in their place."""
        names = [getattr(self.files, role) for role in ROLES]
        if self.root is not None:
            root = self.root.resolve()
            for fs in [*self.state.values(), *([FileState(self.todo_home)] if self.todo_home
                                                else [])]:
                try:
                    names.append(fs.path.relative_to(root).as_posix())
                except ValueError:
                    pass
        return list(dict.fromkeys(names))

    def role_of(self, path: Path) -> str | None:
        """The role of a file: "todo", "plan", "spec" or None. The plan's file stays "plan"
        when it also holds the checklist (see `roles_of`)."""
        cached = self._roles_by_path.get(path, "?")
        if cached != "?":
            return cached
        try:
            resolved = path.resolve()  # a syscall per call: hover asks this every time
        except OSError:
            resolved = path
        roles = [r for r, fs in self.state.items() if fs.path == resolved]
        role = "plan" if "plan" in roles else next(iter(roles), None)
        if len(self._roles_by_path) > 10_000:
            self._roles_by_path.clear()
        self._roles_by_path[path] = role
        return role

    def roles_of(self, path: Path) -> tuple[str, ...]:
        """Every role a file plays: ("plan", "todo") for a plan that holds its own checklist."""
        role = self.role_of(path)
        if role == "plan" and self.checklist_in_plan:
            return ("plan", "todo")
        return (role,) if role else ()

    # --- updates --------------------------------------------------------------------------
    def load_all_from_disk(self) -> None:
        for role in ROLES:
            self._read_disk(role)
        self._dirty = True
        self.rebuild()

    def _read_disk(self, role: str) -> bool:
        """Read `role`'s file from disk; True when its text or error changed. The same text
        keeps its revision, so that its parse stays current (a watcher's read after start,
        a touch: the next keystroke is still applied in place)."""
        fs = self.state[role]
        before = (fs.text, fs.error)
        if fs.refused is not None:
            after: tuple[str | None, str | None] = (None, fs.refused)
        else:
            try:
                after = (read_text(fs.path, PLAN_FILE_LIMIT), None)
            except FileNotFoundError:
                after = (None, None)
            except UnreadableFile as exc:
                after = (None, str(exc))
        if after == before:
            return False
        fs.text, fs.error = after
        return True

    def editor_text(self, role: str, text: str | Callable[[], str], version: int | None,
                    changed_line: tuple[int, str] | LineEdit | None = None,
                    key: object = None) -> bool:
        """The editor opened or changed a planning file. Returns True when the text changed.

        `text`: the text, or a function that makes it (called only when the change cannot be
        applied from `changed_line` alone). `key`: the editor's key of this text (see
        `LineEdit`). `changed_line`: (line, its new text with or without its ending) when the
        change was inside that one line, a hint that saves comparing every line, checked
        before use; or a LineEdit, which with `key` saves even making the text."""
        fs = self.state[role]
        fs.open_in_editor = True
        fs.version = version
        if isinstance(changed_line, LineEdit):
            edit, changed_line = changed_line, (changed_line.number, changed_line.line)
            key = edit.after
            if not isinstance(text, str) and self._in_place(role) and fs.error is None \
                    and edit.length <= PLAN_FILE_LIMIT and fs.key is not None \
                    and fs.key is edit.before:
                found = self._proven_line(edit)
                doc = self._parsed.get("todo")
                same = found is not None and isinstance(doc, TodoDoc) \
                    and doc.blocks.lines[found[0]] == found[1]
                if found is not None and (
                        same or self._edit_in_place(fs.revision, None, found=found)):
                    fs.defer_text(text)  # the parsed checklist is current: no text needed
                    fs.key = key
                    self._parsed_current(fs.revision)
                    return not same
        if not isinstance(text, str):
            text = text()
        try:
            if len(text) > PLAN_FILE_LIMIT:
                error = (f"{fs.path.name} is {len(text) / 1e6:.1f} MB, over the "
                         f"{PLAN_FILE_LIMIT / 1e6:.0f} MB that plan-ls reads: split it")
                changed = fs.error != error
                fs.text, fs.error = None, error
                self._dirty |= changed
                return changed
            try:
                changed = fs.text != text or fs.error is not None
            except LookupError:
                # a text deferred at a version the editor has passed by more than one change
                # (several changes in one didChange): it is not this one, and the parse of
                # it is current, so the edit may still be applied in place
                changed = True
            if changed and self._in_place(role) and fs.error is None \
                    and self._edit_in_place(fs.revision, text, changed_line):
                fs.text = text
                self._parsed_current(fs.revision)
                return True
            if changed:  # the same text keeps its revision: the parse of it stays current
                fs.text, fs.error = text, None
                self._dirty = True
            return changed
        finally:
            fs.key = key

    def _in_place(self, role: str) -> bool:
        """Whether edits of `role`'s file may take the in-place path: the checklist's, and
        a tasks file's (spec-kit, Kiro, OpenSpec), which is the checklist too."""
        return role == "todo" or role == "plan" and self._tasks_file()

    def _tasks_file(self) -> bool:
        """A plan in a task format whose file is its checklist: one text, one parse of its
        blocks shared by the checklist and the steps (`parse_tasks(todo=...)`)."""
        return self.format in TASK_FORMATS and self.state["todo"] is self.state["plan"]

    def _parsed_current(self, revision: int) -> None:
        """An in-place edit made the parse of the checklist (and of the tasks file that is
        the checklist) the parse of the text at `revision`."""
        self._parsed_rev["todo"] = revision
        if self._tasks_file():
            self._parsed_rev["plan"] = revision

    def _proven_line(self, edit: LineEdit) -> tuple[int, str] | None:
        """(number, new text) of the changed line of the parsed checklist, as `edit` proves
        it, or None when the proof does not carry over to the checklist's lines: when a line
        ending that str.splitlines knows and LSP does not (a form feed, U+2028...) numbers
        the lines apart, or the byte order mark changes."""
        doc = self._parsed.get("todo")
        if self._dirty or not isinstance(doc, TodoDoc) \
                or self._parsed_rev.get("todo") != self.state["todo"].revision:
            return None
        old_lines = doc.blocks.lines
        # the same count by both rules proves that no line ending only splitlines knows
        if len(old_lines) != edit.lines + edit.ends_with_break or not 0 <= edit.number < len(
                old_lines):
            return None
        parts = split_lines(edit.line)
        if len(parts) > 2 or (len(parts) == 2 and parts[1] != ""):
            return None
        line = parts[0] if parts else ""
        if edit.number == 0:
            if line.startswith("\ufeff") != doc.blocks.bom:
                return None
            line = line.removeprefix("\ufeff")
        return edit.number, line

    def _edit_in_place(self, old_revision: int, new_text: str | None,
                       changed_line: tuple[int, str] | None = None,
                       found: tuple[int, str] | None = None) -> bool:
        """The fast path for the most common edits of a big checklist: one item's line
        changed and nothing else. Updates the parsed todo and the snapshot without a parse.
        `old_revision`: the revision of the todo text before the change; `found`: the changed
        line, already proven (then `new_text` may be None)."""
        doc = self._parsed.get("todo")
        if self._dirty or self._parsed_rev.get("todo") != old_revision \
                or not isinstance(doc, TodoDoc):
            return False
        old_lines = doc.blocks.lines
        if found is None:
            if new_text is None:
                return False
            body, bom = strip_bom(new_text)
            if bom != doc.blocks.bom:
                return False
            found = _one_changed_line(old_lines, normalize_newlines(body), changed_line, bom)
            if found is None:
                return False
        number, line = found
        plan = self._parsed.get("plan") if self._tasks_file() else None
        if self._tasks_file() and (not isinstance(plan, PlanDoc) or plan.blocks is not doc.blocks
                                   or self._parsed_rev.get("plan") != old_revision):
            return False  # the steps were not parsed from this checklist: parse both again
        before = old_lines[number]  # to undo, should the snapshot refuse the edit
        updated = doc.update_item_line(number, line)
        if updated is None:
            # a line without a box: in a tasks file, a task's details (Kiro's requirements)
            if plan is None or not doc.update_line(number, line):
                return False
            tasks = task_line_edited(plan, doc, number, None)
            ok = tasks is not None and self.snapshot.task_edited(number, tasks)
        elif plan is not None:
            tasks = task_line_edited(plan, doc, number, updated[2])
            ok = tasks is not None and self.snapshot.task_edited(number, tasks, *updated)
        else:
            ok = self.snapshot.item_edited(*updated)
        if not ok:
            self._parsed_rev["todo"] = None  # the doc was touched: parse it again
            self._parsed_rev["plan"] = None if plan is not None else self._parsed_rev.get("plan")
            doc.blocks.lines[number] = before
            self._dirty = True
            return False
        self.generation += 1
        return True

    def editor_closed(self, role: str) -> bool:
        fs = self.state[role]
        fs.open_in_editor, fs.version = False, None
        changed = self._read_disk(role)
        self._dirty |= changed
        return changed

    def disk_changed(self, path: Path) -> str | None:
        """A file changed on disk. Returns its role when that changed the plan state."""
        if not self.own_checklist and self._checklist_moved(path):
            return "todo"
        role = self.role_of(path)
        fs = self.state[role] if role else None
        if role is None or fs is None or fs.open_in_editor:
            return None
        old = fs.revision if fs.text is not None else None
        if not self._read_disk(role):
            return None
        # an agent checking one item off is a one-line change: no full parse for that
        if self._in_place(role) and fs.error is None and fs.text is not None \
                and old is not None and self._edit_in_place(old, fs.text):
            self._parsed_current(fs.revision)
            return role
        self._dirty = True
        return role

    def _checklist_moved(self, path: Path) -> bool:
        """A checklist file appeared while the plan held the checklist, or the checklist file
        went away: find the files again (its role moves) and read them."""
        try:
            resolved = path.resolve()
        except OSError:
            resolved = path
        appeared = self.todo_home is not None and resolved == self.todo_home \
            and resolved.is_file()
        gone = self.todo_home is None and resolved == self.state["todo"].path \
            and not resolved.is_file() and not self.state["todo"].open_in_editor
        if not (appeared or gone):
            return False
        if gone:
            self._read_disk("todo")  # the old file's text goes
        before = dict(self.state)
        self._reset_paths()
        for role, fs in self.state.items():  # a role's new file is read; the others are current
            if fs is not before[role] and fs is not before["plan"]:
                self._read_disk(role)
        self._dirty = True
        return True

    # --- the snapshot ---------------------------------------------------------------------
    def _doc(self, role: str):
        fs = self.state[role]
        if role in self._parsed and self._parsed_rev.get(role) == fs.revision:
            return self._parsed.get(role)
        text = fs.text
        fmt = self.format
        if text is None:
            doc = None
        elif role == "spec":
            doc = parse_spec(text)
        elif role == "todo":
            doc = parse_todo(text, fmt)
        elif fmt in TASK_FORMATS:
            # the checklist of a tasks file is this file's: its parse is shared, not made twice
            todo = self._doc("todo") if self._tasks_file() else None
            doc = parse_tasks(text, fmt, todo if isinstance(todo, TodoDoc) else None)
        else:
            doc = parse_plan(text)
        self._parsed[role], self._parsed_rev[role] = doc, fs.revision
        return doc

    def rebuild(self) -> PlanSnapshot:
        """Build the snapshot again, unless an in-place edit kept it current."""
        if not self._dirty:
            return self.snapshot
        self._dirty = False
        todo, plan, in_plan = self._doc("todo"), self._doc("plan"), False
        if self.checklist_in_plan:
            # the plan's boxes are its checklist when some step holds boxes; a list of
            # prerequisites before the steps is no progress of theirs
            # (a tasks file of spec-kit, Kiro or OpenSpec is always its own checklist)
            in_plan = todo is not None and plan is not None and (self.own_checklist or any(
                plan.step_at(item.line) is not None for item in todo.items))
            todo = todo if in_plan else None
        self.snapshot = PlanSnapshot.build(todo, plan, self._doc("spec"),
                                           checklist_in_plan=in_plan,
                                           archived=self.ref is not None and self.ref.archived,
                                           unreadable=any(self.state[r].error for r in
                                                          ("todo", "plan")))
        self.generation += 1
        return self.snapshot

    def status_json(self) -> dict:
        """The snapshot's status object, plus `unreadable`: [{path, reason}] for each planning
        file that exists but cannot be read (binary, too large), so that a client does not
        report "no drift" for a checklist it never saw."""
        data = self.snapshot.status_json(
            *(str(self.state[r].path) if self.state[r].has_text else None for r in ROLES))
        unreadable = {str(self.state[r].path): self.state[r].error  # plan may be the todo
                      for r in ROLES if self.state[r].error}
        data["unreadable"] = [{"path": p, "reason": e} for p, e in unreadable.items()]
        return data
