"""Evidence for a checklist: ticked items that name files which do not exist, and each done
step's last recorded run."""

from __future__ import annotations

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
    checklist's folder). An item about deleting, moving or renaming is skipped (its file
    is meant to be gone). Paths that would leave `root` are not looked at."""
    from plan_ls.confinement import OutsideWorkspace, confine

    out = []
    lines = todo.blocks.lines
    for item in todo.items:
        if not item.done or GONE_WORDS.search(item.text):
            continue
        line_text = lines[item.line] if item.line < len(lines) else ""
        offset = line_text.find(item.text) if item.text else -1
        for named in named_paths(item.text):
            inside = []
            for folder in (root, base) if base is not None else (root,):
                try:
                    inside.append(confine(root, folder / named.path, named.path))
                except OutsideWorkspace:  # a symlink out: not plan-ls's to look at
                    pass
            if not inside or any(p.exists() for p in inside):
                continue
            start = (offset if offset >= 0 else 0) + named.start
            out.append(MissingFile(item.line, start, start + len(named.path), named.path))
    return out
