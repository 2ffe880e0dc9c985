"""Fitting a bundle into a token budget (`plan-ls pack --max-tokens N`).

Files are left out in order of relevance, least relevant first: generated and vendored files,
then tests (or, with `tests_last`, tests after everything else), then the rest; within each
group the largest first. Then files left out are taken back, the most relevant first, while
they still fit, so the bundle comes close to the budget. The bundle's header says it is partial
and names what was left out; the final text is counted whole, so it never exceeds the budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plan_ls import tokens

from .model import PackedFile, PackOptions
from .render import partial_note, render_parts

_GENERATED = re.compile(
    r"(^|/)(vendor|vendored|third_party|third-party|node_modules|dist|build|generated|"
    r"_generated|gen)/|\.min\.(js|css)$|_pb2(_grpc)?\.py$|\.pb\.go$|\.generated\.|"
    r"(^|/)package-lock\.json$|\.snap$|\.map$", re.I)
_TESTS = re.compile(r"(^|/)(tests?|spec|specs|__tests__|testdata|fixtures)/|(^|/)test_[^/]*$|"
                    r"_test\.[a-z]+$|\.(test|spec)\.[a-z]+$", re.I)


def relevance(path: str, tests_last: bool) -> int:
    """0 is left out first: generated/vendored 0; tests 1 (3 with tests_last); others 2."""
    if _GENERATED.search(path):
        return 0
    if _TESTS.search(path):
        return 3 if tests_last else 1
    return 2


@dataclass
class Fitted:
    files: list[PackedFile]
    dropped: list[PackedFile]  # in the order they were left out
    text: str
    tokens: int  # of the whole text, counted


def fit(files: list[PackedFile], wrapper_tokens: int, options: PackOptions) -> Fitted:
    """Leave files out until the rendered bundle has at most options.max_tokens tokens.

    `wrapper_tokens` is what the header, tree and separators of all `files` cost. Raises
    ValueError when even a bundle with no file does not fit."""
    budget = options.max_tokens or 0
    count = tokens.counter(options.encoding)
    overhead = wrapper_tokens / max(1, len(files))  # per file: its header and tree line
    order = sorted(files, key=lambda f: (relevance(f.path, options.tests_last), -f.tokens,
                                         f.path))
    estimate = sum(f.tokens for f in files) + wrapper_tokens
    dropped: list[PackedFile] = []
    for f in order:
        if estimate <= budget:
            break
        dropped.append(f)
        estimate -= f.tokens + overhead
    # take back what still fits, the most relevant first (the note costs a little too)
    for f in reversed(list(dropped)):
        if estimate + f.tokens + overhead <= budget:
            dropped.remove(f)
            estimate += f.tokens + overhead
    while True:
        gone = {f.path for f in dropped}
        kept = [f for f in files if f.path not in gone]
        note = partial_note([f.path for f in dropped], budget)
        parts, _ = render_parts(kept, options.style, sum(f.tokens for f in kept),
                                options.encoding, note)
        text = "".join(parts)
        total = count(text)
        if total <= budget:
            return Fitted(kept, dropped, text, total)
        rest = [f for f in order if f.path not in gone]
        if not rest:
            raise ValueError(f"even an empty bundle is {total:,} tokens, over --max-tokens "
                             f"{budget:,}")
        # over by a little: leave out the least relevant file that covers the excess, the
        # smallest such (the largest of the least relevant would leave a big gap)
        over = total - budget
        least = relevance(rest[0].path, options.tests_last)
        group = [f for f in rest if relevance(f.path, options.tests_last) == least]
        covering = [f for f in group if f.tokens + overhead >= over]
        dropped.append(min(covering, key=lambda f: f.tokens) if covering else group[0])
