"""The workflow's prompt templates: markdown files with `{{placeholder}}` fields.

The package ships them in `plan_ls/prompts/`; a project replaces any of them with a file of
the same name in `.plan-ls/prompts/`. Rendering is strict about names (a typo in a template
would otherwise send a prompt with a hole in it) and lenient about values (a placeholder
whose value is missing renders as a short note, so manual mode always has a complete text).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from plan_ls.confinement import OutsideWorkspace, confine, resolve

OVERRIDE_DIR = Path(".plan-ls") / "prompts"
PLACEHOLDERS = ("idea", "transcript", "spec", "plan", "todo", "bundle", "step", "flavour")
_FIELD = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class TemplateError(Exception):
    """A template that cannot be used: unknown name, unreadable file, unknown placeholder."""


def _package_dir() -> Path:
    return Path(str(resources.files("plan_ls") / "prompts"))


def _file_name(name: str) -> str:
    name = name.removesuffix(".md")
    if not _NAME.match(name):
        raise TemplateError(f"'{name}' is not a template name")
    return f"{name}.md"


@lru_cache(maxsize=1)
def _shipped() -> frozenset[str]:
    return frozenset(p.stem for p in _package_dir().glob("*.md"))


def list_templates(root: Path | None = None) -> list[str]:
    """Names (without `.md`) of the shipped templates and of the project's own additions."""
    names = set(_shipped())
    if root is not None and (root / OVERRIDE_DIR).is_dir():
        names.update(p.stem for p in (root / OVERRIDE_DIR).glob("*.md"))
    return sorted(names)


def template_path(name: str, root: Path | None = None) -> Path:
    """The file a template is read from: the project's override if there is one."""
    file = _file_name(name)
    if root is not None:
        override = root / OVERRIDE_DIR / file
        if override.is_file():
            try:  # an override that is a symlink out of the project is not read
                return confine(resolve(root), override, str(OVERRIDE_DIR / file))
            except OutsideWorkspace as exc:
                raise TemplateError(str(exc)) from exc
    shipped = _package_dir() / file
    if not shipped.is_file():
        raise TemplateError(f"no prompt template named '{name.removesuffix('.md')}' "
                            f"(known: {', '.join(list_templates(root))})")
    return shipped


def placeholders(text: str) -> list[str]:
    return [m.group(1) for m in _FIELD.finditer(text)]


def check_template(path: Path, text: str) -> None:
    for field in placeholders(text):
        if field not in PLACEHOLDERS:
            raise TemplateError(f"{path}: unknown placeholder {{{{{field}}}}} "
                                f"(known: {', '.join(PLACEHOLDERS)})")


def render_text(text: str, values: dict[str, str], source: Path) -> str:
    check_template(source, text)

    def fill(m: re.Match[str]) -> str:
        value = values.get(m.group(1))
        if value is None or not value.strip():
            return f"(no {m.group(1)} available yet)"
        return value.strip("\n")

    return _FIELD.sub(fill, text)


def render_template(name: str, values: dict[str, str], root: Path | None = None) -> str:
    """Render template `name` (e.g. "plan-tdd") with `values`, honouring project overrides."""
    path = template_path(name, root)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read the template ({exc})") from exc
    return render_text(text, values, path)
