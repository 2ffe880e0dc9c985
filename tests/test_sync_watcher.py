"""The watcher on its own: the path filter, the debounce, and real watchdog on real files."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plan_ls.sync.pathfilter import PathFilter
from plan_ls.sync.watcher import Debouncer, WorkspaceWatcher
from tests.cli_runner import run_cli, start_cli

PLANNING = ["todo.md", "prompt_plan.md", "spec.md"]


def test_filter_keeps_planning_files_only(tmp_path):
    f = PathFilter(tmp_path, PLANNING)
    todo = str(tmp_path / "todo.md")
    assert f.file_paths(todo) == [todo]
    assert f.quick_reject(str(tmp_path / "src" / "main.py"))
    assert f.file_paths(str(tmp_path / "docs" / "todo.md")) == []  # same name, other place
    assert f.file_paths(str(tmp_path / ".todo.md.swp")) == []
    # a directory that is moved or deleted takes the planning files under it along
    nested = PathFilter(tmp_path, ["plans/todo.md", "spec.md"])
    assert nested.dir_paths(str(tmp_path / "plans")) == [str(tmp_path / "plans" / "todo.md")]
    assert nested.dir_paths(str(tmp_path / "plan")) == []


def test_filter_globs_skip_ignored_and_gitignored_folders(tmp_path):
    (tmp_path / ".gitignore").write_text("build/\n")
    f = PathFilter(tmp_path, ["todo.md", "plans/*.md"])
    ok = str(tmp_path / "plans" / "a.md")
    assert f.file_paths(ok) == [ok]
    assert f.file_paths(str(tmp_path / "node_modules" / "plans" / "a.md")) == []
    assert f.file_paths(str(tmp_path / "plans" / "b.txt")) == []
    (tmp_path / ".gitignore").write_text("build/\nplans/a.md\n")
    assert f.file_paths(str(tmp_path / ".gitignore")) == []  # reloads the rules
    assert f.file_paths(ok) == []
    # a planning file named in the settings is watched even where ignores would hide it
    named = PathFilter(tmp_path, [".venv/todo.md"])
    assert named.file_paths(str(tmp_path / ".venv" / "todo.md"))


class FakeLoop:
    """The part of an event loop the Debouncer uses, on a clock the test moves: the timing
    rules are checked exactly, without sleeping and without a loaded machine's jitter."""

    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[asyncio.TimerHandle] = []
        self.soon: list = []

    def time(self) -> float:
        return self.now

    def call_soon_threadsafe(self, callback, *args):
        self.soon.append((callback, args))

    def call_later(self, delay: float, callback, *args) -> asyncio.TimerHandle:
        handle = asyncio.TimerHandle(self.now + delay, callback, args, self)
        self.timers.append(handle)
        return handle

    def _timer_handle_cancelled(self, handle) -> None:  # asyncio.TimerHandle calls this
        pass

    def get_debug(self) -> bool:  # and this
        return False

    def advance(self, seconds: float) -> None:
        """Run what is due: callbacks posted from other threads, then timers in time order,
        moving the clock to each timer's time."""
        end = self.now + seconds
        while True:
            while self.soon:
                callback, args = self.soon.pop(0)
                callback(*args)
            due = sorted((h for h in self.timers if not h.cancelled() and h.when() <= end),
                         key=lambda h: h.when())
            if not due:
                break
            handle = due[0]
            self.timers.remove(handle)
            self.now = max(self.now, handle.when())
            handle._run()
        self.now = end


def test_debouncer_coalesces_a_burst_and_caps_the_wait():
    loop = FakeLoop()
    flushed: list[tuple[float, set]] = []
    d = Debouncer(loop, lambda paths: flushed.append((loop.time(), paths)), quiet=0.05,
                  max_wait=0.2)
    start = loop.time()
    for name in ("a", "b", "a"):
        d.add_threadsafe([name])
        loop.advance(0.01)
    assert flushed == []  # still inside the burst
    loop.advance(0.15)
    assert flushed == [(pytest.approx(start + 0.02 + 0.05), {Path("a"), Path("b")})]
    flushed.clear()
    start = loop.time()  # a storm that never pauses still gets an update within max_wait
    while loop.time() - start < 0.5:
        d.add_threadsafe(["c"])
        loop.advance(0.01)
    # one update every max_wait, counted from the first event of each burst
    assert [t - start for t, _ in flushed] == [pytest.approx(0.2), pytest.approx(0.4)]


