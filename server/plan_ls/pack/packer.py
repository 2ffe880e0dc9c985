"""pack_repository: walk, read, screen for secrets, count tokens, render, write."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..fileio import write_atomic
from . import secrets, tokens
from .filters import decode_text
from .model import (
    DEFAULT_OUTPUT,
    Excluded,
    PackedFile,
    PackOptions,
    PackResult,
    SecretFinding,
)
from .render import render_parts
from .walk import Candidate, walk

Progress = Callable[[int, int], None]  # (files done, files to do)


@dataclass(frozen=True)
class _Read:
    text: str | None  # None: left out, see reason
    tokens: int = 0
    reason: str = ""
    secrets: tuple[tuple[int, str], ...] = ()


def output_path(root: Path, options: PackOptions) -> Path:
    """Where the bundle goes: options.output resolved against the root, or root/output.txt."""
    out = options.output if options.output is not None else Path(DEFAULT_OUTPUT)
    return (root / out).resolve()


def _reader(options: PackOptions) -> Callable[[Candidate], _Read]:
    count = tokens.counter(options.encoding) if options.count_tokens else None

    def read(c: Candidate) -> _Read:
        try:
            with open(c.path, "rb") as fh:
                data = fh.read(options.max_file_bytes + 1)
        except OSError as exc:
            return _Read(None, reason=f"unreadable ({exc.strerror or exc})")
        if len(data) > options.max_file_bytes:  # grew since the walk saw it
            return _Read(None, reason=f"too large (> {options.max_file_bytes} bytes)")
        text = decode_text(data)
        if text is None:
            return _Read(None, reason="binary (by content)")
        if options.secret_scan:
            hits = secrets.scan(text)
            if hits:
                line, kind = hits[0]
                return _Read(None, reason=f"secret: {kind} (line {line})", secrets=tuple(hits))
        return _Read(text, count(text) if count else 0)

    return read


def _workers(options: PackOptions, jobs: int) -> int:
    if options.workers is not None:
        return max(1, options.workers)
    # The tokenizer releases the GIL, so threads overlap counting with reading and scanning;
    # beyond a few per core they only add switching.
    return max(1, min(jobs, 2 * (os.cpu_count() or 1), 16))


def pack_repository(
    root: Path, options: PackOptions | None = None, *, progress: Progress | None = None
) -> PackResult:
    """Pack every text file under root into one bundle and report what was left out and why.

    Raises NotADirectoryError when root is not a directory and ValueError for a bad option
    (unknown style or token encoding).
    """
    options = options or PackOptions()
    root = Path(root).resolve()
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    if options.style not in ("plain", "markdown", "xml"):
        raise ValueError(f"unknown style {options.style!r}")
    output = output_path(root, options)

    walked = walk(root, options, output)
    candidates = sorted(walked.candidates, key=lambda c: c.rel)
    excluded = list(walked.excluded)
    found = list(walked.secrets)
    files: list[PackedFile] = []

    read = _reader(options)
    total = len(candidates)
    if progress:
        progress(0, total)
    with ThreadPoolExecutor(_workers(options, total)) as pool:
        results = pool.map(read, candidates)
        for done, (cand, res) in enumerate(zip(candidates, results, strict=True), 1):
            if res.text is None:
                excluded.append(Excluded(cand.rel, res.reason))
                found.extend(SecretFinding(cand.rel, line, kind) for line, kind in res.secrets)
            else:
                files.append(PackedFile(cand.rel, res.text, res.tokens))
            if progress and (done % 64 == 0 or done == total):
                progress(done, total)

    file_tokens = sum(f.tokens for f in files)
    parts, wrapper = render_parts(files, options.style, file_tokens, options.encoding)
    text = "".join(parts)
    bundle_tokens = file_tokens
    if options.count_tokens:
        # Counted apart from the contents: off by at most a token or two per file boundary.
        bundle_tokens += tokens.counter(options.encoding)("".join(wrapper))
    if options.write:
        write_atomic(output, text)

    return PackResult(
        output=output,
        files=files,
        tokens=file_tokens,
        bundle_tokens=bundle_tokens,
        excluded=sorted(excluded, key=lambda e: e.path),
        secrets=sorted(found, key=lambda s: (s.path, s.line or 0, s.kind)),
        encoding=options.encoding,
        text=text,
        written=options.write,
    )
