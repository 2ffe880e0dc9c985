"""`plan-ls review|issues|missing-tests`, `issues export|post`, `init`, `templates export`.

Exit codes: 0 done; 1 the model call or a `gh` call failed, or the answer is empty or
incomplete (cut off, over --max-answer-bytes, stopped at the model's output limit); what
arrived / what was filed is kept, and running again resumes; 2 bad usage or input (no such
directory, no issues.md, `gh` missing or not logged in) or a prompt over the model's context
(refused, with the `pack --max-tokens` that fits); 3 the answer has no findings (kept
beside the old file, which stays); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from plan_ls.cli import add_model_options, project_settings, usage_error

ISSUE_ACTIONS = ("export", "post")


def add_commands(sub: Any) -> None:
    for name, what in (("review", "a code review (code-review.md)"),
                       ("issues", "GitHub issues (issues.md); or: issues export|post [DIR]"),
                       ("missing-tests", "missing tests (missing-tests.md)")):
        p = sub.add_parser(name, help=f"pack the repository and ask the model for {what}")
        if name == "issues":
            p.add_argument("words", nargs="*", metavar="[export|post] [DIR]",
                           help="no action: generate issues.md; export: print the issues; "
                                "post: file them with the GitHub CLI")
            p.add_argument("--json", action="store_true",
                           help="export: one JSON object per issue, per line")
            p.add_argument("--repo", metavar="OWNER/NAME", help="post: the repository")
            p.add_argument("--dry-run", action="store_true",
                           help="post: print the gh commands instead of running them")
        else:
            p.add_argument("dir", nargs="?", default=".", metavar="DIR")
        p.add_argument("--replace", action="store_true",
                       help="overwrite an existing answer file (default: write NAME-2.md)")
        p.add_argument("--repack", action="store_true",
                       help="pack again even when output.txt is fresh")
        add_model_options(p)
        p.set_defaults(func=run_generation, kind=name)

    p = sub.add_parser("init", help="write editable prompt templates (and mise tasks)")
    p.add_argument("dir", nargs="?", default=".", metavar="DIR")
    p.add_argument("--mise", action="store_true", help="also write mise.toml with plan:* tasks")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.add_argument("--git", action="store_true",
                   help="only set up git to merge the planning files line by line "
                        "(.gitattributes and this clone's merge.plan-ls.driver)")
    p.set_defaults(func=run_init)

    p = sub.add_parser("templates", help="export the prompt templates for other tools")
    p.add_argument("action", choices=("export",))
    p.add_argument("--llm", required=True, metavar="OUTDIR",
                   help="write YAML templates for the `llm` CLI into OUTDIR "
                        "(e.g. \"$(llm templates path)\")")
    p.add_argument("--root", default=".", metavar="DIR",
                   help="the project whose .plan-ls/prompts overrides win (default: .)")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.set_defaults(func=run_templates)



def run_generation(args: argparse.Namespace) -> int:
    from plan_ls.review.bundle import KINDS
    from plan_ls.review.run import Options, generate, llm_settings

    directory = getattr(args, "dir", ".")
    if args.kind == "issues":
        words = list(args.words)
        action = words.pop(0) if words and words[0] in ISSUE_ACTIONS else None
        if len(words) > 1:
            return usage_error(f"issues: one directory at most, got {' '.join(words)}")
        directory = words[0] if words else "."
        if action == "export":
            return export_issues(Path(directory), args.json)
        if action == "post":
            return post_issues(Path(directory), args.repo, args.dry_run)
    settings = project_settings(Path(directory))[1] if Path(directory).is_dir() else None
    try:
        llm = llm_settings(os.environ, base_url=args.base_url, model=args.model,
                           key_env=args.api_key_env, manual=args.manual,
                           timeout=args.timeout, max_answer_bytes=args.max_answer_bytes,
                           context_tokens=args.context_tokens,
                           base=settings.llm if settings else None)
    except ValueError as exc:
        return usage_error(str(exc))
    return generate(Path(directory), KINDS[args.kind], llm, os.environ,
                    Options(replace=args.replace, repack=args.repack,
                            files=settings.files if settings else None))


def _issues_file(directory: Path) -> Path | None:
    path = directory / "issues.md"
    return path if path.is_file() else None


def export_issues(directory: Path, as_json: bool) -> int:
    from plan_ls.fileio import UnreadableFile, read_text
    from plan_ls.review.issues import parse_issues

    path = _issues_file(directory)
    if path is None:
        return usage_error(f"{directory / 'issues.md'}: no such file (run `plan-ls issues` first)")
    try:
        issues = parse_issues(read_text(path))
    except UnreadableFile as exc:
        return usage_error(str(exc))
    for issue in issues:
        if as_json:
            print(json.dumps(issue.to_json(), ensure_ascii=False))
        else:
            filed = f"#{issue.number}" if issue.number else "not filed"
            labels = f" [{', '.join(issue.labels)}]" if issue.labels else ""
            print(f"{path.name}:{issue.line + 1}: {issue.title}{labels} ({filed}"
                  f"{', done' if issue.done else ''})")
    return 0


def post_issues(directory: Path, repo: str | None, dry_run: bool) -> int:
    from plan_ls.fileio import UnreadableFile
    from plan_ls.review.gh import GhUnavailable, check_gh
    from plan_ls.review.gh import post_issues as post

    path = _issues_file(directory)
    if path is None:
        return usage_error(f"{directory / 'issues.md'}: no such file (run `plan-ls issues` first)")
    try:
        gh = "gh" if dry_run else check_gh()
        result = post(path, repo, dry_run=dry_run, gh=gh)
    except GhUnavailable as exc:
        return usage_error(str(exc))
    except (OSError, UnreadableFile) as exc:
        return usage_error(f"{path}: {exc}")
    if result.failed:
        print(f"plan-ls: {result.failed}", file=sys.stderr)
        print(f"plan-ls: filed {result.posted} before that; run again to resume",
              file=sys.stderr)
        return 1
    if not dry_run:
        print(f"filed {result.posted}, skipped {result.skipped} (filed before or checked off)",
              file=sys.stderr)
    return 0


def _report(written: Any, base: Path) -> None:
    def show(p: Path) -> str:
        try:
            return str(p.relative_to(base))
        except ValueError:
            return str(p)

    for path in written.wrote:
        print(f"wrote {show(path)}")
    for path in written.skipped:
        print(f"skipped {show(path)} (it exists; --force replaces it)")


def run_init(args: argparse.Namespace) -> int:
    from plan_ls.review.export import init_project

    root = Path(args.dir)
    if not root.is_dir():
        return usage_error(f"{root}: not a directory")
    if args.git:
        from plan_ls.cli.git import run_init_git

        return run_init_git(root)
    try:
        written = init_project(root, mise=args.mise, force=args.force)
    except OSError as exc:
        return usage_error(str(exc))
    _report(written, root)
    return 0


def run_templates(args: argparse.Namespace) -> int:
    from plan_ls.llm.templates import TemplateError
    from plan_ls.review.export import export_llm

    root = Path(args.root)
    if not root.is_dir():
        return usage_error(f"{root}: not a directory")
    dest = Path(args.llm)
    try:
        written = export_llm(dest, root, force=args.force)
    except (OSError, TemplateError) as exc:
        return usage_error(str(exc))
    _report(written, dest)
    return 0