def test_debouncer_updates_at_once_when_a_write_finished():
    loop = FakeLoop()
    flushed: list[float] = []
    d = Debouncer(loop, lambda paths: flushed.append(loop.time()), quiet=0.3, max_wait=1.0,
                  settle=0.002)
    start = loop.time()
    d.add_threadsafe(["todo.md"])  # modified: a write under way, wait for quiet
    loop.advance(0.05)
    assert flushed == []
    d.add_threadsafe(["todo.md"], finished=True)  # closed after writing: go
    loop.advance(0.05)
    assert flushed == [pytest.approx(start + 0.05 + 0.002)]
    d.add_threadsafe(["todo.md"])  # a new write under way waits for quiet again
    loop.advance(0.29)
    assert len(flushed) == 1
    loop.advance(0.02)
    assert len(flushed) == 2


async def test_real_watcher_reports_atomic_save_once(tmp_path):
    loop = asyncio.get_running_loop()
    root = tmp_path.resolve()
    (root / "todo.md").write_text("- [ ] a\n")
    got: list[set[Path]] = []
    w = WorkspaceWatcher(root, PLANNING, got.append, loop)
    w.start()
    assert await asyncio.to_thread(w.wait_started, 10)
    try:
        tmp = root / ".todo.md.tmp"
        tmp.write_text("- [x] a\n")
        os.replace(tmp, root / "todo.md")
        for i in range(200):  # noise around it
            (root / f"n{i}.txt").write_text("x")
        await _until(lambda: got)
        await asyncio.sleep(0.3)
        assert got == [{root / "todo.md"}]
        # a deleted folder and a new planning file
        (root / "node_modules").mkdir()
        (root / "node_modules" / "todo.md").write_text("not ours")
        shutil.rmtree(root / "node_modules")
        (root / "spec.md").write_text("# Spec\n")
        await _until(lambda: len(got) > 1)
        assert got[1] == {root / "spec.md"}
        os.replace(root / "spec.md", root / "spec.old")  # renamed away: the spec is gone
        await _until(lambda: len(got) > 2)
        assert got[2] == {root / "spec.md"}
        assert w.relevant >= 3 and w.events > 200
    finally:
        w.stop()
    assert w.mode == "stopped"


async def test_ignored_top_folders_are_not_watched_and_new_folders_are(tmp_path):
    loop = asyncio.get_running_loop()
    root = tmp_path.resolve()
    (root / ".gitignore").write_text("dist/\n")
    for folder in ("node_modules", ".git", "dist", "src"):
        (root / folder).mkdir()
    got: list[set[Path]] = []
    w = WorkspaceWatcher(root, ["plans/todo.md", "prompt_plan.md"], got.append, loop)
    w.start()
    assert await asyncio.to_thread(w.wait_started, 10)
    try:
        for folder in ("node_modules", ".git", "dist"):
            for i in range(50):
                (root / folder / f"f{i}").write_text("x")
        await asyncio.sleep(0.3)
        assert w.events == 0  # no kernel watch there, so not a single event
        (root / "src" / "a.py").write_text("x")
        await _until(lambda: w.events > 0)
        # a planning file inside a folder that did not exist at start
        (root / "plans").mkdir()
        (root / "plans" / "todo.md").write_text("- [ ] a\n")
        await _until(lambda: got)
        await asyncio.sleep(0.2)
        assert {root / "plans" / "todo.md"} == set().union(*got)
        got.clear()
        (root / "plans" / "todo.md").write_text("- [x] a\n")
        await _until(lambda: got)
        shutil.rmtree(root / "plans")  # the folder goes: its planning file is reported
        await _until(lambda: len(got) > 1)
        assert got[-1] == {root / "plans" / "todo.md"}
    finally:
        w.stop()


async def _until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# --- plan-ls watch ------------------------------------------------------------------------

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "greenfield"


def test_watch_once_shows_progress_and_claims(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(SAMPLE, root)
    plan = root / "prompt_plan.md"
    plan.write_text(plan.read_text().replace("Step 3: Atomic store", "Step 3: Atomic store (@ana)"))
    todo = root / "todo.md"
    todo.write_text(todo.read_text().replace("`habit streaks`", "`habit streaks` (@bob)"))
    out = run_cli("watch", root, "--once")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "todo.md: 8/20 done" in text and "next: 4 — Add and done commands" in text
    assert "▶ 3" in text and "Atomic store  @ana" in text
    assert "@ana" in text.split("who holds what:")[1] and "todo.md:" in text.split("@bob")[-1]
    assert "✓ 1" in text


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_watch_redraws_on_change_and_exits_0_on_ctrl_c(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(SAMPLE, root)
    # a real process: SIGINT is what is under test
    proc = start_cli("watch", root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "8/20 done" in _read_frame(proc)
        time.sleep(0.5)  # let the watcher start
        todo = root / "todo.md"
        todo.write_text(todo.read_text().replace("- [ ] README", "- [x] README"))
        assert "9/20 done" in _read_frame(proc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def _read_frame(proc: subprocess.Popen) -> str:
    """A frame ends with a form feed line when the output is not a terminal."""
    lines = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line == "\f\n":
            return "".join(lines)
        lines.append(line)
    raise AssertionError(f"no frame: {lines}")
