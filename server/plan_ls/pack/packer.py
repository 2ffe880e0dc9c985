"""pack_repository: walk, read, screen for secrets, count tokens, render, write."""

from __future__ import annotations

from pathlib import Path

from plan_ls import tokens

from ..fileio import write_atomic
from . import cache
from .filters import UTF8
from .model import (
    DEFAULT_OUTPUT,
    Converted,
    Excluded,
    PackedFile,
    PackOptions,
    PackResult,
    SecretFinding,
)
from .reading import Progress, read_all
from .render import render_parts
from .walk import walk


def output_path(root: Path, options: PackOptions) -> Path:
    """Where the bundle goes: options.output resolved against the root, or root/output.txt."""
    out = options.output if options.output is not None else Path(DEFAULT_OUTPUT)
    return (root / out).resolve()


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
    converted: list[Converted] = []

    use_cache = options.count_tokens and options.token_cache
    cache_dir = (options.cache_dir or cache.default_dir()) if use_cache else None
    known = cache.load(cache_dir, options.encoding) if cache_dir else {}
    reads = read_all(candidates, options, progress, known)
    for cand, res in zip(candidates, reads, strict=True):
        if res.text is None:
            excluded.append(Excluded(cand.rel, res.reason))
            found.extend(SecretFinding(cand.rel, line, kind) for line, kind in res.secrets)
        else:
            files.append(PackedFile(cand.rel, res.text, res.tokens))
            if res.encoding != UTF8:
                converted.append(Converted(cand.rel, res.encoding))

    if cache_dir:
        used = {r.digest: r.tokens for r in reads if r.text is not None and r.digest}
        cache.save(cache_dir, options.encoding, known, used)

    file_tokens = sum(f.tokens for f in files)
    parts, wrapper = render_parts(files, options.style, file_tokens, options.encoding)
    text = "".join(parts)
    bundle_tokens = file_tokens
    if options.count_tokens:
        # Counted apart from the contents: off by at most a token or two per file boundary.
        bundle_tokens += tokens.counter(options.encoding)("".join(wrapper))
    dropped: list[PackedFile] = []
    if options.max_tokens is not None and bundle_tokens > options.max_tokens:
        from .fit import fit

        fitted = fit(files, bundle_tokens - file_tokens, options)
        files, dropped, text, bundle_tokens = (fitted.files, fitted.dropped, fitted.text,
                                               fitted.tokens)
        file_tokens = sum(f.tokens for f in files)
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
        converted=converted,
        dropped=dropped,
        max_tokens=options.max_tokens,
    )
