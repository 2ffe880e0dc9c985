"""The pure parts of the review workflow: places in findings, issues.md, llm YAML, bundles."""

from __future__ import annotations

import os
import time

import pytest

from plan_ls.review.bundle import get_bundle, is_fresh, sibling
from plan_ls.review.export import llm_yaml, mise_toml, split_system, to_llm_syntax
from plan_ls.review.findings import Place, findings_at, locate, parse_findings, places_in
from plan_ls.review.issues import parse_issues, record_number
from tests.lsp_client import copy_sample

REVIEW = """# Review of invoicer

The code works but rounds money late.

## Correctness

- [ ] `invoicer/pricing.py:23-25`: tax is added before the discount; apply it after.
- [x] **invoicer/cli.py:12** — the quantity is parsed with int() and no check.
- [ ] Unknown regions get a 0% rate in `invoicer/pricing.py` (line 12), silently.
- [ ] The README is out of date.

```text
- [ ] `invoicer/models.py:3`: inside a fence, not a finding
```
"""


@pytest.mark.parametrize("text, place", [
    ("`a/b.py:42`: x", Place("a/b.py", 42, 42)),
    ("**a/b.py:4-8** — x", Place("a/b.py", 4, 8)),
    ("see ./src/x.ts#L7-L9 for it", Place("src/x.ts", 7, 9)),
    ("`lib/util.rb` line 5: x", Place("lib/util.rb", 5, 5)),
    ("`Makefile:3`: x (makefiles have no extension)", None),
    ("`scripts/Makefile:3`: x", Place("scripts/Makefile", 3, 3)),
    ("step 2:4 and note: 3", None),
    ("https://example.org:8080 is a URL, `x.py:2` the place", Place("x.py", 2, 2)),
    ("first `a.py:1`, then `b.py:2`", Place("a.py", 1, 1)),
])
def test_locate_finds_the_first_place_an_item_names(text, place):
    assert locate(text) == place


def test_places_in_a_line_are_all_found_once():
    line = "`a/b.py:4-8` and **c.py:2**, then `d/e.ts` line 9; not 10:30"
    assert [(line[s:e], p) for s, e, p in places_in(line)] == [
        ("a/b.py:4-8", Place("a/b.py", 4, 8)), ("c.py:2", Place("c.py", 2, 2)),
        ("`d/e.ts` line 9", Place("d/e.ts", 9, 9))]


def test_findings_are_the_placed_items_outside_code():
    found = parse_findings(REVIEW)
    assert [(f.place.path, f.place.start, f.place.end, f.done) for f in found] == [
        ("invoicer/pricing.py", 23, 25, False), ("invoicer/cli.py", 12, 12, True),
        ("invoicer/pricing.py", 12, 12, False)]
    assert found[0].line == 6 and found[0].section == "Correctness"
    assert [f.line for f in findings_at(found, "invoicer/pricing.py", 24)] == [6]
    assert findings_at(found, "invoicer/pricing.py", 26) == []
    # a model that drops or adds a leading folder still points at the file
    assert findings_at(found, "src/invoicer/cli.py", 12)[0].done
    assert findings_at(found, "other/cli.py", 12) == []


ISSUES = """# Issues

## Apply the bulk discount before tax

- [ ] Apply the bulk discount before tax

`invoicer/pricing.py:23` adds tax to the full subtotal.

Done when a test shows the discounted total.

Labels: bug, money

## 2. Check quantities (#7)

The CLI accepts negative quantities.

**Labels:** `bug`

## Document the data file

- [x] Document the data file

Nobody knows the JSON shape.
"""


def test_issues_parse_into_title_body_labels_number():
    issues = parse_issues(ISSUES)
    assert [i.title for i in issues] == ["Apply the bulk discount before tax",
                                         "Check quantities", "Document the data file"]
    first = issues[0]
    assert first.body == ("`invoicer/pricing.py:23` adds tax to the full subtotal.\n\n"
                          "Done when a test shows the discounted total.")
    assert first.labels == ["bug", "money"] and first.number is None and not first.done
    assert (first.line, first.item_line) == (2, 4)
    assert issues[1].number == 7 and issues[1].labels == ["bug"] and issues[1].item_line is None
    assert issues[2].done and issues[2].labels == []
    assert first.to_json()["line"] == 3


