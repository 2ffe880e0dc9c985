"""`plan-ls pack --max-tokens N` (issue 18): the bundle fits the budget within 1%, leaves out
generated/vendored files first, then tests (or last, by option), then the largest, says it
is partial and lists what it left out; `review` over the model's context names the N."""

from __future__ import annotations

import json
import os
from pathlib import Path

from plan_ls.pack import PackOptions, pack_repository
from plan_ls.tokens import counter
from tests.cli_runner import run_cli


def make_tree(root: Path) -> None:
    for n in range(80):
        lines = "".join(f"def helper_{n}_{k}(value):\n    return value * {k}\n"
                        for k in range(2 + n % 9))
        (root / "src").mkdir(exist_ok=True)
        (root / "src" / f"module_{n}.py").write_text(lines, encoding="utf-8")
    (root / "tests").mkdir()
    for n in range(10):
        (root / "tests" / f"test_module_{n}.py").write_text(
            f"def test_{n}():\n    assert {n} == {n}\n" * 5, encoding="utf-8")
    (root / "vendor").mkdir()
    for n in range(3):
        (root / "vendor" / f"lib{n}.js").write_text(f"var x{n} = {n};\n" * 400,
                                                    encoding="utf-8")


def test_pack_fits_the_budget_within_one_percent(tmp_path: Path):
    make_tree(tmp_path)
    full = pack_repository(tmp_path, PackOptions(write=False, token_cache=False))
    budget = full.bundle_tokens // 3
    result = pack_repository(tmp_path, PackOptions(max_tokens=budget, write=False,
                                                   token_cache=False))
    counted = counter("o200k_base")(result.text)
    assert counted == result.bundle_tokens
    assert budget * 0.99 <= counted <= budget, (counted, budget)
    dropped = [f.path for f in result.dropped]
    assert dropped[:3] == [f"vendor/lib{n}.js" for n in range(3)]  # generated/vendored first
    assert any(p.startswith("src/") for p in dropped)
    assert all(f"tests/test_module_{n}.py" in dropped for n in range(10))  # tests before src
    sizes = [f.tokens for f in result.dropped if f.path.startswith("src/")]
    kept = [f.tokens for f in result.files if f.path.startswith("src/")]
    assert min(sizes[:-3]) >= max(kept) - 1  # the largest sources went first
    assert "PARTIAL BUNDLE: " in result.text.split("Directory structure")[0]
    assert all(f"File: {p}\n" not in result.text for p in dropped)

    # tests last: every source file is left out before a test is
    result = pack_repository(tmp_path, PackOptions(max_tokens=budget, write=False,
                                                   token_cache=False, tests_last=True))
    assert not any(f.path.startswith("tests/") for f in result.dropped)
    assert counter("o200k_base")(result.text) <= budget


def test_pack_cli_lists_what_it_left_out(tmp_path: Path):
    make_tree(tmp_path)
    proc = run_cli("pack", tmp_path, "--max-tokens", "3000", "--json", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["max_tokens"] == 3000 and data["bundle_tokens"] <= 3000
    assert {"path": "vendor/lib0.js", "tokens": data["dropped"][0]["tokens"]} in data["dropped"]
    text = (tmp_path / "output.txt").read_text(encoding="utf-8")
    assert counter("o200k_base")(text) <= 3000 and "PARTIAL BUNDLE" in text
    proc = run_cli("pack", tmp_path, "--max-tokens", "3000", "--no-cache")
    assert "Partial: " in proc.stdout and "left out to fit --max-tokens 3,000" in proc.stdout


def test_review_over_the_context_names_the_pack_that_fits(tmp_path: Path):
    make_tree(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLAN_LS_", "OPENAI_"))}
    # retries of the refused connection at the end wait 10 ms, not the real backoff (3 s)
    env |= {"PLAN_LS_TEST_KEY": "sk-unused", "PLAN_LS_RETRY_BACKOFF": "0.01"}
    args = ["--base-url", "http://127.0.0.1:9/v1", "--api-key-env", "PLAN_LS_TEST_KEY",
            "--model", "smollm2"]  # a known 8k window; nothing listens: nothing is sent
    proc = run_cli("review", tmp_path, *args, env=env)
    assert proc.returncode == 2 and "refused: the prompt is " in proc.stderr, proc.stderr
    assert "context of 8,192 tokens" in proc.stderr
    fit = int(proc.stderr.split("plan-ls pack --max-tokens ")[1].split("`")[0])
    assert run_cli("pack", tmp_path, "--max-tokens", str(fit)).returncode == 0
    proc = run_cli("review", tmp_path, *args, env=env)
    # now it fits: the call is made (and fails to connect, as nothing listens there)
    assert "reusing output.txt" in proc.stderr and "refused" not in proc.stderr, proc.stderr
    assert "cannot connect" in proc.stderr
