"""The three generations and the bundle they read: what to pack, and when to pack again.

A bundle is reused when it is fresh: no file of the tree is newer than it and (when plan-ls
packed it) every file it holds still exists. Packing a big repository takes seconds; asking
for a review, then issues, then missing tests should pack once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plan_ls.settings import FileSettings

BUNDLE = "output.txt"
MANIFEST = Path(".plan-ls") / "bundle.json"  # what plan-ls put into the bundle it wrote


@dataclass(frozen=True)
class Kind:
    name: str  # the CLI command and the template name
    command: str  # the LSP command
    template: str
    target: str  # the answer file
    title: str  # shown in progress and messages


KINDS = {
    "review": Kind("review", "planLs.review", "code-review", "code-review.md",
                   "Generating a code review"),
    "issues": Kind("issues", "planLs.issues", "issues", "issues.md", "Generating issues"),
    "missing-tests": Kind("missing-tests", "planLs.missingTests", "missing-tests",
                          "missing-tests.md", "Generating missing tests"),
}
ANSWERS = tuple(k.target for k in KINDS.values())
# Never packed by plan-ls: earlier answers and rendered prompts (which hold a whole bundle).
EXCLUDE = ["/.plan-ls/", *(f"/{Path(a).stem}*.md" for a in ANSWERS)]
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".plan-ls", "node_modules", "__pycache__",
                        ".venv", "venv", ".mypy_cache", ".pytest_cache", ".ruff_cache",
                        ".tox", ".nox", ".hypothesis"})


def pack_options(output: Path | None = None):  # -> PackOptions (imported lazily)
    from plan_ls.pack import PackOptions

    return PackOptions(output=output, exclude=list(EXCLUDE))


def _answer_like(name: str) -> bool:
    return any(name.startswith(Path(a).stem) and name.endswith(".md") for a in ANSWERS)


def newer_file(root: Path, than: float, bundle: Path) -> Path | None:
    """The first file under root modified after `than` (ns), skipping what is never packed."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        for name in filenames:
            if _answer_like(name) or name.startswith(f".{bundle.name}."):
                continue
            path = Path(dirpath, name)
            try:
                # lstat: the packer never follows a symlink, and a dangling one has no target
                # to stat (stat() raised, which read as "changed" on every review).
                if path.lstat().st_mtime_ns > than and path != bundle:
                    return path
            except OSError:  # vanished while walking: the tree changed
                return path
    return None


def is_fresh(root: Path, bundle: Path | None = None) -> bool:
    root = root.resolve()
    bundle = (bundle or root / BUNDLE).resolve()
    try:
        made = bundle.stat()
    except OSError:
        return False
    ignore = root / ".plan-ls" / "ignore"  # the one file under .plan-ls that changes a pack
    if ignore.exists() and ignore.stat().st_mtime_ns > made.st_mtime_ns:
        return False
    manifest = read_manifest(root)
    if manifest is not None and manifest.get("mtime_ns") == made.st_mtime_ns:
        if any(not (root / rel).exists() for rel in manifest.get("files", [])):
            return False  # a packed file was deleted or renamed
    return newer_file(root, made.st_mtime_ns, bundle) is None


def read_manifest(root: Path) -> dict | None:
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_manifest(root: Path, bundle: Path, files: list[str]) -> None:
    """Remember what went into the bundle, to notice deleted files next time."""
    from plan_ls.fileio import write_atomic

    try:
        mtime = bundle.stat().st_mtime_ns
        write_atomic(root / MANIFEST, json.dumps({"bundle": str(bundle), "mtime_ns": mtime,
                                                  "files": files}) + "\n")
    except OSError:  # only an optimisation: without it the bundle is packed again
        pass


@dataclass
class Bundle:
    path: Path
    text: str
    packed: dict | None  # the pack's JSON summary when it was packed now, None when reused


def pack(root: Path, progress=None):  # -> PackResult
    """Pack root into root/output.txt with plan-ls's exclusions, and note what went in.

    Raises OutsideWorkspace (a ValueError) when the bundle or `.plan-ls/` is a symlink
    that leads out of `root`: plan-ls writes nothing outside the project."""
    from plan_ls.confinement import confine
    from plan_ls.pack import pack_repository

    root = root.resolve()
    for rel in (BUNDLE, str(MANIFEST)):
        confine(root, rel, rel)

    result = pack_repository(root, pack_options(), progress=progress)
    write_manifest(root, result.output, [f.path for f in result.files])
    return result


def get_bundle(root: Path, *, repack: bool = False, progress=None) -> Bundle:
    """The bundle of root: the existing one while it is fresh, else a new pack.

    Raises OSError / ValueError from the packer, UnreadableFile for an unusable bundle."""
    from plan_ls.fileio import read_text

    path = root / BUNDLE
    if not repack and is_fresh(root, path):
        return Bundle(path, read_text(path), None)
    result = pack(root, progress)
    return Bundle(result.output, result.text, result.to_json())


def sibling(path: Path) -> Path:
    """code-review.md -> code-review-2.md: the first name not taken."""
    n = 2
    while (candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return candidate


def project_values(root: Path, bundle: str,
                   files: FileSettings | None = None) -> dict[str, str]:
    """Placeholder values for a project's own template overrides ({{todo}} and friends):
    the planning files that `files` names (the settings; None: the defaults), each left out
    when it is missing or lies outside `root` (a resolved folder)."""
    from plan_ls.confinement import OutsideWorkspace, confine
    from plan_ls.settings import FileSettings

    files = files or FileSettings()
    values = {"bundle": bundle}
    for name in ("spec", "plan", "todo"):
        try:
            path = confine(root, getattr(files, name), f"files.{name}")
            values[name] = path.read_text(encoding="utf-8", errors="replace")
        except (OSError, OutsideWorkspace):
            pass
    return values
