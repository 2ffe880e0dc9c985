"""How long finding and reading every plan of a workspace takes (sync/plans.py).

Two trees: this repository (one prompt plan among the sources, a venv and node_modules that
must not be walked) and a generated workspace of 30 plans (10 spec-kit features, 10 Kiro
specs, 9 OpenSpec changes and the root prompt plan) beside 2,000 folders of node_modules
and 300 folders of sources. Prints the median of several runs of `discover_plans` and of
reading every plan (`PlanState.load_all_from_disk`), and the time of one
`plan-ls status --json` process.

Usage: .venv/bin/python bench/bench_plans.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plan_ls.sync.plans import discover_plans
from plan_ls.sync.state import PlanState

REPO = Path(__file__).resolve().parents[1]
RUNS = 7

SPECKIT = "".join(f"## Phase {p}: Part {p}\n" + "".join(
    f"- [{'x' if p < 3 else ' '}] T{p}{t:02d} [P] [US{p}] Task {t} in src/m{t}.py\n"
    for t in range(12)) for p in range(1, 6))
KIRO = "# Implementation Plan\n\n" + "".join(
    f"- [{'x' if n < 6 else ' '}] {n}. Task {n}\n" + "".join(
        f"  - [{'x' if n < 6 else ' '}] {n}.{k} Sub-task {k}\n    - _Requirements: {n}.{k}_\n"
        for k in range(1, 4)) for n in range(1, 13))
OPENSPEC = "".join(f"## {n}. Section {n}\n" + "".join(
    f"- [ ] {n}.{k} Item {k}\n" for k in range(1, 6)) for n in range(1, 5))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_workspace(root: Path) -> None:
    (root / ".git").mkdir()
    for name in ("prompt_plan.md", "todo.md", "spec.md"):
        _write(root / name, (REPO / "samples" / "greenfield" / name).read_text())
    for i in range(1, 11):
        _write(root / f"specs/{i:03d}-feature/tasks.md", SPECKIT)
        _write(root / f"specs/{i:03d}-feature/spec.md", "# Spec\n")
        _write(root / f".kiro/specs/area-{i}/tasks.md", KIRO)
        _write(root / f".kiro/specs/area-{i}/requirements.md", "# Requirements\n")
    for i in range(1, 10):
        archive = "archive/" if i % 3 == 0 else ""
        _write(root / f"openspec/changes/{archive}change-{i}/tasks.md", OPENSPEC)
        _write(root / f"openspec/changes/{archive}change-{i}/proposal.md", "# Why\n")
    for i in range(2000):
        (root / f"node_modules/pkg{i // 40}/sub{i % 40}").mkdir(parents=True, exist_ok=True)
    for i in range(300):
        (root / f"src/mod{i // 10}/part{i % 10}").mkdir(parents=True, exist_ok=True)


def median_ms(fn) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(root: Path, label: str) -> None:
    refs = discover_plans(root)

    def read_all() -> None:
        for ref in refs:
            PlanState(root, None, ref).load_all_from_disk()

    find = median_ms(lambda: discover_plans(root))
    read = median_ms(read_all)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "plan_ls", "status", str(root), "--json"],
                   capture_output=True, check=True)
    cli = (time.perf_counter() - start) * 1000
    print(f"{label}: {len(refs)} plans; discover_plans {find:.1f} ms, reading them "
          f"{read:.1f} ms (median of {RUNS}); `plan-ls status --json` {cli:.0f} ms")


def main() -> int:
    measure(REPO, "this repository")
    with tempfile.TemporaryDirectory() as tmp:
        make_workspace(Path(tmp))
        measure(Path(tmp), "30 plans")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
