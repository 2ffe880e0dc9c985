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
    try:
        done = install_driver(repo, paths)
    except (GitError, OSError) as exc:
        return usage_error(str(exc))
    for phrase in done or ["the merge driver was already set up"]:
        print(f"plan-ls: {phrase}")
    return 0
