"""`plan-ls brainstorm | interview | spec | plan | todo`: the greenfield flow from the terminal.

The same templates, settings, runner (llm/job.py) and file semantics as the editor's
commands: an idea becomes the interview transcript (spec-interview.md), the interview goes
one question at a time, then spec.md, prompt_plan.md and todo.md are generated. Nothing is
clobbered: a file that holds text is replaced only with --replace, else the answer goes to
NAME-2.md. Without a model (--manual, or no API key for a remote endpoint) each command
writes its rendered prompt to .plan-ls/prompts-out/ and prints that path.

Exit codes: 0 done; 1 the model call failed or the answer was cut off (what arrived is kept,
marked); 2 bad usage, missing input, or a prompt over the model's context (refused); 3 the
answer was written but is unusable (a plan with no steps, a checklist with no items: the old
file is kept); 130 interrupted (the interview keeps every answer given).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plan_ls.cli import add_model_options, project_settings, usage_error

if TYPE_CHECKING:
    from plan_ls.llm.client import Endpoint
    from plan_ls.llm.job import Result
    from plan_ls.settings import Settings

PROMPTS_OUT = Path(".plan-ls") / "prompts-out"
DONE = "/done"
COMPLETE_NOTE = "\n\nThe interview is complete: run `plan-ls spec` to write the specification.\n"


def add_commands(sub: Any) -> None:
    """Register brainstorm, interview, spec, plan and todo."""
    p = sub.add_parser("brainstorm", help="start the spec interview from an idea: writes "
                       "spec-interview.md with the model's first question")
    p.add_argument("words", nargs="*", metavar="IDEA [DIR]",
                   help="the idea in quotes, then the project folder (default .)")
    p.add_argument("--from", dest="idea_file", metavar="FILE",
                   help="read the idea from FILE (inside the project; - for stdin) instead")
    p.add_argument("--replace", action="store_true",
                   help="start again when an interview exists (the old one is kept as "
                        "spec-interview-2.md)")
    add_model_options(p)
    p.set_defaults(func=run_brainstorm)

    p = sub.add_parser("interview", help="answer the model's questions one at a time in the "
                       "terminal (/done to stop; Ctrl-C keeps the answers; run again to resume)")
    p.add_argument("dir", nargs="?", default=".", metavar="DIR")
    p.add_argument("--editor", action="store_true",
                   help="write each answer in $VISUAL / $EDITOR instead of one line")
    add_model_options(p)
    p.set_defaults(func=run_interview)

    for name, what in (("spec", "compile spec.md from the interview"),
                       ("plan", "write prompt_plan.md from spec.md"),
                       ("todo", "write todo.md from the plan")):
        p = sub.add_parser(name, help=what)
        p.add_argument("dir", nargs="?", default=".", metavar="DIR")
        if name == "plan":
            flavour = p.add_mutually_exclusive_group()
            flavour.add_argument("--tdd", dest="flavour", action="store_const", const="tdd",
                                 help="a test-driven plan (the default)")
            flavour.add_argument("--plain", dest="flavour", action="store_const",
                                 const="plain", help="a plan without the test-first steps")
            p.set_defaults(flavour="tdd")
        add_model_options(p)
        p.add_argument("--replace", action="store_true",
                       help="overwrite the file if it holds text (default: write NAME-2.md)")
        p.set_defaults(func=run_document, document=name)


@dataclass
class Project:
    root: Path
    settings: Settings
    endpoint_chat: Endpoint | None  # None: manual mode
    endpoint_plan: Endpoint | None

    def path(self, role: str) -> Path:
        """The planning file of `role` (spec, plan, todo, interview), inside the root."""
        from plan_ls.confinement import confine

        rel = getattr(self.settings.files, role)
        return confine(self.root, rel, f"files.{role}")

    def read(self, role: str) -> str:
        try:
            return self.path(role).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def values(self) -> dict[str, str]:
        """Every template placeholder's value from the files as they are now."""
        from plan_ls.llm.transcript import parse_transcript
        from plan_ls.model.plan import parse_plan

        transcript_text = self.read("interview")
        transcript = parse_transcript(transcript_text)
        plan = self.read("plan")
        steps = parse_plan(plan).steps if plan else []
        return {"idea": transcript.idea,
                "transcript": transcript.as_prompt_text() if transcript_text else "",
                "spec": self.read("spec"), "plan": plan, "todo": self.read("todo"),
                "step": steps[0].prompt_text if steps else "", "bundle": ""}


