"""Command arguments: one strict, typed structuring for every `workspace/executeCommand`.

Each command takes one JSON object, described by an `@attrs.define` class. The object is
structured with a cattrs converter that guesses nothing (`"13"` is not a list of lines,
`true` is not a line number, an unknown key is a mistake) and caps every size, so that no
single request can cost more than a few MB. A wrong argument is answered with an
InvalidParams error that says what was expected, and a path argument outside the
workspace root is refused there too (see confinement.py), before any handler runs.

Path arguments are marked in their class with `path_field()`: "markdown" (a planning or
answer file that plan-ls may write), "file" (any file inside the root, read only) or
"folder" (a folder inside the root).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from pygls.exceptions import JsonRpcInvalidParams

from plan_ls.confinement import OutsideWorkspace, confine, shorten

MAX_STRING = 1_000_000  # characters: an idea or a name, never a document
MAX_LIST = 10_000  # e.g. lines of one check-off
MAX_LINE = 2**31 - 1  # LSP's uinteger
PATH_KIND = "plan_ls.path"

A = TypeVar("A")
F = TypeVar("F", bound=Callable[..., Any])


def path_field(kind: str = "markdown", required: bool = False) -> Any:
    """An attrs field that holds a path or `file://` URI of the given kind ("markdown",
    "file" or "folder"); when not required, "" means the command's default file."""
    if required:
        return attrs.field(metadata={PATH_KIND: kind})
    return attrs.field(default="", metadata={PATH_KIND: kind})


class ArgumentError(ValueError):
    """An argument that does not fit; the message names it and what was expected."""


def _strict(check: Callable[[Any], bool], what: str) -> Callable[[Any, Any], Any]:
    def hook(value: Any, _type: Any) -> Any:
        if not check(value):
            raise ArgumentError(f"expected {what}, got {_show(value)}")
        return value
    return hook


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_LINE


def _is_str(v: Any) -> bool:
    return isinstance(v, str) and len(v) <= MAX_STRING


def _list_hook(converter: cattrs.Converter) -> Callable[[Any, Any], list]:
    def hook(value: Any, type_: Any) -> list:
        if not isinstance(value, list):
            raise ArgumentError(f"expected a list, got {_show(value)}")
        if len(value) > MAX_LIST:
            raise ArgumentError(f"at most {MAX_LIST} entries, got {len(value)}")
        (item,) = getattr(type_, "__args__", (Any,))
        return [converter.structure(v, item) for v in value]
    return hook


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(int, _strict(_is_int, f"a whole number from 0 to {MAX_LINE}"))
    conv.register_structure_hook(
        str, _strict(_is_str, f"a string of at most {MAX_STRING} characters"))
    conv.register_structure_hook(bool, _strict(lambda v: isinstance(v, bool), "true or false"))
    conv.register_structure_hook_func(
        lambda tp: getattr(tp, "__origin__", None) is list, _list_hook(conv))
    return conv


_converter = _make_converter()


def structure_arguments(cls: type[A], raw: tuple[Any, ...]) -> A:
    """The command's one argument object as `cls`.

    `raw` is `ExecuteCommandParams.arguments` as received: `()` / `[None]` / `[{}]` give
    the defaults, `[{...}]` the object; anything else raises ArgumentError."""
    if len(raw) > 1:
        raise ArgumentError(f"expected one argument object, got {len(raw)} arguments")
    data = raw[0] if raw else None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ArgumentError(f"expected one argument object {{...}}, got {_show(data)}")
    try:
        return _converter.structure(data, cls)
    except ClassValidationError as exc:
        raise ArgumentError(_explain(exc)) from None
    except (ForbiddenExtraKeysError, ArgumentError) as exc:
        raise ArgumentError(str(exc)) from None


def _explain(exc: ClassValidationError) -> str:
    from cattrs.v import transform_error

    def describe(e: BaseException, _type: Any = None) -> str:
        if isinstance(e, ArgumentError):
            return str(e)
        if isinstance(e, KeyError):
            return "required argument missing"
        if isinstance(e, ForbiddenExtraKeysError):
            return f"unknown argument(s): {', '.join(sorted(e.extra_fields))}"
        return str(e) or type(e).__name__

    messages = transform_error(exc, path="arguments", format_exception=describe)
    return "; ".join(messages)[:1000]


def check_paths(ls: Any, args: Any) -> None:
    """Refuse any path argument that leaves the workspace (OutsideWorkspace)."""
    for field in attrs.fields(type(args)):
        kind = field.metadata.get(PATH_KIND)
        value = getattr(args, field.name)
        if kind is None or not value:
            continue
        what = f"argument {field.name}"
        if kind == "folder":
            try:
                is_dir = folder_argument(ls, value, what).is_dir()
            except OSError as exc:  # e.g. a name too long for the file system
                raise OutsideWorkspace(f"{what}: {exc.strerror}") from None
            if not is_dir:
                raise OutsideWorkspace(f"{what}: {shorten(value)} is not a folder")
        else:
            ls.require_path(_as_uri(value), what, markdown=kind == "markdown")


def _as_uri(value: str) -> str:
    return value if value.startswith("file:") else Path(value).absolute().as_uri()


def folder_argument(ls: Any, value: str, what: str) -> Path:
    """The folder that `value` (a path, relative to the root or absolute, or a file:// URI)
    names, resolved and inside the workspace root; else OutsideWorkspace."""
    if value.startswith("file:"):
        from pygls.uris import to_fs_path

        value = to_fs_path(value) or ""
    return confine(ls.root, value, what)


def parse_arguments(ls: Any, name: str, args_type: type | None,
                    raw: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, str | None]:
    """The handler's arguments after `ls` (`()` or `(args,)`), or None and the reason they
    are refused. Returns rather than raises: the protocol asks this before dispatch and
    answers InvalidParams itself (see transport.PlanProtocol)."""
    if args_type is None:
        if any(r not in (None, {}) for r in raw) or len(raw) > 1:
            return None, f"{name} takes no arguments"
        return (), None
    try:
        args = structure_arguments(args_type, raw)
        check_paths(ls, args)
    except (ArgumentError, OutsideWorkspace) as exc:
        return None, f"{name}: {exc}"
    return (args,), None


def command(server: Any, name: str, args_type: type | None = None) -> Callable[[F], F]:
    """Register `fn(ls, args)` (or `fn(ls)` without `args_type`) as the command `name`,
    with its argument object structured strictly and its paths confined first."""

    def check(ls: Any, raw: tuple[Any, ...]) -> str | None:
        return parse_arguments(ls, name, args_type, raw)[1]

    def parse(ls: Any, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        parsed, error = parse_arguments(ls, name, args_type, raw)
        if parsed is None:  # the protocol refused these already; the world changed since
            raise JsonRpcInvalidParams(error)
        return parsed

    def decorate(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):
            async def handler(ls: Any, *raw: Any) -> Any:
                return await fn(ls, *parse(ls, raw))
        else:
            def handler(ls: Any, *raw: Any) -> Any:
                return fn(ls, *parse(ls, raw))
        handler.__name__ = handler.__qualname__ = fn.__name__
        handler.__doc__ = fn.__doc__
        server.command(name)(handler)
        server.argument_checks[name] = check
        return fn

    return decorate
