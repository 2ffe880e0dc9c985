"""Evidence for a checklist: ticked items that name files which do not exist, and each done
step's last recorded run."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from plan_ls.model.paths import GONE_WORDS, named_paths

if TYPE_CHECKING:
    from plan_ls.model.todo import TodoDoc


@dataclass(frozen=True)
class MissingFile:
    line: int  # 0-based line of the item
    start: int  # str index of the path in the line
    end: int
    path: str

    @property
    def message(self) -> str:
        return f"marked done, but `{self.path}` does not exist"


def missing_files(todo: TodoDoc, root: Path, base: Path | None = None) -> list[MissingFile]:
    """Checked items naming a file that exists neither under `root` nor under `base` (the
    checklist's folder, inside `root`). An item about deleting, moving or renaming is skipped
    (its file is meant to be gone). Paths are taken as written, relative: never absolute,
    never with `..` (model/paths.py), so nothing outside `root` is named; a symlink is
    looked at, not followed (`lexists`)."""
    out = []
    lines = todo.blocks.lines
    folders = [root] + ([base] if base is not None and base != root else [])
    exists: dict[str, bool] = {}
    for item in todo.items:
        if not item.done or "." not in item.text or GONE_WORDS.search(item.text):
            continue
        named_all = named_paths(item.text)
        if not named_all:
            continue
        line_text = lines[item.line] if item.line < len(lines) else ""
        offset = max(line_text.find(item.text), 0) if item.text else 0
        for named in named_all:
            found = exists.get(named.path)
            if found is None:
                found = exists[named.path] = any(
                    os.path.lexists(folder / named.path) for folder in folders)
            if not found:
                start = offset + named.start
                out.append(MissingFile(item.line, start, start + len(named.path), named.path))
    return out