def _project(args: argparse.Namespace, directory: str) -> Project | int:
    """The project, its settings and endpoints from the flags; an exit code on bad usage."""
    from plan_ls.llm.client import resolve_endpoint
    from plan_ls.review.run import llm_settings

    start = Path(directory)
    if not start.is_dir():
        return usage_error(f"{directory} is not a directory")
    _, settings = project_settings(start)
    root = _root(start.resolve(), settings)
    _, settings = project_settings(root)
    try:
        llm = llm_settings(os.environ, base_url=args.base_url, model=args.model,
                           key_env=args.api_key_env, manual=args.manual, timeout=args.timeout,
                           max_answer_bytes=args.max_answer_bytes,
                           context_tokens=args.context_tokens, base=settings.llm)
    except ValueError as exc:
        return usage_error(exc)
    settings.llm = llm
    return Project(root, settings, resolve_endpoint(llm, os.environ, planning=False),
                   resolve_endpoint(llm, os.environ, planning=True))


def _root(start: Path, settings: Settings) -> Path:
    """The nearest folder at or above `start` that holds a planning file, the transcript or
    `.plan-ls/`; else `start` (a new project)."""
    from plan_ls.settings import CONFIG_FILE

    names = (settings.files.interview, settings.files.spec, settings.files.plan,
             settings.files.todo)
    for folder in (start, *start.parents):
        if any((folder / n).is_file() for n in names) or (folder / CONFIG_FILE).is_file():
            return folder
    return start


def _write_prompt(project: Project, action: str, prompt: str, what: str) -> int:
    """Manual mode: write the rendered prompt, print its path, say what to do with it."""
    from plan_ls.confinement import confine
    from plan_ls.fileio import write_atomic
    from plan_ls.llm.budget import OverBudget, plan_budget

    path = confine(project.root, PROMPTS_OUT / f"{action}.md", str(PROMPTS_OUT))
    write_atomic(path, prompt)
    try:
        plan_budget(prompt, project.settings.llm.model, project.settings.llm.contextTokens)
    except OverBudget as exc:
        print(f"plan-ls: warning: {exc.message}", file=sys.stderr)
    print(f"no model is called (manual mode): paste {path.relative_to(project.root)} into any "
          f"chat and {what}", file=sys.stderr)
    print(path)
    return 0


def _render(project: Project, template: str, **values: str) -> str:
    from plan_ls.llm.templates import render_template

    return render_template(template, {**project.values(), **values}, project.root)


# --- brainstorm and the interview ---------------------------------------------------------
def run_brainstorm(args: argparse.Namespace) -> int:
    """Write a new transcript from the idea and ask the first question."""
    from plan_ls.fileio import write_atomic
    from plan_ls.llm.terminal import holds_text, sibling
    from plan_ls.llm.transcript import new_transcript

    words = list(args.words)
    if args.idea_file is None:
        if not words:
            return usage_error("brainstorm needs an idea: plan-ls brainstorm \"IDEA\" [DIR] "
                               "or --from FILE [DIR]")
        idea, words = words[0], words[1:]
    if len(words) > 1:
        return usage_error(f"unexpected arguments: {' '.join(words[1:])}")
    project = _project(args, words[0] if words else ".")
    if isinstance(project, int):
        return project
    if args.idea_file is not None:
        idea = _read_idea(project, args.idea_file)
        if idea is None:
            return 2
    if not idea.strip():
        return usage_error("the idea is empty")
    target = project.path("interview")
    if holds_text(target):
        # interview and spec read this one file: an interview beside it would be a dead end
        if not args.replace:
            return usage_error(f"{target.name} already holds an interview: `plan-ls interview` "
                               f"goes on with it, `plan-ls brainstorm --replace` starts again")
        kept = sibling(target)
        os.replace(target, kept)  # the old interview, byte for byte
        print(f"plan-ls: the old interview is kept as {kept.name}", file=sys.stderr)
    write_atomic(target, new_transcript(idea))
    code, _complete = _ask(project, target, echo=False)
    if code == 0 and project.endpoint_chat is not None:  # manual mode printed the prompt's
        print(target)
    return code


def _read_idea(project: Project, name: str) -> str | None:
    from plan_ls.confinement import OutsideWorkspace, confine

    if name == "-":
        return sys.stdin.read()
    try:
        path = confine(project.root, Path(name).resolve(), "--from")
        return path.read_text(encoding="utf-8", errors="replace")
    except (OSError, OutsideWorkspace) as exc:
        usage_error(f"cannot read the idea: {exc}")
        return None


