"""Kiro requirements.md and the requirement ids tasks name (model/requirements.py)."""

from __future__ import annotations

from plan_ls.model.requirements import (
    Criterion,
    parse_requirements,
    ref_at,
    requirement_refs,
    uncovered,
)

REQUIREMENTS = """\
# Requirements Document

## Introduction

A garden watering timer.

## Requirements

### Requirement 1: Schedule

**User Story:** As a gardener, I want a schedule, so that plants get water while I am away.

#### Acceptance Criteria

1. WHEN a start time is set THEN the timer SHALL open the valve at that time
2. WHEN the duration ends
   THEN the timer SHALL close the valve
   - a note under the criterion, not a criterion
3. IF the battery is low THEN the timer SHALL skip the run

### Requirement 2

#### Acceptance Criteria

1. WHEN rain is reported THEN the timer SHALL delay the run by a day

## Glossary

1. Valve: the part that lets water through
"""


def test_criteria_are_numbered_per_requirement_with_their_text_and_line():
    reqs = parse_requirements(REQUIREMENTS)
    assert list(reqs.criteria) == ["1.1", "1.2", "1.3", "2.1"]
    lines = REQUIREMENTS.splitlines()
    two = reqs.criteria["1.2"]
    assert two == Criterion("1.2", lines.index("2. WHEN the duration ends"),
                            "WHEN the duration ends THEN the timer SHALL close the valve", "1")
    assert reqs.requirements["1"].title == "Schedule"
    assert "so that plants get water" in reqs.requirements["1"].story
    assert reqs.requirements["2"].title == "" and reqs.find("2") is reqs.requirements["2"]
    assert reqs.find("1.4") is None  # and the glossary's list is no requirement's


def test_refs_and_their_columns():
    lines = ["- [ ] 2. Close the valve", "  - _Requirements: 1.2, 2.1_",
             "  - *Requirements*: 1", "no ids here: 1.1"]
    refs = requirement_refs(lines)
    assert [(r.line, r.id) for r in refs] == [(1, "1.2"), (1, "2.1"), (2, "1")]
    for r in refs:
        assert lines[r.line][r.start:r.end] == r.id
    assert ref_at(refs, 1, lines[1].index("2.1") + 3).id == "2.1"  # the end counts
    assert ref_at(refs, 1, 0) is None


def test_uncovered_criteria():
    reqs = parse_requirements(REQUIREMENTS)
    refs = requirement_refs(["_Requirements: 1.1, 1.3_"])
    assert [c.id for c in uncovered(reqs, refs)] == ["1.2", "2.1"]
    refs = requirement_refs(["_Requirements: 1, 2.1_"])  # a whole requirement covers its own
    assert uncovered(reqs, refs) == []
