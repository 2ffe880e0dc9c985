"""Git for shared plans: the merge driver's file merge, its registration, and its check.

`merge_files` is what `plan-ls merge-driver %O %A %B %P` does: model/merge.py merges the
planning file line by line, with `git merge-file` merging the text. `install_driver` is
`plan-ls init --git`: the `.gitattributes` lines (shared through the repository) and the
`merge.plan-ls.driver` setting (in `.git/config`, which git never shares between clones).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from plan_ls.model.merge import MergeResult, merge_plans

DRIVER = "plan-ls"  # the name in `merge=plan-ls` and `merge.plan-ls.driver`
# The planning files of every format plan-ls reads (patterns relative to the repository root;
# one without a slash matches at any depth, as in .gitignore).
FORMAT_PATTERNS = ("specs/*/tasks.md", ".kiro/specs/*/tasks.md",
                   "openspec/changes/*/tasks.md", "openspec/changes/archive/*/tasks.md")
_ATTR_HEADER = "# plan-ls: merge checklists line by line (plan-ls init --git)"
_TIMEOUT = 60.0  # seconds for one git command


class GitError(Exception):
    """A git command that failed: its stderr, or why it could not run."""


def git(cwd: Path, *args: str, check: bool = True, timeout: float = _TIMEOUT,
        input_bytes: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `git ARGS` in `cwd` (bytes out). GitError when it fails and `check` is set."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=timeout,
                              input=input_bytes, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]}: {exc}") from None
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise GitError(f"git {args[0]}: {message}")
    return done


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")  # every byte comes back as it was


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def merge_text_with_git(workdir: Path, style: str = "merge"):
    """A `MergeText` that runs `git merge-file -p` on files in a temporary folder under
    `workdir` (the driver's files live in the work tree; nothing is written outside it).
    `style`: "merge", "diff3" or "zdiff3", as git's merge.conflictStyle."""

    def merge_text(base: str, ours: str, theirs: str, marker_size: int) -> str:
        with tempfile.TemporaryDirectory(prefix=".plan-ls-merge-", dir=workdir) as tmp:
            paths = []
            for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
                path = Path(tmp) / name
                path.write_bytes(_encode(text))
                paths.append(str(path))
            flags = [f"--{style}"] if style in ("diff3", "zdiff3") else []
            done = git(workdir, "merge-file", "-p", f"--marker-size={marker_size}", *flags,
                       "-L", "ours", "-L", "base", "-L", "theirs", *paths, check=False)
        if done.returncode < 0 or done.returncode > 127:  # an error, not a conflict count
            raise GitError("git merge-file: " + done.stderr.decode("utf-8", "replace"))
        return _decode(done.stdout)

    return merge_text


def conflict_style(cwd: Path) -> str:
    """git's merge.conflictStyle in `cwd` ("merge" when unset)."""
    try:
        done = git(cwd, "config", "--get", "merge.conflictStyle", check=False)
    except GitError:
        return "merge"
    return done.stdout.decode().strip() or "merge"


@dataclass(frozen=True)
class DriverOutcome:
    conflicts: int
    claim_conflicts: list[int]  # 0-based lines with two or more claims


def merge_files(base: Path, ours: Path, theirs: Path, *, marker_size: int = 7,
                labels: tuple[str, str, str] = ("ours", "base", "theirs")) -> DriverOutcome:
    """Merge git's three versions of a planning file into `ours` (git's %O %A %B).

    Reads bytes and writes bytes: line endings, a BOM and a missing final newline come
    through as they were. Raises GitError or OSError when the merge could not run (`ours`
    is then untouched)."""
    texts = [_decode(p.read_bytes()) for p in (base, ours, theirs)]
    workdir = ours.resolve().parent
    result: MergeResult = merge_plans(
        *texts, merge_text_with_git(workdir, conflict_style(workdir)), labels=labels,
        marker_size=marker_size)
    data = _encode(result.text)
    with open(ours, "wb") as fh:  # git's own temporary file: it reads it back when we exit
        fh.write(data)
    return DriverOutcome(result.conflicts, result.claim_conflicts)


def plain_merge(base: Path, ours: Path, theirs: Path, marker_size: int = 7) -> int:
    """`git merge-file` on the files as they are, the fallback: its exit status."""
    return git(ours.resolve().parent, "merge-file", f"--marker-size={marker_size}",
               *(str(p.resolve()) for p in (ours, base, theirs)), check=False).returncode


# --- registration -------------------------------------------------------------------------

def repository_root(path: Path) -> Path | None:
    """The top of the git work tree that holds `path`, or None."""
    try:
        done = git(path, "rev-parse", "--show-toplevel", check=False, timeout=5)
    except GitError:
        return None
    out = done.stdout.decode("utf-8", "surrogateescape").strip()
    return Path(out) if done.returncode == 0 and out else None


def driver_command() -> str:
    """How git should start the driver: `plan-ls` when the one on PATH is this installation
    and not a virtual environment's, else this installation's Python (a venv is on PATH only
    while it is active, and git may merge where it is not: another shell, an IDE)."""
    found = shutil.which("plan-ls")
    here = Path(sys.executable).parent.resolve()
    in_venv = sys.prefix != sys.base_prefix
    if found and Path(found).resolve().parent == here and not in_venv:
        return "plan-ls merge-driver %O %A %B %P"
    return f"{shlex.quote(sys.executable)} -m plan_ls merge-driver %O %A %B %P"


def attribute_patterns(plan_paths: list[str]) -> list[str]:
    """The .gitattributes patterns for the planning files: the settings' todo and plan
    (relative to the repository root), then the other formats' task lists."""
    out = []
    for rel in plan_paths:
        rel = rel.replace(os.sep, "/")
        out.append(rel if "/" not in rel else "/" + rel.lstrip("/"))
    out.extend(FORMAT_PATTERNS)
    return list(dict.fromkeys(out))


def install_driver(repo: Path, plan_paths: list[str]) -> list[str]:
    """Register the driver in the repository at `repo`: append the missing `merge=plan-ls`
    lines to `.gitattributes` (kept byte-exact otherwise) and set `merge.plan-ls.driver` and
    `.name` in the repository's own config. Returns what was done, one phrase each."""
    done: list[str] = []
    attributes = repo / ".gitattributes"
    old = attributes.read_bytes() if attributes.is_file() else b""
    have = {line.split()[0] for line in _decode(old).splitlines()
            if line.strip() and not line.startswith("#") and f"merge={DRIVER}" in line.split()}
    missing = [p for p in attribute_patterns(plan_paths) if p not in have]
    if missing:
        newline = "\r\n" if b"\r\n" in old else "\n"
        text = _decode(old)
        if text and not text.endswith("\n"):
            text += newline
        if _ATTR_HEADER not in text:
            text += _ATTR_HEADER + newline
        text += "".join(f"{p} merge={DRIVER}{newline}" for p in missing)
        from plan_ls.fileio import write_atomic

        write_atomic(attributes, text)
        done.append(f"added {len(missing)} line{'s' if len(missing) > 1 else ''} to "
                    ".gitattributes (commit it: clones share it)")
    command = driver_command()
    current = git(repo, "config", "--local", "--get", f"merge.{DRIVER}.driver", check=False)
    if current.stdout.decode().strip() != command:
        git(repo, "config", "--local", f"merge.{DRIVER}.name", "plan-ls checklist merge")
        git(repo, "config", "--local", f"merge.{DRIVER}.driver", command)
        done.append(f"set merge.{DRIVER}.driver in .git/config (local: run "
                    "`plan-ls init --git` in every clone)")
    return done


def driver_state(repo: Path, plan_file: Path) -> str | None:
    """Whether git merges `plan_file` with the driver: "ok"; "attributes" (no merge=plan-ls
    for it in .gitattributes); "config" (the attribute is there, this clone's config lacks the
    driver); None when the file is in no git repository."""
    try:
        rel = plan_file.resolve().relative_to(repo.resolve())
        attr = git(repo, "check-attr", "merge", "--", rel.as_posix(), check=False, timeout=5)
        if attr.returncode != 0:
            return None
        if not attr.stdout.decode("utf-8", "replace").rstrip().endswith(f": {DRIVER}"):
            return "attributes"
        conf = git(repo, "config", "--get", f"merge.{DRIVER}.driver", check=False, timeout=5)
    except (GitError, ValueError):
        return None
    return "ok" if conf.returncode == 0 and conf.stdout.strip() else "config"