def _ask(project: Project, target: Path, *, echo: bool) -> tuple[int, bool]:
    """Ask the model for the next question and append it to the transcript `target`.
    Returns (exit code, whether the model said the interview is complete)."""
    from plan_ls.fileio import read_text, write_atomic
    from plan_ls.llm.job import Generation
    from plan_ls.llm.templates import TemplateError
    from plan_ls.llm.terminal import EXIT_INTERRUPTED, run_generation
    from plan_ls.llm.transcript import (
        ANSWER_SLOT,
        COMPLETE_HEADING,
        MANUAL_QUESTION,
        parse_transcript,
        question_head,
        section_head,
    )

    base = read_text(target)
    transcript = parse_transcript(base)
    number = transcript.next_number
    try:
        prompt = _render(project, "interview", idea=transcript.idea,
                         transcript=transcript.as_prompt_text())
    except TemplateError as exc:
        return usage_error(exc), False
    head = question_head(number, base)
    action = "next-question" if transcript.turns else "brainstorm"
    if project.endpoint_chat is None:
        write_atomic(target, base + head + MANUAL_QUESTION + ANSWER_SLOT)
        code = _write_prompt(project, action, prompt,
                             f"paste the model's question under \"## Question {number}\" in "
                             f"{target.name}")
        return code, False

    def show(text: str, so_far: Result) -> None:
        if not echo:
            return
        if so_far.chars == len(text):  # the first piece: the heading first
            print("\nThe interview is complete:" if so_far.complete
                  else f"\nQuestion {number}:", flush=True)
        sys.stdout.write(text)
        sys.stdout.flush()

    code, result = run_generation(project.endpoint_chat, Generation(prompt, question=True),
                                  on_text=show, label=f"question {number}")
    if echo and result.text and not result.text.endswith("\n"):
        print(flush=True)
    if result.refused:
        print(f"plan-ls: refused: {result.error}", file=sys.stderr)
        return code, False
    if result.error:
        print(f"plan-ls: {result.error}", file=sys.stderr)
    for note in result.notes:
        print(f"plan-ls: left out of the question: {note}", file=sys.stderr)
    if code == EXIT_INTERRUPTED:
        print(f"plan-ls: interrupted; question {number} was not added", file=sys.stderr)
        return code, False
    if result.complete:
        summary = result.text.strip() or "The model has what it needs to write the spec."
        write_atomic(target, base + section_head(COMPLETE_HEADING, base) + summary
                     + COMPLETE_NOTE)
        print("The interview is complete: run `plan-ls spec` to write the specification.",
              file=sys.stderr)
        return 0, True
    if not result.text:
        return (code or 1), False
    if result.cut:  # kept, marked, and never waited for: the next run asks again
        write_atomic(target, base + head + result.text.rstrip("\n") + result.cut_tail())
        print(f"plan-ls: question {number} was cut off ({result.cut}); run `plan-ls "
              f"interview` to ask again", file=sys.stderr)
        return code or 1, False
    write_atomic(target, base + head + result.text.strip("\n") + ANSWER_SLOT)
    return 0, False


def run_interview(args: argparse.Namespace) -> int:
    """The interview loop: answer the waiting question, ask the next, until /done or the
    model has enough."""
    from plan_ls.fileio import UnreadableFile, read_text, write_atomic
    from plan_ls.llm.transcript import parse_transcript

    project = _project(args, args.dir)
    if isinstance(project, int):
        return project
    target = project.path("interview")
    shown = 0  # the question already on the screen (streamed just now)
    while True:
        try:
            text = read_text(target)
        except (FileNotFoundError, UnreadableFile):
            return usage_error(f"no interview in {project.root}: start one with plan-ls "
                               f"brainstorm \"IDEA\"")
        transcript = parse_transcript(text)
        if transcript.complete:
            print("The interview is complete: run `plan-ls spec` to write the specification.",
                  file=sys.stderr)
            return 0
        waiting = transcript.waiting_turn
        if waiting is None:
            code, complete = _ask(project, target, echo=True)
            if code != 0 or complete or project.endpoint_chat is None:
                return code
            shown = transcript.next_number
            continue
        if not waiting.question:
            # the first question's prompt is the one brainstorm wrote (as in _ask)
            prompt = "brainstorm.md" if waiting.number == 1 else "next-question.md"
            print(f"question {waiting.number} in {target.name} is empty: paste the model's "
                  f"question there (the prompt is in {PROMPTS_OUT / prompt}), "
                  f"then run plan-ls interview again", file=sys.stderr)
            return 0
        if shown != waiting.number:
            print(f"\nQuestion {waiting.number}:\n{waiting.question}", flush=True)
        try:
            answer = _read_answer(project, waiting.question, args.editor)
        except KeyboardInterrupt:
            print(f"\nstopped: the answers so far are in {target.name}; run plan-ls "
                  f"interview to go on", file=sys.stderr)
            return 130
        if answer is None or answer.strip() == DONE:
            print(f"stopped: the answers so far are in {target.name}; run plan-ls spec to "
                  f"write the specification, or plan-ls interview to go on", file=sys.stderr)
            return 0
        current = read_text(target)
        write_atomic(target, current.rstrip("\n") + "\n\n" + answer.strip() + "\n")
        shown = 0


