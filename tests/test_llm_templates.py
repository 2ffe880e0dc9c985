"""Prompt templates: rendering, project overrides, unknown placeholders; the transcript."""

from __future__ import annotations

import pytest

from plan_ls.llm.templates import (
    PLACEHOLDERS,
    TemplateError,
    list_templates,
    placeholders,
    render_template,
    template_path,
)
from plan_ls.llm.transcript import MarkerFilter, new_transcript, parse_transcript

SHIPPED = {"interview", "compile-spec", "plan-tdd", "plan-plain", "todo-checklist",
           "code-review", "issues", "missing-tests"}


def test_every_workflow_template_ships_and_uses_known_placeholders():
    assert SHIPPED <= set(list_templates())
    for name in SHIPPED:
        text = template_path(name).read_text(encoding="utf-8")
        assert set(placeholders(text)) <= set(PLACEHOLDERS), name


def test_render_fills_values_and_notes_missing_ones():
    out = render_template("plan-tdd", {"spec": "# Spec\nA habit tracker."})
    assert "A habit tracker." in out and "{{" not in out
    assert "## Step N: Title" in out and "```text" in out
    empty = render_template("interview", {"idea": "an idea"})
    assert "an idea" in empty and "(no transcript available yet)" in empty


def test_review_templates_ask_for_checklist_items_with_paths_and_lines():
    for name in ("code-review", "issues", "missing-tests"):
        out = render_template(name, {"bundle": "<file path='a.py'>x</file>"})
        assert "- [ ]" in out and "line" in out and "<file path='a.py'>" in out
    assert "Labels:" in render_template("issues", {"bundle": "x"})


def test_project_override_wins_and_can_add_templates(tmp_path):
    folder = tmp_path / ".plan-ls" / "prompts"
    folder.mkdir(parents=True)
    (folder / "plan-tdd.md").write_text("Our own plan prompt for {{spec}}", encoding="utf-8")
    (folder / "release-notes.md").write_text("Notes from {{plan}}", encoding="utf-8")
    assert render_template("plan-tdd", {"spec": "S"}, tmp_path) == "Our own plan prompt for S"
    assert render_template("plan-tdd.md", {"spec": "S"}, tmp_path).startswith("Our own")
    assert "release-notes" in list_templates(tmp_path)
    assert render_template("plan-tdd", {"spec": "S"}).startswith("You are planning")


def test_unknown_placeholder_names_file_and_placeholder(tmp_path):
    folder = tmp_path / ".plan-ls" / "prompts"
    folder.mkdir(parents=True)
    (folder / "interview.md").write_text("Ask about {{idea}} and {{ ideaa }}", encoding="utf-8")
    with pytest.raises(TemplateError) as err:
        render_template("interview", {"idea": "x"}, tmp_path)
    assert "interview.md" in str(err.value) and "{{ideaa}}" in str(err.value)


def test_unknown_template_name_is_an_error():
    with pytest.raises(TemplateError, match="no prompt template named 'nope'"):
        render_template("nope", {})
    with pytest.raises(TemplateError):
        render_template("../secrets", {})


def test_transcript_round_trip_and_unanswered_question():
    text = new_transcript("A habit tracker") + (
        "\n## Question 1\n\nWho uses it?\n\n**Answer:**\n\nJust me.\n"
        "\n## Question 2\n\nWhere is data kept?\n\n**Answer:**\n\n<!-- later -->\n")
    tr = parse_transcript(text)
    assert tr.idea == "A habit tracker"
    assert [(x.number, x.question, x.answer) for x in tr.turns] == [
        (1, "Who uses it?", "Just me."), (2, "Where is data kept?", "")]
    assert tr.waiting_turn is not None and tr.waiting_turn.number == 2
    assert tr.next_number == 3 and "Answer 1: Just me." in tr.as_prompt_text()
    assert not tr.complete
    assert parse_transcript(text + "\n## Interview complete\n\nDone.\n").complete


def test_marker_filter_holds_back_only_the_completion_marker():
    f = MarkerFilter()
    assert f.feed("INTER") == "" and f.feed("VIEW COMPLETE\nThe spec will") == "The spec will"
    assert f.complete
    g = MarkerFilter()
    assert g.feed("IN") == "" and g.feed("stead, who") == "INstead, who" and not g.complete
    h = MarkerFilter()
    assert h.feed("What") == "What" and h.feed(" else?") == " else?"
