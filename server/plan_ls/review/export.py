"""Files for other tools: editable template copies and mise tasks (`plan-ls init`), and the
templates as YAML templates for Simon Willison's `llm` CLI (`plan-ls templates export`).

Nothing here overwrites a file unless asked to (`force`); every function reports what it
wrote and what it skipped, so the CLI can say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from plan_ls.fileio import write_atomic
from plan_ls.llm.templates import OVERRIDE_DIR, list_templates, placeholders, template_path

MISE_TASKS = (
    ("plan:pack", "Pack the repository into output.txt", "plan-ls pack"),
    ("plan:review", "Ask the model for a code review (code-review.md)", "plan-ls review"),
    ("plan:issues", "Ask the model for GitHub issues (issues.md)", "plan-ls issues"),
    ("plan:missing-tests", "Ask the model for missing tests (missing-tests.md)",
     "plan-ls missing-tests"),
    ("plan:status", "Progress of the plan and the checklists", "plan-ls status"),
)
_FIELD = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


@dataclass
class Written:
    wrote: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)

    def put(self, path: Path, text: str, force: bool) -> None:
        existed = path.exists()
        if existed and not force:
            self.skipped.append(path)
            return
        write_atomic(path, text)
        self.wrote.append(path)


def mise_toml() -> str:
    parts = ["# Tasks for the spec -> plan -> todo workflow (written by `plan-ls init --mise`).\n"
             "# Run one with `mise run plan:review`; list them with `mise tasks`.\n"]
    for name, description, run in MISE_TASKS:
        parts.append(f'\n[tasks."{name}"]\ndescription = "{description}"\nrun = "{run}"\n')
    return "".join(parts)


def init_project(root: Path, *, mise: bool = False, force: bool = False) -> Written:
    """Copies of the shipped templates in `.plan-ls/prompts/`, and `mise.toml` if asked."""
    out = Written()
    for name in list_templates(None):
        text = template_path(name).read_text(encoding="utf-8")
        out.put(root / OVERRIDE_DIR / f"{name}.md", text, force)
    if mise:
        out.put(root / "mise.toml", mise_toml(), force)
    return out


# --- llm templates --------------------------------------------------------------------------
def split_system(text: str) -> tuple[str, str]:
    """(system, prompt): the instructions, and from the heading that introduces the first
    placeholder onwards. Without such a heading everything is the prompt."""
    lines = text.split("\n")
    first = next((n for n, line in enumerate(lines) if _FIELD.search(line)), None)
    if first is None:
        return "", text
    head = next((n for n in range(first, -1, -1) if lines[n].startswith("#")), None)
    if not head:
        return "", text
    return "\n".join(lines[:head]).strip("\n"), "\n".join(lines[head:]).strip("\n")


def to_llm_syntax(text: str, names: list[str]) -> str:
    """`{{x}}` -> `$x` (llm's string.Template syntax), `$` -> `$$`. A template with one
    placeholder takes it as `$input`, so its text can be piped: `llm -t NAME < output.txt`."""
    single = len(set(names)) == 1
    text = text.replace("$", "$$")

    def field_(m: re.Match[str]) -> str:
        name = "input" if single else m.group(1).replace("-", "_").replace(".", "_")
        after = text[m.end():m.end() + 1]
        return f"${{{name}}}" if after and (after.isalnum() or after == "_") else f"${name}"

    return _FIELD.sub(field_, text)


def _block(key: str, text: str) -> str:
    """A YAML literal block scalar; an indentation indicator when the text starts indented."""
    lines = text.replace("\r\n", "\n").split("\n")
    indicator = "2" if lines and lines[0][:1] in (" ", "\t") else ""
    body = "\n".join(f"  {line}" if line else "" for line in lines)
    return f"{key}: |{indicator}\n{body}\n"


def llm_yaml(text: str) -> str:
    names = placeholders(text)
    system, prompt = split_system(text)
    parts = []
    if system:
        parts.append(_block("system", to_llm_syntax(system, names)))
    parts.append(_block("prompt", to_llm_syntax(prompt, names)))
    return "".join(parts)


def export_llm(dest: Path, root: Path | None, *, force: bool = False) -> Written:
    """Every template (the project's overrides win) as `DEST/<name>.yaml`."""
    out = Written()
    for name in list_templates(root):
        text = template_path(name, root).read_text(encoding="utf-8")
        out.put(dest / f"{name}.yaml", llm_yaml(text), force)
    return out
