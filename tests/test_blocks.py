"""The sectioned, cached parse of `model/blocks.py` equals a whole-document parse."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings

from plan_ls.model import blocks
from plan_ls.model.blocks import parse_blocks
from plan_ls.model.todo import parse_todo
from tests.md_strategies import markdown_texts


def same(text: str) -> None:
    cut = parse_blocks(text)
    whole = parse_blocks(text, sectioned=False)
    assert cut == whole


@settings(max_examples=1500, deadline=None)
@given(markdown_texts)
# front matter whose first "---" lookalike is indented 4 (a code block, which does not close
# it): the real end is further down, past a heading that must not be cut (found by this test)
@example("---\n# not a heading\n    ---\n# Heading\n\n\n\n\n---\n")
def test_sectioned_parse_equals_whole_parse(text):
    same(text)


@pytest.mark.parametrize("text", [
    "<div>\n# inside the HTML block\n\n# a heading\n",  # type-7 HTML runs to a blank line
    "- ```\n  code\n  ```\n# A\n```\n# B, code\n```\n",  # a fence in a list item
    "<!--\nfirst\n# still a comment\n-->\n# heading\n",
    "---\ntitle: x\n# yaml comment\n---\n# heading\n",
    "---\n# not a heading\n ---\n# heading\n",
    "```\n# code\n````\n# code still\n```\n# heading\n",
])
def test_cuts_that_fool_the_cutter_are_merged(text):
    same(text)


def test_nested_list_in_a_quote_does_not_raise():
    todo = parse_todo("> - a\n>   - b\n- [ ] real\n  - [x] child\n")
    assert [(i.text, i.parent) for i in todo.items] == [("real", None), ("child", 0)]


def test_cache_is_bounded_in_characters(monkeypatch):
    monkeypatch.setattr(blocks, "_CACHE_CHARS", 50_000)
    blocks._CACHE.clear()
    monkeypatch.setattr(blocks, "_cached_chars", 0)
    body = "".join(f"- [ ] item {n}\n" for n in range(500))  # ~7 KB a section
    for keystroke in range(20):  # each a new section text: ~140 KB in all, 3x the bound
        parse_blocks(f"<!-- c -->\n# Todo {keystroke}\n" + body + "# Tail\n- [ ] t\n")
    assert blocks._cached_chars <= 50_000
    assert sum(len(k) for k in blocks._CACHE) == blocks._cached_chars
