"""`plan-ls next` (hand the next step to a person or an agent) and `plan-ls watch`.

Import-light: agents run `plan-ls next` in loops, so everything heavy is imported in `run`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from plan_ls.cli import usage_error

NOTHING_LEFT = 3


def add_commands(sub: Any) -> None:
    p = sub.add_parser("next", help="print the next open, unclaimed step's prompt "
                                    "(and claim it with --claim NAME)",
                       epilog="exit status: 0 a step was printed, 3 no open and unclaimed "
                              "step is left, 2 bad usage")
    p.add_argument("dir", nargs="?", default=".", help="the project (default: .)")
    p.add_argument("--claim", metavar="NAME",
                   help="write (@NAME) on the step's line in the plan, atomically")
    p.add_argument("--json", action="store_true",
                   help="print {number, title, prompt, line, claim, path} instead")
    p.add_argument("--push", action="store_true",
                   help="with --claim: claim on the remote branch (fetch, commit only the "
                        "claim on its tip, push; retried when another claim got in first)")
    p.add_argument("--plan", metavar="ID", help="the plan to use when the project has "
                   "several: its id or the end of it (specs/001-albums, 001-albums)")
    p.set_defaults(func=run_next)

    p = sub.add_parser("watch", help="live progress of the whole plan in the terminal")
    p.add_argument("dir", nargs="?", default=".")
    p.add_argument("--once", action="store_true", help="print the view once and exit")
    p.add_argument("--plan", metavar="ID", help="the plan to use when the project has "
                   "several: its id or the end of it (specs/001-albums, 001-albums)")
    p.set_defaults(func=run_watch)



def run_next(args: argparse.Namespace) -> int:
    from plan_ls.sync.claims import ClaimError, clean_name, next_step
    from plan_ls.sync.lock import LockTimeout
    from plan_ls.sync.state import PlanState

    name = None
    if args.claim is not None:
        name = clean_name(args.claim)
        if name is None or name != args.claim.lstrip("@"):
            return usage_error(f"{args.claim!r} is not a claim name: use letters, digits, '.', "
                         "'-' or '_' (e.g. bot-1)")
    if args.push and name is None:
        return usage_error("--push needs --claim NAME")
    if not Path(args.dir).is_dir():
        return usage_error(f"{args.dir}: not a directory")
    try:  # from a subfolder, like git; in a spec-kit feature's folder, that feature
        root, settings, ref = plan_target(args.dir, args.plan)
    except LookupError as exc:
        return usage_error(str(exc))
    plan = PlanState(root, settings.files, ref).path_of("plan")
    if not plan.is_file():
        return usage_error(f"{args.dir}: no {plan.name} here")
    if args.push and ref is not None:  # the remote claim reads the settings' plan only
        return usage_error(f"--push claims steps of the root prompt plan only, not of "
                           f"{ref.id}")
    if args.push:
        from plan_ls.cli.git import claim_on_remote

        pushed = claim_on_remote(root, settings.files, name)
        if isinstance(pushed, int):
            return pushed
    try:
        step = pushed if args.push else next_step(root, name, settings.files, ref)
    except (ClaimError, LockTimeout, OSError) as exc:
        return usage_error(str(exc))
    if step is None:
        why = _why_no_step(root, settings.files, ref)
        if why.startswith("cannot"):  # an unreadable checklist: bad input, as for status
            return usage_error(why.removeprefix("cannot tell: "))
        print(f"plan-ls: {why}", file=sys.stderr)
        return NOTHING_LEFT
    if args.json:
        json.dump({"number": step.number, "title": step.title, "prompt": step.prompt,
                   "line": step.line + 1, "claim": step.claim, "path": str(step.path)},
                  sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    who = f", claimed by @{step.claim}" if name else ""
    print(f"plan-ls: step {step.number}: {step.title}{who}", file=sys.stderr)
    sys.stdout.write(step.prompt.rstrip("\n") + "\n")  # stdout is only the prompt: pipe it
    return 0


def _why_no_step(root: Path, files: Any, ref: Any) -> str:
    """Why `next` found no step: all done or claimed, or a checklist none of whose items
    belongs to a step (then nothing is known to be done: saying "none left" would mislead)."""
    from plan_ls.sync.state import PlanState

    state = PlanState(root, files, ref)
    state.load_all_from_disk()
    snap = state.snapshot
    errors = list(dict.fromkeys(fs.error for fs in state.state.values() if fs.error))
    if snap.unreadable and errors:
        return "cannot tell: " + "; ".join(errors)
    if snap.archived and ref is not None:
        return f"no step to hand out: {ref.id} is archived (finished history)"
    if snap.progress_unknown:
        name = state.path_of("todo").name
        count = len(snap.todo.items) if snap.todo is not None else 0
        return (f"no step to hand out: none of the {count} item{'s' if count != 1 else ''} "
                f"of {name} belongs to a plan step, so plan-ls cannot tell which steps are "
                "done (plan-ls check)" if count
                else f"no step to hand out: {name} has no checklist items")
    return "no open, unclaimed step left"


def plan_target(directory: str, key: str | None) -> tuple[Path, Any, Any]:
    """(root, settings, ref) of the plan a command acts on: the one `--plan` names
    (sync/plans.py select_plan), the plan whose folder `directory` is, else the primary
    plan; ref None for the prompt plan the settings name. Raises LookupError."""
    from plan_ls.cli.core import UsageError, locate_plans
    from plan_ls.sync.plans import ROOT_ID

    try:
        root, settings, refs = locate_plans(directory, key)
    except UsageError as exc:
        raise LookupError(str(exc)) from None
    ref = refs[0] if refs else None
    if ref is not None and ref.id == ROOT_ID and ref.format == "prompt_plan":
        ref = None  # as it always was: the files the settings name, found again live
    return root, settings, ref


def run_watch(args: argparse.Namespace) -> int:
    if not Path(args.dir).is_dir():
        return usage_error(f"{args.dir}: not a directory")
    from plan_ls.sync.board import watch

    try:
        root, settings, ref = plan_target(args.dir, args.plan)
    except LookupError as exc:
        return usage_error(str(exc))
    try:
        return watch(root, once=args.once, out=sys.stdout, files=settings.files, ref=ref)
    except KeyboardInterrupt:  # Ctrl-C is how one leaves a live view: not an error
        return 0
