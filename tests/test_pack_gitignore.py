"""The packer's ignore decisions must be git's: compared with `git check-ignore` on real trees."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plan_ls.pack import PackOptions, pack_repository

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
    reason="git is needed to compare against",
)

GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,  # no user-wide excludesFile
    "GIT_CONFIG_NOSYSTEM": "1",
}

OPTIONS = PackOptions(use_default_ignores=False, secret_scan=False, count_tokens=False, write=False)


def make_tree(root: Path, files: list[str], ignores: dict[str, str]) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=GIT_ENV)
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {rel}\n")
    for rel, text in ignores.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def all_files(root: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            out.append(Path(dirpath, name).relative_to(root).as_posix())
    return sorted(out)


def git_ignored(root: Path) -> set[str]:
    paths = all_files(root)
    proc = subprocess.run(
        ["git", "check-ignore", "--stdin", "-z"],
        cwd=root,
        input="\0".join(paths) + "\0",
        capture_output=True,
        text=True,
        env=GIT_ENV,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return {p for p in proc.stdout.split("\0") if p}


def packer_ignored(root: Path) -> set[str]:
    result = pack_repository(root, OPTIONS)
    dirs = [
        e.path for e in result.excluded if e.reason.startswith("gitignored") and e.path[-1:] == "/"
    ]
    files = {e.path for e in result.excluded if e.reason.startswith("gitignored")}
    ignored = set()
    for rel in all_files(root):
        if rel in files or any(rel.startswith(d) for d in dirs):
            ignored.add(rel)
    packed = {f.path for f in result.files}
    assert packed.isdisjoint(ignored)
    return ignored


FILES = [
    "README.md",
    "app.log",
    "keep.log",
    "build/out.txt",
    "src/build/gen.txt",
    "src/main.py",
    "src/main.pyc",
    "src/debug.log",
    "src/vendor/lib.py",
    "src/vendor/keep/this.py",
    "docs/a.md",
    "docs/private/notes.md",
    "docs/private/public.md",
    "logs/today.txt",
    "nested/deep/dir/file.tmp",
    "nested/deep/dir/important.tmp",
    "top.txt",
    "sub/top.txt",
    "data/x.csv",
    "data/sub/y.csv",
    "star/a/b/c.txt",
    "name with space.txt",
]


def test_nested_gitignores_match_git(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        FILES,
        {
            ".gitignore": "*.log\n!keep.log\n/build/\n*.pyc\n/top.txt\nlogs\nstar/**/c.txt\n",
            "src/.gitignore": "vendor/\n!vendor/keep/\n!debug.log\nbuild\n",
            "docs/.gitignore": "private/*\n!private/public.md\n",
            "nested/deep/.gitignore": "*.tmp\n",
            "nested/deep/dir/.gitignore": "!important.tmp\n",
            "data/.gitignore": "/*.csv\n",
            ".plan-ls/ignore": "",
        },
    )
    expected = git_ignored(tmp_path)
    # Sanity: the tree exercises negation, dir-only, anchoring and nesting.
    assert {"app.log", "src/vendor/keep/this.py", "docs/private/notes.md"} <= expected
    assert {"keep.log", "src/debug.log", "docs/private/public.md", "sub/top.txt"}.isdisjoint(
        expected
    )
    assert "nested/deep/dir/important.tmp" not in expected
    assert "data/sub/y.csv" not in expected and "data/x.csv" in expected
    assert packer_ignored(tmp_path) == expected


def test_info_exclude_is_honoured(tmp_path: Path) -> None:
    make_tree(tmp_path, ["a.txt", "b.txt", "c/d.txt"], {".gitignore": "!c/\n"})
    (tmp_path / ".git" / "info").mkdir(exist_ok=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("a.txt\nc/\n")
    assert packer_ignored(tmp_path) == git_ignored(tmp_path) == {"a.txt"}


# Random trees and patterns, built from pieces that exercise git's rules. Directory names and
# file names are drawn apart, so a path is never both a file and a directory.
DIRS = ["a", "b"]
LEAVES = ["x.py", "y.log", "z.txt", "a.txt"]
PATTERNS = [
    "a", "/a", "a/", "/a/", "b/", "*.log", "!*.log", "!y.log", "*.py", "!x.py", "a/*",
    "!a/z.txt", "**/b", "a/**/z.txt", "!b/", "b/*.py", "/*.txt", "!/z.txt", "*", "!a/",
    "a/b/", "[xy].*", "?.txt", "**/a/**", "b/**", "!*/", "a/b", "!a/b/x.py", "*.txt",
    "*/", "!a/**", "a/**/", "/**", "**/", "!b", "b/a/", "x.py/", "!/a", "\\!x.py", "a/?/",
]  # fmt: skip
paths_st = st.tuples(st.lists(st.sampled_from(DIRS), max_size=3), st.sampled_from(LEAVES)).map(
    lambda t: "/".join([*t[0], t[1]])
)
files_st = st.lists(paths_st, min_size=1, max_size=12, unique=True)
ignore_st = st.lists(st.sampled_from(PATTERNS), max_size=5).map(lambda ps: "\n".join(ps) + "\n")
dirs_st = st.sampled_from(["", "a", "b", "a/b", "b/a"])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(files=files_st, ignores=st.dictionaries(dirs_st, ignore_st, max_size=3))
def test_random_trees_match_git(
    tmp_path_factory: pytest.TempPathFactory, files: list[str], ignores: dict[str, str]
) -> None:
    root = tmp_path_factory.mktemp("tree")
    gitignores = {(f"{d}/.gitignore" if d else ".gitignore"): text for d, text in ignores.items()}
    make_tree(root, files, gitignores)
    assert packer_ignored(root) == git_ignored(root)


def test_packing_a_subdirectory_applies_the_ignore_files_above_it(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        [
            "app/sub/main.py",
            "app/sub/debug.log",
            "app/sub/keep.log",
            "app/sub/build/out.js",
            "app/sub/local.txt",
            "app/sub/deep/local.txt",
            "app/sub/cache/x.bin.txt",
            "app/sub/notes.md",
            "app/other.py",
        ],
        {
            ".gitignore": "*.log\n!keep.log\nbuild/\n/app/sub/local.txt\n",
            "app/.gitignore": "sub/cache/\nnotes.md\n",
            "app/sub/.gitignore": "!notes.md\n",
        },
    )
    (tmp_path / ".git" / "info" / "exclude").write_text("deep/\n")
    sub = tmp_path / "app" / "sub"
    in_sub = [p for p in git_ignored(tmp_path) if p.startswith("app/sub/")]
    expected = {p.removeprefix("app/sub/") for p in in_sub}
    assert expected == {
        *("debug.log", "build/out.js", "local.txt", "deep/local.txt", "cache/x.bin.txt")
    }
    assert packer_ignored(sub) == expected
    reasons = {e.path: e.reason for e in pack_repository(sub, OPTIONS).excluded}
    assert reasons["debug.log"] == "gitignored (../../.gitignore)"
    assert reasons["cache/"] == "gitignored (../.gitignore)"


def test_a_utf8_bom_does_not_disable_the_first_pattern(tmp_path: Path) -> None:
    # Editors on Windows often save with a BOM; git skips it before reading the first line.
    bom = "\ufeff"
    make_tree(
        tmp_path,
        ["debug.log", "notes.txt", "src/cache.tmp", "src/main.py", "draft.md", "readme.md"],
        {".gitignore": bom + "*.log\nnotes.txt\n", "src/.gitignore": bom + "*.tmp\n"},
    )
    expected = git_ignored(tmp_path)
    assert expected == {"debug.log", "notes.txt", "src/cache.tmp"}  # git honours line one
    assert packer_ignored(tmp_path) == expected


def test_a_utf8_bom_in_the_project_ignore_file_is_skipped_too(tmp_path: Path) -> None:
    make_tree(tmp_path, ["draft.md", "readme.md", "keep.md"], {})
    (tmp_path / ".plan-ls").mkdir()
    (tmp_path / ".plan-ls" / "ignore").write_bytes(b"\xef\xbb\xbfdraft.md\n")
    result = pack_repository(tmp_path, OPTIONS)
    reasons = {e.path: e.reason for e in result.excluded}
    assert reasons.get("draft.md") == "ignored by .plan-ls/ignore"
    assert {f.path for f in result.files} - {".plan-ls/ignore"} == {"readme.md", "keep.md"}
