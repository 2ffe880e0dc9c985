"""Existing codebases in the editor: planLs.pack, planLs.review, planLs.issues and
planLs.missingTests. Packing runs in a worker thread under a work-done progress, so hover
and code actions are served meanwhile; the answers stream through features/generation.run_job
(cancel, manual mode and never-clobber work as for the plan)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types as t

from plan_ls.confinement import OutsideWorkspace
from plan_ls.features.arguments import command, folder_argument, path_field
from plan_ls.features.feature import Feature
from plan_ls.features.generate import choose_target, keep_old_file, message, run_job, values_for
from plan_ls.fileio import UnreadableFile, read_text
from plan_ls.server import PlanServer

if TYPE_CHECKING:
    from plan_ls.review.bundle import Bundle, Kind

# The packer, the review layer and the LLM layer are imported on first use. The commands'
# names are here so that registering them imports none of it (a test checks them against
# review.bundle.KINDS).
GENERATIONS = {"planLs.review": "review", "planLs.issues": "issues",
               "planLs.missingTests": "missing-tests"}

log = logging.getLogger(__name__)


@attrs.define
class RootArgs:
    # a path (absolute or relative to the workspace) or a file:// URI of a folder inside the
    # workspace; default: the workspace root
    root: str = path_field("folder")


class Review(Feature):
    """planLs.pack and the answer generations (review, issues, missing tests)."""

    def register(self) -> None:
        command(self.server, "planLs.pack", RootArgs)(self.pack)
        for name, kind in GENERATIONS.items():
            command(self.server, name, RootArgs)(self._generation(kind))

    async def pack(self, ls: PlanServer, args: RootArgs) -> dict[str, Any] | None:
        """Write the bundle: {path, files, tokens, excluded} (None when refused)."""
        root = _root(ls, args)
        if root is None:
            return None
        bundle = await _pack(ls, root)
        return bundle.packed if bundle is not None else None

    def _generation(self, kind: str) -> Any:
        async def generation(ls: PlanServer, args: RootArgs) -> dict[str, Any]:
            from plan_ls.review.bundle import KINDS

            return await generate(ls, args, KINDS[kind])

        generation.__name__ = f"generate_{kind.replace('-', '_')}"
        return generation


def _root(ls: PlanServer, args: RootArgs) -> Path | None:
    """The folder to pack: the argument (already confined to the workspace) or the root."""
    try:
        root = folder_argument(ls, args.root, "argument root") if args.root else ls.root
    except OutsideWorkspace as exc:
        ls.tell_user(str(exc))
        return None
    if root is None or not root.is_dir():
        ls.tell_user(f"Cannot pack {root or 'the workspace'}: not a folder. Open a folder "
                     "as the workspace, or pass {\"root\": \"a/folder/inside/it\"}.")
        return None
    return root


async def _pack(ls: PlanServer, root: Path) -> Bundle | None:
    """Pack in a worker thread, reporting the files read as a percentage."""
    from plan_ls.review.bundle import Bundle, pack

    progress = await _progress(ls, "Packing the repository")
    loop = asyncio.get_running_loop()
    shown = -1

    def report(done: int, total: int) -> None:  # called from the packer's thread
        nonlocal shown
        pct = 100 * done // total if total else 0
        if progress is not None and pct != shown:
            shown = pct
            loop.call_soon_threadsafe(ls.work_done_progress.report, progress,
                                      t.WorkDoneProgressReport(percentage=pct,
                                                               message=f"{done}/{total} files"))

    try:
        result = await asyncio.to_thread(pack, root, report)
    except (OSError, ValueError) as exc:
        _end(ls, progress, "failed")
        ls.tell_user(f"Packing {root} failed: {exc}", t.MessageType.Error)
        return None
    summary = result.to_json()
    _end(ls, progress, f"{summary['files']} files, {summary['tokens']:,} tokens")
    return Bundle(result.output, result.text, summary)


async def _bundle(ls: PlanServer, root: Path) -> Bundle | None:
    """The fresh bundle as it is, else a new pack."""
    from plan_ls.review.bundle import Bundle, is_fresh

    path = root / "output.txt"
    if await asyncio.to_thread(is_fresh, root, path):
        try:
            return Bundle(path, await asyncio.to_thread(read_text, path), None)
        except (OSError, UnreadableFile) as exc:
            log.info("cannot reuse %s (%s); packing again", path, exc)
    return await _pack(ls, root)


async def generate(ls: PlanServer, args: RootArgs, kind: Kind) -> dict[str, Any]:
    """Pack (or reuse the fresh bundle), render `kind`'s template, stream the answer."""
    from plan_ls.features.generation import Job
    from plan_ls.llm.templates import TemplateError, render_template

    root = _root(ls, args)
    if root is None:
        return {"ok": False, "error": "no folder to pack"}
    target = await choose_target(ls, root / kind.target)
    if target is None:
        return {"ok": False, "cancelled": True}
    bundle = await _bundle(ls, root)
    if bundle is None:
        return {"ok": False, "error": "packing failed"}
    try:
        values = {**values_for(ls), "bundle": bundle.text}
        prompt = render_template(kind.template, values, root)
    except TemplateError as exc:
        message(ls, t.MessageType.Warning, str(exc))
        return {"ok": False, "error": str(exc)}
    old = read_or_empty(target)  # put back if the answer has no findings
    outcome = await run_job(ls, Job(action=kind.template, title=kind.title, prompt=prompt,
                                    planning=True, target=target, replace=True))
    result = outcome.as_dict()
    result["bundle"] = str(bundle.path)
    shown = outcome.prompt_path if outcome.manual else outcome.path
    if shown:
        result["uri"] = ls.uri_of(Path(shown))  # what a client should open
    if outcome.ok and not outcome.manual:
        checked = _check_answer(ls, target, kind, quiet=bool(old.strip()))
        result.update(checked)
        if old.strip() and (checked.get("items") == 0 or checked.get("issues") == 0):
            what = "no `## Title` sections" if kind.name == "issues" else "no `- [ ]` items"
            await keep_old_file(ls, target, result, f"it has {what}", old)
    return result


