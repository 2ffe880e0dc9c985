"""`plan-ls review|issues|missing-tests` from the terminal, against the local endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - the fixture
from tests.llm_harness import KEY, KEY_ENV
from tests.lsp_client import copy_sample

REVIEW = "# Review\n\n## Correctness\n\n- [ ] `invoicer/pricing.py:23`: tax before discount.\n"
ISSUES = "# Issues\n\n## Fix tax\n\n- [ ] Fix tax\n\nBody.\n\nLabels: bug\n"


def plan_ls(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL") and not k.startswith("PLAN_LS_")}
    return subprocess.run([sys.executable, "-m", "plan_ls", *args], capture_output=True,
                          text=True, env=environ | (env or {}), timeout=60)


def model_args(fake: FakeOpenAI) -> list[str]:
    return ["--base-url", fake.url, "--model", "fake-planner", "--api-key-env", KEY_ENV]


def test_review_streams_into_the_answer_file(fake_openai: FakeOpenAI, tmp_path: Path):  # noqa: F811
    ws = copy_sample("legacy", tmp_path)
    fake_openai.add(Reply(REVIEW, chunk_chars=9), REVIEW.replace("tax", "VAT"))
    proc = plan_ls("review", str(ws), *model_args(fake_openai), env={KEY_ENV: KEY})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(ws / "code-review.md")
    assert (ws / "code-review.md").read_text(encoding="utf-8") == REVIEW
    assert "packed 1" in proc.stderr and "wrote code-review.md: 1 items" in proc.stderr
    request = fake_openai.requests[0]
    assert request.body["model"] == "fake-planner" and "File: invoicer/cli.py" in request.prompt

    # again: the bundle is reused and the first answer kept
    proc = plan_ls("review", str(ws), *model_args(fake_openai), env={KEY_ENV: KEY})
    assert proc.returncode == 0 and "reusing output.txt" in proc.stderr
    assert proc.stdout.strip() == str(ws / "code-review-2.md")
    assert "VAT" in (ws / "code-review-2.md").read_text(encoding="utf-8")
    assert (ws / "code-review.md").read_text(encoding="utf-8") == REVIEW

    # settings from the environment; --replace overwrites
    fake_openai.add(ISSUES, ISSUES)
    env = {KEY_ENV: KEY, "PLAN_LS_BASE_URL": fake_openai.url, "PLAN_LS_MODEL": "fake-chat",
           "PLAN_LS_API_KEY_ENV": KEY_ENV}
    assert plan_ls("issues", str(ws), env=env).returncode == 0
    proc = plan_ls("issues", str(ws), "--replace", env=env)
    assert proc.returncode == 0 and "wrote issues.md: 1 issues" in proc.stderr
    assert fake_openai.requests[-1].body["model"] == "fake-chat"
    assert not (ws / "issues-2.md").exists()


def test_failures_and_manual_mode(fake_openai: FakeOpenAI, tmp_path: Path):  # noqa: F811
    ws = copy_sample("legacy", tmp_path)
    fake_openai.add(Reply(fault="unknown_model"))
    proc = plan_ls("missing-tests", str(ws), *model_args(fake_openai), env={KEY_ENV: KEY})
    assert proc.returncode == 1 and "does not exist" in proc.stderr
    assert not (ws / "missing-tests.md").exists() and proc.stdout == ""

    fake_openai.add(Reply("- [ ] `invoicer/cli.py:3`: test the parser " * 20, fault="cut"))
    proc = plan_ls("missing-tests", str(ws), *model_args(fake_openai), env={KEY_ENV: KEY})
    assert proc.returncode == 1 and "keeps what arrived" in proc.stderr
    assert "cut off here" in (ws / "missing-tests.md").read_text(encoding="utf-8")

    requests = len(fake_openai.requests)
    proc = plan_ls("review", str(ws), "--base-url", "https://llm.example.com/v1")
    assert proc.returncode == 0, proc.stderr
    prompt = ws / ".plan-ls" / "prompts-out" / "code-review.md"
    assert proc.stdout.strip() == str(prompt) and "manual mode" in proc.stderr
    assert "File: invoicer/pricing.py" in prompt.read_text(encoding="utf-8")
    proc = plan_ls("issues", str(ws), *model_args(fake_openai), "--manual",
                   env={KEY_ENV: KEY})
    assert proc.returncode == 0 and proc.stdout.strip().endswith("prompts-out/issues.md")
    assert len(fake_openai.requests) == requests and not (ws / "code-review.md").exists()

    assert plan_ls("review", str(tmp_path / "nope")).returncode == 2
    (ws / ".plan-ls" / "prompts").mkdir(parents=True)
    (ws / ".plan-ls" / "prompts" / "code-review.md").write_text("{{bundel}}\n")
    proc = plan_ls("review", str(ws), "--manual")
    assert proc.returncode == 2 and "unknown placeholder" in proc.stderr
