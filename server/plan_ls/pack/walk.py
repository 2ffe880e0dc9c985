"""Walk a repository and decide, by names and sizes only, which files are candidates to pack."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pathspec import GitIgnoreSpec

from . import filters
from .ignore import IgnoreLayer, load_layer, match, work_tree_layers
from .model import PROJECT_IGNORE_FILE, Excluded, PackOptions, SecretFinding


@dataclass(frozen=True)
class Candidate:
    rel: str  # posix, relative to the root
    path: str  # absolute, for opening
    size: int


@dataclass
class WalkResult:
    candidates: list[Candidate] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    secrets: list[SecretFinding] = field(default_factory=list)


def _spec(patterns: list[str]) -> GitIgnoreSpec | None:
    return GitIgnoreSpec.from_lines(patterns) if patterns else None


def walk(root: Path, options: PackOptions, output: Path | None) -> WalkResult:
    """Every regular file under root that survives the name-based rules, plus what was left out."""
    out = WalkResult()
    exclude = _spec(options.exclude)
    include = _spec(options.include)
    project = load_layer(root / PROJECT_IGNORE_FILE, "", PROJECT_IGNORE_FILE)
    output_str = str(output) if output is not None else None
    # write_atomic's temporary file, should an earlier run have died mid-write.
    output_tmp = (str(output.parent), f".{output.name}.") if output is not None else None

    base_layers: list[IgnoreLayer] = work_tree_layers(root) if options.use_gitignore else []

    def skip(rel: str, reason: str) -> None:
        out.excluded.append(Excluded(rel, reason))

    # Explicit stack instead of recursion: deep trees must not hit the recursion limit.
    stack: list[tuple[str, str, list[IgnoreLayer]]] = [(str(root), "", base_layers)]
    while stack:
        dir_path, dir_rel, layers = stack.pop()
        try:
            with os.scandir(dir_path) as it:
                entries = list(it)
        except OSError as exc:
            skip(dir_rel + "/", f"unreadable directory ({exc.strerror or exc})")
            continue
        if options.use_gitignore and any(e.name == ".gitignore" for e in entries):
            here = load_layer(
                Path(dir_path, ".gitignore"), dir_rel, f"{dir_rel}/.gitignore".lstrip("/")
            )
            if here:
                layers = [*layers, here]
        for entry in entries:
            name = entry.name
            rel = f"{dir_rel}/{name}" if dir_rel else name
            try:
                if entry.is_symlink():
                    skip(rel, "symlink")
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file(follow_symlinks=False)
            except OSError as exc:
                skip(rel, f"unreadable ({exc.strerror or exc})")
                continue
            if is_dir:
                if name in filters.ALWAYS_SKIPPED_DIRS:
                    continue
                shown = rel + "/"
                if options.use_default_ignores and name in filters.DEFAULT_SKIPPED_DIRS:
                    skip(shown, "default ignore")
                elif (by := match(layers, rel, True)) is not None:
                    skip(shown, f"gitignored ({by.source})")
                elif project and project.decide(rel, True):
                    skip(shown, f"ignored by {PROJECT_IGNORE_FILE}")
                elif exclude and exclude.match_file(shown):
                    skip(shown, "excluded by pattern")
                else:
                    stack.append((entry.path, rel, layers))
                continue
            if not is_file:
                skip(rel, "not a regular file")
                continue
            if name == ".git":  # a worktree's or submodule's pointer to its repository
                continue
            if entry.path == output_str:
                skip(rel, "output file")
            elif output_tmp and dir_path == output_tmp[0] and name.startswith(output_tmp[1]):
                skip(rel, "temporary output file")
            elif (by := match(layers, rel, False)) is not None:
                skip(rel, f"gitignored ({by.source})")
            elif options.use_default_ignores and name in filters.DEFAULT_SKIPPED_FILES:
                skip(rel, "default ignore")
            elif project and project.decide(rel, False):
                skip(rel, f"ignored by {PROJECT_IGNORE_FILE}")
            elif exclude and exclude.match_file(rel):
                skip(rel, "excluded by pattern")
            elif include and not include.match_file(rel):
                skip(rel, "not included by pattern")
            elif filters.lock_file(name):
                skip(rel, "lock file")
            elif options.secret_scan and (kind := filters.secret_file_kind(name)):
                skip(rel, f"secret: {kind}")
                out.secrets.append(SecretFinding(rel, None, kind))
            elif filters.binary_extension(name):
                skip(rel, "binary (by extension)")
            else:
                try:
                    size = entry.stat(follow_symlinks=False).st_size
                except OSError as exc:
                    skip(rel, f"unreadable ({exc.strerror or exc})")
                    continue
                if size > options.max_file_bytes:
                    skip(rel, f"too large ({size} bytes > {options.max_file_bytes})")
                else:
                    out.candidates.append(Candidate(rel, entry.path, size))
    return out
