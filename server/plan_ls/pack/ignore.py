"""Git's ignore rules: a stack of .gitignore files, each matched relative to its own directory.

pathspec parses the patterns. Its matcher answers "is this path or one of its parent
directories matched", which is right for a flat list of paths but not for a walk: git decides
each directory when it reaches it, never enters an ignored one, and inside a directory that
it did enter only patterns that match an entry *itself* count. So for `a/*` followed by
`!a/`, git ignores `a/b/` (only `a/*` matches it; `!a/` matches its parent), while pathspec's
last-match rule would keep it. `self_match` below makes that distinction with pathspec's own
regexes, which mark the spot where a directory match ends with a group named `ps_d`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

_DIR_GROUP = "ps_d"


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]  # pathspec's, used with search()
    at_end: re.Pattern[str]  # the same, but the match must reach the end of the path
    ignore: bool  # False for a negated ("!") pattern
    marks_dirs: bool  # has the directory group: a match that stops there means "inside a dir"


def _compile(regex: re.Pattern[str], ignore: bool) -> _Pattern:
    at_end = re.compile(f"(?:{regex.pattern})\\Z", regex.flags)
    return _Pattern(regex, at_end, ignore, _DIR_GROUP in regex.groupindex)


def self_match(p: _Pattern, rel: str, is_dir: bool) -> bool:
    """Does the pattern match the entry rel itself (not merely a directory above it)?"""
    if p.at_end.search(rel):
        return True
    if p.marks_dirs:
        if is_dir:
            m = p.at_end.search(rel + "/")
            return m is not None and m.group(_DIR_GROUP) is not None
        return False
    # No directory group: the regex is an "everything inside" form such as `a/**` or `*`,
    # for which any match is a match of the entry itself.
    return p.regex.search(rel) is not None


@dataclass(frozen=True)
class IgnoreLayer:
    base: str  # the directory the patterns are relative to: posix, relative to the root; "" = root
    spec: GitIgnoreSpec
    patterns: tuple[_Pattern, ...]
    source: str  # where the patterns came from, for the exclusion reason
    # For ignore files above the packed root (it is a subdirectory of a work tree): the root's
    # path relative to the ignore file's directory, with a trailing "/"; base is then "".
    prefix: str = ""

    def decide(self, local: str, is_dir: bool) -> bool | None:
        """True: ignored; False: re-included by a negation; None: no pattern here matches."""
        if self.spec.check_file(local + "/" if is_dir else local).include is None:
            return None  # fast path: nothing matches even with pathspec's broader rule
        for p in reversed(self.patterns):
            if self_match(p, local, is_dir):
                return p.ignore
        return None


def _fix_line(line: str) -> str:
    # pathspec reads `dir/**/` as "dir and everything in it"; git means the directories
    # inside dir only, which is what `dir/**/*/` says in both.
    stripped = line.rstrip(" ")
    if stripped.endswith("/**/") and stripped.strip("!/*"):
        return stripped + "*/"
    return line


def layer_from_lines(
    lines: list[str], base: str, source: str, prefix: str = ""
) -> IgnoreLayer | None:
    spec = GitIgnoreSpec.from_lines([_fix_line(line) for line in lines])
    patterns = tuple(
        _compile(p.regex, bool(p.include))
        for p in spec.patterns
        if p.include is not None and p.regex is not None
    )
    return IgnoreLayer(base, spec, patterns, source, prefix) if patterns else None


def load_layer(path: Path, base: str, source: str, prefix: str = "") -> IgnoreLayer | None:
    """Parse one ignore file; None when it is missing, unreadable or has no patterns."""
    try:
        # utf-8-sig: git skips a UTF-8 BOM, which would otherwise become part of line one.
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return None
    return layer_from_lines(lines, base, source, prefix)


def work_tree_layers(root: Path) -> list[IgnoreLayer]:
    """The ignore rules git applies to root: .git/info/exclude of its work tree, and every
    .gitignore from the top of the work tree down to (not including) root itself.

    Empty when root is not inside a git work tree; root's own .gitignore is read by the walk.
    """
    top = next((d for d in (root, *root.parents) if (d / ".git").exists()), None)
    if top is None:
        return []
    layers = []

    def prefix_from(folder: Path) -> str:
        rel = root.relative_to(folder).as_posix()
        return "" if rel == "." else rel + "/"

    info = load_layer(top / ".git" / "info" / "exclude", "", ".git/info/exclude", prefix_from(top))
    if info:
        layers.append(info)
    parts = root.relative_to(top).parts
    for depth in range(len(parts)):  # top, then each directory between top and root
        folder = top.joinpath(*parts[:depth])
        source = "../" * (len(parts) - depth) + ".gitignore"
        layer = load_layer(folder / ".gitignore", "", source, prefix_from(folder))
        if layer:
            layers.append(layer)
    return layers


def match(layers: list[IgnoreLayer], rel: str, is_dir: bool) -> IgnoreLayer | None:
    """The layer that ignores rel, or None if rel is not ignored.

    Deeper ignore files win over shallower ones and, within a file, the last matching pattern
    wins; a matching negation ends the search with "not ignored", as in git.
    """
    for layer in reversed(layers):
        local = rel[len(layer.base) + 1 :] if layer.base else layer.prefix + rel
        decision = layer.decide(local, is_dir)
        if decision is not None:
            return layer if decision else None
    return None
