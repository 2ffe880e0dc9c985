"""The command-line face of plan-ls: serve, status, check, done (and the parts' commands)."""

from __future__ import annotations

import argparse
import importlib
import sys

# One module per command group; each exposes add_commands(subparsers) and imports its heavy
# parts inside the commands, so that `plan-ls --help` and `plan-ls next` start fast.
COMMAND_MODULES = (
    "plan_ls.cli.core",
    "plan_ls.cli.pack",
    "plan_ls.cli.sync",
    "plan_ls.cli.review",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plan-ls",
        description="Keep spec.md, prompt_plan.md and todo.md in view and in sync.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def usage_error(message: object) -> int:
    """Say what is wrong on stderr; exit status 2 (bad usage or unreadable input)."""
    print(f"plan-ls: {message}", file=sys.stderr)
    return 2


def _version() -> str:
    from plan_ls import __version__

    return f"plan-ls {__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
