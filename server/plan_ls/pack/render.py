"""Turn the packed files into one text bundle: header, directory tree, then every file.

The output depends only on the files' paths and texts (sorted, no dates, no absolute paths),
so packing the same tree twice gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .model import PackedFile, Style

_RULE = "=" * 64
_BACKTICKS = re.compile(r"`{3,}")

_LANGUAGES = {
    "py": "python", "pyi": "python", "js": "javascript", "mjs": "javascript", "cjs": "javascript",
    "ts": "typescript", "tsx": "tsx", "jsx": "jsx", "rs": "rust", "go": "go", "java": "java",
    "kt": "kotlin", "c": "c", "h": "c", "cc": "cpp", "cpp": "cpp", "hpp": "cpp", "cs": "csharp",
    "rb": "ruby", "php": "php", "swift": "swift", "sh": "bash", "bash": "bash", "zsh": "zsh",
    "lua": "lua", "md": "markdown", "json": "json", "toml": "toml", "yaml": "yaml",
    "yml": "yaml", "html": "html", "css": "css", "sql": "sql", "xml": "xml", "txt": "text",
}  # fmt: skip


def _attr(value: str) -> str:
    """A double-quoted XML attribute value (xml.sax.saxutils would import urllib for this)."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return f'"{escaped}"'


def tree(paths: Sequence[str]) -> str:
    """An indented directory tree of the given posix paths; directories first, then files."""
    root: dict[str, dict] = {}
    for path in paths:
        node = root
        for part in path.split("/"):
            node = node.setdefault(part, {})
    lines: list[str] = []

    def emit(node: dict[str, dict], depth: int) -> None:
        dirs = sorted(k for k, v in node.items() if v)
        files = sorted(k for k, v in node.items() if not v)
        for name in dirs:
            lines.append("  " * depth + name + "/")
            emit(node[name], depth + 1)
        for name in files:
            lines.append("  " * depth + name)

    emit(root, 0)
    return "\n".join(lines)


def _summary(files: Sequence[PackedFile], tokens: int, encoding: str, partial: str) -> str:
    return (
        "This file is a packed copy of a repository, made by plan-ls for an LLM to read.\n"
        f"It holds {len(files)} files ({tokens} tokens, {encoding}); paths are relative to the "
        "repository root.\n"
        "Left out: ignored files, binaries, lock files, oversized files and anything that "
        "looked like a secret." + (f"\n{partial}" if partial else "")
    )


def partial_note(dropped: Sequence[str], budget: int, shown: int = 40) -> str:
    """The sentence that says a bundle is partial: how many files were left out to fit
    `budget` tokens, and the first `shown` of their paths."""
    names = ", ".join(dropped[:shown])
    more = f" and {len(dropped) - shown} more" if len(dropped) > shown else ""
    return (f"PARTIAL BUNDLE: {len(dropped)} more files were left out to fit within {budget} "
            f"tokens, so conclusions about the whole repository are uncertain: {names}{more}.")


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"


def render_parts(
    files: Sequence[PackedFile], style: Style, tokens: int, encoding: str, partial: str = ""
) -> tuple[list[str], list[str]]:
    """The bundle as (all parts in order, the parts that are not file contents).

    Keeping the wrapper parts apart lets the caller count the bundle's tokens without
    tokenizing the file contents a second time.
    """
    parts: list[str] = []
    wrapper: list[str] = []

    def add(text: str, is_wrapper: bool = True) -> None:
        parts.append(text)
        if is_wrapper:
            wrapper.append(text)

    summary = _summary(files, tokens, encoding, partial)
    listing = tree([f.path for f in files])
    if style == "plain":
        add(f"{summary}\n\n{_RULE}\nDirectory structure\n{_RULE}\n{listing}\n")
        for f in files:
            add(f"\n{_RULE}\nFile: {f.path}\n{_RULE}\n")
            add(_with_newline(f.text), False)
    elif style == "markdown":
        add(f"# Repository bundle\n\n{summary}\n\n")
        add(f"## Directory structure\n\n```text\n{listing}\n```\n")
        add("\n## Files\n")
        for f in files:
            longest = max((len(m) for m in _BACKTICKS.findall(f.text)), default=2)
            fence = "`" * (longest + 1)
            lang = _LANGUAGES.get(f.path.rpartition(".")[2].lower(), "") if "." in f.path else ""
            add(f"\n### {f.path}\n\n{fence}{lang}\n")
            add(_with_newline(f.text), False)
            add(f"{fence}\n")
    elif style == "xml":
        add(
            f"<file_summary>\n{summary}\n</file_summary>\n\n"
            f"<directory_structure>\n{listing}\n</directory_structure>\n\n<files>\n"
        )
        for f in files:
            # Contents stay raw, as repomix does: models read it fine and escaping would
            # change the code they are asked to review.
            add(f"<file path={_attr(f.path)}>\n")
            add(_with_newline(f.text), False)
            add("</file>\n\n")
        add("</files>\n")
    else:
        raise ValueError(f"unknown style {style!r}")
    return parts, wrapper
