"""Filing the issues of `issues.md` on GitHub through the GitHub CLI (`gh`).

One issue at a time: file it, then re-read `issues.md` and write the new number next to its
item, atomically, before the next one. So an interrupted run resumes where it stopped,
edits made to the file meanwhile are kept, and an issue with a number is never filed again.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from plan_ls.fileio import read_text, write_atomic
from plan_ls.review.issues import Issue, parse_issues, record_number

_ISSUE_URL = re.compile(r"/issues/(\d+)\b")

Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]
Say = Callable[[str], None]


class GhUnavailable(Exception):
    """`gh` is missing or not logged in: nothing can be filed (exit code 2)."""


def run_gh(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    # no stdin and no prompts: a question from gh would hang a script or a task runner
    return subprocess.run(list(argv), capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL, timeout=120,
                          env=os.environ | {"GH_PROMPT_DISABLED": "1"})


def check_gh(run: Runner = run_gh) -> str:
    """The path of a logged-in `gh`, or GhUnavailable saying what to do."""
    gh = shutil.which("gh")
    if gh is None:
        raise GhUnavailable("the GitHub CLI (gh) is not on PATH: install it from "
                            "https://cli.github.com, run `gh auth login`, then try again")
    try:
        status = run([gh, "auth", "status"])
    except (OSError, subprocess.SubprocessError) as exc:
        raise GhUnavailable(f"cannot run {gh}: {exc}") from exc
    if status.returncode != 0:
        detail = (status.stderr or status.stdout).strip().splitlines()
        hint = f" ({detail[0].strip()})" if detail else ""
        raise GhUnavailable(f"gh is not logged in{hint}: run `gh auth login`, then try again")
    return gh


def create_argv(gh: str, issue: Issue, repo: str | None, labels: bool = True) -> list[str]:
    argv = [gh, "issue", "create", "--title", issue.title, "--body", issue.body or issue.title]
    if labels:
        for label in issue.labels:
            argv += ["--label", label]
    if repo:
        argv += ["--repo", repo]
    return argv


@dataclass
class PostResult:
    posted: int = 0
    skipped: int = 0  # already filed, or checked off
    failed: str | None = None


def post_issues(path: Path, repo: str | None = None, *, dry_run: bool = False,
                run: Runner = run_gh, say: Say = print, gh: str = "gh") -> PostResult:
    """File every open, unfiled issue of `path`, in order; stop at the first failure."""
    result = PostResult()
    for index, issue in enumerate(parse_issues(read_text(path))):
        if issue.number is not None or issue.done:
            result.skipped += 1
            continue
        if dry_run:
            say(shlex.join(create_argv(gh, issue, repo)))
            continue
        try:
            proc = _create(run, gh, issue, repo, say)
        except (OSError, subprocess.SubprocessError) as exc:
            result.failed = (f"filing “{issue.title}” failed: {exc}. It may have been filed "
                             f"all the same: check GitHub, and if it was, add its number to "
                             f"{path.name} as (#N) before posting again")
            return result
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip() or f"exit code {proc.returncode}"
            result.failed = f"filing “{issue.title}” failed: {detail}"
            return result
        m = _ISSUE_URL.search(proc.stdout)
        if m is None:
            result.failed = (f"gh filed “{issue.title}” but printed no issue URL "
                             f"({proc.stdout.strip()!r}); add its number to {path.name} by "
                             "hand as (#N) before posting again")
            return result
        number = int(m.group(1))
        text = record_number(read_text(path), index, issue.title, number)
        if text is None:
            say(f"#{number} {issue.title} (filed, but {path.name} changed meanwhile: "
                f"add (#{number}) to it by hand)")
        else:
            write_atomic(path, text)
            say(f"#{number} {issue.title}")
        result.posted += 1
    return result


def _create(run: Runner, gh: str, issue: Issue, repo: str | None,
            say: Say) -> subprocess.CompletedProcess[str]:
    """`gh issue create`; when a label does not exist in the repository, once more without
    labels (gh refuses the whole issue for one unknown label)."""
    proc = run(create_argv(gh, issue, repo))
    refused = (proc.stderr or "").lower()
    if proc.returncode != 0 and issue.labels and "label" in refused and "not found" in refused:
        say(f"labels {', '.join(issue.labels)} refused ({proc.stderr.strip()}); "
            "filing without them")
        proc = run(create_argv(gh, issue, repo, labels=False))
    return proc
