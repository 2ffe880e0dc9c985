"""`.plan-ls/runs.jsonl`: one JSON object per attempt at a step, appended as it ends.

Fields: `run_id`, `step`, `title`, `agent`, `attempt`, `start` (UTC, ISO 8601), `duration`
(seconds), `agent_exit`, `test_exit` (null when it did not run or was stopped), `tests`
(one-line summary), `result` (passed | failed | agent_failed | timeout | interrupted |
refused), `commit` (null when none), `files` (changed, relative to the root), `plan`
(the plan's id). The file is local to the machine (plan-ls keeps it out of commits).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RUNS_FILE = ".plan-ls/runs.jsonl"
RUNS_DIR = ".plan-ls/runs"
MAX_READ = 20 * 1024 * 1024  # a long history is read from its end


def append(root: Path, record: dict[str, Any]) -> None:
    """Append one record (one line, written with a single `write`, so that two runs
    appending at once do not interleave inside a line)."""
    path = root / RUNS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_all(root: Path) -> list[dict[str, Any]]:
    """Every record, oldest first; lines that are not JSON objects are skipped."""
    path = root / RUNS_FILE
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_READ:
                fh.seek(size - MAX_READ)
                fh.readline()  # a partial line
            data = fh.read()
    except OSError:
        return []
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def last_runs(root: Path, plan: str | None = None) -> dict[str, dict[str, Any]]:
    """Per step number: its last recorded attempt (of the plan `plan`, when given)."""
    last: dict[str, dict[str, Any]] = {}
    for rec in read_all(root):
        if plan is not None and rec.get("plan", ".") != plan:
            continue
        step = rec.get("step")
        if isinstance(step, str):
            last[step] = rec
    return last
