"""The interview: idea -> one question at a time -> spec.md.

The transcript (settings.files.interview, default spec-interview.md) is an ordinary markdown
file: the developer answers in it, and every request sends the idea and all the questions and
answers so far, so the model never depends on hidden chat state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types as t

from plan_ls.features.arguments import command, path_field
from plan_ls.features.feature import Feature
from plan_ls.features.generate import (
    KIND,
    _command_action,
    _refused,
    choose_target,
    current_text,
    interview_path,
    run_job,
    target_for,
    values_for,
)
from plan_ls.server import PlanServer
from plan_ls.textdoc import LineTextDocument

# llm.generation, llm.templates and llm.transcript are imported on first use.

COMPLETE_TAIL = ("\n\nThe interview is complete: run *Compile spec.md* (a code action in this "
                 "file) to write the specification.\n")


@attrs.define
class BrainstormArgs:
    uri: str = path_field("file")  # the file the idea is selected in (any file: read only)
    range: t.Range | None = None
    idea: str | None = None  # scripts may pass the idea itself


@attrs.define
class TranscriptArgs:
    uri: str = path_field("markdown")  # default: the interview file


class Interview(Feature):
    """The interview: planLs.brainstorm, planLs.nextQuestion, planLs.compileSpec and their
    code actions."""

    def register(self) -> None:
        server = self.server
        server.code_action_providers.append(self.interview_actions)
        command(server, "planLs.brainstorm", BrainstormArgs)(self.brainstorm)
        command(server, "planLs.nextQuestion", TranscriptArgs)(self.next_question)
        command(server, "planLs.compileSpec", TranscriptArgs)(self.compile_spec)

    def interview_actions(self, ls: PlanServer,
                          params: t.CodeActionParams) -> list[t.CodeAction]:
        """Ask / Compile in a transcript; Brainstorm on a selection anywhere else."""
        return interview_actions(ls, params)

    async def brainstorm(self, ls: PlanServer, args: BrainstormArgs) -> dict[str, Any]:
        """Start a transcript from the selected idea and ask the first question."""
        from plan_ls.llm.transcript import new_transcript

        idea = args.idea if args.idea is not None else _selected_text(ls, args)
        if not idea or not idea.strip():
            return _refused(ls, "select the text that describes the idea first")
        target = await choose_target(ls, interview_path(ls))
        if target is None:
            return {"ok": False, "cancelled": True}
        base = new_transcript(idea)
        return await _ask(ls, target, base, replace=True)

    async def next_question(self, ls: PlanServer, args: TranscriptArgs) -> dict[str, Any]:
        """Append one more question to the transcript (refused while one is unanswered)."""
        from plan_ls.llm.transcript import parse_transcript

        path, text = _transcript(ls, args.uri)
        if text is None:
            return _refused(ls, f"{path.name} does not exist: start with *Brainstorm a spec*")
        waiting = parse_transcript(text).waiting_turn
        if waiting is not None:
            return _refused(ls, f"question {waiting.number} in {path.name} has no answer yet: "
                            f"write it below its **Answer:** line, then ask again")
        return await _ask(ls, path, text, replace=False)

    async def compile_spec(self, ls: PlanServer, args: TranscriptArgs) -> dict[str, Any]:
        """Write spec.md from the transcript."""
        from plan_ls.features.generation import Job
        from plan_ls.llm.templates import TemplateError, render_template
        from plan_ls.llm.transcript import parse_transcript

        path, text = _transcript(ls, args.uri)
        transcript = parse_transcript(text or "")
        if not transcript.idea and not transcript.turns:
            return _refused(ls, f"{path.name} holds no idea and no answers to compile")
        target = await target_for(ls, ls.state.path_of("spec"), planning=False)
        if target is None:
            return {"ok": False, "cancelled": True}
        try:
            prompt = render_template("compile-spec", {
                **values_for(ls), "idea": transcript.idea,
                "transcript": transcript.as_prompt_text()}, ls.root)
        except TemplateError as exc:
            return _refused(ls, str(exc))
        outcome = await run_job(ls, Job(
            action="compile-spec", title="Compiling spec.md", prompt=prompt, planning=False,
            target=target, replace=True))
        return outcome.as_dict()


async def _ask(ls: PlanServer, target: Path, base: str, *, replace: bool) -> dict[str, Any]:
    """Stream one new question into the transcript whose text is `base`."""
    from plan_ls.features.generation import Job
    from plan_ls.llm.templates import TemplateError, render_template
    from plan_ls.llm.transcript import (
        ANSWER_SLOT,
        COMPLETE_HEADING,
        MANUAL_QUESTION,
        parse_transcript,
        question_head,
        section_head,
    )

    transcript = parse_transcript(base)
    number = transcript.next_number
    try:
        prompt = render_template("interview", {
            **values_for(ls), "idea": transcript.idea,
            "transcript": transcript.as_prompt_text()}, ls.root)
    except TemplateError as exc:
        return _refused(ls, str(exc))
    head = question_head(number, base)
    before = base if replace else ""  # with replace the writer starts from an empty text
    outcome = await run_job(ls, Job(
        action="next-question" if transcript.turns else "brainstorm",
        title=f"Interview: question {number}", prompt=prompt, planning=False, target=target,
        replace=replace, base=base, head=before + head, tail=ANSWER_SLOT,
        interview=True, complete_head=before + section_head(COMPLETE_HEADING, base),
        complete_tail=COMPLETE_TAIL,
        manual_text=base + head + MANUAL_QUESTION + ANSWER_SLOT))
    result = outcome.as_dict()
    result["question"] = number
    return result


def _selected_text(ls: PlanServer, args: BrainstormArgs) -> str:
    if not args.uri or not args.range or ls.path_of(args.uri) is None:
        return ""
    try:
        return ls.workspace.get_text_document(args.uri).text_in_client_range(args.range)
    except (OSError, KeyError, TypeError, ValueError, IndexError):
        return ""


def _transcript(ls: PlanServer, uri: str) -> tuple[Path, str | None]:
    path = (ls.path_of(uri) if uri else None) or interview_path(ls)
    return path, current_text(ls, path)


def is_transcript(ls: PlanServer, uri: str) -> bool:
    """True when `uri` is the interview file, or an open document that looks like one."""
    from plan_ls.llm.transcript import looks_like_transcript

    path = ls.path_of(uri)
    if path is None:
        return False
    if path == interview_path(ls):  # both resolved already (path_of, confine)
        return True
    doc = ls.open_document(uri)
    if doc is None:
        return False
    # the title is on the first line: no need to join a whole big document for it
    first = doc.line(0) if isinstance(doc, LineTextDocument) else doc.source
    return looks_like_transcript(first or "")


def interview_actions(ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
    uri = params.text_document.uri
    rng = params.range
    out: list[t.CodeAction] = []
    if is_transcript(ls, uri):
        from plan_ls.llm.transcript import parse_transcript

        doc = ls.open_document(uri)
        complete = doc is not None and parse_transcript(doc.source).complete
        out.append(_command_action("Ask the next question", "planLs.nextQuestion",
                                   {"uri": uri}, preferred=not complete))
        out.append(_command_action("Compile spec.md", "planLs.compileSpec", {"uri": uri},
                                   preferred=complete))
    elif rng.start != rng.end:
        out.append(t.CodeAction(
            title="Brainstorm a spec from this idea", kind=KIND,
            command=t.Command(title="Brainstorm a spec from this idea",
                              command="planLs.brainstorm", arguments=[{
                                  "uri": uri,
                                  "range": {"start": {"line": rng.start.line,
                                                      "character": rng.start.character},
                                            "end": {"line": rng.end.line,
                                                    "character": rng.end.character}}}])))
    return out
