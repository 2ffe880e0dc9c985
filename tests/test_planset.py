"""PlanSet: one PlanState per plan of the workspace (sync/planset.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from plan_ls.sync.planset import PlanSet, plan_id

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "multi"


def loaded(root: Path) -> PlanSet:
    plans = PlanSet(root.resolve())
    plans.refresh()
    for state in plans:
        state.load_all_from_disk()
    return plans


def test_each_file_finds_its_plan_and_others_find_the_primary(tmp_path):
    root = shutil.copytree(SAMPLE, tmp_path / "w").resolve()
    (root / "spec.md").unlink()  # the root plan's search for a spec.md finds a feature's
    plans = loaded(root)
    assert [plan_id(s) for s in plans] == [".", ".kiro/specs/offline-sync",
                                           "specs/001-tag-notes", "specs/002-share-links"]
    tags = plans.state_for(root / "specs/001-tag-notes/tasks.md")
    assert tags is plans.others["specs/001-tag-notes"]
    # the feature's spec.md is its own, not the root plan's
    assert plans.state_for(root / "specs/001-tag-notes/spec.md") is tags
    kiro = plans.others[".kiro/specs/offline-sync"]
    assert plans.state_for(root / ".kiro/specs/offline-sync/requirements.md") is kiro
    assert plans.state_for(root / "todo.md") is plans.primary
    assert plans.state_for(root / "README.md") is None
    assert (tags.snapshot.overall.done, tags.snapshot.overall.total) == (1, 4)


def test_refresh_keeps_the_plans_that_stayed_and_finds_new_and_gone_ones(tmp_path):
    root = shutil.copytree(SAMPLE, tmp_path / "w").resolve()
    plans = loaded(root)
    tags = plans.others["specs/001-tag-notes"]
    tags.editor_text("plan", "# Tasks\n\n## Phase 1: Setup\n\n- [x] T001 a\n", 3)
    (root / "specs/003-new").mkdir()
    (root / "specs/003-new/tasks.md").write_text("# Tasks\n\n- [ ] T001 first\n")
    shutil.rmtree(root / "specs/002-share-links")
    new = plans.refresh()
    assert [plan_id(s) for s in new] == ["specs/003-new"]
    assert list(plans.others) == [".kiro/specs/offline-sync", "specs/001-tag-notes",
                                  "specs/003-new"]
    assert plans.others["specs/001-tag-notes"] is tags  # the editor's text is kept
    assert tags.state["plan"].open_in_editor
    assert plans.state_for(root / "specs/002-share-links/tasks.md") is None
    assert plans.state_for(root / "specs/003-new/tasks.md") is new[0]
    assert "specs/003-new/tasks.md" in plans.watch_names()