def read_or_empty(path: Path) -> str:
    try:
        return read_text(path)
    except (OSError, UnreadableFile):
        return ""


def _check_answer(ls: PlanServer, target: Path, kind: Kind,
                  quiet: bool = False) -> dict[str, Any]:
    """Count the answer's items and warn when it lost the shape the tools rely on (not
    when `quiet`: the caller puts the old file back and says so)."""
    from plan_ls.model.todo import parse_todo
    from plan_ls.review.findings import parse_findings
    from plan_ls.review.issues import parse_issues

    try:
        text = read_text(target)
    except (OSError, UnreadableFile):
        return {}
    items = parse_todo(text).total
    if kind.name == "issues":
        issues = parse_issues(text)
        if not issues and not quiet:
            message(ls, t.MessageType.Warning, f"{target.name} was written, but it has no "
                    "`## Title` sections, so `plan-ls issues post` would file nothing")
        return {"items": items, "issues": len(issues)}
    placed = len(parse_findings(text))
    if items == 0 and not quiet:
        message(ls, t.MessageType.Warning,
                f"{target.name} was written, but it has no `- [ ]` items to track")
    elif placed < items:
        message(ls, t.MessageType.Info, f"{items - placed} of {items} items in {target.name} "
                "name no `path:line`; hover in the source files will not show them")
    return {"items": items, "placed": placed}


# --- a work-done progress without cancel (packing cannot be interrupted half-way) ---------
async def _progress(ls: PlanServer, title: str) -> str | None:
    caps = ls.client_capabilities.window
    if not (caps and caps.work_done_progress):
        return None
    token = f"plan-ls/pack/{uuid.uuid4().hex[:12]}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception as exc:  # a client may refuse; packing goes on without progress
        log.info("work done progress refused: %s", exc)
        return None
    ls.work_done_progress.begin(token, t.WorkDoneProgressBegin(title=title, percentage=0,
                                                               cancellable=False))
    return token


def _end(ls: PlanServer, token: str | None, text: str) -> None:
    if token is not None:
        ls.work_done_progress.end(token, t.WorkDoneProgressEnd(message=text))
        ls.work_done_progress.tokens.pop(token, None)
