"""Benchmark `plan-ls pack` against repomix on a copy of the installed CPython standard library.

    .venv/bin/python bench/bench_pack.py [--runs 3] [--src DIR] [--keep]

The tree is copied into a temporary directory (site-packages left behind), put under
`git init` with a .gitignore that ignores __pycache__/, and packed by both tools with the
settings each would use by default for an LLM bundle: XML style, secret check, o200k_base
token counts. plan-ls gets repomix's 50 MB file-size limit so both consider the same files.
repomix is installed into bench/out/repomix by this script when it is missing (npm needed).
Where the two tools' policies differ (plan-ls leaves out every *.pem and converts non-UTF-8
text, repomix leaves out what secretlint flags), a first untimed run finds those files and each
tool is told to leave out the other's extras, so that the timed runs pack the same set.
plan-ls is timed twice: "cold", with an empty token-count cache, and "warm", with the cache
an earlier run of the same tree filled. Each run is timed in its own helper process, which
reports the wall time, CPU time and peak resident memory of the tool (getrusage).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
REPOMIX_DIR = OUT / "repomix"
REPOMIX_BIN = REPOMIX_DIR / "node_modules" / ".bin" / "repomix"
MAX_BYTES = 50 * 1024 * 1024  # repomix's default limit

# Runs a command and reports its wall time, CPU time and peak RSS (KiB on Linux) as JSON.
_TIMER = """
import json, os, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stdout.write(json.dumps({"rc": proc.returncode, "wall": wall, "rss_kib": usage.ru_maxrss,
                             "cpu": usage.ru_utime + usage.ru_stime,
                             "out": proc.stdout.decode(errors="replace"),
                             "err": proc.stderr.decode(errors="replace")}))
"""


@dataclass
class Run:
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    stdout: str = ""


def timed(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _TIMER, *cmd], capture_output=True, text=True, env=env
    )
    data = json.loads(proc.stdout)
    if data["rc"] != 0:
        raise SystemExit(f"{cmd[0]} failed ({data['rc']}):\n{data['err'][-3000:]}")
    return data


def make_tree(src: Path, dest: Path) -> int:
    shutil.copytree(
        src,
        dest,
        symlinks=True,
        ignore=shutil.ignore_patterns("site-packages", "dist-packages"),
    )
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    (dest / ".gitignore").write_text("__pycache__/\n")
    return sum(len(files) for _, _, files in os.walk(dest) if ".git" not in _)


def ensure_repomix() -> Path:
    if not REPOMIX_BIN.exists():
        REPOMIX_DIR.mkdir(parents=True, exist_ok=True)
        print("installing repomix into", REPOMIX_DIR, file=sys.stderr)
        subprocess.run(
            ["npm", "install", "--prefix", str(REPOMIX_DIR), "--no-audit", "--no-fund", "repomix"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return REPOMIX_BIN


_FILE_TAG = re.compile(r'^<file path="([^"]*)">$', re.M)


def bundle_paths(path: Path) -> set[str]:
    """The file paths in an XML-style bundle (both tools write <file path="..."> lines)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    unescape = {"&amp;": "&", "&quot;": '"', "&lt;": "<", "&gt;": ">", "&apos;": "'"}
    paths = set()
    for raw in _FILE_TAG.findall(text):
        for k, v in unescape.items():
            raw = raw.replace(k, v)
        paths.add(raw)
    return paths


_TREE_TOP = re.compile(r"^[├└]── .+? \(([\d,]+) tokens\)$", re.M)


def repomix_figures(stdout: str) -> tuple[int, int, int]:
    """(files, output tokens, sum of file tokens) from repomix's console summary."""
    clean = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stdout)
    files = int(re.search(r"Total Files:\s*([\d,]+)", clean).group(1).replace(",", ""))
    total = int(re.search(r"Total Tokens:\s*([\d,]+)", clean).group(1).replace(",", ""))
    tree = clean.split("Token Count Tree", 1)[1].split("Security Check", 1)[0]
    per_file = sum(int(n.replace(",", "")) for n in _TREE_TOP.findall(tree))
    return files, total, per_file


def _glob_escape(path: str) -> str:
    return re.sub(r"([\\*?\[\]!# ])", r"\\\1", path)


