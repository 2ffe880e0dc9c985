"""Claims that hold across machines: claim (or release) a step on the remote branch itself.

`plan-ls next --claim NAME --push` and `plan-ls release STEP --push`. One attempt: fetch the
remote branch; read the plan and the checklist as they are at its tip; pick the step (the
first open, unclaimed one; or the step to release); make one commit *on top of the remote
tip* that changes only that step's line (`claim: Step 3 for bot-2`); push that commit. Git
refuses the push when someone else pushed first (it is not a fast-forward); then fetch and
try again, a bounded number of times with a random wait in between. So a step is claimed on
the remote by exactly one name, and nothing but the claim commit is ever pushed: the local
branch's own commits stay local.

After the push the local branch takes the claim: a fast-forward when it had nothing of its
own, else a rebase onto the new tip (`--autostash`), as `git pull --rebase` would; when that
cannot be done the claim stays pushed and the caller is told to pull.

The commit is built with git's plumbing (hash-object, a temporary index inside `.git`,
write-tree, commit-tree): the work tree and the index are not touched until the claim is in.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from plan_ls.sync.claims import ClaimError, NextStep, claim_text, step_title
from plan_ls.sync.git import GitError, git, repository_root

if TYPE_CHECKING:
    from plan_ls.model.plan import Step
    from plan_ls.model.snapshot import PlanSnapshot
    from plan_ls.settings import FileSettings

ATTEMPTS = 12  # pushes tried before giving up (each refusal means another claim got in)
_WAIT = 0.05  # seconds: the first retry waits up to this long, doubling, at most 16 times it


class PushRefused(Exception):
    """Every attempt found the remote changed again before the push: nothing is claimed."""


@dataclass(frozen=True)
class Pushed:
    """A change of the plan that is on the remote: the step and the commit."""

    step: NextStep
    commit: str
    local_updated: bool  # the local branch has the commit (False: run `git pull --rebase`)
    attempts: int


# What to change at the remote tip: (the snapshot there, the plan's text) -> the step, the
# new plan text, the commit message and the step's claim after it; None when there is
# nothing to do (no step left, or the remote already has it so).
Change = Callable[["PlanSnapshot", str], "tuple[Step, str, str, str | None] | None"]


def upstream(repo: Path) -> tuple[str, str]:
    """The remote and branch the current branch pushes to: its upstream, else `origin` and a
    branch of the same name. GitError on a detached HEAD."""
    done = git(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}", check=False)
    name = done.stdout.decode().strip()
    if done.returncode == 0 and "/" in name:
        remote = git(repo, "config", "--get",
                     f"branch.{_current_branch(repo)}.remote").stdout.decode().strip()
        return remote, name[len(remote) + 1:]
    return "origin", _current_branch(repo)


def _current_branch(repo: Path) -> str:
    done = git(repo, "symbolic-ref", "--short", "-q", "HEAD", check=False)
    branch = done.stdout.decode().strip()
    if not branch:
        raise GitError("not on a branch (detached HEAD): check out the branch to claim on")
    return branch


def push_plan_change(root: Path, files: FileSettings | None, change: Change, *,
                     attempts: int = ATTEMPTS, rng: random.Random | None = None,
                     sleep: Callable[[float], None] = time.sleep) -> Pushed | None:
    """Make `change` on the plan at the remote branch's tip and push only that commit (see
    the module's docstring). None when `change` finds nothing to do. Raises GitError (no
    repository, no remote, a push refused for another reason), PushRefused, ClaimError."""
    from plan_ls.sync.state import PlanState

    repo = repository_root(root)
    if repo is None:
        raise GitError(f"{root}: not in a git repository")
    remote, branch = upstream(repo)
    state = PlanState(root, files)
    rel = {role: _relative(state.path_of(role), repo) for role in ("plan", "todo")}
    if rel["plan"] is None:
        raise ClaimError("the plan is outside the git repository")
    rng = rng or random.Random()
    tracking = f"refs/remotes/{remote}/{branch}"
    for attempt in range(1, attempts + 1):
        git(repo, "fetch", "-q", remote, f"+refs/heads/{branch}:{tracking}")
        tip = git(repo, "rev-parse", "--verify", f"{tracking}^{{commit}}").stdout.decode().strip()
        texts = {role: _blob(repo, tip, path) for role, path in rel.items() if path}
        plan_raw = texts.get("plan")
        if plan_raw is None:
            raise ClaimError(f"{rel['plan']} is not on {remote}/{branch}")
        snap = _snapshot(root, files, texts)
        planned = change(snap, plan_raw.decode("utf-8", "surrogateescape"))
        if planned is None:
            return None
        step, new_text, message, claim = planned
        commit = _commit(repo, tip, str(rel["plan"]),
                         new_text.encode("utf-8", "surrogateescape"), message)
        push = git(repo, "push", "-q", "--porcelain", remote, f"{commit}:refs/heads/{branch}",
                   check=False)
        if push.returncode == 0:
            git(repo, "update-ref", tracking, commit, check=False)
            found = NextStep(step.number, step_title(step), step.prompt_text, step.line,
                             claim, state.path_of("plan"))
            return Pushed(found, commit, _update_local(repo, tip, commit), attempt)
        if not _refused_as_stale(push):
            raise GitError("git push: " + (push.stderr or push.stdout).decode(
                "utf-8", "replace").strip())
        sleep(rng.uniform(0, _WAIT * 2 ** min(attempt - 1, 4)))
    raise PushRefused(f"{remote}/{branch} changed before each of {attempts} pushes; "
                      "nothing was claimed")


def claim_next(name: str) -> Change:
    """The change that claims the first open, unclaimed step for `name`."""

    def change(snap: PlanSnapshot, text: str) -> tuple[Step, str, str, str | None] | None:
        step = snap.next_step(skip_claimed=True)
        if step is None:
            return None
        return _claim_change(step, text, name)

    return change


def claim_number(number: str, name: str | None) -> Change:
    """The change that claims step `number` for `name` (None: releases it). A step that
    someone else holds on the remote is refused (ClaimError)."""

    def change(snap: PlanSnapshot, text: str) -> tuple[Step, str, str, str | None] | None:
        step = snap.plan.find(number) if snap.plan is not None else None
        if step is None:
            raise ClaimError(f"no step {number} in the plan on the remote")
        if name and step.claim and step.claim != name:
            raise ClaimError(f"step {step.number} is claimed by @{step.claim} on the remote")
        if name is None and step.claim is None or name is not None and step.claim == name:
            return None  # already so on the remote
        return _claim_change(step, text, name)

    return change


def _claim_change(step: Step, text: str,
                  name: str | None) -> tuple[Step, str, str, str | None]:
    from plan_ls.sync.claims import _check_round_trip

    if step.kind == "bare":
        raise ClaimError("the plan's steps are bare prompts with no label line to hold a "
                         "claim; give them headings (## Step 1: ...)")
    new_text = claim_text(text, step.line, name)
    if new_text is None:
        raise ClaimError(f"step {step.number}'s line cannot hold the claim")
    label = f"{step.label or 'Step'} {step.number}"
    if name:
        _check_round_trip(new_text, step, name)
        return step, new_text, f"claim: {label} for {name}", name
    return step, new_text, f"release: {label} (was @{step.claim})", None


def _relative(path: Path, repo: Path) -> str | None:
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return None


def _blob(repo: Path, commit: str, path: str) -> bytes | None:
    done = git(repo, "cat-file", "blob", f"{commit}:{path}", check=False)
    return done.stdout if done.returncode == 0 else None


def _snapshot(root: Path, files: FileSettings | None,
              texts: dict[str, bytes | None]) -> PlanSnapshot:
    """The plan state as the remote tip has it (the files' paths are the local ones)."""
    from plan_ls.fileio import decode
    from plan_ls.sync.state import PlanState

    state = PlanState(root, files)
    for role, data in texts.items():
        if data is not None:
            state.editor_text(role, decode(data), None)
    return state.rebuild()


def _commit(repo: Path, parent: str, path: str, data: bytes, message: str) -> str:
    """A commit on `parent` whose tree differs only in `path` (now `data`)."""
    blob = git(repo, "hash-object", "-w", "--stdin", input_bytes=data).stdout.decode().strip()
    mode = git(repo, "ls-tree", parent, "--", path).stdout.decode().split(" ", 1)[0] or "100644"
    index = Path(git(repo, "rev-parse", "--git-path", f"plan-ls-claim-{os.getpid()}.index")
                 .stdout.decode().strip())
    index = index if index.is_absolute() else repo / index
    env_index = {"GIT_INDEX_FILE": str(index)}
    try:
        _git_env(repo, env_index, "read-tree", parent)
        _git_env(repo, env_index, "update-index", "--cacheinfo", f"{mode},{blob},{path}")
        tree = _git_env(repo, env_index, "write-tree").strip()
    finally:
        index.unlink(missing_ok=True)
    return git(repo, "commit-tree", tree, "-p", parent, "-m", message).stdout.decode().strip()


def _git_env(repo: Path, extra: dict[str, str], *args: str) -> str:
    import subprocess

    try:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, timeout=60,
                              env={**os.environ, **extra}, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]}: {exc}") from None
    if done.returncode != 0:
        raise GitError(f"git {args[0]}: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode()


def _refused_as_stale(push) -> bool:
    """Whether git refused the push because the remote moved on (fetch and try again)."""
    out = (push.stdout + push.stderr).decode("utf-8", "replace")
    return any(word in out for word in ("non-fast-forward", "fetch first", "[rejected]",
                                        "stale info", "cannot lock ref", "failed to update ref"))


def _update_local(repo: Path, old_tip: str, commit: str) -> bool:
    """Bring the claim into the local branch: fast-forward, else rebase with autostash."""
    head = git(repo, "rev-parse", "HEAD").stdout.decode().strip()
    if head == old_tip or git(repo, "merge-base", "--is-ancestor", "HEAD", commit,
                              check=False).returncode == 0:
        return git(repo, "merge", "-q", "--ff-only", commit, check=False).returncode == 0
    done = git(repo, "rebase", "-q", "--autostash", commit, check=False)
    if done.returncode != 0:
        git(repo, "rebase", "--abort", check=False)
        return False
    return True
