"""Benchmark: plan-ls serve against a bare pygls server on a 10,000-line todo.md.

Prints p50/p95 of hover, code action and code lens requests (and of definition, references
and workspace symbol, against plan-ls's own hover), the time from didChange to
publishDiagnostics, spawn -> initialize, and peak memory, for both servers, with ratios.
Then plan-ls alone on checklists of several sizes (work per keystroke must grow with what
changed, not with the file), and what 10 keystrokes that change no checkbox send. Last, the
10,000-line project alone and with 29 more plans beside it (spec-kit features, Kiro specs,
prompt plans in subfolders): start-up and hover must not depend on how many plans there are.

    .venv/bin/python bench/bench_server.py [--rounds 200] [--sizes 1000,10000,50000]
    .venv/bin/python bench/bench_server.py --plans-only   # the many-plans table alone
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


def make_project(root: Path, lines: int = 10_000) -> tuple[Path, list[int]]:
    """A todo.md of about `lines` lines (50 a heading: 200 headings for 10,000 lines) and a
    prompt_plan.md of 1.5 steps a heading (at least 300)."""
    headings = max(1, lines // 50)
    plan = ["# Plan", ""]
    for n in range(1, max(300, headings * 3 // 2) + 1):
        plan += [f"## Step {n}: Build part {n}", "", "```text",
                 f"Write tests for part {n}, then implement it and wire it in.", "```", ""]
    (root / "prompt_plan.md").write_text("\n".join(plan))
    todo, item_lines = ["# Todo", ""], []
    done_steps = headings * 2 // 5
    for h in range(1, headings + 1):
        todo += [f"## Step {h}: Build part {h}", ""]
        for i in range(48):
            item_lines.append(len(todo))
            # work goes in order: the first 40% of the steps done, the next half done, the
            # rest open (for 10,000 lines: steps 1-80 done, 81 half done)
            done = h <= done_steps or (h == done_steps + 1 and i < 24)
            todo.append(f"- [{'x' if done else ' '}] part {h} task {i}: do the thing")
    (root / "todo.md").write_text("\n".join(todo) + "\n")
    return root / "todo.md", item_lines


def add_plans(root: Path, count: int) -> Path:
    """`count` more plans under `root`, in turn a spec-kit feature, a Kiro spec and a prompt
    plan in a subfolder, each of 4 steps of 6 items. Returns the first feature's tasks.md."""
    first = None
    for n in range(count):
        items = [f"- [{'x' if i < 5 else ' '}] T{s * 6 + i:03d} task {i} of phase {s}"
                 for s in range(4) for i in range(6)]
        kind = n % 3
        if kind == 0:
            folder = root / "specs" / f"{n:03d}-feature-{n}"
            folder.mkdir(parents=True)
            body = ["# Tasks", ""]
            for s in range(4):
                body += [f"## Phase {s + 1}: Part {s}", "", *items[s * 6:(s + 1) * 6], ""]
            (folder / "spec.md").write_text(f"# Feature {n}\n")
            (folder / "tasks.md").write_text("\n".join(body))
            first = first or folder / "tasks.md"
        elif kind == 1:
            folder = root / ".kiro" / "specs" / f"spec-{n}"
            folder.mkdir(parents=True)
            body = ["# Implementation Plan", ""]
            for s in range(4):
                body += [f"- [ ] {s + 1}. Part {s}"] + [
                    f"  - [ ] {s + 1}.{i + 1} task {i}\n    - _Requirements: {s + 1}.1_"
                    for i in range(6)]
            reqs = ["# Requirements Document", ""]
            for s in range(4):
                reqs += [f"### Requirement {s + 1}", "", "#### Acceptance Criteria", "",
                         "1. WHEN it runs THEN it SHALL work", ""]
            (folder / "tasks.md").write_text("\n".join(body) + "\n")
            (folder / "requirements.md").write_text("\n".join(reqs))
        else:
            folder = root / "plans" / f"part-{n}"
            folder.mkdir(parents=True)
            plan, todo = ["# Plan", ""], ["# Todo", ""]
            for s in range(4):
                plan += [f"## Step {s + 1}: Part {s}", "", "```text", "Build it.", "```", ""]
                todo += [f"## Step {s + 1}: Part {s}", *items[s * 6:(s + 1) * 6], ""]
            (folder / "prompt_plan.md").write_text("\n".join(plan))
            (folder / "todo.md").write_text("\n".join(todo))
    assert first is not None
    return first


