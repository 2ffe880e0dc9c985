"""The packer's inputs and outputs: plain dataclasses, no behaviour beyond JSON shaping."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Style = Literal["plain", "markdown", "xml"]
STYLES: tuple[Style, ...] = ("plain", "markdown", "xml")

DEFAULT_OUTPUT = "output.txt"
DEFAULT_MAX_FILE_BYTES = 1024 * 1024
DEFAULT_ENCODING = "o200k_base"
PROJECT_IGNORE_FILE = ".plan-ls/ignore"


@dataclass
class PackOptions:
    """What to pack and how. Paths in globs are relative to the packed root, gitignore syntax."""

    output: Path | None = None  # None: DEFAULT_OUTPUT inside the root; relative: to the root
    style: Style = "plain"
    include: list[str] = field(default_factory=list)  # empty: everything not excluded
    exclude: list[str] = field(default_factory=list)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    encoding: str = DEFAULT_ENCODING
    use_gitignore: bool = True
    use_default_ignores: bool = True
    secret_scan: bool = True
    count_tokens: bool = True
    token_cache: bool = True  # reuse counts of unchanged files (see pack/cache.py)
    cache_dir: Path | None = None  # None: $PLAN_LS_CACHE_DIR, else ~/.cache/plan-ls
    write: bool = True  # False: build the bundle in memory only (PackResult.text)
    workers: int | None = None  # None: a sensible default for this machine
    # the most tokens the whole bundle may have (None: no limit); files are left out to fit,
    # the least relevant and largest first (pack/fit.py), and the bundle says it is partial
    max_tokens: int | None = None
    tests_last: bool = False  # when fitting: leave tests out last instead of first


@dataclass(frozen=True)
class Excluded:
    path: str
    reason: str


@dataclass(frozen=True)
class SecretFinding:
    """Where a secret was found. Deliberately has no field for the secret's value."""

    path: str
    line: int | None  # 1-based; None when the file name alone gave it away
    kind: str


@dataclass(frozen=True)
class Converted:
    """A text file that was not UTF-8: packed as UTF-8, decoded from `encoding`."""

    path: str
    encoding: str  # Python codec name, e.g. "cp1252", "shift_jis", "utf_16"


@dataclass(frozen=True)
class PackedFile:
    path: str  # posix, relative to the root
    text: str
    tokens: int


@dataclass
class PackResult:
    output: Path
    files: list[PackedFile]
    tokens: int  # sum of the per-file token counts
    bundle_tokens: int  # tokens of the whole bundle: files plus header, tree and separators
    excluded: list[Excluded]
    secrets: list[SecretFinding]
    encoding: str
    text: str = field(default="", repr=False)
    written: bool = False
    converted: list[Converted] = field(default_factory=list)  # packed files that were not UTF-8
    dropped: list[PackedFile] = field(default_factory=list)  # left out to fit max_tokens
    max_tokens: int | None = None

    def largest(self, n: int = 10) -> list[PackedFile]:
        return sorted(self.files, key=lambda f: (-f.tokens, f.path))[:n]

    def to_json(self, top: int = 10) -> dict[str, Any]:
        return {
            "path": str(self.output),
            "files": len(self.files),
            "tokens": self.tokens,
            "bundle_tokens": self.bundle_tokens,
            "encoding": self.encoding,
            "excluded": [{"path": e.path, "reason": e.reason} for e in self.excluded],
            "largest": [{"path": f.path, "tokens": f.tokens} for f in self.largest(top)],
            "secrets": [{"path": s.path, "line": s.line, "kind": s.kind} for s in self.secrets],
            "converted": [{"path": c.path, "encoding": c.encoding} for c in self.converted],
            "max_tokens": self.max_tokens,
            "dropped": [{"path": f.path, "tokens": f.tokens} for f in self.dropped],
        }
