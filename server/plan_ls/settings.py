"""The `planLs` settings: defaults (DESIGN.md), then the project's settings file
`.plan-ls/config.toml`, then the client's `planLs.*` (the server only).

Both sources are structured with cattrs against the classes below. A value of the wrong
type is not used, and a problem names the source, the key and the expected type, so that the
server can show it (window/showMessage) and the CLI print it (stderr); every other key still
applies. Unknown keys are ignored (clients send their own, such as `trace.server`). The file
is shared with the team through the repository, so API keys never belong in it: a file that
holds something that looks like one is refused as a whole (keys come only from the
environment variable that `llm.apiKeyEnv` names). Paths in `files.*` are confined to the
workspace where they are used (sync/state.py), like the client's.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cattrs

CONFIG_FILE = ".plan-ls/config.toml"  # relative to the workspace root
MAX_CONFIG_BYTES = 1_000_000  # a settings file is a few lines; more is a mistake


@dataclass
class FileSettings:
    spec: str = "spec.md"
    plan: str = "prompt_plan.md"
    todo: str = "todo.md"
    interview: str = "spec-interview.md"


@dataclass
class LlmSettings:
    baseUrl: str = ""  # noqa: N815 - the names are the settings' JSON keys
    model: str = "gpt-4o-mini"
    planModel: str = ""  # noqa: N815
    apiKeyEnv: str = "OPENAI_API_KEY"  # noqa: N815
    mode: Literal["auto", "manual"] = "auto"
    temperature: float = 0.2
    timeout: float = 120.0
    # one answer's size in UTF-8 bytes; past it the stream is closed and the text marked as
    # cut off, so that an endless answer cannot grow the server or the file without bound
    maxAnswerBytes: int = 2_000_000  # noqa: N815
    # the model's context window in tokens; 0: from a table of well-known model names,
    # else 128k (llm/budget.py). Prompts that leave no room for an answer are refused.
    contextTokens: int = 0  # noqa: N815

    @property
    def plan_model(self) -> str:
        return self.planModel or self.model


@dataclass
class RunSettings:
    """`plan-ls run` and `planLs.runStep` (run/engine.py)."""

    agent: str = ""  # a preset's name (aider, claude, codex, gemini) or a command line
    test: str = ""  # the test command ("": detected from the project's files)
    retries: int = 2  # attempts after the first when the tests are red
    timeout: float = 1800.0  # seconds per agent attempt and per test run (0: no limit)


@dataclass
class Settings:
    files: FileSettings = field(default_factory=FileSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    run: RunSettings = field(default_factory=RunSettings)
    user: str = ""
    # document symbols: "auto" (on, except for VS Code, whose markdown outline is there
    # already), "on" or "off"
    symbols: Literal["auto", "on", "off"] = "auto"
    # where progress shows: code lenses ("lens"), inlay hints ("inlay") or "both"
    progressDisplay: Literal["lens", "inlay", "both"] = "lens"  # noqa: N815 - JSON key
    # more places that hold plans: gitignore-style globs relative to the root, each naming
    # plan folders or a file in one (sync/plans.py discover_plans)
    plans: list[str] = field(default_factory=list)


def _strict(kind: type) -> Any:
    """cattrs's default hooks convert (`str(5)`, `int("7")`); settings must be of the type."""
    def hook(value: Any, _: Any) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise TypeError(f"expected {kind.__name__}")
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            raise TypeError(f"expected {kind.__name__}")
        return value
    return hook


_converter = cattrs.Converter(detailed_validation=True)
for _kind in (str, int, float, bool):
    _converter.register_structure_hook(_kind, _strict(_kind))


