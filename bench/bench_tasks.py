"""Benchmark: keystrokes in a big spec-kit or Kiro `tasks.md`, where the steps and the
checklist are one file.

For each format and size, plan-ls serve opens the tasks file and the bench times, p50/p95:
typing one character into a task's text, checking a box off and on again, typing in what
links a task to others (spec-kit: the id in "depends on T...", which makes an `unknown-task`
warning come and go; Kiro: a `_Requirements: ..._` line), each from didChange to the
publishDiagnostics of the file; then hover and code action on task lines. Ratios are to the
10,000-line figure: per-keystroke work must grow with what changed, not with the file.

    .venv/bin/python bench/bench_tasks.py [--rounds 40] [--sizes 10000,22000,50000]
                                          [--formats spec-kit,kiro]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench_server import peak_mb, summary, time_hover_and_action  # bench/ is on sys.path
from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

PHASE_TASKS = 46  # tasks under each phase heading: about 50 lines a phase
KIRO_SUBTASKS = 5  # sub-tasks under each numbered task, each with a requirements line


def make_speckit(folder: Path, lines: int) -> dict[str, list[int]]:
    """A spec-kit feature in `folder` whose tasks.md has about `lines` lines: phases of 46
    tasks (`- [ ] T00012 [P] [US3] ...`), every 7th task waiting for the one before it and
    every 400th for a task that does not exist (an `unknown-task` warning). Returns the line
    numbers of its tasks ("task") and of the tasks that name a dependency ("depends")."""
    folder.mkdir(parents=True)
    (folder / "spec.md").write_text("# Feature: a shelf of parts\n\n## User Story 1 - Browse\n")
    body = ["# Tasks: a shelf of parts", "",
            "**Input**: the design documents of this feature", ""]
    marks: dict[str, list[int]] = {"task": [], "depends": []}
    n, phase = 0, 0
    while len(body) < lines:
        phase += 1
        body += [f"## Phase {phase}: User Story {phase} - shelf part {phase}", ""]
        done_phase = phase % 3 == 1
        for _ in range(PHASE_TASKS):
            n += 1
            text = f"T{n:05d} [P] [US{phase}] Shape part {n} of the shelf in src/part{n}.py"
            if n % 400 == 0:
                text += " (depends on T99999)"
            elif n % 7 == 0:
                text += f" (depends on T{n - 1:05d})"
            marks["task"].append(len(body))
            if "depends on" in text:
                marks["depends"].append(len(body))
            body.append(f"- [{'x' if done_phase else ' '}] {text}")
        body += ["", f"**Checkpoint**: part {phase} stands on its own", ""]
    (folder / "tasks.md").write_text("\n".join(body) + "\n")
    return marks


def make_kiro(folder: Path, lines: int) -> dict[str, list[int]]:
    """A Kiro spec in `folder`: a tasks.md of about `lines` lines (numbered tasks, each with
    5 sub-tasks and their `_Requirements: N.M_` lines) and a requirements.md of 40
    requirements of 3 criteria. Returns the line numbers of the sub-tasks ("task") and of
    the requirements lines ("depends")."""
    folder.mkdir(parents=True)
    reqs = ["# Requirements Document", "", "## Introduction", "", "A shelf of parts.", ""]
    for r in range(1, 41):
        reqs += [f"### Requirement {r}", "", f"**User Story:** As a builder, I want part {r}",
                 "", "#### Acceptance Criteria", ""]
        reqs += [f"{c}. WHEN part {r} is asked for THEN the shelf SHALL hand it over"
                 for c in range(1, 4)] + [""]
    (folder / "requirements.md").write_text("\n".join(reqs) + "\n")
    body = ["# Implementation Plan", ""]
    marks: dict[str, list[int]] = {"task": [], "depends": []}
    task = 0
    while len(body) < lines:
        task += 1
        done = task % 3 == 1
        body.append(f"- [{'x' if done else ' '}] {task}. Build shelf part {task}")
        for s in range(1, KIRO_SUBTASKS + 1):
            marks["task"].append(len(body))
            body.append(f"  - [{'x' if done else ' '}] {task}.{s} Shape piece {s} of part {task}")
            marks["depends"].append(len(body))
            body.append(f"    - _Requirements: {task % 40 + 1}.{s % 3 + 1}_")
        body.append("")
    (folder / "tasks.md").write_text("\n".join(body) + "\n")
    return marks


MAKERS = {"spec-kit": (make_speckit, Path("specs/001-shelf")),
          "kiro": (make_kiro, Path(".kiro/specs/shelf"))}


async def measure(command: list[str], root: Path, tasks: Path, marks: dict[str, list[int]],
                  fmt: str, rounds: int) -> dict[str, float]:
    """p50/p95 of each kind of keystroke (didChange -> publishDiagnostics of tasks.md), of
    hover and of code action, on `tasks` opened in the editor."""
    client = LanguageClient("bench", "0")
    diag_event = asyncio.Event()
    uri = tasks.as_uri()

    @client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diags(params):
        if params.uri == uri:
            diag_event.set()

    @client.feature("planLs/progress")
    def on_progress(params):
        pass

    await client.start_io(*command)
    await client.initialize_async(t.InitializeParams(
        capabilities=t.ClientCapabilities(), root_uri=root.as_uri(),
        workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name="bench")]))
    client.initialized(t.InitializedParams())
    text = tasks.read_text()
    lines = text.split("\n")
    client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
        uri=uri, language_id="markdown", version=1, text=text)))
    await asyncio.wait_for(diag_event.wait(), 120)
    doc = t.TextDocumentIdentifier(uri=uri)
    version = 1

    async def change(line: int, start: int, end: int, new: str) -> float:
        nonlocal version
        version += 1
        diag_event.clear()
        s = time.perf_counter()
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[t.TextDocumentContentChangePartial(
                range=t.Range(start=t.Position(line=line, character=start),
                              end=t.Position(line=line, character=end)), text=new)]))
        await asyncio.wait_for(diag_event.wait(), 120)
        return time.perf_counter() - s

    res: dict[str, list[float]] = {"type in a task": [], "check off": [], "type in a link": [],
                                   "hover": [], "code action": []}
    task_lines, link_lines = marks["task"], marks["depends"]
    for r in range(rounds):
        line = task_lines[(r * 37) % len(task_lines)]
        pos = t.Position(line=line, character=8)
        await time_hover_and_action(client, doc, pos, res)
        # a letter typed at the end of the task's text
        end = len(lines[line])
        res["type in a task"].append(await change(line, end, end, "s"))
        lines[line] += "s"
        # its box ticked (or unticked)
        col = lines[line].index("[") + 1
        mark = "x" if lines[line][col] == " " else " "
        res["check off"].append(await change(line, col, col + 1, mark))
        lines[line] = lines[line][:col] + mark + lines[line][col + 1:]
        # a digit typed into the last id of a dependency or a requirements line, deleted in
        # the next round: the id names another task (requirement), then the same again
        link = link_lines[(r // 2 * 13) % len(link_lines)]
        at = lines[link].rstrip(")_").__len__()
        if r % 2 == 0:
            res["type in a link"].append(await change(link, at, at, "7"))
            lines[link] = lines[link][:at] + "7" + lines[link][at:]
        else:
            res["type in a link"].append(await change(link, at - 1, at, ""))
            lines[link] = lines[link][:at - 1] + lines[link][at:]
    peak = peak_mb(client._server.pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"peak MB": peak, "tasks": float(len(task_lines)), "lines": float(len(lines))} \
        | summary(res)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--sizes", default="10000,22000,50000",
                        help="tasks.md sizes in lines (10,000 is always measured)")
    parser.add_argument("--formats", default="spec-kit,kiro")
    args = parser.parse_args()
    sizes = sorted({int(n) for n in args.sizes.split(",")} | {10_000})
    command = [sys.executable, "-m", "plan_ls", "serve"]
    for fmt in args.formats.split(","):
        make, where = MAKERS[fmt]
        by_size: dict[int, dict[str, float]] = {}
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                marks = make(root / where, n)
                by_size[n] = await measure(command, root, root / where / "tasks.md", marks,
                                           fmt, args.rounds)
        print(f"\n{fmt} tasks.md (p50/p95 ms; ratio of p50 to the 10,000-line figure)")
        head = "".join(f"{n:,} ({int(by_size[n]['tasks']):,} tasks)".rjust(26) for n in sizes)
        print(f"{'lines':24}{head}")
        for key in ("type in a task", "check off", "type in a link", "hover", "code action"):
            base = by_size[10_000][f"{key} p50"]
            cells = "".join(
                f"{by_size[n][f'{key} p50'] * 1000:8.2f}/{by_size[n][f'{key} p95'] * 1000:7.2f}"
                f" ({by_size[n][f'{key} p50'] / base:5.2f}x)" for n in sizes)
            print(f"{key:24}{cells}")
        print(f"{'peak MB':24}" + "".join(f"{by_size[n]['peak MB']:26.0f}" for n in sizes))
    print("\ntargets: each keystroke p50 at 50,000 lines <= 2x the 10,000-line figure, and "
          "well under 100 ms at 20,000 tasks; hover and code action p50 flat")


if __name__ == "__main__":
    asyncio.run(main())
