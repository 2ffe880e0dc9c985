"""Token counting with bpe_openai, loaded on first use (its import takes about half a second).

bpe_openai ships its encodings inside the wheel, so counting never touches the network.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

Counter = Callable[[str], int]


@functools.lru_cache(maxsize=8)
def counter(encoding: str) -> Counter:
    """A function text -> token count for the named encoding (e.g. "o200k_base").

    Special-token text such as "<|endoftext|>" is counted as ordinary text: a bundle is data.
    Raises ValueError for an unknown encoding.
    """
    with warnings.catch_warnings():
        # Its import reads the vocabularies through a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai

    if encoding.lower() not in bpe_openai.list_encoding_names():
        raise ValueError(f"unknown token encoding {encoding!r}")
    try:
        # The Rust tokenizer's count() neither builds a token list nor holds the GIL, and it has
        # none of the Python wrapper's per-call size limits.
        from bpe_openai import _bindings

        return _bindings.tokenizer_for_encoding(encoding.lower()).count
    except (ImportError, AttributeError, ValueError):
        enc = bpe_openai.get_encoding(encoding)
        return lambda text: len(enc.encode_ordinary(text))
