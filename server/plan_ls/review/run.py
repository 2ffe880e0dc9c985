"""`plan-ls review|issues|missing-tests`: the generations outside the language server.

Pack (or reuse a fresh bundle), render the template, stream the model's answer into the
answer file and a progress line on stderr. Without a model (manual mode) the rendered
prompt goes to `.plan-ls/prompts-out/<template>.md` and its path is printed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from plan_ls.review.bundle import Kind, get_bundle, project_values, sibling
from plan_ls.settings import FileSettings, LlmSettings

PROMPTS_OUT = Path(".plan-ls") / "prompts-out"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_WARNED = 0, 1, 2, 130, 3


def llm_settings(env: Mapping[str, str], *, base_url: str | None = None,
                 model: str | None = None, key_env: str | None = None,
                 manual: bool = False, timeout: float | None = None,
                 max_answer_bytes: int | None = None, context_tokens: int | None = None,
                 base: LlmSettings | None = None) -> LlmSettings:
    """The model to call from the command line: flags, else PLAN_LS_* variables, else
    `base` (the project's settings file), else the defaults.

    Raises ValueError naming the flag or variable when a timeout (seconds), an answer cap
    (bytes) or a context window (tokens) is not a positive number.
    """
    llm = replace(base) if base is not None else LlmSettings()
    llm.timeout = _positive(timeout, env, "PLAN_LS_TIMEOUT", "--timeout", float, llm.timeout)
    llm.maxAnswerBytes = _positive(max_answer_bytes, env, "PLAN_LS_MAX_ANSWER_BYTES",
                                   "--max-answer-bytes", int, llm.maxAnswerBytes)
    llm.contextTokens = _positive(context_tokens, env, "PLAN_LS_CONTEXT_TOKENS",
                                  "--context-tokens", int, llm.contextTokens)
    llm.baseUrl = (base_url or env.get("PLAN_LS_BASE_URL") or env.get("OPENAI_BASE_URL")
                   or llm.baseUrl)
    llm.model = model or env.get("PLAN_LS_MODEL") or llm.model
    llm.planModel = model or env.get("PLAN_LS_PLAN_MODEL") or llm.planModel
    llm.apiKeyEnv = key_env or env.get("PLAN_LS_API_KEY_ENV") or llm.apiKeyEnv
    llm.mode = "manual" if manual else (env.get("PLAN_LS_MODE") or llm.mode)
    return llm


def _positive(flag: float | None, env: Mapping[str, str], var: str, name: str, kind: type,
              default: float) -> Any:
    if flag is not None:
        value, where = flag, name
    elif env.get(var):
        where = f"${var}"
        try:
            value = kind(env[var])
        except ValueError:
            raise ValueError(f"{where} must be a number, not {env[var]!r}") from None
    else:
        return default
    if not value > 0:
        raise ValueError(f"{where} must be more than 0, not {value}")
    return value


@dataclass
class Options:
    replace: bool = False  # overwrite an existing answer instead of writing NAME-2.md
    repack: bool = False
    files: FileSettings | None = None  # where the planning files are (the settings)


def generate(root: Path, kind: Kind, llm: LlmSettings, env: Mapping[str, str],
             options: Options, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from plan_ls.confinement import OutsideWorkspace, confine
    from plan_ls.fileio import UnreadableFile, write_atomic
    from plan_ls.llm.client import resolve_endpoint
    from plan_ls.llm.templates import TemplateError, render_template

    # the streams of the moment of the call (not of import): a caller may redirect them
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if not root.is_dir():
        print(f"plan-ls {kind.name}: {root} is not a directory", file=err)
        return EXIT_USAGE
    root = root.resolve()
    try:
        bundle = get_bundle(root, repack=options.repack)
        values = project_values(root, bundle.text, options.files)
        prompt = render_template(kind.template, values, root)
    except (OSError, ValueError, UnreadableFile, TemplateError) as exc:
        print(f"plan-ls {kind.name}: {exc}", file=err)
        return EXIT_USAGE
    if bundle.packed is not None:
        print(f"packed {bundle.packed['files']} files ({bundle.packed['tokens']:,} tokens) "
              f"into {bundle.path.name}", file=err)
    else:
        print(f"reusing {bundle.path.name} (no file is newer)", file=err)

    endpoint = resolve_endpoint(llm, env, planning=True)
    try:  # symlinks that lead out of the project are refused, not followed
        target = confine(root, kind.target, kind.target)
        prompt_path = confine(root, PROMPTS_OUT / f"{kind.template}.md", str(PROMPTS_OUT))
    except OutsideWorkspace as exc:
        print(f"plan-ls {kind.name}: {exc}", file=err)
        return EXIT_USAGE
    if endpoint is None:
        path = prompt_path
        write_atomic(path, prompt)
        print(f"no model configured (manual mode): paste the prompt into any chat and save "
              f"the answer as {kind.target}", file=err)
        print(path, file=out)
        return EXIT_OK

    if not options.replace and target.exists() and target.stat().st_size:
        target = sibling(target)
    refusal = _over_budget(endpoint, prompt, bundle.text)
    if refusal:
        print(f"plan-ls {kind.name}: refused: {refusal}", file=err)
        return EXIT_USAGE
    from plan_ls.llm.job import Generation
    from plan_ls.llm.terminal import write_answer

    written = write_answer(endpoint, Generation(prompt), target, err=err,
                           check=lambda text: _unusable(text, kind),
                           command=f"plan-ls {kind.name}")
    if written.path is not None:
        print(written.path, file=out)
        if written.code == EXIT_OK:
            print(f"wrote {written.path.name}: {summary(written.path, kind)}", file=err)
    return written.code


def _over_budget(endpoint, prompt: str, bundle: str) -> str | None:
    """Why the prompt cannot be sent (over the model's context), with the --max-tokens that
    would make the bundle fit; None when it fits."""
    from plan_ls.llm.budget import OverBudget, count_tokens, margin, plan_budget

    try:
        plan_budget(prompt, endpoint.model, endpoint.context_tokens)
    except OverBudget as exc:
        rest = exc.prompt_tokens - count_tokens(bundle)  # the template and planning files
        answer = max(256, exc.context // 16)
        fit = exc.context - rest - margin(exc.prompt_tokens) - answer
        if fit <= 0:
            return exc.message
        return (f"{exc.message} Or pack a partial bundle that fits: `plan-ls pack "
                f"--max-tokens {fit}`, then run this again (it reuses the fresh bundle).")
    return None


def _unusable(text: str, kind: Kind) -> str | None:
    """Why a complete answer is of no use to the tools: no findings, no issues."""
    from plan_ls.model.todo import parse_todo
    from plan_ls.review.issues import parse_issues

    if kind.name == "issues":
        return None if parse_issues(text) else "it has no `## Title` sections (no issues)"
    return None if parse_todo(text).total else "it has no `- [ ]` findings"


def summary(path: Path, kind: Kind) -> str:
    """How many items the answer has, and for findings how many name no place."""
    from plan_ls.model.todo import parse_todo
    from plan_ls.review.findings import parse_findings
    from plan_ls.review.issues import parse_issues

    text = path.read_text(encoding="utf-8", errors="replace")
    if kind.name == "issues":
        return f"{len(parse_issues(text))} issues"
    total = parse_todo(text).total
    placed = len(parse_findings(text))
    return f"{total} items" + (f", {total - placed} without a path:line" if placed < total
                               else "")
