"""Numeric options are refused, with their name, when out of range: a negative timeout or
retry count used to run with no limit, and `pack --max-file-size -3` packed nothing."""

from __future__ import annotations

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
