"""Generating the planning files with an LLM: prompt_plan.md from spec.md, todo.md from the
plan. Also what every LLM action shares: the project's values for the templates, the
never-clobber question, and the template insertion used by planLs.insertPrompt."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types as t

from plan_ls.confinement import OutsideWorkspace, confine, confine_markdown
from plan_ls.features.arguments import command, path_field
from plan_ls.features.feature import Feature
from plan_ls.fileio import UnreadableFile, read_text
from plan_ls.server import PlanServer
from plan_ls.settings import FileSettings

if TYPE_CHECKING:
    from plan_ls.features.generation import Job, Jobs, Outcome

# The LLM layer (llm/: the openai SDK, templates, transcripts) and the model are imported on
# first use, never before the initialize answer.

log = logging.getLogger(__name__)
KIND = t.CodeActionKind.RefactorRewrite
BUNDLE = "output.txt"
REPLACE, KEEP_BOTH, CANCEL = "Replace", "Keep both", "Cancel"


@attrs.define
class UriArgs:
    uri: str = path_field("markdown")  # default: the role's file


@attrs.define
class PlanArgs:
    uri: str = path_field("markdown")  # default: spec.md
    flavour: str = attrs.field(default="tdd", validator=attrs.validators.in_(("tdd", "plain")))


class Generate(Feature):
    """planLs.generatePlan / planLs.generateTodo, their code actions and the prompt
    insertion actions; owns what the server's LLM jobs share (`jobs`)."""

    def __init__(self, server: PlanServer) -> None:
        super().__init__(server)
        self._jobs: Jobs | None = None

    def register(self) -> None:
        self.server.code_action_providers.append(self.generate_actions)
        command(self.server, "planLs.generatePlan", PlanArgs)(self.generate_plan)
        command(self.server, "planLs.generateTodo", UriArgs)(self.generate_todo)

    @property
    def jobs(self) -> Jobs:
        """The state the LLM jobs of this server share (the files being written)."""
        if self._jobs is None:
            from plan_ls.features.generation import Jobs

            self._jobs = Jobs()
        return self._jobs

    def generate_actions(self, ls: PlanServer,
                         params: t.CodeActionParams) -> list[t.CodeAction]:
        """Generate actions in spec.md and the plan; insert-prompt actions on blank lines."""
        return generate_actions(ls, params)

    def render_template(self, ls: PlanServer, name: str) -> str:
        """Template `name` rendered with the project's current files (planLs.insertPrompt).
        Raises TemplateError (after telling the user) when it cannot be rendered."""
        return render_for(ls, name)

    async def generate_plan(self, ls: PlanServer, args: PlanArgs) -> dict[str, Any]:
        """Write prompt_plan.md from spec.md: the outcome, with `steps` found in it."""
        from plan_ls.model.plan import parse_plan

        flavour = "plain" if args.flavour == "plain" else "tdd"
        label = "test-driven" if flavour == "tdd" else "plain"
        result, target, _spec = await _generate(
            ls, args.uri, source="spec", target="plan", template=f"plan-{flavour}",
            empty="spec.md is empty: write or compile the spec first",
            action=f"plan-{flavour}", title=f"Generating the prompt plan ({label})")
        old = result.pop("_old", "")
        if result.get("ok") and target is not None:
            steps = parse_plan(_read(target)).steps
            result["steps"] = len(steps)
            if not steps:
                why = "no steps could be found in it; check the headings (## Step N: Title)"
                await keep_old_file(ls, target, result, why, old)
        return result

    async def generate_todo(self, ls: PlanServer, args: UriArgs) -> dict[str, Any]:
        """Write todo.md from the plan: the outcome, with `items` and `unlinked` counts."""
        from plan_ls.model.links import link_items
        from plan_ls.model.plan import parse_plan
        from plan_ls.model.todo import parse_todo

        result, target, plan = await _generate(
            ls, args.uri, source="plan", target="todo", template="todo-checklist",
            empty="prompt_plan.md is empty: generate the plan first",
            action="todo", title="Generating todo.md")
        old = result.pop("_old", "")
        if result.get("ok") and target is not None:
            todo = parse_todo(_read(target))
            if not todo.items:
                result.update(items=0, unlinked=0)
                await keep_old_file(ls, target, result, "it has no `- [ ]` items to track", old)
                return result
            links = link_items(todo, parse_plan(plan))
            unlinked = sum(1 for link in links if link.step is None)
            result.update(items=len(todo.items), unlinked=unlinked)
            if unlinked:
                message(ls, t.MessageType.Warning, f"{unlinked} of {len(todo.items)} items in "
                        f"{target.name} name no step of the plan; see the diagnostics")
        return result


def message(ls: PlanServer, kind: t.MessageType, text: str) -> None:
    """Show `text` to the user (llm.generation.message, without importing the LLM layer)."""
    ls.tell_user(text, kind)