async def plans_startup_and_hover(command: list[str], root: Path, todo: Path,
                                  item_lines: list[int], other: Path | None,
                                  rounds: int) -> dict[str, float]:
    """Start-up (spawn -> initialize answer; initialized -> the first planLs/progress that
    lists every plan) and hover p50/p95 on the big checklist and, when `other` is given, on
    another plan's tasks.md."""
    client = LanguageClient("bench", "0")
    got = asyncio.Event()
    seen: dict[str, object] = {}

    @client.feature("planLs/progress")
    def on_progress(params):
        seen["plans"] = len(getattr(params, "plans", None) or [])
        got.set()

    @client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diags(params):
        pass

    t0 = time.perf_counter()
    await client.start_io(*command)
    await client.initialize_async(t.InitializeParams(
        capabilities=CAPS, root_uri=root.as_uri(),
        workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name="bench")]))
    init = time.perf_counter() - t0
    t1 = time.perf_counter()
    client.initialized(t.InitializedParams())
    await asyncio.wait_for(got.wait(), 60)
    first_progress = time.perf_counter() - t1
    out = {"spawn -> initialize": init, "initialized -> progress": first_progress,
           "plans in progress": float(seen["plans"])}
    # hover in the steady state: once the watcher has placed its watches (its start walks
    # the tree on a thread of its own, which would be measured as hover time)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sync = await client.workspace_execute_command_async(t.ExecuteCommandParams(
            command="planLs.syncStatus", arguments=[{}]))
        if sync and sync.get("mode") not in (None, "stopped"):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    targets = [("hover", todo, item_lines)]
    if other is not None:
        lines = other.read_text().split("\n")
        targets.append(("hover, other plan", other,
                        [i for i, ln in enumerate(lines) if ln.startswith("- [")]))
    for name, path, item_at in targets:
        client.text_document_did_open(t.DidOpenTextDocumentParams(
            text_document=t.TextDocumentItem(uri=path.as_uri(), language_id="markdown",
                                             version=1, text=path.read_text())))
        doc = t.TextDocumentIdentifier(uri=path.as_uri())
        times = []
        for r in range(rounds):
            pos = t.Position(line=item_at[(r * 37) % len(item_at)], character=4)
            s = time.perf_counter()
            await client.text_document_hover_async(t.HoverParams(text_document=doc,
                                                                 position=pos))
            times.append(time.perf_counter() - s)
        out[f"{name} p50"], out[f"{name} p95"] = statistics.median(times), pct(times, 0.95)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return out


async def plans_table(command: list[str], rounds: int) -> None:
    """The 10,000-line project alone and with 29 more plans: print both and the ratios."""
    results = {}
    for count in (1, 30):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            todo, item_lines = make_project(root)
            other = add_plans(root, count - 1) if count > 1 else None
            runs = [await plans_startup_and_hover(command, root, todo, item_lines, other,
                                                  rounds) for _ in range(3)]
            results[count] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    one, many = results[1], results[30]
    print(f"\n{'plans in the workspace (10,000-line plan + N-1)':48} {'1':>10} {'30':>10} "
          f"{'ratio':>7}")
    for key in many:
        if key == "plans in progress":
            print(f"{key:48} {one.get(key, 0):10.0f} {many[key]:10.0f}")
            continue
        a, b = one.get(key), many[key] * 1000
        if a is None:  # no other plan to hover in a workspace of one
            print(f"{key:48} {'-':>10} {b:9.2f}m")
            continue
        print(f"{key:48} {a * 1000:9.2f}m {b:9.2f}m {b / (a * 1000):6.2f}x")
    print("targets: start-up and hover with 30 plans within 1.2x of one plan's "
          "(median of 3 servers each)")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def summary(res: dict[str, list[float]]) -> dict[str, float]:
    """"NAME p50" and "NAME p95" (s) of each list of timings in `res`."""
    out: dict[str, float] = {}
    for k, v in res.items():
        out[f"{k} p50"] = statistics.median(v)
        out[f"{k} p95"] = pct(v, 0.95)
    return out


