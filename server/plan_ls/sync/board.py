"""`plan-ls watch`: the whole plan's progress and who holds what, redrawn as files change."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from plan_ls.model.snapshot import PlanSnapshot
from plan_ls.sync.claims import step_title
from plan_ls.sync.state import PlanState

if TYPE_CHECKING:
    from plan_ls.settings import FileSettings
    from plan_ls.sync.plans import PlanRef

BAR = 20
CLAIMED_ITEMS_SHOWN = 5
STOP_WAIT = 3.0  # seconds the watcher gets to stop after Ctrl-C
_CLEAR = "\x1b[H\x1b[2J"


def render_board(state: PlanState, now: str | None = None) -> str:
    snap = state.snapshot
    lines = [f"plan-ls watch · {state.root} · {now or time.strftime('%H:%M:%S')}"]
    files = state.state.values()
    if all(fs.text is None and fs.error is None for fs in files):
        # the files of the plan shown (a spec-kit feature's tasks.md, not the root's todo.md)
        names = ", ".join(dict.fromkeys(_name(state, role) for role in state.state))
        lines.append(f"no planning files found ({names})")
        return "\n".join(lines)
    overall = snap.overall
    todo_name = _name(state, "todo")
    if snap.todo is not None:
        pct = f"{100 * overall.done // overall.total}%" if overall.total else "-"
        bar = _bar(overall.done, overall.total)
        lines.append(f"{todo_name}: {overall.done}/{overall.total} done {bar} {pct}")
    else:
        lines.append(_absent(state, "todo"))
    nxt = snap.next_step()
    if nxt is not None:
        lines.append(f"next: {nxt.number} — {step_title(nxt)}")
    elif snap.plan is None:
        lines.append("next: no plan to take a step from")
    elif snap.unreadable:  # its checklist may have finished any step
        lines.append("next: unknown: a planning file cannot be read")
    elif snap.progress_unknown:  # not "nothing open": no step is known to be done either
        lines.append(f"next: unknown: no item of {todo_name} belongs to a plan step")
    else:
        lines.append("next: nothing open and unclaimed")
    lines.append("")
    lines.extend(_steps(snap, state))
    holders = _holders(snap, todo_name)
    if holders:
        lines.append("")
        lines.append("who holds what:")
        lines.extend(holders)
    n = len(snap.findings)
    if n:
        lines.append("")
        lines.append(f"{n} finding{'s' if n > 1 else ''} (plan-ls check for details)")
    return "\n".join(lines)


def _name(state: PlanState, role: str) -> str:
    """How the board names a role's file: the setting, or for a plan of the workspace's
    several (a spec-kit feature) its path relative to the root."""
    if state.ref is None or state.root is None:
        return str(getattr(state.files, role))
    try:
        return state.path_of(role).relative_to(state.root).as_posix()
    except ValueError:
        return state.path_of(role).name


def _absent(state: PlanState, role: str) -> str:
    """Why a planning file has no content: unreadable (with the reason) or missing."""
    fs = state.state[role]
    name = _name(state, role)
    if fs.error is None:
        return f"{name}: missing"
    # the reason names the file's full path first; the line already names the file
    reason = fs.error.removeprefix(f"{fs.path}: ")
    return f"{name}: unreadable: {reason}"


def _steps(snap: PlanSnapshot, state: PlanState) -> list[str]:
    plan_name = _name(state, "plan")
    if snap.plan is None:
        return [_absent(state, "plan")]
    if not snap.plan.steps:
        return [f"{plan_name}: no steps found"]
    nxt = snap.next_step()
    width = max(len(s.number) for s in snap.plan.steps)
    out = []
    for step in snap.plan.steps:
        p = snap.step_progress(step)
        if p.complete:
            mark = "✓"
        elif step.claim:
            mark = "▶"  # someone is on it
        elif nxt is not None and step.index == nxt.index:
            mark = "→"
        else:
            mark = "·" if p.total else "!"
        count = f"{p.done}/{p.total}" if p.total else "no items"
        who = f"  @{step.claim}" if step.claim else ""
        out.append(f"  {mark} {step.number:<{width}}  {_bar(p.done, p.total, 10)} {count:>8}  "
                   f"{step_title(step)}{who}")
    return out


def _holders(snap: PlanSnapshot, todo_name: str) -> list[str]:
    """Per name: the steps and the open todo items claimed for it."""
    held: dict[str, list[str]] = {}
    if snap.plan is not None:
        for step in snap.plan.steps:
            if step.claim:
                p = snap.step_progress(step)
                state = "done" if p.complete else f"{p.done}/{p.total}"
                held.setdefault(step.claim, []).append(f"step {step.number} ({state})")
    if snap.todo is not None:
        items: dict[str, list[str]] = {}
        for item in snap.todo.items:
            if item.claim and not item.done:
                items.setdefault(item.claim, []).append(f"{todo_name}:{item.line + 1}")
        for name, where in items.items():
            shown = ", ".join(where[:CLAIMED_ITEMS_SHOWN])
            hidden = len(where) - CLAIMED_ITEMS_SHOWN
            more = f" and {hidden} more" if hidden > 0 else ""
            held.setdefault(name, []).append(f"open items {shown}{more}")
    width = max((len(n) for n in held), default=0) + 1
    return [f"  @{name:<{width}} {'; '.join(what)}" for name, what in sorted(held.items())]


def _bar(done: int, total: int, width: int = BAR) -> str:
    filled = round(width * done / total) if total > 0 else 0
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def watch(root: Path, once: bool, out: TextIO, files: FileSettings | None = None,
          ref: PlanRef | None = None) -> int:
    """The live board of the project at `root` on `out` (once: print it and return 0);
    `files`: where the planning files are (None: the defaults); `ref`: the plan to show
    when the workspace has several (None: the prompt plan the settings name)."""
    state = PlanState(root, files, ref)
    state.load_all_from_disk()
    tty = out.isatty()

    def draw() -> None:
        frame = render_board(state)
        # not a terminal (a pipe, a log): frames follow each other, each ended by a form feed
        out.write((_CLEAR + frame + "\n") if tty else (frame + "\n\f\n"))
        out.flush()

    draw()
    if once:
        return 0
    asyncio.run(_follow(state, draw))
    return 0


async def _follow(state: PlanState, draw) -> None:
    from plan_ls.sync.watcher import WorkspaceWatcher

    def on_change(paths: set[Path]) -> None:
        if any([state.disk_changed(p) for p in sorted(paths)]):
            state.rebuild()
            draw()

    watcher = WorkspaceWatcher(state.root or Path.cwd(), state.watch_names(),
                               on_change, asyncio.get_running_loop())
    watcher.start()
    try:
        await asyncio.Event().wait()  # until Ctrl-C
    finally:
        # watchdog's stop joins its emitter threads without a timeout, and one busy reading
        # can hold it: leaving a live view on Ctrl-C must not hang on that
        stopper = threading.Thread(target=watcher.stop, name="plan-ls-watch-stop", daemon=True)
        stopper.start()
        stopper.join(STOP_WAIT)
