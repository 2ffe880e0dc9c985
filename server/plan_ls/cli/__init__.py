"""The command-line face of plan-ls: serve, status, check, done (and the parts' commands)."""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plan_ls.settings import Settings

# One module per command group, with the commands its add_commands(subparsers) adds. Each
# imports its heavy parts inside the commands, and running a command imports its own module
# only (`plan-ls serve` builds no parser for `review`); --help and a wrong command, all.
# tests/test_cli_options.py checks that each module adds exactly the commands listed here.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "plan_ls.cli.core": ("serve", "status", "check", "done"),
    "plan_ls.cli.pack": ("pack",),
    "plan_ls.cli.sync": ("next", "watch"),
    "plan_ls.cli.review": ("review", "issues", "missing-tests", "init", "templates"),
    "plan_ls.cli.git": ("merge-driver", "release"),
    "plan_ls.cli.run": ("run", "verify"),
    "plan_ls.cli.greenfield": ("brainstorm", "interview", "spec", "plan", "todo"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `plan-ls` parser: with `command` (a name in COMMAND_MODULES), only the group
    that has it is imported and added; else every group."""
    parser = argparse.ArgumentParser(
        prog="plan-ls",
        description="Keep spec.md, prompt_plan.md and todo.md in view and in sync.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, commands in COMMAND_MODULES.items():
        if command is None or command in commands:
            importlib.import_module(name).add_commands(sub)
    return parser


def at_least(minimum: float, kind: type[int] | type[float] = int) -> Callable[[str], float]:
    """An argparse `type=`: the option's text as `kind`, refused (exit 2, with the option's
    name) unless finite and >= `minimum`, e.g. `--timeout -5` or `--retries -1`."""
    def parse(text: str) -> float:
        value = kind(text)  # ValueError: argparse says "invalid int value: 'x'"
        if not math.isfinite(value) or value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def add_model_options(p: argparse.ArgumentParser) -> None:
    """The options that choose and bound the model, the same for every command that calls one
    (read by review/run.py `llm_settings`; each falls back to a PLAN_LS_* variable, then the
    project's settings)."""
    p.add_argument("--base-url", help="OpenAI-compatible endpoint ($PLAN_LS_BASE_URL)")
    p.add_argument("--model", help="model name ($PLAN_LS_MODEL / $PLAN_LS_PLAN_MODEL)")
    p.add_argument("--api-key-env", metavar="VAR",
                   help="the variable that holds the key ($PLAN_LS_API_KEY_ENV, default "
                        "OPENAI_API_KEY); keys are read only from the environment")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="fail when the model sends no text for this long ($PLAN_LS_TIMEOUT, "
                        "default 120; keep-alive messages do not count)")
    p.add_argument("--context-tokens", type=int, metavar="N",
                   help="the model's context window ($PLAN_LS_CONTEXT_TOKENS; default: known "
                        "from the model's name, else 128000)")
    p.add_argument("--max-answer-bytes", type=int, metavar="N",
                   help="cut the answer off after N bytes ($PLAN_LS_MAX_ANSWER_BYTES, "
                        "default 2000000)")
    p.add_argument("--manual", action="store_true",
                   help="never call a model: write the rendered prompt and print its path")


def usage_error(message: object) -> int:
    """Say what is wrong on stderr; exit status 2 (bad usage or unreadable input)."""
    print(f"plan-ls: {message}", file=sys.stderr)
    return 2


def warn(message: object) -> None:
    """A warning on stderr; the command goes on."""
    print(f"plan-ls: warning: {message}", file=sys.stderr)


def project_settings(start: Path) -> tuple[Path, Settings]:
    """The project the folder `start` lies in, and its settings (the defaults, overridden by
    the project's `.plan-ls/config.toml`); each problem with the file is a warning.

    The project is the nearest folder at or above `start` that holds a settings file;
    without one, the nearest that holds a planning file or a project marker, like git finds
    a repository (sync/discover.py)."""
    from plan_ls.settings import CONFIG_FILE, load_settings
    from plan_ls.sync.discover import project_root

    start = start.resolve()
    root = next((f for f in (start, *start.parents) if (f / CONFIG_FILE).is_file()), None)
    settings, problems = load_settings(root)
    for problem in problems:
        warn(problem)
    if root is None:
        root = project_root(start, (settings.files.todo, settings.files.plan))
    return root, settings


def _version() -> str:
    from plan_ls import __version__

    return f"plan-ls {__version__}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    known = argv[0] if argv and any(argv[0] in c for c in COMMAND_MODULES.values()) else None
    parser = build_parser(known)
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