def _string_list(value: Any, _: Any) -> list[str]:
    """A list of strings, not a string (which cattrs would split into characters)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return list(value)


_converter.register_structure_hook_func(lambda kind: kind == list[str], _string_list)


def _type_name(kind: Any) -> str:
    if kind == list[str]:
        return "a list of strings"
    args = getattr(kind, "__args__", None)
    if args and getattr(kind, "__origin__", None) is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if kind is float:
        return "number"
    if kind is str:
        return "string"
    if kind is int:
        return "integer"
    return getattr(kind, "__name__", str(kind))


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return f"{type(value).__name__} {str(value)[:40]}" if value is not None else "null"


def _errors(exc: cattrs.ClassValidationError, path: tuple[str, ...] = ()):
    """(key path, expected type) of each wrong value under a cattrs validation error."""
    with_notes, _ = exc.group_exceptions()
    for sub, note in with_notes:
        key = (*path, note.name)
        if isinstance(sub, cattrs.ClassValidationError):
            yield from _errors(sub, key)
        else:
            yield key, note.type


def _pop(data: dict, key: tuple[str, ...]) -> Any:
    for part in key[:-1]:
        data = data[part]
    return data.pop(key[-1])


def _copy(data: Any) -> Any:
    """A deep copy of nested tables, without null values (JSON's way to say "not set")."""
    if not isinstance(data, dict):
        return data
    return {k: _copy(v) for k, v in data.items() if v is not None}


def structure_settings(data: Any, source: str) -> tuple[Settings, list[str]]:
    """Settings from `data` (a client's `planLs` object, or the section's parent, or the
    settings file's table), and one message per value that was left out because its type
    is wrong: `planLs.llm.maxAnswerBytes: expected integer, got the string 'big'; using
    2000000`. `source` prefixes each key (e.g. "planLs." or ".plan-ls/config.toml: ")."""
    clean, problems = _checked(data, source)
    return _converter.structure(clean, Settings), problems


def _checked(data: Any, source: str) -> tuple[dict[str, Any], list[str]]:
    """`data` without the values of the wrong type, and a message for each of them."""
    if not isinstance(data, dict):
        return {}, [] if data is None else \
            [f"{source.rstrip('.: ')}: expected a table of settings, got {_describe(data)}"]
    if isinstance(data.get("planLs"), dict):  # accept the section or its contents
        data = data["planLs"]
    data = _copy(data)
    problems: list[str] = []
    for section in ("files", "llm", "run"):  # cattrs would read a string as a table of defaults
        if section in data and not isinstance(data[section], dict):
            problems.append(f"{source}{section}: expected a table, got "
                            f"{_describe(data.pop(section))}; using the defaults")
    defaults = Settings()
    for _ in range(32):  # each round removes the wrong values cattrs found
        try:
            _converter.structure(data, Settings)
            return data, problems
        except cattrs.ClassValidationError as exc:
            found, error = list(_errors(exc)), exc
        if not found:  # not a value of a wrong type: nothing of this source can be used
            return {}, [*problems, f"{source.rstrip('.: ')}: not used ({error})"]
        for key, kind in found:
            value = _pop(data, key)
            default: Any = defaults
            for part in key:
                default = getattr(default, part, None)
            shown = "" if isinstance(default, (FileSettings, LlmSettings, RunSettings)) \
                else f"; using {default!r}"
            problems.append(f"{source}{'.'.join(key)}: expected {_type_name(kind)}, "
                            f"got {_describe(value)}{shown}")
    return {}, problems


# --- the project's settings file -------------------------------------------------------------

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_SECRET_KEY_NAME = re.compile(r"(api[_-]?key|secret|token|password|passwd|credential)$", re.I)


def _secrets_in(data: dict, path: tuple[str, ...] = ()) -> list[str]:
    """The keys of `data` whose name or value looks like a credential."""
    from plan_ls.pack.secrets import scan

    found = []
    for name, value in data.items():
        key = (*path, str(name))
        dotted = ".".join(key)
        if isinstance(value, dict):
            found += _secrets_in(value, key)
        elif dotted == "llm.apiKeyEnv":
            if not (isinstance(value, str) and _ENV_NAME.match(value)):
                found.append(f"{dotted} must name an environment variable, and this value "
                             "is not a variable name (a key itself?)")
        elif _SECRET_KEY_NAME.search(str(name)):
            found.append(f"{dotted} is a credential")
        elif isinstance(value, str) and scan(f"{name} = {value}\n"):
            found.append(f"{dotted} looks like a credential")
    return found


def read_config_file(root: Path | None) -> tuple[dict[str, Any], list[str]]:
    """The table in `root/.plan-ls/config.toml` ({} when there is none) and the problems
    that made plan-ls refuse the file (then the table is {}): unreadable, not TOML, outside
    the workspace (a symlink out), or holding something that looks like an API key."""
    if root is None:
        return {}, []
    from plan_ls.confinement import OutsideWorkspace, confine

    try:
        path = confine(root, CONFIG_FILE, CONFIG_FILE)
    except OutsideWorkspace as exc:
        return {}, [f"{exc}; its settings are not used"]
    if not path.is_file():
        return {}, []
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            return {}, [f"{CONFIG_FILE}: larger than {MAX_CONFIG_BYTES} bytes; not used"]
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{CONFIG_FILE}: cannot be read ({exc}); its settings are not used"]
    secrets = _secrets_in(data)
    if secrets:
        return {}, [f"{CONFIG_FILE} is not used: {'; '.join(secrets)}. API keys never go in "
                    "this file (it is shared through the repository): put the key in an "
                    "environment variable and name the variable in llm.apiKeyEnv"]
    return data, []


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(root: Path | None, client: Any = None) -> tuple[Settings, list[str]]:
    """The settings for the workspace `root`: the defaults, overridden by the project's
    settings file, overridden by the client's `planLs.*` (`client`, None for the CLI), key
    by key; and one message per problem, for the user (the file refused, a wrong type).
    A wrong value on the client's side falls back to the file's."""
    table, problems = read_config_file(root)
    from_file, wrong = _checked(table, f"{CONFIG_FILE}: ")
    problems += wrong
    from_client, wrong = _checked(client, "planLs.") if client is not None else ({}, [])
    problems += wrong
    return _converter.structure(_merge(from_file, from_client), Settings), problems
