"""`plan-ls review|issues|missing-tests` from the terminal, against the local endpoint."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.cli_runner import run_cli
from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - the fixture
from tests.llm_harness import BACKOFF, KEY, KEY_ENV
from tests.lsp_client import copy_sample

REVIEW = "# Review\n\n## Correctness\n\n- [ ] `invoicer/pricing.py:23`: tax before discount.\n"
ISSUES = "# Issues\n\n## Fix tax\n\n- [ ] Fix tax\n\nBody.\n\nLabels: bug\n"


def plan_ls(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL") and not k.startswith("PLAN_LS_")}
    return run_cli(*args, env=environ | BACKOFF | (env or {}))


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


def test_incomplete_and_empty_answers_fail_and_say_so(fake_openai: FakeOpenAI, tmp_path: Path):  # noqa: F811
    ws = copy_sample("legacy", tmp_path)
    env = {KEY_ENV: KEY}
    fake_openai.add(Reply(REVIEW, fault="length"))
    proc = plan_ls("review", str(ws), *model_args(fake_openai), env=env)
    assert proc.returncode == 1 and 'finish_reason "length"' in proc.stderr
    text = (ws / "code-review.md").read_text(encoding="utf-8")
    assert text.startswith(REVIEW) and "cut off here** (the model stopped at its output" in text
    assert "wrote code-review.md" not in proc.stderr

    (ws / "code-review.md").write_text(REVIEW, encoding="utf-8")
    for reply in (Reply(fault="empty"), Reply(" \n\n ", chunk_chars=1)):
        fake_openai.add(reply)
        proc = plan_ls("review", str(ws), "--replace", *model_args(fake_openai), env=env)
        assert proc.returncode == 1 and "empty answer" in proc.stderr, proc.stderr
        assert "code-review.md is unchanged" in proc.stderr and proc.stdout == ""
        assert "wrote" not in proc.stderr and "0 items" not in proc.stderr
        assert (ws / "code-review.md").read_text(encoding="utf-8") == REVIEW

    fake_openai.add(Reply(ISSUES, fault="json"))
    proc = plan_ls("issues", str(ws), *model_args(fake_openai), env=env)
    assert proc.returncode == 0 and "wrote issues.md: 1 issues" in proc.stderr, proc.stderr
    assert (ws / "issues.md").read_text(encoding="utf-8") == ISSUES


def test_endless_answer_is_cut_at_the_cap(fake_openai: FakeOpenAI, tmp_path: Path):  # noqa: F811
    ws = copy_sample("legacy", tmp_path)
    # 30 different lines over and over: a period too long to be taken for a model looping
    lines = "".join(f"- [ ] `invoicer/cli.py:{n}`: check case {n}\n" for n in range(30))
    fake_openai.add(Reply(lines, fault="endless"))
    proc = plan_ls("missing-tests", str(ws), *model_args(fake_openai),
                   "--max-answer-bytes", "30000", env={KEY_ENV: KEY})
    assert proc.returncode == 1 and "maxAnswerBytes (30,000 bytes)" in proc.stderr
    body, mark = (ws / "missing-tests.md").read_text(encoding="utf-8").split("\n\n> ✂", 1)
    assert len(body.encode()) == 30_000 and "30,000 bytes limit" in mark
    assert fake_openai.requests[0].closed_by_client is not None or \
        fake_openai.requests[0].finished is None


def test_timeout_option_and_masked_credentials(fake_openai: FakeOpenAI, tmp_path: Path):  # noqa: F811
    ws = copy_sample("legacy", tmp_path)
    user, password = fake_openai.basic_auth
    url = fake_openai.url_with_credentials
    args = ["--base-url", url, "--model", "fake-planner", "--api-key-env", KEY_ENV]
    fake_openai.add(Reply(REVIEW, first_token_delay=3))
    proc = plan_ls("review", str(ws), *args, "--timeout", "1", env={KEY_ENV: KEY})
    assert proc.returncode == 1 and "sent nothing for 1 s (timeout" in proc.stderr
    assert "http://***@127.0.0.1" in proc.stderr and not (ws / "code-review.md").exists()

    fake_openai.add(Reply(fault="500"), Reply(fault="500"), Reply(REVIEW))
    proc = plan_ls("review", str(ws), *args, env={KEY_ENV: KEY})
    assert proc.returncode == 0 and "retry 2 in" in proc.stderr
    assert fake_openai.requests[-1].authorization.startswith("Basic ")
    everything = proc.stdout + proc.stderr
    assert password not in everything and user not in everything and KEY not in everything

    for bad in (["--timeout", "0"], ["--timeout", "nan"], ["--max-answer-bytes", "-5"]):
        proc = plan_ls("review", str(ws), *args, *bad, env={KEY_ENV: KEY})
        assert proc.returncode == 2 and f"{bad[0]} must be" in proc.stderr, proc.stderr
    proc = plan_ls("review", str(ws), *args, env={KEY_ENV: KEY, "PLAN_LS_TIMEOUT": "soon"})
    assert proc.returncode == 2 and "$PLAN_LS_TIMEOUT must be a number" in proc.stderr
