"""Every real planning file in ../shared/corpus parses, and its counts hold up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plan_ls.model.plan import parse_plan
from plan_ls.model.snapshot import PlanSnapshot
from plan_ls.model.spec import parse_spec
from plan_ls.model.todo import parse_todo

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FILES = sorted(CORPUS.glob("*.md")) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"no corpus at {CORPUS}")

_ITEM = re.compile(r"^[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)+\[[^\[\]\\]\](?=[ \t]|$)")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def independent_count(text: str) -> int:
    """Count checklist lines with a plain line scanner (fences and quotes skipped)."""
    count, fence = 0, None
    for line in text.splitlines():
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                    and not line.strip()[len(m.group(1)):].strip():
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        if line.lstrip().startswith(">"):
            continue
        count += bool(_ITEM.match(line))
    return count


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_corpus_file_parses(path: Path):
    text = path.read_text(encoding="utf-8")
    todo = parse_todo(text)
    plan = parse_plan(text)
    spec = parse_spec(text)
    PlanSnapshot.build(todo, plan, spec)  # linking and drift never raise either
    assert todo.total == independent_count(text)
    for item in todo.items:  # every item's position really points at its box
        line = todo.blocks.lines[item.line]
        assert line[item.col] == "[" and line[item.col + 2] == "]"
        assert line[item.col + 1] == item.marker


def _pairs():
    by_repo: dict[str, dict[str, Path]] = {}
    for p in FILES:
        repo, _, name = p.name.partition("__")
        prefix = name.rsplit("_", 1)[0] if "_" in name else ""
        kind = "todo" if name.lower().endswith("todo.md") else \
            "plan" if name.endswith("prompt_plan.md") else None
        if kind:
            by_repo.setdefault(repo + "/" + prefix.replace("prompt", "").replace("todo", ""),
                               {})[kind] = p
    return [(k, v["todo"], v["plan"]) for k, v in sorted(by_repo.items())
            if "todo" in v and "plan" in v]


PAIRS = _pairs()


@pytest.mark.parametrize("name,todo_path,plan_path", PAIRS, ids=[p[0] for p in PAIRS])
def test_corpus_pairs_link(name, todo_path: Path, plan_path: Path):
    todo = parse_todo(todo_path.read_text(encoding="utf-8"))
    plan = parse_plan(plan_path.read_text(encoding="utf-8"))
    assert plan.steps, "every corpus plan has steps"
    snap = PlanSnapshot.build(todo, plan)
    # an item that names a group of steps ("1.1" over 1.1.1, 1.1.2) is accounted for too
    linked = sum(1 for link in snap.links if link.step is not None or link.how == "group")
    if todo.headings:  # a checklist with headings names its steps in them
        assert linked >= 0.8 * todo.total, f"{linked}/{todo.total} linked"


def test_corpus_plans_find_their_steps():
    """Spot checks of the ways real plans label steps."""
    def steps(name):
        return parse_plan((CORPUS / name).read_text(encoding="utf-8")).steps

    juno = steps("AHorihuela+juno__docs_archive_prompt_plan.md")
    assert [s.number for s in juno] == ["11", "12", "13", "14", "15", "16"]
    fences = steps("RomainSabathe+mnemovox__docs_design_prompt_plan.md")
    assert len(fences) == 8 and fences[0].title == "Project Scaffold & Config Loader"
    bold = steps("Oggmonster+joker-poker__prompt_plan.md")
    assert bold[0].number == "1.1.1" and bold[0].prompts[0].fenced
    emoji = steps("Cklaus1+audioscript__prompt_plan.md")
    assert [(s.number, s.title) for s in emoji] == [("1", "CLI Setup & Config Loading"),
                                                     ("9", "Resume, Skip, and Retry Logic")]
    lines = steps("DemitriBr+Job-Tracker-4-__prompt_plan.md")
    assert len(lines) >= 8 and lines[0].label == "Prompt"
    phased = steps("WoodRust+ConquestCalculator__Blueprint_prompt_plan.md")
    assert len(phased) == 9 and all(s.prompts for s in phased)
