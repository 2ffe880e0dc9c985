"""Recall and false positives of plan-ls's secret scan, side by side with Yelp's detect-secrets.

    .venv/bin/pip install -e ".[bench]"     # detect-secrets
    .venv/bin/python bench/bench_secrets.py [--seed 1] [--kinds] [--keep]

Both tools scan the same generated tree (bench/secret_tree.py: fake credentials of many kinds
in the files they turn up in, and look-alikes that should be held back). plan-ls is run as
`pack` runs it (names and contents); detect-secrets as `detect-secrets scan --all-files` with
its default plugins and filters. A finding counts for the line it names; plan-ls's findings by
file name (no line) count for every planted secret of that file. Any reported line that holds
no planted secret is a false positive, whether or not it is a labelled look-alike. Only paths,
line numbers and kinds are printed, never a value.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "server"))

from secret_tree import Planted, make_tree  # noqa: E402

Findings = dict[str, set[int | None]]  # path -> lines (None: the whole file, by its name)


def plan_ls_findings(root: Path) -> tuple[Findings, float]:
    from plan_ls.pack import PackOptions, pack_repository

    start = time.perf_counter()
    result = pack_repository(root, PackOptions(write=False, count_tokens=False))
    elapsed = time.perf_counter() - start
    found: Findings = defaultdict(set)
    for s in result.secrets:
        found[s.path].add(s.line)
    return found, elapsed


def detect_secrets_findings(root: Path, exe: str) -> tuple[Findings, float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [exe, "scan", "--all-files", "."], cwd=root, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - start
    found: Findings = defaultdict(set)
    for path, hits in json.loads(proc.stdout)["results"].items():
        for hit in hits:
            found[Path(path).as_posix()].add(hit["line_number"])
    return found, elapsed


def score(planted: list[Planted], found: Findings) -> dict:
    secrets = [p for p in planted if p.secret]
    secret_lines = {(p.path, p.line) for p in secrets}
    lookalike_lines = {(p.path, p.line) for p in planted if not p.secret}
    hit = {p for p in secrets if p.line in found.get(p.path, ()) or None in found.get(p.path, ())}
    false_lines = set()
    for path, lines in found.items():
        for line in lines:
            if line is None:
                if not any(p.path == path for p in secrets):
                    false_lines.add((path, 0))
            elif (path, line) not in secret_lines:
                false_lines.add((path, line))
    return {
        "hit": hit,
        "recall": len(hit) / len(secrets),
        "false": false_lines,
        "lookalikes": false_lines & lookalike_lines,
        "files_held_back_wrongly": {
            path for path, _ in false_lines if not any(p.path == path for p in secrets)
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", action="store_true", help="a line per planted secret or look-alike")
    ap.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = ap.parse_args()

    exe = shutil.which("detect-secrets") or str(Path(sys.executable).parent / "detect-secrets")
    if not Path(exe).exists():
        print('detect-secrets is missing: .venv/bin/pip install -e ".[bench]"', file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="plan-ls-secrets-"))
    try:
        planted = make_tree(root, args.seed)
        secrets = [p for p in planted if p.secret]
        n_look = len(planted) - len(secrets)
        kinds = len({p.kind for p in secrets})
        print(
            f"tree: {len(secrets)} secrets of {kinds} kinds and {n_look} look-alikes "
            f"in {len({p.path for p in planted})} files (seed {args.seed})"
        )
        results = {}
        for name, run in (
            ("plan-ls", lambda: plan_ls_findings(root)),
            ("detect-secrets", lambda: detect_secrets_findings(root, exe)),
        ):
            found, elapsed = run()
            results[name] = (score(planted, found), elapsed)

        print(
            f"\n{'tool':<15} {'found':>7} {'recall':>7} {'false pos':>10} {'look-alikes':>12}"
            f" {'clean files held back':>22} {'time s':>7}"
        )
        for name, (s, elapsed) in results.items():
            print(
                f"{name:<15} {len(s['hit']):>3}/{len(secrets):<3} {s['recall']:>7.0%}"
                f" {len(s['false']):>10} {len(s['lookalikes']):>5}/{n_look:<6}"
                f" {len(s['files_held_back_wrongly']):>22} {elapsed:>7.2f}"
            )
        print(
            "(false pos: reported lines that hold no planted secret; look-alikes: those of them"
            " that are labelled look-alikes)"
        )
        if args.kinds:
            names = list(results)
            print(f"\n{'':<8} {'where':<48} " + " ".join(f"{n:>14}" for n in names))
            for p in planted:
                marks = []
                for n in names:
                    s = results[n][0]
                    if p.secret:
                        marks.append("found" if p in s["hit"] else "MISSED")
                    else:
                        marks.append("FLAGGED" if (p.path, p.line) in s["false"] else "-")
                label = "secret" if p.secret else "look-alike"
                print(
                    f"{label:<10} {p.path + ':' + str(p.line):<46} "
                    + " ".join(f"{m:>14}" for m in marks)
                    + f"  {p.kind}"
                )
            for n in names:
                s = results[n][0]
                labelled = {(p.path, p.line) for p in planted}
                other = sorted(f for f in s["false"] if f not in labelled)
                if other:
                    print(
                        f"{n}: also flagged unlabelled lines: "
                        + ", ".join(f"{p}:{ln}" for p, ln in other)
                    )
    finally:
        if args.keep:
            print("tree kept at", root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
