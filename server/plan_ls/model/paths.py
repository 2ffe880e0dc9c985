"""File paths that a checklist item names: `src/db/albums.ts`, src/app/main.py.

Read conservatively, for a cheap check of false completions ("marked done, but the file it
names does not exist"): a path in a code span may be a bare file name with an extension
(`package.json`); outside code spans it needs a folder (`src/x.py`), so that "Node.js" or
"e.g." never count. URLs, absolute paths, `..`, globs, placeholders and `~` are not paths
of the workspace and are left out.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_CODE_SPAN = re.compile(r"(`+)([^`]+?)\1")
_BARE = re.compile(r"(?<![\w/.@:-])((?:[\w.-]+/)+[\w.-]+\.[A-Za-z][A-Za-z0-9]{0,7})(?![\w/])")
_FILE = re.compile(r"^(?:[\w.-]+/)*[\w.-]*[\w-]\.[A-Za-z][A-Za-z0-9]{0,7}$")
_LINE_SUFFIX = re.compile(r"(?::\d+(?:[:-]\d+)?|#L\d+(?:-L?\d+)?)$")
# a name without a folder must end like a source file: `config.debug` is code, not a file
_FILE_EXTENSIONS = frozenset(
    "py pyi ipynb ts tsx js jsx mjs cjs json jsonc toml yaml yml md mdx rst txt cfg ini conf "
    "rs go java kt kts scala rb php c h cc cpp hpp cs fs swift m sql html htm css scss sass "
    "less vue svelte sh bash zsh ps1 bat lock xml gradle proto graphql csv tf lua ex exs "
    "erl dart r jl zig nim".split())
# an item about removing or moving a file is done when the file is gone
GONE_WORDS = re.compile(r"\b(delete[sd]?|remove[sd]?|rename[sd]?|drop(?:s|ped)?|move[sd]?|"
                        r"deprecate[sd]?|retire[sd]?|replace[sd]?)\b", re.I)


@dataclass(frozen=True, slots=True)
class NamedPath:
    path: str  # as written, without a :line suffix
    start: int  # str index in the text given
    end: int


def named_paths(text: str) -> list[NamedPath]:
    """The workspace paths that `text` (one item's text) names, in order, each once."""
    return list(_named_paths(text))


@functools.lru_cache(maxsize=20_000)  # the server asks again after each keystroke
def _named_paths(text: str) -> tuple[NamedPath, ...]:
    found: list[NamedPath] = []
    spans: list[tuple[int, int]] = []
    for m in _CODE_SPAN.finditer(text):
        spans.append((m.start(), m.end()))
        inner = m.group(2).strip()
        start = m.start(2) + m.group(2).find(inner)
        path = _LINE_SUFFIX.sub("", inner)
        if _is_path(path):
            found.append(NamedPath(path, start, start + len(path)))
    for m in _BARE.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        path = m.group(1).rstrip(".")
        if _is_path(path):
            found.append(NamedPath(path, m.start(1), m.start(1) + len(path)))
    seen: set[str] = set()
    out = []
    for p in sorted(found, key=lambda p: p.start):
        if p.path not in seen:
            seen.add(p.path)
            out.append(p)
    return tuple(out)


def _is_path(path: str) -> bool:
    if not path or " " in path or "://" in path or path.startswith(("/", "~", "-", ".")) \
            and not path.startswith("./"):
        return False
    if any(c in path for c in "*?{}[]<>$%"):
        return False
    parts = path.split("/")
    if ".." in parts:
        return False
    if not _FILE.match(path.removeprefix("./")):
        return False
    return "/" in path or path.rsplit(".", 1)[1].lower() in _FILE_EXTENSIONS
