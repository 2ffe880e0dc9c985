"""Read, screen and count the candidate files, in worker processes when that pays.

The tokenizer holds the GIL while it counts (measured: two threads count no faster than one),
so threads cannot spread the work over cores. Worker processes can: they are forked after the
tokenizer is loaded, so each starts in a few milliseconds and shares its tables with the
parent. Forking is only safe while the process has a single thread, which is true for the
command line but not inside the language server; there, and for small trees where a pool
costs more than it saves, the files are read in-process.
"""

from __future__ import annotations

import hashlib
import heapq
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from plan_ls import tokens

from . import secrets
from .filters import UTF8, decode_text
from .model import PackOptions
from .walk import Candidate

Progress = Callable[[int, int], None]  # (files done, files to do)

# Below this many bytes of candidates, forking and shipping texts back costs more than it saves.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
_CHUNKS_PER_WORKER = 6  # several chunks each: balance, and progress that moves


@dataclass(frozen=True)
class FileRead:
    text: str | None  # None: left out, see reason
    tokens: int = 0
    reason: str = ""
    secrets: tuple[tuple[int, str], ...] = ()  # (line, kind) when a secret left it out
    digest: str = ""  # of the file's bytes, the token cache's key; "" when not counted
    encoding: str = UTF8  # what the bytes were decoded from (the bundle is always UTF-8)


# Known token counts by digest, for forked workers: set before the pool starts, so that the
# children inherit it instead of receiving a copy with every chunk.
_known_in_workers: Mapping[str, int] = {}


def make_reader(
    options: PackOptions, known: Mapping[str, int] | None = None
) -> Callable[[Candidate], FileRead]:
    count = tokens.counter(options.encoding) if options.count_tokens else None
    known = known or {}

    def read(c: Candidate) -> FileRead:
        try:
            with open(c.path, "rb") as fh:
                data = fh.read(options.max_file_bytes + 1)
        except OSError as exc:
            return FileRead(None, reason=f"unreadable ({exc.strerror or exc})")
        if len(data) > options.max_file_bytes:  # grew since the walk saw it
            return FileRead(None, reason=f"too large (> {options.max_file_bytes} bytes)")
        decoded = decode_text(data)
        if decoded is None:
            return FileRead(None, reason="binary (by content)")
        text, encoding = decoded
        if options.secret_scan:
            hits = secrets.scan(text)
            if hits:
                line, kind = hits[0]
                return FileRead(None, reason=f"secret: {kind} (line {line})", secrets=tuple(hits))
        if count is None:
            return FileRead(text, encoding=encoding)
        if not options.token_cache:
            return FileRead(text, count(text), encoding=encoding)
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        n = known.get(digest)
        return FileRead(text, count(text) if n is None else n, digest=digest, encoding=encoding)

    return read


def _read_chunk(options: PackOptions, chunk: list[Candidate]) -> list[FileRead]:
    read = make_reader(options, _known_in_workers)
    return [read(c) for c in chunk]


def _workers(options: PackOptions) -> int:
    if options.workers is not None:
        return max(1, options.workers)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _can_fork() -> bool:
    return (
        sys.platform == "linux"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


def _balanced_chunks(candidates: Sequence[Candidate], n: int) -> list[list[int]]:
    """Indexes of candidates split into n chunks of about equal bytes (largest files first)."""
    heap = [(0, i) for i in range(n)]
    chunks: list[list[int]] = [[] for _ in range(n)]
    for idx in sorted(range(len(candidates)), key=lambda i: -candidates[i].size):
        load, k = heapq.heappop(heap)
        chunks[k].append(idx)
        heapq.heappush(heap, (load + candidates[idx].size + 512, k))
    return [c for c in chunks if c]


def read_all(
    candidates: Sequence[Candidate],
    options: PackOptions,
    progress: Progress | None = None,
    known: Mapping[str, int] | None = None,
) -> list[FileRead]:
    """One FileRead per candidate, in the same order; known: token counts by digest."""
    total = len(candidates)
    if progress:
        progress(0, total)
    workers = _workers(options)
    big = sum(c.size for c in candidates) >= PARALLEL_MIN_BYTES
    if workers > 1 and big and _can_fork():
        try:
            return _read_in_processes(candidates, options, workers, progress, known or {})
        except (BrokenProcessPool, OSError):
            pass  # e.g. no permission to fork here: read in-process instead
    read = make_reader(options, known)
    results = []
    for done, c in enumerate(candidates, 1):
        results.append(read(c))
        if progress and (done % 64 == 0 or done == total):
            progress(done, total)
    return results


def _read_in_processes(
    candidates: Sequence[Candidate],
    options: PackOptions,
    workers: int,
    progress: Progress | None,
    known: Mapping[str, int],
) -> list[FileRead]:
    global _known_in_workers
    if options.count_tokens:
        tokens.counter(options.encoding)  # load before forking: the children inherit it
    chunks = _balanced_chunks(candidates, workers * _CHUNKS_PER_WORKER)
    results: list[FileRead | None] = [None] * len(candidates)
    done = 0
    _known_in_workers = known
    try:
        # fork: ProcessPoolExecutor starts all its workers at once, before its own thread.
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            futures = {
                pool.submit(_read_chunk, options, [candidates[i] for i in chunk]): chunk
                for chunk in chunks
            }
            for future in as_completed(futures):
                chunk = futures[future]
                for i, res in zip(chunk, future.result(), strict=True):
                    results[i] = res
                done += len(chunk)
                if progress:
                    progress(done, len(candidates))
    finally:
        _known_in_workers = {}
    return [r for r in results if r is not None]
