"""The annotated corpus (../shared/corpus2): plan-ls reads published plans where their authors
kept them, scored by the team's scorer against hand annotations (issue 12's thresholds)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS2 = SHARED / "corpus2"
SCORER = SHARED / "tools" / "score_corpus.py"
pytestmark = pytest.mark.skipif(not (CORPUS2 / "truth.json").is_file() or not SCORER.is_file(),
                                reason=f"no annotated corpus at {CORPUS2} (or no scorer)")

_SCORE = re.compile(r"score: found (\d+)/(\d+), steps (\d+)/\d+, items (\d+)/\d+, "
                    r"links (\d+)/(\d+) \(\d+%\), next (\d+)/\d+")


@pytest.fixture(scope="module")
def prompt_plan_score() -> dict[str, float]:
    plan_ls = shutil.which("plan-ls", path=str(Path(sys.executable).parent)) or "plan-ls"
    out = subprocess.run([sys.executable, str(SCORER), "--plan-ls", plan_ls, "--format",
                          "prompt_plan", str(CORPUS2)], capture_output=True, text=True,
                         timeout=600)
    m = _SCORE.search(out.stdout)
    assert m, out.stdout + out.stderr
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
