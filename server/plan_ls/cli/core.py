"""`plan-ls serve`, `status`, `check` and `done`."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from plan_ls.cli import project_settings, usage_error, warn


def add_commands(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the language server (stdio by default)")
    p.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2087)
    p.add_argument("--log-file", help="write the server's log to this file")
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                   default="info", help="what goes to stderr or --log-file (the client's "
                   "share follows its planLs.trace.server setting)")
    # many clients (vscode-languageclient with TransportKind.stdio among them) add --stdio
    p.add_argument("--stdio", action="store_true", help="stdio (the default; accepted for clients)")
    p.set_defaults(func=serve)

    p = sub.add_parser("status", help="progress of the plan and the checklist")
    p.add_argument("dir", nargs="?", default=".",
                   help="the project, any folder in it, or its checklist or plan (default: .)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plan", metavar="ID", help="the plan to use when the project has "
                   "several: its id or the end of it (specs/001-albums, 001-albums)")
    p.set_defaults(func=status)

    p = sub.add_parser("check", help="exit 1 when the plan and the checklist disagree")
    p.add_argument("dir", nargs="?", default=".")
    p.add_argument("--plan", metavar="ID", help="only this plan (default: every plan): "
                   "its id or the end of it (specs/001-albums, 001-albums)")
    p.set_defaults(func=check)

    p = sub.add_parser("done", help="check off a step's items or one todo line")
    p.add_argument("target", help="a step number (3, 1.2, step:3) or a todo.md line "
                                  "(line:12, todo.md:12, L12)")
    p.add_argument("dir", nargs="?", default=".")
    p.add_argument("--undo", action="store_true", help="mark not done instead")
    p.add_argument("--plan", metavar="ID", help="the plan to use when the project has "
                   "several: its id or the end of it (specs/001-albums, 001-albums)")
    p.set_defaults(func=done)


def serve(args: argparse.Namespace) -> int:
    from plan_ls.startup import fewer_collections

    with fewer_collections():  # start-up makes objects that live on (plan_ls/startup.py)
        from plan_ls.logs import setup_logging

        setup_logging(args.log_level, args.log_file)  # stderr or the file; the client's output
        from plan_ls.server import build_server

        server = build_server()
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    return 0


class UsageError(Exception):
    pass


def locate_plans(directory: str, plan: str | None = None) -> tuple[Path, Any, list[Any]]:
    """(root, settings, plans) of the project that the folder (or a file's folder)
    `directory` names: its PlanRefs, the primary first, only the one `plan` names with it.
    A spec-kit, Kiro or OpenSpec plan's folder is that plan of the project above it (its
    design `plan.md` is no prompt plan), so every command run there acts on that plan.

    Raises UsageError when there is no such folder or `plan` names no plan."""
    from plan_ls.sync.plans import PlanNotFound, detect_format, discover_plans, select_plan

    given = Path(directory)
    if not given.is_dir() and not given.is_file():
        raise UsageError(f"{directory}: not a directory")
    inside = given.resolve() if given.is_dir() else given.resolve().parent
    fmt = detect_format(inside)
    if fmt in (None, "prompt_plan"):
        root, settings = project_settings(inside)
    else:  # a plan's folder: the project above it (its design plan.md is no prompt plan)
        root, settings = project_settings(_project_above(inside))
    refs = discover_plans(root, settings.files, settings.plans)
    if fmt not in (None, "prompt_plan") and not any(r.folder == inside for r in refs):
        # a plan folder outside the places plans are looked for: that plan, at its root
        root = inside
        refs = discover_plans(root, settings.files, [*settings.plans, "/tasks.md"])
    if plan is None and fmt not in (None, "prompt_plan"):
        plan = next((r.id for r in refs if r.folder == inside), None)
    if plan is not None:
        try:
            refs = [select_plan(refs, plan)]
        except PlanNotFound as exc:
            raise UsageError(str(exc)) from None
    return root, settings, refs


def load_plans(directory: str, plan: str | None = None,
               first_only: bool = False) -> list[tuple[Any, Any]]:
    """Every plan of the project that `directory` names, as (PlanRef, PlanState) pairs read
    from disk, the primary plan first (see `load_state` for what `directory` may be). With
    `plan` (an id or the end of one), only that plan; a folder or file of a spec-kit, Kiro
    or OpenSpec plan given as `directory` selects that plan too; `first_only`: only the plan
    a command acts on (the primary, or the one named).

    A file that cannot be read (binary, too large) in the plan acted on is an error; in one
    of the other plans it is not: that plan is returned with its `unreadable` files, so one
    broken feature folder does not hide the rest.

    Raises UsageError when there is no such folder, no plan, `plan` names none, or the
    plan acted on cannot be read."""
    from plan_ls.sync.plans import ROOT_ID, PlanRef, detect_format
    from plan_ls.sync.state import PlanState

    given = Path(directory)
    inside = given.resolve() if given.is_dir() else given.resolve().parent
    fmt = detect_format(inside) if given.exists() else None
    if given.is_file() and fmt in (None, "prompt_plan"):
        state = load_state(directory)  # a checklist or plan file: that plan alone
        return [(PlanRef(ROOT_ID, "prompt_plan", state.root, {}), state)]
    root, settings, refs = locate_plans(directory, plan)
    if first_only:
        refs = refs[:1]
    out = []
    for ref in refs:
        if ref.id == ROOT_ID and ref.format == "prompt_plan":
            state = PlanState(root, settings.files)  # as it always was: the settings' files
            for message in state.refused:
                warn(message)
        else:
            state = PlanState(root, settings.files, ref)
        state.load_all_from_disk()
        errors = list(dict.fromkeys(fs.error for fs in state.state.values() if fs.error))
        if errors and not out:  # the plan acted on (a plan's tasks.md is its todo too)
            raise UsageError("; ".join(errors))
        out.append((ref, state))
    if not out:
        raise UsageError(f"{directory}: no {settings.files.todo} or {settings.files.plan} "
                         "here (nor a checklist, plan or tasks.md in its folders)")
    return out


def _project_above(folder: Path) -> Path:
    """The project a spec-kit, Kiro or OpenSpec plan folder belongs to: the nearest folder
    above it with a project marker (`.git`, `.plan-ls`), else the folder above the places
    these tools keep plans (`specs/`, `.kiro/specs/`, `openspec/changes/`)."""
    from plan_ls.sync.discover import PROJECT_MARKERS

    for up in folder.parents:
        if any((up / m).exists() for m in PROJECT_MARKERS):
            return up
    up = folder.parent
    while up.name in ("specs", ".kiro", "openspec", "changes", "archive") and up != up.parent:
        up = up.parent
    return up


def load_state(directory: str):
    """The plan state of the project that `directory` names: a folder in the project (the
    project is found by walking up, like git) or a checklist/plan file (its folder is the
    root and the file is the checklist, or the plan when its name says plan).

    Raises UsageError when there is no such folder or no planning file to read."""
    from plan_ls.settings import load_settings
    from plan_ls.sync.state import PlanState

    given = Path(directory)
    if given.is_file():
        root = given.resolve().parent
        settings, problems = load_settings(root)
        for problem in problems:
            warn(problem)
        files = settings.files
        role = "plan" if "plan" in given.name.lower() and "todo" not in given.name.lower() \
            else "todo"
        setattr(files, role, given.name)
    elif given.is_dir():
        root, settings = project_settings(given)
        files = settings.files
    else:
        raise UsageError(f"{directory}: not a directory")
    state = PlanState(root, files)
    for message in state.refused:  # a path that leaves the project: the default is used
        warn(message)
    state.load_all_from_disk()
    errors = [fs.error for fs in state.state.values() if fs.error]
    if errors:
        raise UsageError("; ".join(errors))
    if state.state["todo"].text is None and state.state["plan"].text is None:
        raise UsageError(f"{directory}: no {state.files.todo} or {state.files.plan} here "
                         "(nor a checklist or plan in its folders)")
    return state



def status(args: argparse.Namespace) -> int:
    """The primary plan's status (or the `--plan`'s); with several plans, a line per plan.
    `--json`: the status object of that plan, plus `plans` (sync/plans.py plan_entry)."""
    from plan_ls.sync.plans import plan_entry

    try:
        plans = load_plans(args.dir, args.plan)
    except UsageError as exc:
        return usage_error(exc)
    datas = [state.status_json() for _, state in plans]
    root = plans[0][1].root or Path(args.dir).resolve()
    if args.json:
        data = dict(datas[0])
        data["plans"] = [plan_entry(ref, d, root) for (ref, _), d in zip(plans, datas)]
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if len(plans) > 1:
        print(render_plans([plan_entry(ref, d, root) for (ref, _), d in zip(plans, datas)]))
        for bad in (bad for d in datas for bad in d["unreadable"]):
            warn(bad["reason"])  # another plan's file: the rest is shown
    else:
        print(render_status(datas[0], color=sys.stdout.isatty()))
    primary = datas[0]
    if root is not None and primary["plan"]["path"]:
        from plan_ls.cli.git import merge_driver_note

        note = merge_driver_note(root, Path(primary["plan"]["path"]))
        if note:
            print(note)
    return 0


def render_plans(entries: list[dict[str, Any]], width: int = 12) -> str:
    """One line per plan: id, format, progress and the next step (`plans` entries)."""
    id_w = max(len(e["id"]) for e in entries)
    fmt_w = max(len(e["format"]) for e in entries)
    lines = [f"{len(entries)} plans (plan-ls status --plan ID for one):"]
    for e in entries:
        todo = e["todo"]
        nxt = e["next_step"]
        if e.get("unreadable"):
            tail = "unreadable"
        elif e.get("archived"):
            tail = "archived"
        elif nxt:
            tail = f"next: {nxt['number']} — {nxt['title']}"
        elif todo["total"] and todo["done"] == todo["total"]:
            tail = "done"
        else:
            tail = "next: -"
        lines.append(f"  {e['id']:<{id_w}}  {e['format']:<{fmt_w}}  "
                     f"{_bar(todo['done'], todo['total'], width)} "
                     f"{todo['done']:>3}/{todo['total']:<3}  {tail}")
    return "\n".join(lines)


def render_status(data: dict[str, Any], color: bool = False, width: int = 20) -> str:
    todo, plan = data["todo"], data["plan"]
    lines = []
    if todo["path"]:
        lines.append(f"{_rel(todo['path'])}: {todo['done']}/{todo['total']} done "
                     f"{_bar(todo['done'], todo['total'], width)}")
    else:
        lines.append("no todo.md")
    if plan["steps"]:
        lines.append(f"{_rel(plan['path'])}: {len(plan['steps'])} steps")
        num_w = max(len(s["number"]) for s in plan["steps"])
        for s in plan["steps"]:
            total, done_ = s["todo_total"], s["todo_done"]
            mark = "✓" if total and done_ == total else "·" if total else "!"
            claim = f"  @{s['claim']}" if s.get("claim") else ""
            lines.append(f"  {mark} {s['number']:<{num_w}}  {_bar(done_, total, width)} "
                         f"{done_:>3}/{total:<3} {s['title']}{claim}")
    elif plan["path"]:
        lines.append(f"{_rel(plan['path'])}: no steps found")
    nxt = data.get("next_step")
    if nxt:
        lines.append(f"next: {nxt['number']} — {nxt['title']}")
    n = len(data["diagnostics"])
    if n:
        lines.append(f"{n} finding{'s' if n > 1 else ''}: run `plan-ls check` for details")
    return "\n".join(lines)


def _bar(done: int, total: int, width: int) -> str:
    if total <= 0:
        return "[" + " " * width + "]"
    filled = round(width * done / total)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _rel(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def check(args: argparse.Namespace) -> int:
    """Every plan's findings (only the `--plan`'s with it); exit 1 on drift."""
    try:
        plans = load_plans(args.dir, args.plan)
    except UsageError as exc:
        return usage_error(exc)
    drift = False
    unreadable = []
    for _, state in plans:
        data = state.status_json()
        drift |= any(d["severity"] in ("error", "warning") for d in data["diagnostics"])
        for d in data["diagnostics"]:
            print(f"{_rel(d['path'])}:{d['line']}: {d['severity']}: {d['message']}")
        unreadable.extend(bad["reason"] for bad in data["unreadable"])
    if unreadable:  # another plan's file: the rest is checked, but not all is in sync
        return usage_error("; ".join(unreadable))
    return 1 if drift else 0


_LINE_TARGET = re.compile(r"^(?:line:|L|todo(?:\.md)?:|:)(\d+)$", re.I)


_DONE_ATTEMPTS = 5  # fresh reads when another writer changes todo.md under us


def done(args: argparse.Namespace) -> int:
    """Check items off on disk: only their marker bytes change, under the plan lock; if
    another writer changes the file meanwhile, everything is read and computed again."""
    from plan_ls.fileio import FileChanged, UnreadableFile, replace_if_unchanged
    from plan_ls.model.edit import apply_edits, mark_items
    from plan_ls.sync.lock import LockTimeout

    for _ in range(_DONE_ATTEMPTS):
        try:
            state = load_plans(args.dir, args.plan, first_only=True)[0][1]
        except UsageError as exc:
            return usage_error(exc)
        picked = _items_to_mark(state, args.target)
        if isinstance(picked, str):
            holders = [] if args.plan else _plans_with_task(args.dir, args.target)
            if holders:  # `done T012` at the root: the task is a feature's
                picked += f"; {args.target} is a task of {', '.join(holders)}: add " \
                          f"--plan {holders[0]}"
            return usage_error(picked)
        items, what = picked
        edits = mark_items(items, not args.undo)
        if edits:
            try:
                replace_if_unchanged(state.path_of("todo"), state.state["todo"].text or "",
                                     lambda text, edits=edits: apply_edits(text, edits),
                                     lock_root=state.root, lock_timeout=10.0)
            except FileChanged:
                continue
            except (LockTimeout, UnreadableFile, OSError) as exc:
                return usage_error(f"{state.path_of('todo').name}: not written: {exc}")
        state_word = "not done" if args.undo else "done"
        print(f"{what}: {len(edits)} item{'s' if len(edits) != 1 else ''} marked {state_word}"
              f" ({len(items) - len(edits)} already were)")
        return 0
    return usage_error(f"{state.path_of('todo').name} kept changing while plan-ls wrote it; "
                       "nothing was written")


def _plans_with_task(directory: str, task_id: str) -> list[str]:
    """The ids of the project's other plans that hold the task `task_id` (for a hint)."""
    try:
        plans = load_plans(directory)
    except UsageError:
        return []
    return [ref.id for ref, state in plans[1:] if _task_items(state.snapshot, task_id)]