def _read_answer(project: Project, question: str, editor: bool) -> str | None:
    """One answer: a line typed (or the text written in the editor). None at end of input;
    empty answers are asked again."""
    while True:
        if editor:
            answer = _edit_answer(project, question)
        else:
            try:
                answer = _read_line("> ")
            except EOFError:
                return None
        if answer.strip():
            return answer
        print(f"(an empty answer is not saved; type {DONE} to stop)", file=sys.stderr)


def _read_line(prompt: str) -> str:
    """`input(prompt)`, except that Ctrl-C on a terminal always stops it. A read blocked in C
    is interrupted only when the kernel hands SIGINT to the main thread; a library's worker
    thread may take it instead (seen as a ^C that did nothing, in loaded test runs).
    Short selects give Python a turn to see the signal. Raises EOFError at end of input."""
    if not sys.stdin.isatty():  # a pipe or a file: nobody types Ctrl-C into it
        return input(prompt)
    import select

    sys.stdout.write(prompt)
    sys.stdout.flush()
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], 0.2)
        if ready:  # a terminal in canonical mode hands over one whole line per read
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            return line.rstrip("\n")


def _edit_answer(project: Project, question: str) -> str:
    from plan_ls.confinement import confine
    from plan_ls.fileio import write_atomic

    path = confine(project.root, Path(".plan-ls") / "answer.md", ".plan-ls")
    comment = "".join(f"# {line}\n" for line in question.splitlines())
    write_atomic(path, f"\n\n# Write the answer above. Lines starting with # are dropped.\n"
                       f"{comment}")
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    subprocess.run([*shlex.split(command), str(path)], check=False)
    text = path.read_text(encoding="utf-8", errors="replace")
    path.unlink(missing_ok=True)
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


# --- spec, plan, todo ---------------------------------------------------------------------
def run_document(args: argparse.Namespace) -> int:
    """spec / plan / todo: render the template with its source file, stream the answer."""
    from plan_ls.llm.job import Generation
    from plan_ls.llm.templates import TemplateError
    from plan_ls.llm.terminal import holds_text, sibling, write_answer
    from plan_ls.llm.transcript import parse_transcript

    project = _project(args, args.dir)
    if isinstance(project, int):
        return project
    doc = args.document
    if doc == "spec":
        transcript = parse_transcript(project.read("interview"))
        if not transcript.idea and not transcript.turns:
            return usage_error(f"{project.path('interview').name} holds no idea and no "
                               f"answers: start with plan-ls brainstorm \"IDEA\"")
        template, role, source, endpoint = "compile-spec", "spec", "", project.endpoint_chat
        values = {"idea": transcript.idea, "transcript": transcript.as_prompt_text()}
    else:
        source = "spec" if doc == "plan" else "plan"
        if not project.read(source).strip():
            before = "plan-ls spec" if source == "spec" else "plan-ls plan"
            return usage_error(f"{project.path(source).name} is empty: run {before} first")
        template = f"plan-{args.flavour}" if doc == "plan" else "todo-checklist"
        role, endpoint, values = doc, project.endpoint_plan, {}
    try:
        prompt = _render(project, template, **values)
    except TemplateError as exc:
        return usage_error(exc)
    target = project.path(role)
    if endpoint is None:
        return _write_prompt(project, template, prompt,
                             f"save the answer as {target.name}")
    if not args.replace and holds_text(target):
        target = sibling(target)
    written = write_answer(endpoint, Generation(prompt), target,
                           check=lambda text: _unusable(doc, text),
                           command=f"plan-ls {doc}")
    if written.path is not None:
        print(written.path)
        if written.code == 0:
            print(f"wrote {written.path.name}{_summary(project, doc, written.path)}",
                  file=sys.stderr)
    return written.code


def _unusable(doc: str, text: str) -> str | None:
    """Why a complete answer cannot serve as this planning file, or None."""
    from plan_ls.model.plan import parse_plan
    from plan_ls.model.todo import parse_todo

    if doc == "plan" and not parse_plan(text).steps:
        return "no steps could be found in it (headings like `## Step 1: Title`)"
    if doc == "todo" and not parse_todo(text).items:
        return "it has no `- [ ]` items to track"
    if doc == "spec" and not text.strip():
        return "it is empty"
    return None


def _summary(project: Project, doc: str, path: Path) -> str:
    from plan_ls.model.links import link_items
    from plan_ls.model.plan import parse_plan
    from plan_ls.model.todo import parse_todo

    text = path.read_text(encoding="utf-8", errors="replace")
    if doc == "plan":
        return f": {len(parse_plan(text).steps)} steps"
    if doc == "todo":
        todo = parse_todo(text)
        links = link_items(todo, parse_plan(project.read("plan")))
        unlinked = sum(1 for link in links if link.step is None)
        return f": {len(todo.items)} items" + (f", {unlinked} name no step of the plan"
                                                if unlinked else "")
    return ""
