"""The few git calls a run needs: is this a repository, what is uncommitted, commit."""

from __future__ import annotations

import fnmatch
import subprocess
from collections.abc import Sequence
from pathlib import Path

# plan-ls's own run files: never a reason to refuse a run, never part of a step's commit
OWN_FILES = (".plan-ls/runs/", ".plan-ls/runs.jsonl", ".plan-ls/plan.lock",
             ".plan-ls/.gitignore")
_EXCLUDES = [f":(exclude){p.rstrip('/')}" for p in OWN_FILES]


class GitError(Exception):
    """A git command failed; the message holds what git said."""


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]}: {exc}") from None
    if check and done.returncode != 0:
        raise GitError(f"git {args[0]}: {(done.stderr or done.stdout).strip()}")
    return done


def is_repository(root: Path) -> bool:
    """Whether `root` is inside a git work tree."""
    try:
        out = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    except GitError:
        return False
    return out.returncode == 0 and out.stdout.strip() == "true"


def kept_out(path: str, patterns: Sequence[str] = ()) -> bool:
    """Whether `path` (relative, posix) is plan-ls's own run file, or matches one of an
    agent's `patterns` (fnmatch, against the whole path or its first component, so that
    `.aider*` covers `.aider.tags.cache.v4/x`)."""
    if any(path == p.rstrip("/") or path.startswith(p) for p in OWN_FILES):
        return True
    first = path.split("/", 1)[0]
    return any(fnmatch.fnmatchcase(path, pat) or fnmatch.fnmatchcase(first, pat)
               for pat in patterns)


def uncommitted(root: Path, keep_out: Sequence[str] = ()) -> list[str]:
    """The paths under `root` (relative to it) with changes not committed: modified,
    staged, deleted, or untracked and not ignored; plan-ls's own run files and the paths
    matching `keep_out` (the agent's own files) left out. Changes elsewhere in the
    repository (when `root` is a folder of it) do not count."""
    prefix = _git(root, "rev-parse", "--show-prefix").stdout.strip()
    out = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    paths = []
    entries = out.stdout.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]
        if "R" in status or "C" in status:
            i += 1  # a rename's second entry is its old name
        path = path.removeprefix(prefix)  # porcelain paths start at the repository's top
        if not kept_out(path, keep_out):
            paths.append(path)
    return paths


def head(root: Path) -> str | None:
    """The commit HEAD names, or None in a repository with no commit yet."""
    out = _git(root, "rev-parse", "--verify", "-q", "HEAD", check=False)
    return out.stdout.strip() or None if out.returncode == 0 else None


def commit_all(root: Path, message: str,
               keep_out: Sequence[str] = ()) -> tuple[str | None, list[str]]:
    """Stage every change under `root` and commit it with `message`, leaving out plan-ls's
    run files and the paths matching `keep_out`. Returns (the new commit, the files it
    changed); (None, []) when there was nothing to commit. Raises GitError when git
    refuses (a hook, no identity)."""
    _git(root, "add", "-A", "--", ".")
    staged = [f for f in _git(root, "diff", "--cached", "--name-only", "--relative", "-z",
                              "--", ".").stdout.split("\0") if f]
    # unstaged again (naming them as exclusions in `add` fails when they are ignored)
    out = [f for f in staged if kept_out(f, keep_out)]
    for i in range(0, len(out), 200):
        _git(root, "reset", "-q", "--", *out[i:i + 200], check=False)
    files = [f for f in staged if f not in out]
    if not files:
        return None, []
    # only these paths: what someone staged elsewhere in the repository stays staged
    _git(root, "commit", "-q", "-m", message, "--", *files)
    return head(root), files


def changed_since(root: Path, base: str | None, keep_out: Sequence[str] = ()) -> list[str]:
    """Files that differ from commit `base` in the work tree, untracked ones included
    (plan-ls's run files and `keep_out` left out)."""
    files: set[str] = set()
    if base:
        out = _git(root, "diff", "--name-only", "--relative", "-z", base, "--", ".",
                   *_EXCLUDES, check=False)
        files.update(f for f in out.stdout.split("\0") if f)
    out = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".",
               *_EXCLUDES, check=False)
    files.update(f for f in out.stdout.split("\0") if f)
    return sorted(f for f in files if not kept_out(f, keep_out))
