"""`plan-ls merge-driver` (git's merge driver for planning files) and `plan-ls init --git`.

Register the driver with `plan-ls init --git`; git then runs
`plan-ls merge-driver %O %A %B %P` for every planning file a merge, rebase or pull touches.
Exit status: 0 merged, 1 conflicts are left in the file (git stops as for any conflict).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from plan_ls.cli import usage_error


def add_commands(sub: Any) -> None:
    p = sub.add_parser(
        "merge-driver", help="git merge driver for planning files (see `plan-ls init --git`)",
        epilog="exit status: 0 merged, 1 conflicts left in OURS, 2 bad usage")
    p.add_argument("base", metavar="BASE", help="%%O: the common ancestor's version")
    p.add_argument("ours", metavar="OURS", help="%%A: our version; the result is written here")
    p.add_argument("theirs", metavar="THEIRS", help="%%B: their version")
    p.add_argument("path", metavar="PATH", nargs="?", default="",
                   help="%%P: the file's path in the repository (for messages)")
    p.add_argument("--marker-size", type=int, default=7, metavar="N",
                   help="conflict marker size (git's %%L; default 7)")
    p.add_argument("-L", dest="labels", action="append", default=[], metavar="LABEL",
                   help="conflict labels: ours, then base, then theirs (as git merge-file)")
    p.set_defaults(func=run_merge_driver)

    p = sub.add_parser("release", help="remove the claim on a step of the plan",
                       epilog="exit status: 0 released (or it was not claimed), 2 bad usage")
    p.add_argument("step", metavar="STEP", help="the step's number (3, 1.2)")
    p.add_argument("dir", nargs="?", default=".", help="the project (default: .)")
    p.add_argument("--push", action="store_true",
                   help="release it on the remote branch (commit only that, push)")
    p.add_argument("--plan", metavar="ID", help="the plan whose step it is, when the project "
                   "has several (as for `plan-ls next --plan`)")
    p.set_defaults(func=run_release)


def run_merge_driver(args: argparse.Namespace) -> int:
    """Merge BASE, OURS and THEIRS into OURS; on any failure of the line merge, fall back to
    `git merge-file` on the files as they are, so git always gets a result."""
    from plan_ls.sync.git import GitError, merge_files, plain_merge

    files = [Path(args.base), Path(args.ours), Path(args.theirs)]
    for path in files:
        if not path.is_file():
            return usage_error(f"merge-driver: {path}: no such file")
    labels = [*args.labels[:3], *("ours", "base", "theirs")[len(args.labels[:3]):]]
    name = args.path or args.ours
    try:
        outcome = merge_files(*files, marker_size=max(args.marker_size, 1),
                              labels=(labels[0], labels[1], labels[2]))
    except (GitError, OSError, UnicodeError) as exc:
        print(f"plan-ls: merge-driver: {name}: {exc}; merged as text instead", file=sys.stderr)
        try:
            return 1 if plain_merge(*files, marker_size=args.marker_size) else 0
        except GitError as again:
            print(f"plan-ls: merge-driver: {again}", file=sys.stderr)
            return 1
    for line in outcome.claim_conflicts:
        print(f"plan-ls: {name}:{line + 1}: claimed by two names (claim-conflict)",
              file=sys.stderr)
    if outcome.conflicts:
        print(f"plan-ls: {name}: {outcome.conflicts} conflict"
              f"{'s' if outcome.conflicts > 1 else ''} left", file=sys.stderr)
        return 1
    return 0


def run_init_git(directory: Path) -> int:
    """`plan-ls init --git DIR`: register the merge driver in the repository that holds DIR."""
    from plan_ls.cli import project_settings
    from plan_ls.sync.git import GitError, install_driver, repository_root

    root, settings = project_settings(directory)
    repo = repository_root(root)
    if repo is None:
        return usage_error(f"{directory}: not in a git repository (run `git init` first)")
    paths = []
    for rel in (settings.files.todo, settings.files.plan):
        target = (root / rel).resolve()
        try:
            paths.append(target.relative_to(repo.resolve()).as_posix())
        except ValueError:
            continue  # a planning file outside the repository: git does not merge it
    paths.extend(_found_plan_patterns(root, settings, repo))
    try:
        done = install_driver(repo, paths)
    except (GitError, OSError) as exc:
        return usage_error(str(exc))
    for phrase in done or ["the merge driver was already set up"]:
        print(f"plan-ls: {phrase}")
    return 0


def _found_plan_patterns(root: Path, settings: Any, repo: Path) -> list[str]:
    """Patterns for the task lists of the plans found in places the standard patterns miss
    (a spec-kit feature under docs/specs/): `docs/specs/*/tasks.md`, so that features added
    there later are covered too; a prompt plan in a folder of its own by its paths."""
    from pathspec import GitIgnoreSpec

    from plan_ls.sync.git import FORMAT_PATTERNS
    from plan_ls.sync.plans import ROOT_ID, discover_plans

    standard = GitIgnoreSpec.from_lines(FORMAT_PATTERNS)  # as .gitattributes reads them
    out: list[str] = []
    for ref in discover_plans(root, settings.files, settings.plans):
        if ref.id == ROOT_ID:
            continue  # the settings' files, above
        for role in ("plan", "todo"):
            path = ref.files.get(role)
            try:
                rel = path.resolve().relative_to(repo.resolve()) if path else None
            except ValueError:
                rel = None
            if rel is None or standard.match_file(rel.as_posix()):
                continue
            if ref.format == "prompt_plan" or len(rel.parts) < 3:
                out.append(rel.as_posix())
            else:  # the feature's folder varies: any sibling feature
                out.append((rel.parent.parent / "*" / rel.name).as_posix())
    return out


def claim_on_remote(root: Path, files: Any, name: str | None, number: str | None = None):
    """`next --claim NAME --push` (number None) or `release NUMBER --push` (name None): the
    step as claimed or released on the remote, None when no open unclaimed step is left, or
    an exit status (2) after saying what went wrong."""
    from plan_ls.sync.claims import ClaimError
    from plan_ls.sync.git import GitError
    from plan_ls.sync.remote import PushRefused, claim_next, claim_number, push_plan_change

    change = claim_next(name) if number is None and name else claim_number(number or "", name)
    try:
        pushed = push_plan_change(root, files, change)
    except (GitError, ClaimError, PushRefused, OSError) as exc:
        return usage_error(str(exc))
    if pushed is None:
        return None
    if not pushed.local_updated:
        print("plan-ls: warning: the claim is pushed, but this branch could not take it: run "
              "`git pull --rebase`", file=sys.stderr)
    return pushed.step


def run_release(args: argparse.Namespace) -> int:
    """Remove the claim on step STEP: in the plan on disk, or with --push on the remote."""

    from plan_ls.cli.sync import plan_target

    if not Path(args.dir).is_dir():
        return usage_error(f"{args.dir}: not a directory")
    number = args.step.removeprefix("step:").strip()
    try:
        root, settings, ref = plan_target(args.dir, args.plan)
    except LookupError as exc:
        return usage_error(str(exc))
    if args.push and ref is not None:
        return usage_error(f"--push releases steps of the root prompt plan only, not of "
                           f"{ref.id}")
    if args.push:
        step = claim_on_remote(root, settings.files, None, number)
        if isinstance(step, int):
            return step
        print(f"plan-ls: step {number} is not claimed on the remote" if step is None
              else f"plan-ls: step {step.number} released on the remote", file=sys.stderr)
        return 0
    return _release_here(root, settings.files, number, ref)


def _release_here(root: Path, files: Any, number: str, ref: Any = None) -> int:
    from plan_ls.fileio import FileChanged, replace_if_unchanged
    from plan_ls.sync.claims import claim_text
    from plan_ls.sync.lock import LockTimeout
    from plan_ls.sync.state import PlanState

    for _ in range(3):
        state = PlanState(root, files, ref)
        state.load_all_from_disk()
        plan = state.snapshot.plan
        step = plan.find(number) if plan is not None else None
        if step is None:
            return usage_error(f"no step {number} in the plan")
        if step.claim is None:
            print(f"plan-ls: step {step.number} is not claimed", file=sys.stderr)
            return 0
        try:
            replace_if_unchanged(state.path_of("plan"), state.state["plan"].text or "",
                                 lambda raw, line=step.line: claim_text(raw, line, None) or raw,
                                 lock_root=state.root, lock_timeout=10.0)
        except FileChanged:
            continue
        except (LockTimeout, OSError) as exc:
            return usage_error(f"{state.path_of('plan').name}: not written: {exc}")
        print(f"plan-ls: step {step.number} released (was @{step.claim})", file=sys.stderr)
        return 0
    return usage_error("the plan kept changing while plan-ls wrote it; nothing was written")


def merge_driver_note(root: Path, plan: Path) -> str | None:
    """A line for `plan-ls status` when git merges of the plan do not use the driver."""
    from plan_ls.sync.git import driver_state, repository_root

    repo = repository_root(root)
    state = driver_state(repo, plan) if repo is not None else None
    if state == "attributes":
        return (f"git: {plan.name} merges as plain text (neighbouring ticks conflict): "
                "run `plan-ls init --git` and commit .gitattributes")
    if state == "config":
        return ("git: this clone lacks the plan-ls merge driver (.git/config is not shared): "
                "run `plan-ls init --git`")
    return None