def _print_diff(label: str, paths: list[str], limit: int = 12) -> None:
    for p in paths[:limit]:
        print(f"  {label}: {p}")
    if len(paths) > limit:
        print(f"  {label}: ... and {len(paths) - limit} more")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    ap.add_argument("--runs", type=int, default=3, help="timed runs per tool (interleaved)")
    ap.add_argument("--keep", action="store_true", help="keep the copied tree")
    ap.add_argument("--no-repomix", action="store_true", help="time plan-ls only")
    args = ap.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="plan-ls-bench-"))
    tree = work / "stdlib"
    base_env = {**os.environ, "PYTHONPATH": str(REPO / "server")}
    warm_env = {**base_env, "PLAN_LS_CACHE_DIR": str(work / "cache-warm")}
    cold_count = 0

    def cold_env() -> dict[str, str]:
        nonlocal cold_count
        cold_count += 1  # a new, empty token cache for every cold run
        return {**base_env, "PLAN_LS_CACHE_DIR": str(work / f"cache-cold-{cold_count}")}

    ours_out = OUT / "plan-ls-output.xml"
    theirs_out = OUT / "repomix-output.xml"
    try:
        n_files = make_tree(args.src, tree)
        print(f"tree: {n_files} files, a copy of {args.src} under git, .gitignore: __pycache__/")

        def ours_cmd(extra: list[str]) -> list[str]:
            return [
                *(sys.executable, "-m", "plan_ls", "pack", str(tree), "-o", str(ours_out)),
                *("--style", "xml", "--json", "--max-file-size", str(MAX_BYTES), *extra),
            ]

        def theirs_cmd(extra: list[str]) -> list[str]:
            return [
                *(str(ensure_repomix()), str(tree), "-o", str(theirs_out)),
                *("--style", "xml", "--token-count-tree", *extra),
            ]

        # An untimed first run of each: warms the file cache, fills plan-ls's token cache for
        # the warm runs, and shows where the two tools' policies differ (binary, secret, ...).
        ours_extra: list[str] = []
        timed(ours_cmd([]), warm_env)
        tools: dict[str, tuple[list[str], Callable[[], dict[str, str]]]] = {}
        if not args.no_repomix:
            timed(theirs_cmd([]), base_env)
            only_ours = sorted(bundle_paths(ours_out) - bundle_paths(theirs_out))
            only_theirs = sorted(bundle_paths(theirs_out) - bundle_paths(ours_out))
            print(
                f"default policies: {len(only_ours)} files only plan-ls packs, "
                f"{len(only_theirs)} only repomix packs; each tool is told to leave those out "
                "so that both pack the same set"
            )
            _print_diff("only plan-ls", only_ours)
            _print_diff("only repomix", only_theirs)
            ours_extra = [a for p in only_ours for a in ("--exclude", "/" + _glob_escape(p))]
            ignores = ["--ignore", ",".join(only_theirs)] if only_theirs else []
            tools["repomix"] = (theirs_cmd(ignores), lambda: base_env)
        tools["plan-ls"] = (ours_cmd(ours_extra), cold_env)
        tools["plan-ls warm"] = (ours_cmd(ours_extra), lambda: warm_env)

        runs = {name: Run() for name in tools}
        for i in range(args.runs):
            for name, (cmd, env) in tools.items():
                data = timed(cmd, env())
                run = runs[name]
                run.walls.append(data["wall"])
                run.cpus.append(data["cpu"])
                run.rss_kib.append(data["rss_kib"])
                run.stdout = data["out"]
                print(
                    f"  run {i + 1} {name}: {data['wall']:.2f} s wall, {data['cpu']:.2f} s cpu,"
                    f" {data['rss_kib'] / 1024:.0f} MiB",
                    file=sys.stderr,
                )

        rows: dict[str, tuple[int, int, int]] = {}
        for name in ("plan-ls", "plan-ls warm"):
            ours = json.loads(runs[name].stdout)
            rows[name] = (ours["files"], ours["tokens"], ours["bundle_tokens"])
        if "repomix" in runs:
            files, bundle_tokens, file_tokens = repomix_figures(runs["repomix"].stdout)
            rows["repomix"] = (files, file_tokens, bundle_tokens)

        print(
            f"\n{'tool':<13} {'wall s':>7} {'(min)':>7} {'cpu s':>7} {'peak MiB':>9} {'files':>6}"
            f" {'file tokens':>12} {'bundle tokens':>14}"
        )
        for name, run in runs.items():
            files, file_tokens, bundle_tokens = rows[name]
            print(
                f"{name:<13} {statistics.median(run.walls):>7.2f} {min(run.walls):>7.2f}"
                f" {statistics.median(run.cpus):>7.2f} {max(run.rss_kib) / 1024:>9.0f}"
                f" {files:>6} {file_tokens:>12,} {bundle_tokens:>14,}"
            )
        print(
            f"(medians of {args.runs} interleaved runs; 'plan-ls' starts each run with an empty"
            " token cache, 'plan-ls warm' with the counts of an earlier run of the same tree)"
        )
        if "repomix" in runs:
            med = {name: statistics.median(run.walls) for name, run in runs.items()}
            cpu = {name: statistics.median(run.cpus) for name, run in runs.items()}
            rss = {name: max(run.rss_kib) / 1024 for name, run in runs.items()}
            for name in ("plan-ls", "plan-ls warm"):
                print(
                    f"{name}: {med['repomix'] / med[name]:.1f}x faster than repomix (wall), "
                    f"{cpu['repomix'] / cpu[name]:.1f}x less cpu, "
                    f"{rss['repomix'] / rss[name]:.1f}x less peak memory"
                )
            ours_paths, theirs_paths = bundle_paths(ours_out), bundle_paths(theirs_out)
            if ours_paths == theirs_paths:
                print(f"files: the same {len(ours_paths)} files in both bundles")
            else:
                print("files: the bundles differ")
                _print_diff("only plan-ls", sorted(ours_paths - theirs_paths))
                _print_diff("only repomix", sorted(theirs_paths - ours_paths))
            token_diff = (rows["plan-ls"][1] - rows["repomix"][1]) / rows["repomix"][1]
            print(f"file tokens: plan-ls {token_diff:+.3%} against repomix")
    finally:
        if args.keep:
            print("tree kept at", tree)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
