"""Numeric options are refused, with their name, when out of range: a negative timeout or
retry count used to run with no limit, and `pack --max-file-size -3` packed nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli


@pytest.mark.parametrize("argv, refused", [
    (["run", "--timeout", "-1"], "argument --timeout: must be 0 or more, not -1"),
    (["run", "--timeout", "nan"], "argument --timeout: must be 0 or more, not nan"),
    (["run", "--timeout", "soon"], "argument --timeout: invalid float value: 'soon'"),
    (["run", "--retries", "-4"], "argument --retries: must be 0 or more, not -4"),
    (["pack", "--max-file-size", "-3"], "argument --max-file-size: must be 1 or more, not -3"),
    (["pack", "--max-file-size", "0"], "argument --max-file-size: must be 1 or more, not 0"),
])
def test_out_of_range_numbers_are_usage_errors(tmp_path: Path, argv: list[str], refused: str):
    (tmp_path / "todo.md").write_text("# Todo\n\n## Step 1: A\n\n- [ ] a\n")
    done = run_cli(*argv, str(tmp_path))
    assert done.returncode == 2
    assert refused in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["todo.md"]  # nothing was written


@pytest.mark.parametrize("argv", [["run", "--timeout", "0"], ["run", "--retries", "0"],
                                  ["pack", "--max-file-size", "1"]])
def test_the_smallest_allowed_value_is_taken(tmp_path: Path, argv: list[str]):
    done = run_cli(*argv, str(tmp_path), "--help")
    assert done.returncode == 0 and "usage: plan-ls" in done.stdout


def test_each_command_module_adds_the_commands_listed_for_it():
    import argparse
    import importlib

    from plan_ls.cli import COMMAND_MODULES

    for module, commands in COMMAND_MODULES.items():
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).add_commands(sub)
        assert tuple(sub.choices) == commands, module


def test_a_command_imports_its_own_group_only():
    # through main, as `plan-ls serve` runs: main picks the group from the command's name
    probe = ("import contextlib, io, sys; from plan_ls.cli import main\n"
             "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
             "    main(['serve', '--help'])\n"
             "print(sorted(m for m in sys.modules if m.startswith('plan_ls.cli.')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['plan_ls.cli.core']"


@pytest.mark.parametrize("argv, said", [
    (["--help"], "brainstorm"),  # every group in the help
    (["nonsense"], "invalid choice: 'nonsense'"),
    (["serve", "--help"], "--stdio"),
])
def test_help_and_wrong_commands_still_see_every_group(argv: list[str], said: str):
    done = run_cli(*argv)
    assert said in done.stdout + done.stderr


def test_what_start_up_dropped_is_collected_once_after_the_freeze():
    """`serve` freezes what start-up made (its garbage too); `initialized` collects it."""
    import gc
    import weakref

    from plan_ls.startup import collect_start_up_garbage, fewer_collections

    class Node:
        pass

    try:
        with fewer_collections():
            node = Node()
            node.self = node  # a cycle: only the collector frees it
            gone = weakref.ref(node)
            del node
        gc.collect()
        assert gone() is not None  # frozen: no ordinary collection sees it
        assert collect_start_up_garbage() >= 1
        assert gone() is None
        assert collect_start_up_garbage() == 0  # once
    finally:
        gc.unfreeze()
