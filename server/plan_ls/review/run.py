"""`plan-ls review|issues|missing-tests`: the generations outside the language server.

Pack (or reuse a fresh bundle), render the template, stream the model's answer into the
answer file and a progress line on stderr. Without a model (manual mode) the rendered
prompt goes to `.plan-ls/prompts-out/<template>.md` and its path is printed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from plan_ls.review.bundle import Kind, get_bundle, project_values, sibling
from plan_ls.settings import FileSettings, LlmSettings

PROMPTS_OUT = Path(".plan-ls") / "prompts-out"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def llm_settings(env: Mapping[str, str], *, base_url: str | None = None,
                 model: str | None = None, key_env: str | None = None,
                 manual: bool = False, timeout: float | None = None,
                 max_answer_bytes: int | None = None,
                 base: LlmSettings | None = None) -> LlmSettings:
    """The model to call from the command line: flags, else PLAN_LS_* variables, else
    `base` (the project's settings file), else the defaults.

    Raises ValueError naming the flag or variable when a timeout (seconds) or an answer
    cap (bytes) is not a positive number.
    """
    llm = replace(base) if base is not None else LlmSettings()
    llm.timeout = _positive(timeout, env, "PLAN_LS_TIMEOUT", "--timeout", float, llm.timeout)
    llm.maxAnswerBytes = _positive(max_answer_bytes, env, "PLAN_LS_MAX_ANSWER_BYTES",
                                   "--max-answer-bytes", int, llm.maxAnswerBytes)
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


class _Progress:
    """`code-review.md: 1,234 characters` redrawn in place on a terminal."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream, self.name, self.chars = stream, name, 0
        self.tty = stream.isatty()

    def add(self, n: int) -> None:
        self.chars += n
        if self.tty:
            self.stream.write(f"\r{self.name}: {self.chars:,} characters")
            self.stream.flush()

    def done(self) -> None:
        if self.tty and self.chars:
            self.stream.write("\r\033[K")
            self.stream.flush()


def generate(root: Path, kind: Kind, llm: LlmSettings, env: Mapping[str, str],
             options: Options, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    from plan_ls.confinement import OutsideWorkspace, confine
    from plan_ls.fileio import UnreadableFile, write_atomic
    from plan_ls.llm.client import resolve_endpoint
    from plan_ls.llm.templates import TemplateError, render_template

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
    code, wrote = _stream(endpoint, prompt, target, kind, err)
    if wrote:
        print(target, file=out)
    return code


def _stream(endpoint, prompt: str, target: Path, kind: Kind, err: TextIO) -> tuple[int, bool]:
    """Stream the answer into `target`, created with the first text (an answer that never
    brings any leaves an existing file as it was). Returns the exit code and whether the
    file was written."""
    from plan_ls.llm.client import LlmError, StreamCut, stream_chat
    from plan_ls.llm.transcript import CUT_MARK  # the editor's mark, so both read the same

    progress = _Progress(err, target.name)
    handle: TextIO | None = None

    def on_text(text: str) -> None:
        nonlocal handle
        if handle is None:  # the file appears with the first text, not before
            handle = target.open("w", encoding="utf-8", newline="")
        handle.write(text)
        handle.flush()
        progress.add(len(text))

    def on_retry(error: LlmError, delay: float, attempt: int) -> None:
        print(f"{error.message}; retry {attempt} in {delay:.1f} s", file=err)

    messages = [{"role": "user", "content": prompt}]
    code, cut = EXIT_OK, ""
    try:
        asyncio.run(stream_chat(endpoint, messages, on_text, on_retry=on_retry))
    except StreamCut as exc:
        code, cut = EXIT_FAILED, exc.reason
        print(f"plan-ls {kind.name}: {exc.message}", file=err)
    except LlmError as exc:
        code = EXIT_FAILED
        print(f"plan-ls {kind.name}: {exc.message}", file=err)
    except KeyboardInterrupt:
        code, cut = EXIT_INTERRUPTED, "interrupted"
    finally:
        progress.done()
        if handle is not None:
            if cut:
                handle.write(CUT_MARK.format(reason=cut))
            handle.close()
    if code == EXIT_OK:
        print(f"wrote {target.name}: {summary(target, kind)}", file=err)
    elif handle is not None:
        print(f"{target.name} keeps what arrived, marked as cut off", file=err)
    elif target.exists():
        print(f"{target.name} is unchanged", file=err)
    return code, handle is not None


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