def _task_items(snap: Any, task_id: str) -> list:
    """The items whose task id (model/tasks.py) is `task_id`, ignoring case."""
    if snap.todo is None or snap.plan is None or not snap.plan.tasks:
        return []
    key = task_id.strip().lower()
    return [it for it in snap.todo.items
            if (info := snap.task(it)) is not None and (info.id or "").lower() == key]


def _items_to_mark(state: Any, target: str) -> tuple[list, str] | str:
    """The items `target` names (a step or a line) and how to call them, or why none."""
    snap = state.snapshot
    if snap.todo is None or state.state["todo"].text is None:
        return f"no {state.path_of('todo').name} to check off"
    target = target.strip()
    items = None
    m = _LINE_TARGET.match(target)
    step_number = target[5:] if target.lower().startswith("step:") else target
    todo_name = state.path_of("todo").name
    if m is None and snap.plan is not None and (step := snap.plan.find(step_number)):
        items = snap.items_of_step(step)
        what = f"step {step.number}"
        if not items:
            return f"step {step.number} has no todo items to check off"
    elif m is None and (tasks := _task_items(snap, target)):
        items, what = tasks, f"task {target}"  # a task id: "T012" (spec-kit), "2.1" (Kiro)
    elif m is None:
        # a bare number names a step; marking line N instead would check off the wrong thing
        return (f"no step {step_number} in the plan; to check off a line of {todo_name}, "
                f"name it: line:{step_number}" if step_number.isdigit()
                else f"no step {target} in the plan")
    else:
        line_s = m.group(1)
        item = snap.todo.item_at(int(line_s) - 1)
        if item is None:
            return f"{todo_name}:{line_s} is not a checklist item"
        items, what = [item], f"line {line_s}"
    return items, what
