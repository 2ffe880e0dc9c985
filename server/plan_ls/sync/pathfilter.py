"""Which file-system events matter: the planning files, never ignored folders.

The filter runs on watchdog's thread for every event, so the common case (a file that is not
a planning file) must be rejected with a set lookup, before any pattern matching.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

IGNORED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", ".env", "__pycache__",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".direnv", ".idea",
})
_GLOB_CHARS = frozenset("*?[")


class PathFilter:
    """Maps an event path to the planning files it may have changed.

    `patterns` are the planning files from the settings, relative to the root. A plain path
    (`todo.md`, `docs/plan.md`) is always watched, even in an ignored or gitignored folder,
    because the user named it. A glob (`plans/*.md`) matches only outside ignored folders and
    gitignored paths.
    """

    def __init__(self, root: Path, patterns: Iterable[str]) -> None:
        self.root = os.path.normpath(str(root))
        self._prefix = self.root.rstrip(os.sep) + os.sep
        self.literal: set[str] = set()  # absolute paths
        globs = []
        for pattern in patterns:
            if not pattern:
                continue
            if _GLOB_CHARS & set(pattern):
                globs.append(pattern)
            else:
                self.literal.add(os.path.normpath(os.path.join(self.root, pattern)))
        self._basenames = {os.path.basename(p) for p in self.literal}
        self._globs = _spec(globs) if globs else None
        # globs of the form `**/name` (where plans appear): the quick reject stays a set lookup
        names = [g[3:] for g in globs if g.startswith("**/") and not _GLOB_CHARS & set(g[3:])
                 and "/" not in g[3:]]
        self._glob_names = set(names) if len(names) == len(globs) else None
        self._gitignore = None
        self.gitignore_path = os.path.join(self.root, ".gitignore")
        self.reload_gitignore()

    def reload_gitignore(self) -> None:
        try:
            with open(self.gitignore_path, encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            lines = []
        self._gitignore = _spec(lines) if lines else None

    def file_paths(self, path: str) -> list[str]:
        """The planning files a change of the file `path` touches (usually none)."""
        path = os.path.normpath(path)
        if path in self.literal:
            return [path]
        if self._globs is None:
            return []
        if path == self.gitignore_path:
            self.reload_gitignore()
            return []
        rel = self._relative(path)
        if rel is None or _in_ignored_dir(rel):
            return []
        if self._gitignore is not None and self._gitignore.match_file(rel):
            return []
        return [path] if self._globs.match_file(rel) else []

    def dir_paths(self, path: str) -> list[str]:
        """The planning files under a directory that was created, deleted or moved."""
        found = self._literal_under(path)
        if self._globs is not None and not found:
            # a folder moved in brings its files without an event each: report the folder
            rel = self._relative(os.path.normpath(path))
            if rel is not None and not _in_ignored_dir(rel + "/x") and not (
                    self._gitignore is not None and self._gitignore.match_file(rel + "/")):
                found = [os.path.normpath(path)]
        return found

    def _literal_under(self, path: str) -> list[str]:
        prefix = os.path.normpath(path).rstrip(os.sep) + os.sep
        return [p for p in self.literal if p.startswith(prefix)]

    def prunes(self, folder: str) -> bool:
        """True for a folder not worth watching at all: an ignored or gitignored one that
        holds no planning file named in the settings."""
        rel = self._relative(os.path.normpath(folder))
        if rel is None or self._literal_under(folder):
            return False
        if os.path.basename(folder) in IGNORED_DIRS:
            return True
        return self._gitignore is not None and self._gitignore.match_file(rel + "/")

    def quick_reject(self, path: str) -> bool:
        """True for a file that cannot be a planning file (the storm's fast path)."""
        name = os.path.basename(path)
        if name in self._basenames:
            return False
        return self._globs is None or (self._glob_names is not None
                                       and name not in self._glob_names)

    def _relative(self, path: str) -> str | None:
        if not path.startswith(self._prefix):
            return None
        return path[len(self._prefix):].replace(os.sep, "/")


def _in_ignored_dir(rel: str) -> bool:
    return any(part in IGNORED_DIRS for part in rel.split("/")[:-1])


def _spec(lines: list[str]):
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(lines)