def peak_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MB; 0 when it cannot be read."""
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def time_hover_and_action(client: LanguageClient, doc: t.TextDocumentIdentifier,
                                pos: t.Position, res: dict[str, list[float]]) -> None:
    """One hover and one code action at `pos`, their times (s) added to res["hover"] and
    res["code action"]."""
    s = time.perf_counter()
    await client.text_document_hover_async(t.HoverParams(text_document=doc, position=pos))
    res["hover"].append(time.perf_counter() - s)
    s = time.perf_counter()
    await client.text_document_code_action_async(t.CodeActionParams(
        text_document=doc, range=t.Range(start=pos, end=pos),
        context=t.CodeActionContext(diagnostics=[])))
    res["code action"].append(time.perf_counter() - s)


# An editor that refreshes code lenses when asked (VS Code does), so that the server sends
# workspace/codeLens/refresh and the bench can count them.
CAPS = t.ClientCapabilities(workspace=t.WorkspaceClientCapabilities(
    code_lens=t.CodeLensWorkspaceClientCapabilities(refresh_support=True)))


async def measure(command: list[str], root: Path, todo: Path, item_lines: list[int],
                  rounds: int, keystrokes: bool = False) -> dict[str, float]:
    """p50/p95 of each request on `todo` (opened in the editor); with `keystrokes`, also
    what 10 keystrokes in an item's text and 10 in a heading send (no checkbox changes)."""
    client = LanguageClient("bench", "0")
    diag_event = asyncio.Event()
    sent = {"progress": 0, "refresh": 0}

    @client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diags(params):
        if params.uri == todo.as_uri():
            diag_event.set()

    @client.feature("planLs/progress")
    def on_progress(params):
        sent["progress"] += 1

    @client.feature(t.WORKSPACE_CODE_LENS_REFRESH)
    def on_refresh(params):
        sent["refresh"] += 1

    t0 = time.perf_counter()
    await client.start_io(*command)
    result = await client.initialize_async(t.InitializeParams(
        capabilities=CAPS, root_uri=root.as_uri(),
        workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name="bench")]))
    init = time.perf_counter() - t0
    navigates = bool(result.capabilities.definition_provider)  # the bare server does not
    client.initialized(t.InitializedParams())
    uri = todo.as_uri()
    text = todo.read_text()
    client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
        uri=uri, language_id="markdown", version=1, text=text)))
    await asyncio.wait_for(diag_event.wait(), 60)
    doc = t.TextDocumentIdentifier(uri=uri)
    res: dict[str, list[float]] = {"hover": [], "code action": [], "code lens": [],
                                   "didChange->diagnostics": []}
    if navigates:
        res.update({"definition": [], "references": [], "workspace symbol": []})
    plan_doc = t.TextDocumentIdentifier(uri=(root / "prompt_plan.md").as_uri())
    for r in range(rounds):
        line = item_lines[(r * 37) % len(item_lines)]
        pos = t.Position(line=line, character=4)
        await time_hover_and_action(client, doc, pos, res)
        if r % 4 == 0:
            s = time.perf_counter()
            await client.text_document_code_lens_async(t.CodeLensParams(text_document=doc))
            res["code lens"].append(time.perf_counter() - s)
        if navigates:  # from an item to its step; a step's references; a step by name
            s = time.perf_counter()
            await client.text_document_definition_async(t.DefinitionParams(
                text_document=doc, position=pos))
            res["definition"].append(time.perf_counter() - s)
            s = time.perf_counter()
            await client.text_document_references_async(t.ReferenceParams(
                text_document=plan_doc, position=t.Position(line=2 + 6 * (r % 200), character=4),
                context=t.ReferenceContext(include_declaration=True)))
            res["references"].append(time.perf_counter() - s)
            s = time.perf_counter()
            await client.workspace_symbol_async(t.WorkspaceSymbolParams(query=f"part {r % 300}"))
            res["workspace symbol"].append(time.perf_counter() - s)
        # type one character into an item, as a user would
        diag_event.clear()
        edit_pos = t.Position(line=line, character=len("- [ ] part"))
        s = time.perf_counter()
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=r + 2),
            content_changes=[t.TextDocumentContentChangePartial(
                range=t.Range(start=edit_pos, end=edit_pos), text="s")]))
        await asyncio.wait_for(diag_event.wait(), 30)
        res["didChange->diagnostics"].append(time.perf_counter() - s)
    out: dict[str, float] = {}
    if keystrokes:
        version = rounds + 2
        lines = todo.read_text().split("\n")
        item, heading = item_lines[len(item_lines) // 2], 2  # "## Step 1: ..."
        for name, line in (("item text", item), ("heading", heading)):
            await asyncio.sleep(0.3)  # let the last round's notifications arrive
            before = dict(sent)
            for k in range(10):
                diag_event.clear()
                pos = t.Position(line=line, character=len(lines[line]) + k)
                version += 1
                client.text_document_did_change(t.DidChangeTextDocumentParams(
                    text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[t.TextDocumentContentChangePartial(
                        range=t.Range(start=pos, end=pos), text="z")]))
                await asyncio.wait_for(diag_event.wait(), 30)
            await asyncio.sleep(0.3)
            for what in ("progress", "refresh"):
                out[f"10 keys in {name}: {what}"] = sent[what] - before[what]
    peak = peak_mb(client._server.pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    out.update({"initialize": init, "peak MB": peak})
    return out | summary(res)


def installed_env(cache: Path) -> dict[str, str]:
    """The environment of an installed server: bytecode compiled once and then reused (pip
    compiles it at install), kept in `cache`. Without it, where PYTHONDONTWRITEBYTECODE is
    set (this machine), an editable plan-ls compiles its ~40 modules at every spawn (~40 ms)
    and the bare server its one."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(cache)}


async def spawn_to_initialize(commands: dict[str, list[str]], root: Path,
                              runs: int = 9) -> dict[str, float]:
    """The median time (s) from spawn to the initialize answer for each of `commands`, their
    spawns taken in turn so that a change in the machine's load falls on all of them, after
    one spawn each that fills the bytecode cache (see installed_env)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as cache:
        env = installed_env(Path(cache))
        for run in range(runs + 1):
            for name, command in commands.items():
                client = LanguageClient("bench", "0")
                start = time.perf_counter()
                await client.start_io(*command, env=env)
                await client.initialize_async(t.InitializeParams(
                    capabilities=t.ClientCapabilities(), root_uri=root.as_uri()))
                if run:
                    times[name].append(time.perf_counter() - start)
                await client.shutdown_async(None)
                client.exit(None)
                await client.stop()
    return {name: statistics.median(v) for name, v in times.items()}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--sizes", default="1000,10000,50000",
                        help="checklist sizes in lines for the scaling table")
    parser.add_argument("--plans-only", action="store_true",
                        help="only the table of one plan against 30 plans")
    args = parser.parse_args()
    if args.plans_only:
        await plans_table([sys.executable, "-m", "plan_ls", "serve"], args.rounds)
        return
    sizes = sorted({int(n) for n in args.sizes.split(",")} | {10_000})
    plan_ls_cmd = [sys.executable, "-m", "plan_ls", "serve"]
    bare_cmd = [sys.executable, str(HERE / "bare_server.py")]
    by_size: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for n in sizes:
            todo, item_lines = make_project(root, n)
            by_size[n] = await measure(plan_ls_cmd, root, todo, item_lines, args.rounds,
                                       keystrokes=n == 10_000)
        plan_ls = by_size[10_000]
        todo, item_lines = make_project(root)
        bare = await measure(bare_cmd, root, todo, item_lines, args.rounds)
        spawned = await spawn_to_initialize({"plan-ls": plan_ls_cmd, "bare": bare_cmd}, root)
        plan_ls["initialize"], bare["initialize"] = spawned["plan-ls"], spawned["bare"]
    print(f"{'metric (10,000 lines)':30} {'plan-ls':>10} {'bare':>10} {'ratio':>7}")
    for key in plan_ls:
        if key.startswith("10 keys"):
            continue
        unit = "MB" if "MB" in key else "ms"
        scale = 1 if unit == "MB" else 1000
        if key not in bare:  # navigation: the bare server has none; against plan-ls's hover
            a, b = plan_ls[key] * scale, plan_ls["hover " + key.rsplit(" ", 1)[1]] * scale
            print(f"{key:28} {a:9.2f}m {'(hover)':>10} {a / b:6.2f}x")
            continue
        a, b = plan_ls[key] * scale, bare[key] * scale
        ratio = a / b if b else float("nan")
        print(f"{key:30} {a:9.2f}{unit[0]} {b:9.2f}{unit[0]} {ratio:6.2f}x")
    print("\nplan-ls by checklist size (p50, ms; ratio to the 10,000-line figure)")
    print(f"{'metric':28}" + "".join(f"{n:>18,}" for n in sizes))
    for key in ("hover p50", "code action p50", "code lens p50", "didChange->diagnostics p50"):
        base = by_size[10_000][key]
        cells = "".join(f"{by_size[n][key] * 1000:9.2f} ({by_size[n][key] / base:4.2f}x)"
                        for n in sizes)
        print(f"{key:28}{cells}")
    print("\nsent by 10 keystrokes that change no checkbox (10,000 lines)")
    for key, value in plan_ls.items():
        if key.startswith("10 keys"):
            print(f"{key:40} {value:4.0f}")
    print("\ntargets: hover/code action p50 <= 1.3x bare; definition, references, workspace "
          "symbol p50 < 2x plan-ls's hover; didChange->diagnostics p50 < 20 ms, "
          "at 50,000 lines <= 2x the 10,000-line figure; code action p50 flat from 1,000 to "
          "50,000 lines; 10 keystrokes send no planLs/progress and no code-lens refresh; "
          "initialize <= 1.1x bare and < 0.5 s; peak < 80 MB\n"
          "(initialize: median of 9 spawns of each server in turn, bytecode cached as an "
          "installed server has it)")
    await plans_table(plan_ls_cmd, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
