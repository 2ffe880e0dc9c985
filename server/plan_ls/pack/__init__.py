"""The repository packer: one text bundle of a codebase for an LLM, like repomix makes.

Importing this package is cheap; the packer itself loads on first use of its names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Converted, Excluded, PackedFile, PackOptions, PackResult, SecretFinding
    from .packer import pack_repository

__all__ = [
    "Converted",
    "Excluded",
    "PackOptions",
    "PackResult",
    "PackedFile",
    "SecretFinding",
    "pack_repository",
]


def __getattr__(name: str) -> Any:
    if name == "pack_repository":
        from .packer import pack_repository

        return pack_repository
    if name in __all__:
        from . import model

        return getattr(model, name)
    raise AttributeError(name)
