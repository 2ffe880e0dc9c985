"""Git's ignore rules: a stack of .gitignore files, each matched relative to its own directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec


@dataclass(frozen=True)
class IgnoreLayer:
    base: str  # the directory the patterns are relative to: posix, relative to the root; "" = root
    spec: GitIgnoreSpec
    source: str  # where the patterns came from, for the exclusion reason


def load_layer(path: Path, base: str, source: str) -> IgnoreLayer | None:
    """Parse one ignore file; None when it is missing, unreadable or has no patterns."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    spec = GitIgnoreSpec.from_lines(lines)
    return IgnoreLayer(base, spec, source) if len(spec) else None


def match(layers: list[IgnoreLayer], rel: str, is_dir: bool) -> IgnoreLayer | None:
    """The layer that ignores rel, or None if rel is not ignored.

    Deeper .gitignore files win over shallower ones and, within a file, the last matching
    pattern wins (pathspec does that part); a negated pattern that matches ends the search
    with "not ignored", just as git does.
    """
    for layer in reversed(layers):
        if layer.base:
            local = rel[len(layer.base) + 1 :]
        else:
            local = rel
        result = layer.spec.check_file(local + "/" if is_dir else local)
        if result.include is not None:
            return layer if result.include else None
    return None
