"""`plan-ls issues export` and `plan-ls issues post` against a stand-in `gh` on PATH that
records its calls and fails when told to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

ISSUES = """# Issues

## Charge tax after the bulk discount

- [ ] Charge tax after the bulk discount

`invoicer/pricing.py:23` taxes the full subtotal.

Labels: bug

## Reject unknown tax regions

- [ ] Reject unknown tax regions

`invoicer/pricing.py:12` returns 0.0.

Labels: bug, money

## Save the inventory atomically

- [ ] Save the inventory atomically

A crash while saving leaves half a JSON file.

## Document the data file

- [x] Document the data file

Already done by hand.

## Test the CLI

- [ ] Test the CLI

Nothing runs `invoicer.cli`.

Labels: tests
"""

GH = """#!{python} -S
import json, os, sys
log = os.environ["GH_LOG"]
with open(log, "a", encoding="utf-8") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["auth", "status"]:
    if os.environ.get("GH_LOGGED_OUT"):
        print("You are not logged into any GitHub hosts.", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
if sys.argv[1:3] == ["issue", "create"]:
    args = sys.argv[3:]
    unknown = os.environ.get("GH_UNKNOWN_LABEL")
    if unknown and unknown in [args[i + 1] for i, a in enumerate(args) if a == "--label"]:
        print(f"could not add label: '{{unknown}}' not found", file=sys.stderr)
        sys.exit(1)
    counter = log + ".filed"
    n = int(open(counter).read()) if os.path.exists(counter) else 0
    if os.environ.get("GH_FAIL_ON") == str(n + 1):
        os.environ["GH_FAIL_ON"] = ""
        print("HTTP 502: Bad Gateway (https://api.github.com/graphql)", file=sys.stderr)
        sys.exit(1)
    open(counter, "w").write(str(n + 1))
    repo = args[args.index("--repo") + 1] if "--repo" in args else "owner/repo"
    print(f"https://github.com/{{repo}}/issues/{{100 + n + 1}}")
    sys.exit(0)
sys.exit(3)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "issues.md").write_text(ISSUES, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(GH.format(python=sys.executable), encoding="utf-8")
    gh.chmod(0o755)
    return root


def plan_ls(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = root.parent / "bin"
    environ = os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                            "GH_LOG": str(root.parent / "gh.log")} | env
    return run_cli(*args, env=environ)


def gh_calls(root: Path) -> list[list[str]]:
    log = root.parent / "gh.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def created_titles(root: Path) -> list[str]:
    return [c[c.index("--title") + 1] for c in gh_calls(root) if c[:2] == ["issue", "create"]]


def test_export_prints_one_json_object_per_issue(project: Path):
    proc = plan_ls(project, "issues", "export", str(project), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["title"] for r in rows][:2] == ["Charge tax after the bulk discount",
                                             "Reject unknown tax regions"]
    assert rows[1] == {"title": "Reject unknown tax regions",
                       "body": "`invoicer/pricing.py:12` returns 0.0.",
                       "labels": ["bug", "money"], "number": None, "done": False, "line": 11}
    assert rows[3]["done"] and len(rows) == 5
    human = plan_ls(project, "issues", "export", str(project))
    assert "issues.md:3: Charge tax after the bulk discount [bug] (not filed)" in human.stdout


def test_post_files_each_issue_once_and_resumes_after_a_failure(project: Path):
    issues = project / "issues.md"
    proc = plan_ls(project, "issues", "post", str(project), "--repo", "acme/invoicer",
                   GH_FAIL_ON="3")
    assert proc.returncode == 1
    assert "Save the inventory atomically" in proc.stderr and "502" in proc.stderr
    assert "run again to resume" in proc.stderr
    assert created_titles(project) == ["Charge tax after the bulk discount",
                                       "Reject unknown tax regions",
                                       "Save the inventory atomically"]  # the third failed
    text = issues.read_text(encoding="utf-8")
    assert "- [ ] Charge tax after the bulk discount (#101)\n" in text
    assert "- [ ] Reject unknown tax regions (#102)\n" in text
    assert "- [ ] Save the inventory atomically\n" in text
    first = gh_calls(project)[1]
    assert first == ["issue", "create", "--title", "Charge tax after the bulk discount",
                     "--body", "`invoicer/pricing.py:23` taxes the full subtotal.",
                     "--label", "bug", "--repo", "acme/invoicer"]
    assert gh_calls(project)[0] == ["auth", "status"]

    # the developer edits the file meanwhile; the rerun keeps that and files the rest
    issues.write_text(text.replace("Already done by hand.", "Done by hand, see wiki."),
                      encoding="utf-8")
    proc = plan_ls(project, "issues", "post", str(project), "--repo", "acme/invoicer")
    assert proc.returncode == 0, proc.stderr
    assert "#103 Save the inventory atomically" in proc.stdout
    assert "#104 Test the CLI" in proc.stdout
    titles = created_titles(project)
    assert titles.count("Save the inventory atomically") == 2  # failed once, then filed
    assert len(set(titles)) == len(titles) - 1 == 4 and "Document the data file" not in titles
    text = issues.read_text(encoding="utf-8")
    assert "Done by hand, see wiki." in text and "- [ ] Test the CLI (#104)\n" in text
    changed = [a for a, b in zip(ISSUES.split("\n"), text.split("\n")) if a != b]
    assert len(changed) == 5  # four items got a number, one line was the developer's

    # posting again files nothing
    calls = len(gh_calls(project))
    proc = plan_ls(project, "issues", "post", str(project))
    assert proc.returncode == 0 and "filed 0, skipped 5" in proc.stderr
    assert [c for c in gh_calls(project)[calls:] if c[0] == "issue"] == []


def test_an_unknown_label_files_the_issue_without_labels(project: Path):
    issues = project / "issues.md"
    issues.write_text(ISSUES.split("## Save")[0], encoding="utf-8")
    proc = plan_ls(project, "issues", "post", str(project), GH_UNKNOWN_LABEL="money")
    assert proc.returncode == 0, proc.stderr
    assert "filing without them" in proc.stdout
    creates = [c for c in gh_calls(project) if c[:2] == ["issue", "create"]]
    assert creates[-1][-2:] == ["--body", "`invoicer/pricing.py:12` returns 0.0."]
    assert "(#102)" in issues.read_text(encoding="utf-8")


def test_dry_run_prints_the_commands_and_changes_nothing(project: Path):
    proc = plan_ls(project, "issues", "post", str(project), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == ("gh issue create --title 'Charge tax after the bulk "
                                           "discount' --body '`invoicer/pricing.py:23` taxes "
                                           "the full subtotal.' --label bug")
    assert len(proc.stdout.splitlines()) == 4
    assert gh_calls(project) == []
    assert (project / "issues.md").read_text(encoding="utf-8") == ISSUES


def test_without_gh_or_a_login_nothing_is_filed(project: Path, tmp_path: Path):
    proc = plan_ls(project, "issues", "post", str(project), GH_LOGGED_OUT="1")
    assert proc.returncode == 2
    assert "gh is not logged in" in proc.stderr and "gh auth login" in proc.stderr
    assert [c for c in gh_calls(project) if c[0] == "issue"] == []
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = plan_ls(project, "issues", "post", str(project), PATH=str(empty))
    assert proc.returncode == 2 and "not on PATH" in proc.stderr
    proc = plan_ls(project, "issues", "post", str(tmp_path))
    assert proc.returncode == 2 and "no such file" in proc.stderr
    proc = plan_ls(project, "issues", "export", str(project), str(project))
    assert proc.returncode == 2