async def run_job(ls: PlanServer, job: Job) -> Outcome:
    """llm.generation.run_job with this server's shared job state."""
    from plan_ls.features.generation import run_job

    return await run_job(ls, job, ls.get_feature(Generate).jobs)


async def keep_old_file(ls: PlanServer, target: Path, result: dict[str, Any], why: str,
                    old: str) -> None:
    """A complete answer that cannot serve as the planning file replaced text that could:
    put the old text back, move the answer beside it (NAME-2.md), and warn."""
    from plan_ls.features.edits import write_document
    from plan_ls.fileio import write_atomic

    if not old.strip():
        message(ls, t.MessageType.Warning, f"{target.name} was written, but {why}")
        return
    answer = current_text(ls, target) or ""
    aside = sibling(target)
    try:
        write_atomic(ls.writable(aside, aside.name), answer)
        await write_document(ls, target, old)
    except (OSError, OutsideWorkspace) as exc:
        message(ls, t.MessageType.Error, f"{target.name} was written, but {why}; putting "
                f"the old text back failed: {exc}")
        return
    result.update(ok=False, path=str(aside), kept=str(target))
    message(ls, t.MessageType.Warning, f"the answer has a problem: {why}. {target.name} is "
            f"kept as it was; the answer is in {aside.name}")


async def _generate(ls: PlanServer, uri: str, *, source: str, target: str, template: str,
                    empty: str, action: str, title: str,
                    ) -> tuple[dict[str, Any], Path | None, str]:
    """One planning generation: read the source file, ask before replacing the target,
    render the template with the source, stream the answer. Returns the outcome as a dict,
    the file written (None if nothing was) and the source text."""
    text = _source_text(ls, uri, source)
    if not text.strip():
        return _refused(ls, empty), None, text
    path = await target_for(ls, ls.state.home_of(target), planning=True)
    if path is None:
        return {"ok": False, "cancelled": True}, None, text
    from plan_ls.features.generation import Job
    from plan_ls.llm.templates import TemplateError, render_template

    try:
        prompt = render_template(template, {**values_for(ls), source: text}, ls.root)
    except TemplateError as exc:
        return _refused(ls, str(exc)), None, text
    old = current_text(ls, path) or ""  # put back if the answer turns out unusable
    outcome = await run_job(ls, Job(action=action, title=title, prompt=prompt, planning=True,
                                    target=path, replace=True))
    # manual mode wrote the prompt only: the target is as it was, nothing to check in it
    result = outcome.as_dict()
    if outcome.ok and not outcome.manual:
        result["_old"] = old
    return result, path if outcome.ok and not outcome.manual else None, text


# --- code actions -------------------------------------------------------------------------
def _command_action(title: str, command: str, args: dict[str, Any],
                    kind: str = KIND, preferred: bool = False) -> t.CodeAction:
    return t.CodeAction(title=title, kind=kind, is_preferred=preferred or None,
                        command=t.Command(title=title, command=command, arguments=[args]))


def generate_actions(ls: PlanServer, params: t.CodeActionParams) -> list[t.CodeAction]:
    uri = params.text_document.uri
    # generation writes the primary plan's files: offered in those files only, not in
    # another plan's spec.md or tasks.md
    role = ls.role_of_uri(uri) if ls.state_for(uri) is ls.state else None
    out: list[t.CodeAction] = []
    if role == "spec":
        out.append(_command_action("Generate prompt plan (test-driven)", "planLs.generatePlan",
                                   {"uri": uri, "flavour": "tdd"}))
        out.append(_command_action("Generate prompt plan (plain)", "planLs.generatePlan",
                                   {"uri": uri, "flavour": "plain"}))
    elif role == "plan":
        out.append(_command_action("Generate todo.md", "planLs.generateTodo", {"uri": uri}))
    if uri.endswith((".md", ".markdown")) and _on_blank_line(ls, uri, params.range):
        # only where text can go: on every line they would bury "Mark done" in the menu
        pos = params.range.start
        where = {"uri": uri, "position": {"line": pos.line, "character": pos.character}}
        from plan_ls.llm.templates import list_templates

        snap = ls.state.snapshot
        step = snap.next_step()
        if role != "plan" and step is not None and step.prompts:
            out.append(_command_action(f"Insert prompt here: Step {step.number} (next)",
                                       "planLs.insertPrompt", {**where, "step": step.number}))
        for name in list_templates(ls.root):
            out.append(_command_action(f"Insert prompt template here: {name}",
                                       "planLs.insertPrompt", {**where, "template": name},
                                       kind=t.CodeActionKind.Source))
    return out


def _on_blank_line(ls: PlanServer, uri: str, where: t.Range) -> bool:
    if where.start.line != where.end.line or where.start.character != where.end.character:
        return False
    if ls.open_document(uri) is None:
        return False
    line = ls.document_line(uri, where.start.line)
    return line is not None and not line.strip()