def test_recording_a_number_touches_one_line_and_only_once():
    text = record_number(ISSUES, 0, "Apply the bulk discount before tax", 12)
    assert text is not None
    changed = [(a, b) for a, b in zip(ISSUES.split("\n"), text.split("\n")) if a != b]
    assert changed == [("- [ ] Apply the bulk discount before tax",
                        "- [ ] Apply the bulk discount before tax (#12)")]
    assert parse_issues(text)[0].number == 12
    assert record_number(text, 0, "Apply the bulk discount before tax", 13) is None
    # the issue moved (someone inserted one above): found by its title
    moved = text.replace("# Issues\n", "# Issues\n\n## New one\n\nText.\n", 1)
    again = record_number(moved, 2, "Document the data file", 14)
    assert again is not None and "- [x] Document the data file (#14)" in again
    # a section without an item carries its number on the heading; CRLF stays CRLF
    crlf = "## Only a heading\r\n\r\nBody.\r\n"
    assert record_number(crlf, 0, "Only a heading", 3) == "## Only a heading (#3)\r\n\r\nBody.\r\n"
    assert record_number(ISSUES, 0, "Not there", 1) is None


def test_llm_templates_use_dollar_fields_and_split_system_from_prompt():
    system, prompt = split_system("Do this.\n\n## The spec\n\n{{spec}}\n")
    assert (system, prompt) == ("Do this.", "## The spec\n\n{{spec}}")
    assert split_system("{{spec}} only") == ("", "{{spec}} only")
    assert to_llm_syntax("cost in $ of {{bundle}}", ["bundle"]) == "cost in $$ of $input"
    assert to_llm_syntax("{{idea}} and {{transcript}}s", ["idea", "transcript"]) == \
        "$idea and ${transcript}s"
    text = llm_yaml("Review it.\n  Indented line.\n\n## Code\n\n{{bundle}}\n")
    assert text == ("system: |\n  Review it.\n    Indented line.\n"
                    "prompt: |\n  ## Code\n\n  $input\n")


def test_mise_tasks_call_the_cli():
    toml = mise_toml()
    for task in ("plan:pack", "plan:review", "plan:issues", "plan:missing-tests",
                 "plan:status"):
        assert f'[tasks."{task}"]' in toml
    assert 'run = "plan-ls missing-tests"' in toml


def test_a_bundle_is_reused_until_a_file_changes_or_goes(tmp_path):
    root = copy_sample("legacy", tmp_path)
    assert not is_fresh(root)
    first = get_bundle(root)
    assert first.packed is not None and first.packed["files"] > 5
    assert "invoicer/pricing.py" in first.text
    assert is_fresh(root)
    again = get_bundle(root)
    assert again.packed is None and again.text == first.text
    # answers and rendered prompts neither make it stale nor get packed
    (root / "code-review.md").write_text("- [ ] `a.py:1`: x\n")
    (root / ".plan-ls" / "prompts-out").mkdir(parents=True)
    (root / ".plan-ls" / "prompts-out" / "code-review.md").write_text(first.text)
    assert is_fresh(root)
    assert get_bundle(root, repack=True).text.count("File: ") == first.text.count("File: ")
    # an edited file makes it stale
    later = (root / "output.txt").stat().st_mtime_ns + 1_000_000  # 1 ms after the pack
    os.utime(root / "invoicer" / "pricing.py", ns=(later, later))
    time.sleep(0.01)
    assert not is_fresh(root)
    get_bundle(root)
    assert is_fresh(root)
    # so does a deleted one (its folder's other files are older than the bundle)
    (root / "invoicer" / "storage.py").unlink()
    assert not is_fresh(root)


def test_sibling_picks_the_first_free_name(tmp_path):
    (tmp_path / "code-review.md").write_text("x")
    (tmp_path / "code-review-2.md").write_text("x")
    assert sibling(tmp_path / "code-review.md").name == "code-review-3.md"
