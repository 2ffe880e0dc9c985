"""Coding agents: the presets for their non-interactive modes, and any command line.

A preset is a command line in which plan-ls replaces these placeholders (each one whole
argument, never re-split by a shell):

- `{prompt_file}`: the prompt file, relative to the workspace root (the agent's cwd);
- `{prompt}`: the prompt's text itself, for agents that take it as an argument;
- `{run_dir}`: the run's folder (`.plan-ls/runs/<run-id>`), for the agent's own logs.

The agent's stdin is the prompt file too, and it gets `PLAN_LS_PROMPT_FILE`, `PLAN_LS_STEP`,
`PLAN_LS_ATTEMPT` and `PLAN_LS_RUN_DIR` in its environment. plan-ls passes no model and no
key: each agent finds them where it always does (below), so nothing secret is in a command
line or a log.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class Preset:
    name: str
    command: str
    about: str  # how it gets its model and its key
    # the agent's own files in the work tree (caches, histories): never committed with a
    # step, never a reason to refuse a run (fnmatch patterns, see run/git.py `kept_out`)
    own_files: tuple[str, ...] = ()


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset(
        "aider",
        "aider --message-file {prompt_file} --yes-always --no-auto-commits "
        "--no-dirty-commits --no-gitignore --no-check-update --no-show-release-notes "
        "--no-analytics --no-pretty --no-fancy-input --no-suggest-shell-commands "
        "--no-detect-urls --input-history-file {run_dir}/aider.input.history "
        "--chat-history-file {run_dir}/aider.chat.history.md",
        "Aider (pip install aider-chat). Model: --model in .aider.conf.yml or AIDER_MODEL "
        "(e.g. openai/gpt-4o, sonnet); key: the provider's variable (OPENAI_API_KEY, "
        "ANTHROPIC_API_KEY, ...); an OpenAI-compatible endpoint: OPENAI_API_BASE. Its "
        "commits are off (plan-ls commits when the tests pass) and its history files go "
        "to the run's folder.",
        (".aider*",)),
    Preset(
        "claude",
        "claude -p --permission-mode acceptEdits {prompt}",
        "Claude Code in print mode (-p), file edits accepted. Model: ANTHROPIC_MODEL or "
        "--model; key: `claude login` or ANTHROPIC_API_KEY."),
    Preset(
        "codex",
        "codex exec --sandbox workspace-write {prompt}",
        "OpenAI Codex CLI, non-interactive (`codex exec`), allowed to write in the "
        "workspace. Model: -m or ~/.codex/config.toml; key: `codex login` or "
        "OPENAI_API_KEY."),
    Preset(
        "gemini",
        "gemini --approval-mode yolo -p {prompt}",
        "Gemini CLI in headless mode (-p), actions approved (it runs the tests itself). "
        "Model: -m or GEMINI_MODEL; key: GEMINI_API_KEY or its cached login."),
)}


class AgentError(Exception):
    """An agent setting that cannot be used (empty, unbalanced quotes, unknown preset)."""


@dataclass(frozen=True)
class Agent:
    """An agent to run: the name it claims steps under, and its command line."""

    name: str
    command: str  # with placeholders
    own_files: tuple[str, ...] = ()  # see Preset.own_files

    def argv(self, prompt_file: PurePath, prompt: str, run_dir: PurePath) -> list[str]:
        """The command line as arguments, placeholders replaced (each stays one argument)."""
        values = {"{prompt_file}": str(prompt_file), "{prompt}": prompt,
                  "{run_dir}": str(run_dir)}
        out = []
        for word in shlex.split(self.command):
            if word in values:
                out.append(values[word])
                continue
            for key, value in values.items():
                if key != "{prompt}":
                    word = word.replace(key, value)
            out.append(word)
        return out


def resolve_agent(spec: str) -> Agent:
    """The agent that `--agent` or `run.agent` names: a preset's name (`aider`), or a
    command line of the user's (`python tools/my_agent.py {prompt_file}`). The claim name
    is the preset's name, or the command's program name (`my_agent.py` -> `my_agent`).

    Raises AgentError for an empty setting or a command line that does not parse."""
    from plan_ls.sync.claims import clean_name

    spec = spec.strip()
    if not spec:
        raise AgentError("no agent: give --agent NAME or a command line, or set run.agent "
                         f"(presets: {', '.join(PRESETS)})")
    if spec in PRESETS:
        return Agent(spec, PRESETS[spec].command, PRESETS[spec].own_files)
    try:
        words = shlex.split(spec)
    except ValueError as exc:
        raise AgentError(f"the agent's command line does not parse: {exc}") from None
    if not words:
        raise AgentError("the agent's command line is empty")
    # `python x/agent.py ...`: the script names the agent better than the interpreter
    program = words[0]
    if PurePath(program).name.startswith("python") and len(words) > 1 \
            and not words[1].startswith("-"):
        program = words[1]
    name = clean_name(PurePath(program).stem) or "agent"
    return Agent(name, spec)
