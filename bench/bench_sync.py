"""Benchmark: live sync. How fast an external write of todo.md reaches the client, and what
the watcher costs while unrelated files change.

1. Latency: 50 external writes of a 10,000-line todo.md (each checks one more item off, as an
   agent does), timed from just before the write to the `planLs/progress` notification at the
   client; p50 / p95, for an atomic save (temp + rename) and for an in-place write. The floor
   is what any server must do for the change (read + parse + rebuild, in this process); the
   ratio shows what the watcher, the debounce and the LSP round trip add.
   The watcher alone (watchdog to the debounced callback, in this process, no parsing) is
   timed too, to tell the watcher's share from the server's.
2. Cost: the server's CPU time (utime + stime from /proc) while 5,000 unrelated files are
   written under `src/` (watched, then dropped) and under `node_modules/` (ignored), against
   the CPU time the writer itself spent writing them, and the server's idle CPU time.

    .venv/bin/python bench/bench_sync.py [--writes 50] [--files 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))
sys.path.insert(0, str(HERE))

from bench_server import make_project as make_server_project  # noqa: E402
from bench_server import pct  # noqa: E402


def make_project(root: Path) -> list[int]:
    """The server benchmark's project (a 10,000-line todo.md under 200 step headings, a
    300-step plan); returns the lines of the open items, to be checked off one by one."""
    todo, item_lines = make_server_project(root)
    lines = todo.read_text().split("\n")
    return [n for n in item_lines if lines[n].startswith("- [ ]")]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_off(path: Path, line: int, atomic: bool) -> None:
    lines = path.read_text().split("\n")
    lines[line] = lines[line].replace("- [ ]", "- [x]", 1)
    text = "\n".join(lines)
    if atomic:
        tmp = path.with_name(".todo.md.bench-tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    else:
        with open(path, "r+") as fh:  # in place: truncate and rewrite, like `sed -i` does not
            fh.seek(0)
            fh.write(text)
            fh.truncate()


def floor_ms(root: Path, open_lines: list[int], rounds: int = 20) -> float:
    """The unavoidable work of one change, in this process: read, parse, rebuild."""
    from plan_ls.sync.state import PlanState

    state = PlanState(root)
    state.load_all_from_disk()
    todo = root / "todo.md"
    times = []
    for line in open_lines[-rounds:]:
        check_off(todo, line, atomic=True)
        start = time.perf_counter()
        state.disk_changed(todo)
        state.rebuild()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def watcher_only(root: Path, open_lines: list[int], rounds: int = 30) -> list[float]:
    """From the write to the debounced callback, for atomic saves of the same todo.md."""
    from plan_ls.sync.watcher import WorkspaceWatcher

    fired: asyncio.Queue[float] = asyncio.Queue()
    watcher = WorkspaceWatcher(root, ["todo.md"], lambda _: fired.put_nowait(time.perf_counter()),
                               asyncio.get_running_loop())
    watcher.start()
    await asyncio.to_thread(watcher.wait_started, 10)
    times = []
    try:
        for line in open_lines[:rounds]:
            start = time.perf_counter()
            check_off(root / "todo.md", line, atomic=True)
            times.append((await asyncio.wait_for(fired.get(), 5) - start) * 1000)
            await asyncio.sleep(0.05)
    finally:
        watcher.stop()
    return times


async def run(writes: int, files: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        open_lines = make_project(root)
        floor = floor_ms(root, open_lines)  # before the server runs: nothing competes
        alone = await watcher_only(root, open_lines)
        make_project(root)
        todo = root / "todo.md"
        client = LanguageClient("bench", "0")
        progress: asyncio.Queue[tuple[float, int]] = asyncio.Queue()

        @client.feature("planLs/progress")
        def on_progress(params):
            progress.put_nowait((time.perf_counter(), params.done))

        @client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diags(params):
            pass

        await client.start_io(sys.executable, "-m", "plan_ls", "serve")
        pid = client._server.pid
        await client.initialize_async(t.InitializeParams(
            capabilities=t.ClientCapabilities(), root_uri=root.as_uri(),
            workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name="bench")]))
        client.initialized(t.InitializedParams())
        _, done = await asyncio.wait_for(progress.get(), 60)
        await _wait_watching(client)

        latencies: dict[str, list[float]] = {"atomic save": [], "in-place write": []}
        lines = iter(open_lines)
        for kind, atomic in (("atomic save", True), ("in-place write", False)):
            for _ in range(writes):
                start = time.perf_counter()
                await asyncio.to_thread(check_off, todo, next(lines), atomic)
                while True:  # skip any stale notification; wait for the one with our change
                    when, seen = await asyncio.wait_for(progress.get(), 10)
                    if seen == done + 1:
                        break
                done += 1
                latencies[kind].append((when - start) * 1000)
                await asyncio.sleep(0.05)  # separate writes: one update each

        cpu: dict[str, tuple[float, float]] = {}
        wall = 0.0
        for where in ("src", "node_modules"):
            folder = root / where / "pkg"
            folder.mkdir(parents=True)
            await asyncio.sleep(0.3)  # a new top-level folder gets its watch
            before = cpu_seconds(pid)
            start = time.perf_counter()
            writer = await asyncio.to_thread(_write_files, folder, files)
            await asyncio.sleep(0.5)  # let the server drain its events
            wall = max(wall, time.perf_counter() - start)
            cpu[where] = (cpu_seconds(pid) - before, writer)
        before = cpu_seconds(pid)
        await asyncio.sleep(wall)
        idle = cpu_seconds(pid) - before
        status = await client.workspace_execute_command_async(
            t.ExecuteCommandParams(command="planLs.syncStatus", arguments=[{}]))
        await asyncio.wait_for(client.shutdown_async(None), 5)
        client.exit(None)
        await client.stop()

        print(f"todo.md: {len(todo.read_text().splitlines())} lines; {writes} writes per kind")
        print(f"floor (read + parse + rebuild in-process): {floor:.1f} ms")
        print(f"watcher alone (write -> debounced callback): p50 {pct(alone, 0.5):.1f} ms, "
              f"p95 {pct(alone, 0.95):.1f} ms")
        for kind, values in latencies.items():
            p50, p95 = pct(values, 0.5), pct(values, 0.95)
            print(f"external {kind} -> planLs/progress at the client: p50 {p50:.1f} ms, "
                  f"p95 {p95:.1f} ms, max {max(values):.1f} ms  (p50 = {p50 / floor:.2f}x floor)")
        for where, (server, writer) in cpu.items():
            print(f"server CPU while {files} unrelated files are written under {where}/: "
                  f"{server * 1000:.0f} ms  (the writer's own CPU: {writer * 1000:.0f} ms, "
                  f"ratio {server / writer:.2f}; server idle for as long: {idle * 1000:.0f} ms)")
        print(f"watcher: {status['events']} events seen, {status['relevant']} relevant, "
              f"{status['updates']} updates; server RSS {status['rssKb'] / 1024:.0f} MB")


async def _wait_watching(client: LanguageClient) -> None:
    for _ in range(500):
        status = await client.workspace_execute_command_async(
            t.ExecuteCommandParams(command="planLs.syncStatus", arguments=[{}]))
        if status["mode"] != "stopped":
            return
        await asyncio.sleep(0.01)
    raise RuntimeError("the watcher did not start")


def _write_files(folder: Path, count: int) -> float:
    """Writes the files; returns the CPU time this thread spent on it."""
    start = time.thread_time()
    for i in range(count):
        (folder / f"f{i}.js").write_text(f"module.exports = {i};\n")
    return time.thread_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(run(args.writes, args.files))


if __name__ == "__main__":
    main()
