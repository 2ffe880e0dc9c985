"""The annotated corpus (../shared/corpus2): plan-ls reads published plans where their authors
kept them, scored by the team's scorer against hand annotations (issue 12's thresholds)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS2 = SHARED / "corpus2"
SCORER = SHARED / "tools" / "score_corpus.py"
pytestmark = pytest.mark.skipif(not (CORPUS2 / "truth.json").is_file() or not SCORER.is_file(),
                                reason=f"no annotated corpus at {CORPUS2} (or no scorer)")

_SCORE = re.compile(r"score: found (\d+)/(\d+), steps (\d+)/\d+, items (\d+)/\d+, "
                    r"links (\d+)/(\d+) \(\d+%\), next (\d+)/\d+")


class _InProcess:
    """The scorer's `subprocess`: its `plan-ls ...` commands run in this process
    (tests/cli_runner.py), a few ms each instead of a new interpreter."""

    @staticmethod
    def run(argv: list[str], **options: object) -> subprocess.CompletedProcess[str]:
        assert argv[0] == "plan-ls", argv
        # run_cli captures text and has no time-out; a cwd, env or input would be dropped
        assert set(options) <= {"capture_output", "text", "timeout"}, options
        return run_cli(*argv[1:])


@pytest.fixture(scope="module")
def prompt_plan_score() -> dict[str, float]:
    spec = importlib.util.spec_from_file_location("score_corpus", SCORER)
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    scorer.subprocess = _InProcess
    printed = io.StringIO()
    argv = sys.argv
    sys.argv = [str(SCORER), "--plan-ls", "plan-ls", "--format", "prompt_plan", str(CORPUS2)]
    try:
        with contextlib.redirect_stdout(printed):
            scorer.main()
    finally:
        sys.argv = argv
    m = _SCORE.search(printed.getvalue())
    assert m, printed.getvalue()
    found, n, steps, items, links_ok, links_all, nxt = map(int, m.groups())
    return {"n": n, "found": found, "steps": steps, "items": items, "next": nxt,
            "links": links_ok / links_all}


def test_plans_are_found_and_read(prompt_plan_score):
    s = prompt_plan_score
    assert s["n"] == 14
    assert s["found"] == 14 and s["items"] == 14
    assert s["steps"] >= 13 and s["next"] >= 13


def test_items_link_to_their_steps_as_issue_12_asks(prompt_plan_score):
    assert prompt_plan_score["links"] >= 0.95
