"""`plan-ls pack`: the command-line face of the packer (pack/).

Import-light: the packer loads in run()."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from plan_ls.cli import at_least

if TYPE_CHECKING:
    from plan_ls.pack.model import PackResult

_STYLES = ("plain", "markdown", "xml")


def add_commands(subparsers: Any) -> None:
    """Register `pack` on the main parser's subparsers."""
    p = subparsers.add_parser(
        "pack",
        help="pack the repository into one text bundle for an LLM",
        description="Pack every text file of DIR into one bundle (default DIR/output.txt), "
        "honouring .gitignore files and .plan-ls/ignore, leaving out binaries, lock files, "
        "oversized files and anything that looks like a secret.",
    )
    p.add_argument("dir", nargs="?", default=".", metavar="DIR", help="repository root")
    p.add_argument("-o", "--output", metavar="FILE", help="bundle path (default DIR/output.txt)")
    p.add_argument("--style", choices=_STYLES, default="plain")
    p.add_argument(
        "--include", action="append", default=[], metavar="GLOB", help="pack only matching files"
    )
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    p.add_argument("--max-file-size", type=at_least(1), metavar="BYTES", help="default 1 MiB")
    p.add_argument("--encoding", default="o200k_base", help="token encoding")
    p.add_argument("--no-gitignore", action="store_true", help="do not read .gitignore files")
    p.add_argument(
        "--no-cache", action="store_true", help="count every file's tokens afresh (no cache)"
    )
    p.add_argument("--max-tokens", type=int, metavar="N",
                   help="leave files out (generated and vendored first, then tests, then the "
                        "largest) until the bundle has at most N tokens; the bundle says it "
                        "is partial")
    p.add_argument("--tests-last", action="store_true",
                   help="with --max-tokens: leave tests out last instead of first")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


class _Bar:
    """A one-line progress bar on a terminal; silent when the stream is not one."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.on = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.on or not total:
            return
        width = 30
        filled = width * done // total
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\rpacking [{bar}] {done}/{total} files")
        self.stream.flush()

    def close(self) -> None:
        if self.on:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _category(reason: str) -> str:
    return reason.split(" (", 1)[0].split(":", 1)[0]


def summary(result: PackResult) -> str:
    """A few human lines: counts, the biggest files, what was left out, secrets (never values)."""
    lines = [
        f"Packed {len(result.files)} files, {result.tokens:,} tokens "
        f"({result.bundle_tokens:,} with headers, {result.encoding}) into {result.output}"
    ]
    top = result.largest(5)
    if top:
        lines.append("Largest: " + ", ".join(f"{f.path} ({f.tokens:,})" for f in top))
    if result.excluded:
        counts = Counter(_category(e.reason) for e in result.excluded)
        parts = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
        lines.append(f"Left out {len(result.excluded)}: {parts}")
    if result.converted:
        shown = ", ".join(f"{c.path} (from {c.encoding})" for c in result.converted[:10])
        more = f" and {len(result.converted) - 10} more" if len(result.converted) > 10 else ""
        lines.append(f"Converted to UTF-8: {shown}{more}")
    if result.dropped:
        shown = ", ".join(f"{f.path} ({f.tokens:,})" for f in result.dropped[:20])
        more = f" and {len(result.dropped) - 20} more" if len(result.dropped) > 20 else ""
        lines.append(f"Partial: {len(result.dropped)} files "
                     f"({sum(f.tokens for f in result.dropped):,} tokens) left out to fit "
                     f"--max-tokens {result.max_tokens:,}: {shown}{more}")
    if result.secrets:
        lines.append(f"Secrets found ({len(result.secrets)}), their files were left out:")
        for s in result.secrets:
            where = f"{s.path}:{s.line}" if s.line else s.path
            lines.append(f"  {where}: {s.kind}")
    else:
        lines.append("Secrets found: none")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from plan_ls.pack.model import DEFAULT_MAX_FILE_BYTES, PackOptions
    from plan_ls.pack.packer import pack_repository

    root = Path(args.dir)
    if not root.is_dir():
        print(f"plan-ls pack: {root} is not a directory", file=sys.stderr)
        return 2
    options = PackOptions(
        output=Path(args.output).resolve() if args.output else None,
        style=args.style,
        include=list(args.include),
        exclude=list(args.exclude),
        max_file_bytes=args.max_file_size or DEFAULT_MAX_FILE_BYTES,
        encoding=args.encoding,
        use_gitignore=not args.no_gitignore,
        token_cache=not args.no_cache,
        max_tokens=args.max_tokens,
        tests_last=args.tests_last,
    )
    if args.max_tokens is not None and args.max_tokens < 1:
        print("plan-ls pack: --max-tokens must be more than 0", file=sys.stderr)
        return 2
    bar = _Bar(sys.stderr)
    try:
        result = pack_repository(root, options, progress=bar)
    except (ValueError, OSError) as exc:
        bar.close()
        print(f"plan-ls pack: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        bar.close()
        print("plan-ls pack: interrupted; the bundle was not written", file=sys.stderr)
        return 130
    bar.close()
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(summary(result))
    return 0
