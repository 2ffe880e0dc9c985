"""Properties of the merge driver against the real `git merge-file` (issue 19).

A random checklist and two random sets of changes to it: ticks, unticks, claims and releases
alone never conflict and give the union; with text edits and new lines added, the driver
conflicts exactly where `git merge-file` conflicts on the text (boxes and claims left out),
and where it does not, each item holds the union of both sides' ticks and claims."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plan_ls.model.merge import merge_plans, normalise, parse_line
from plan_ls.sync.git import merge_text_with_git

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
    reason="needs git")

NAMES = ("ana", "bot-1", "bot-2")
WORDS = ("parse", "print", "test", "docs", "ship")
FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@dataclass(frozen=True)
class Item:
    done: bool
    claims: tuple[str, ...]
    word: str
    edited: str = ""  # words appended to the text


@dataclass(frozen=True)
class Doc:
    heads: tuple[bool, ...]  # a step heading before item i
    items: tuple[Item, ...]
    inserted: tuple[tuple[int, str], ...] = ()  # (after item i, new line)


def render(doc: Doc, eol: str) -> str:
    out = ["# Todo" + eol]
    added = dict(doc.inserted)
    for i, (head, item) in enumerate(zip(doc.heads, doc.items)):
        if head:
            out.append(f"## Step {i}" + eol)
        tags = "".join(f" (@{n})" for n in item.claims)
        out.append(f"- [{'x' if item.done else ' '}] t{i} {item.word}{item.edited}{tags}{eol}")
        if i in added:
            out.append(added[i] + eol)
    return "".join(out)


@st.composite
def docs(draw) -> Doc:
    n = draw(st.integers(1, 9))
    items = tuple(Item(draw(st.booleans()),
                       draw(st.sampled_from([(), *((name,) for name in NAMES)])),
                       draw(st.sampled_from(WORDS))) for _ in range(n))
    return Doc(tuple(draw(st.lists(st.booleans(), min_size=n, max_size=n))), items)


@st.composite
def changes(draw, doc: Doc, side: str, text: bool) -> Doc:
    """One side's changes: per item maybe a toggle, a claim (replacing any), a release; with
    `text`, maybe a word appended and new lines after some items."""
    items = []
    for item in doc.items:
        if draw(st.booleans()):
            item = replace(item, done=not item.done)
        claim = draw(st.sampled_from(["keep", "release", *NAMES]))
        if claim == "release":
            item = replace(item, claims=())
        elif claim != "keep":
            item = replace(item, claims=(claim,))
        if text and draw(st.integers(0, 3)) == 0:
            item = replace(item, edited=f" {side}{draw(st.sampled_from(WORDS))}")
        items.append(item)
    inserted: tuple[tuple[int, str], ...] = ()
    if text:
        after = draw(st.lists(st.integers(0, len(items) - 1), max_size=2, unique=True))
        inserted = tuple((i, f"- [{draw(st.sampled_from(' x'))}] new {side}{i}") for i in after)
    return replace(doc, items=tuple(items), inserted=inserted)


@st.composite
def merges(draw, text: bool) -> tuple[Doc, Doc, Doc, str]:
    base = draw(docs())
    return (base, draw(changes(base, "a", text)), draw(changes(base, "b", text)),
            draw(st.sampled_from(["\n", "\r\n"])))


def union(o: Item, a: Item, b: Item) -> tuple[bool, set[str]]:
    """What the merged item must be: a toggle on either side wins (two toggles of one box
    agree), and the claims both kept plus those either side added."""
    done = a.done if a.done != o.done else b.done
    claims = (set(o.claims) & set(a.claims) & set(b.claims)) | (set(a.claims) - set(o.claims)) \
        | (set(b.claims) - set(o.claims))
    return done, claims


def item_lines(text: str) -> dict[str, tuple[bool, set[str]]]:
    out = {}
    for raw in text.splitlines(keepends=True):
        line = parse_line(raw)
        found = re.match(r"- \[ \] (t\d+) ", line.norm)
        if line.marker is not None and found:
            out[found.group(1)] = (line.marker == "x", set(line.claims))
    return out


def git_merge_file(tmp: Path, o: str, a: str, b: str) -> tuple[int, str]:
    for name, text in (("o", o), ("a", a), ("b", b)):
        (tmp / name).write_bytes(text.encode())
    done = subprocess.run(["git", "merge-file", "-p", "a", "o", "b"], cwd=tmp,
                          capture_output=True, check=False)
    return done.returncode, done.stdout.decode()


@FAST
@given(merges(text=False))
def test_ticks_and_claims_alone_never_conflict_and_hold_the_union(tmp_path: Path, case) -> None:
    base, ours, theirs, eol = case
    o, a, b = (render(d, eol) for d in (base, ours, theirs))
    result = merge_plans(o, a, b, merge_text_with_git(tmp_path))
    assert result.conflicts == 0, result.text
    assert normalise(result.text) == normalise(o)  # nothing else changed
    got = item_lines(result.text)
    for i, items in enumerate(zip(base.items, ours.items, theirs.items)):
        assert got[f"t{i}"] == union(*items), (i, result.text)
    two = [n for n, raw in enumerate(result.text.splitlines()) if raw.count("(@") > 1]
    assert result.claim_conflicts == two


@FAST
@given(merges(text=True))
def test_with_text_edits_conflicts_are_exactly_git_merge_files_on_the_text(
        tmp_path: Path, case) -> None:
    base, ours, theirs, eol = case
    o, a, b = (render(d, eol) for d in (base, ours, theirs))
    result = merge_plans(o, a, b, merge_text_with_git(tmp_path))
    conflicts, text = git_merge_file(tmp_path, normalise(o), normalise(a), normalise(b))
    assert result.conflicts == conflicts, (result.text, text)
    if conflicts:
        return
    assert normalise(result.text) == text
    got = item_lines(result.text)
    for i, items in enumerate(zip(base.items, ours.items, theirs.items)):
        assert got[f"t{i}"] == union(*items), (i, result.text)