# --- shared helpers -----------------------------------------------------------------------
def _read(path: Path) -> str:
    try:
        return read_text(path)
    except (FileNotFoundError, UnreadableFile):
        return ""


def _read_inside(ls: PlanServer, rel: str) -> str:
    """A file below the root by its relative name, "" when missing or when it (a symlink)
    leads out of the workspace."""
    try:
        return _read(confine(ls.root, rel, rel))
    except OutsideWorkspace:
        return ""


def current_text(ls: PlanServer, path: Path) -> str | None:
    """The editor's text if the file is open, else what is on disk now (not the cached
    plan state, which may not have seen a file that was just written)."""
    doc = ls.open_document(ls.uri_of(path))
    if doc is not None:
        return doc.source
    try:
        return read_text(path)
    except (FileNotFoundError, UnreadableFile):
        return None


def _source_text(ls: PlanServer, uri: str, role: str) -> str:
    """The text of the document the action was started in, else of the role's file."""
    path = ls.path_of(uri) if uri else None
    text = current_text(ls, path) if path is not None else None
    if text is None:
        text = current_text(ls, ls.state.path_of(role))
    return text or ""


def interview_path(ls: PlanServer) -> Path:
    """The interview transcript: the planLs.files.interview setting, confined to the
    workspace (a setting that leaves it is refused and the default is used)."""
    rel = ls.settings.files.interview
    if ls.root is None:
        return Path(rel)
    try:
        return confine_markdown(ls.root, rel, "planLs.files.interview")
    except OutsideWorkspace as exc:
        log.warning("%s", exc)
        return confine(ls.root, FileSettings.interview, "the interview file")


def values_for(ls: PlanServer) -> dict[str, str]:
    """Every placeholder's value from the project as it is now (open editors win)."""
    from plan_ls.llm.transcript import parse_transcript

    transcript_text = current_text(ls, interview_path(ls)) or ""
    transcript = parse_transcript(transcript_text)
    values = {
        "idea": transcript.idea,
        "transcript": transcript.as_prompt_text() if transcript_text else "",
        "spec": current_text(ls, ls.state.path_of("spec")) or "",
        "plan": current_text(ls, ls.state.path_of("plan")) or "",
        "todo": current_text(ls, ls.state.home_of("todo")) or "",
        "bundle": _read_inside(ls, BUNDLE) if ls.root else "",
    }
    step = ls.state.snapshot.next_step()
    values["step"] = step.prompt_text if step is not None else ""
    return values


def render_for(ls: PlanServer, name: str) -> str:
    """A template rendered with the project's current files (for planLs.insertPrompt)."""
    from plan_ls.llm.templates import TemplateError, render_template

    try:
        return render_template(name, values_for(ls), ls.root).rstrip("\n") + "\n"
    except TemplateError as exc:  # the command fails too, but the user sees why
        message(ls, t.MessageType.Error, str(exc))
        raise


def _refused(ls: PlanServer, text: str) -> dict[str, Any]:
    message(ls, t.MessageType.Warning, text)
    return {"ok": False, "error": text}


def sibling(path: Path) -> Path:
    """spec.md -> spec-2.md (the first name not taken)."""
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def manual_mode(ls: PlanServer, planning: bool) -> bool:
    """True when no model will be called (llm.mode manual, or no key for a remote endpoint):
    the action then writes only the rendered prompt, never its target."""
    from plan_ls.llm.client import resolve_endpoint

    return resolve_endpoint(ls.settings.llm, os.environ, planning=planning) is None


async def target_for(ls: PlanServer, path: Path, planning: bool) -> Path | None:
    """The file a generation writes: what `choose_target` picks, or, in manual mode, `path`
    without asking (asking to replace a file that is not going to be touched misleads)."""
    if manual_mode(ls, planning):
        return path
    return await choose_target(ls, path)


async def choose_target(ls: PlanServer, path: Path) -> Path | None:
    """Where to write: `path` if it is empty, else what the user picks (None = cancel).
    A path plan-ls may not write (outside the workspace, not markdown) is refused here."""
    try:
        path = ls.writable(path, path.name)
    except OutsideWorkspace as exc:
        message(ls, t.MessageType.Error, str(exc))
        return None
    text = current_text(ls, path)
    if not text or not text.strip():
        return path
    actions = [t.MessageActionItem(title=x) for x in (REPLACE, KEEP_BOTH, CANCEL)]
    try:
        picked = await ls.window_show_message_request_async(t.ShowMessageRequestParams(
            type=t.MessageType.Warning, actions=actions,
            message=f"{path.name} already has content. Replace it, keep both "
                    f"(write {sibling(path).name}), or cancel?"))
    except Exception as exc:  # a client that cannot ask: never clobber, keep both
        log.info("showMessageRequest failed (%s); keeping both", exc)
        return sibling(path)
    title = picked.title if picked is not None else CANCEL
    if title == REPLACE:
        return path
    if title == KEEP_BOTH:
        return sibling(path)
    return None
