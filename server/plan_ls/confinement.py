"""The one confinement rule: every path that comes from a client, a setting or a file must
resolve (symlinks followed) inside the workspace root, or it is refused.

Reading is allowed anywhere inside the root. Writing is narrower: plan-ls writes planning
and answer files (markdown), its own `.plan-ls/` folder and the bundle (`output.txt`), and
nothing else, whatever a command or a setting names.
"""

from __future__ import annotations

import os
from pathlib import Path

MARKDOWN_SUFFIXES = (".md", ".markdown")
OWN_FOLDER = ".plan-ls"
BUNDLE_NAMES = ("output.txt",)


class OutsideWorkspace(ValueError):
    """A path was refused; the message names what gave it (a setting or an argument)."""


def resolve(path: Path) -> Path:
    """`path` with symlinks and `..` resolved, also when it (or its parents) do not exist.

    Raises OutsideWorkspace for a path that cannot be resolved (a symlink loop, an
    unreadable folder), since nothing can be said about where it points."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:
        raise OutsideWorkspace(f"{shorten(path)}: cannot be resolved ({exc})") from exc


def shorten(path: str | os.PathLike[str]) -> str:
    """`path` for a message: whole up to 200 characters, else its start and its end."""
    text = os.fspath(path)
    return text if len(text) <= 200 else text[:100] + "…" + text[-60:]


def is_inside(root: Path, path: Path) -> bool:
    """True when the resolved `path` is `root` or below it; `root` must be resolved."""
    return path == root or root in path.parents


def confine(root: Path | None, given: str | os.PathLike[str], what: str) -> Path:
    """Resolve `given` (absolute, or relative to `root`) and return it when it lies inside
    `root` (a resolved folder).

    `what` names the source for the message, e.g. "planLs.files.todo" or "argument uri".
    Raises OutsideWorkspace when there is no root or the path leaves it."""
    if root is None:
        raise OutsideWorkspace(f"{what}: no workspace folder is open, so plan-ls reads and "
                               "writes no files; open a folder")
    raw = Path(given)
    path = resolve(raw if raw.is_absolute() else root / raw)
    if not is_inside(root, path):
        raise OutsideWorkspace(f"{what}: {shorten(given)} is outside the workspace "
                               f"{root}; plan-ls only reads and writes inside it")
    return path


def check_writable(root: Path, path: Path, what: str) -> Path:
    """Refuse to write `path` (resolved, inside `root`) unless it is a markdown file, a
    file under `.plan-ls/` or the bundle at the root. Returns `path`."""
    rel = path.relative_to(root)
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        return path
    if rel.parts and rel.parts[0] == OWN_FOLDER:
        return path
    if len(rel.parts) >= 1 and rel.name in BUNDLE_NAMES:
        return path
    raise OutsideWorkspace(f"{what}: plan-ls writes only markdown files, {OWN_FOLDER}/ and "
                           f"the bundle, not {rel.as_posix()}")


def confine_markdown(root: Path | None, given: str | os.PathLike[str], what: str) -> Path:
    """`confine`, and the path must name a markdown file (a planning or answer file)."""
    path = confine(root, given, what)
    if path.suffix.lower() not in MARKDOWN_SUFFIXES:
        raise OutsideWorkspace(f"{what}: {shorten(given)} is not a markdown file "
                               f"({' or '.join(MARKDOWN_SUFFIXES)})")
    return path
