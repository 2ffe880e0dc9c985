"""The greenfield flow from the terminal (issue 18): brainstorm, interview, spec, plan, todo,
status, against the local fake endpoint; the interview driven through a pseudo-terminal
(answers typed, Ctrl-C, resume); and the same flow in manual mode."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import termios
import time
from pathlib import Path

from tests.cli_runner import PLAN_LS, run_cli
from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - the fixture
from tests.llm_harness import KEY, KEY_ENV

SPEC = "# Notes in the terminal\n\n## Storage\n\nNotes live in one SQLite file.\n"
PLAN = ("# Prompt plan\n\n## Step 1: Store notes\n\n```text\nWrite the store, test first.\n```\n"
        "\n## Step 2: The command line\n\n```text\nWrite `notes add` and `notes list`.\n```\n")
TODO = ("# Todo\n\n## Step 1: Store notes\n\n- [ ] A failing test for saving a note\n"
        "- [ ] The SQLite store\n\n## Step 2: The command line\n\n- [ ] `notes add`\n"
        "- [ ] `notes list`\n")


def environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL") and not k.startswith("PLAN_LS_")}
    return env | extra


def plan_ls(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
            ) -> subprocess.CompletedProcess[str]:
    """The command in this process (the interview on a terminal runs as a real process)."""
    return run_cli(*args, env=env if env is not None else environ(), input=stdin)


def model_args(fake: FakeOpenAI) -> list[str]:
    return ["--base-url", fake.url, "--model", "fake-chat", "--api-key-env", KEY_ENV]


class Terminal:
    """A command run on a pseudo-terminal, as a person runs it: it is the session's
    controlling terminal, so typing Ctrl-C sends SIGINT through the line discipline."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.screen = ""

    def expect(self, text: str, timeout: float = 30.0) -> str:
        """Read until `text` has appeared (after what earlier calls consumed)."""
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    data = b""
                if not data and self.proc.poll() is not None:
                    raise AssertionError(f"exited before {text!r}:\n{self.screen}")
                self.screen += data.decode("utf-8", "replace")
        before, _, self.screen = self.screen.partition(text)
        return before + text

    def expect_any(self, texts: list[str], timeout: float = 30.0) -> str | None:
        """Read until one of `texts` appears (returned, consumed up to it), or None when
        the program has ended first."""
        deadline = time.monotonic() + timeout
        while True:
            found = [(self.screen.find(x), x) for x in texts if x in self.screen]
            if found:
                _, text = min(found)
                self.screen = self.screen.partition(text)[2]
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"none of {texts!r} appeared:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], 0.2)
            data = b""
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    data = b""
            if data:
                self.screen += data.decode("utf-8", "replace")
            elif self.proc.poll() is not None:
                return None

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:  # keep draining, or a full terminal blocks it
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"still running:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.screen += os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:
                    break
        code = self.proc.wait()
        os.close(self.master)
        return code


def test_the_whole_flow_with_the_interview_on_a_terminal(fake_openai: FakeOpenAI,  # noqa: F811
                                                         tmp_path: Path):
    ws = tmp_path / "notes"
    ws.mkdir()
    env = environ(**{KEY_ENV: KEY})
    args = model_args(fake_openai)
    interview = ws / "spec-interview.md"

    # brainstorm: the model asks three questions at once; the first is kept
    fake_openai.add(Reply("What will you use the notes for?", fault="questions"))
    proc = plan_ls("brainstorm", "Notes kept from the terminal", str(ws), *args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(interview)
    text = interview.read_text(encoding="utf-8")
    assert "## Question 1\n\nWhat will you use the notes for?\n\n**Answer:**" in text
    assert "database" not in text and "left out of the question" in proc.stderr

    # interview: answer question 1, the model asks question 2 (after a chatter line), Ctrl-C
    fake_openai.add(Reply("Where should the notes be kept?", fault="chatter"))
    term = Terminal([*PLAN_LS, "interview", str(ws), *args], env)
    term.expect("What will you use the notes for?")
    term.expect("> ")
    term.type("Personal notes, a few a day\n")
    term.expect("Question 2:")
    term.expect("Where should the notes be kept?")
    term.expect("> ")
    term.type("\x03")  # Ctrl-C, as typed
    assert term.wait() == 130
    assert "the answers so far are in spec-interview.md" in term.screen
    text = interview.read_text(encoding="utf-8")
    assert "Personal notes, a few a day" in text and "Sure!" not in text
    assert text.rstrip().endswith("Where should the notes be kept?\n\n**Answer:**")

    # again: the interview resumes at question 2 without asking the model
    requests = len(fake_openai.requests)
    fake_openai.add("INTERVIEW COMPLETE\nThe spec will cover storage and the two commands.")
    term = Terminal([*PLAN_LS, "interview", str(ws), *args], env)
    term.expect("Question 2:")
    term.expect("Where should the notes be kept?")
    assert len(fake_openai.requests) == requests
    term.expect("> ")
    term.type("In one SQLite file\n")
    term.expect("The interview is complete")
    assert term.wait() == 0
    text = interview.read_text(encoding="utf-8")
    assert "In one SQLite file" in text and "## Interview complete" in text
    assert "In one SQLite file" in fake_openai.requests[-1].prompt

    # spec (wrapped in a fence by the model), plan, todo, status
    fake_openai.add(Reply(SPEC, fault="fenced"), Reply(PLAN, chunk_chars=7), TODO)
    proc = plan_ls("spec", str(ws), *args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (ws / "spec.md").read_text(encoding="utf-8") == SPEC
    assert "Personal notes, a few a day" in fake_openai.requests[-1].prompt
    proc = plan_ls("plan", str(ws), "--tdd", *args, env=env)
    assert proc.returncode == 0 and "wrote prompt_plan.md: 2 steps" in proc.stderr, proc.stderr
    assert (ws / "prompt_plan.md").read_text(encoding="utf-8") == PLAN
    assert "one SQLite file" in fake_openai.requests[-1].prompt
    proc = plan_ls("todo", str(ws), *args, env=env)
    assert proc.returncode == 0 and "wrote todo.md: 4 items" in proc.stderr, proc.stderr
    proc = plan_ls("status", str(ws), "--json", env=env)
    assert proc.returncode == 0 and '"total": 4' in proc.stdout.replace(": ", ": "), proc.stdout
    # every request carried an answer cap from the budget: short for a question
    caps = [r.body.get("max_tokens") for r in fake_openai.requests]
    assert all(isinstance(c, int) and c > 0 for c in caps) and caps[0] < caps[-1]

    # never clobbered: a second plan goes beside the first, --replace overwrites
    fake_openai.add(PLAN.replace("Store notes", "Keep notes"), PLAN)
    proc = plan_ls("plan", str(ws), "--plain", *args, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == str(ws / "prompt_plan-2.md")
    assert (ws / "prompt_plan.md").read_text(encoding="utf-8") == PLAN
    proc = plan_ls("plan", str(ws), "--replace", *args, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == str(ws / "prompt_plan.md")
    everything = "".join(r.prompt for r in fake_openai.requests)
    assert KEY not in everything and KEY not in proc.stderr + proc.stdout


def test_the_whole_flow_in_manual_mode(tmp_path: Path):
    """No key for a remote endpoint: every step writes its prompt and prints the path; the
    person pastes the model's answers into the files in between."""
    ws = tmp_path / "notes"
    ws.mkdir()
    env = environ(PLAN_LS_BASE_URL="https://llm.example.invalid/v1")
    prompts = ws / ".plan-ls" / "prompts-out"

    proc = plan_ls("brainstorm", "Notes kept from the terminal", str(ws), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(prompts / "brainstorm.md")
    assert "Notes kept from the terminal" in (prompts / "brainstorm.md").read_text()
    interview = ws / "spec-interview.md"
    text = interview.read_text(encoding="utf-8")
    assert "## Question 1" in text and "paste the model's question" in text

    proc = plan_ls("interview", str(ws), env=env, stdin="")
    assert proc.returncode == 0 and "question 1 in spec-interview.md is empty" in proc.stderr
    # it points at the prompt brainstorm wrote (no next-question prompt exists yet)
    assert "(the prompt is in .plan-ls/prompts-out/brainstorm.md)" in proc.stderr
    assert not (prompts / "next-question.md").exists()
    interview.write_text(text.replace("<!-- paste the model's question here -->",
                                      "What will you use the notes for?"), encoding="utf-8")
    proc = plan_ls("interview", str(ws), env=env, stdin="Personal notes\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(str(prompts / "next-question.md"))
    assert "Answer 1: Personal notes" in (prompts / "next-question.md").read_text()

    proc = plan_ls("spec", str(ws), env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == str(prompts / "compile-spec.md")
    assert not (ws / "spec.md").exists()
    (ws / "spec.md").write_text(SPEC, encoding="utf-8")
    proc = plan_ls("plan", str(ws), "--plain", env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == str(prompts / "plan-plain.md")
    assert "one SQLite file" in (prompts / "plan-plain.md").read_text()
    (ws / "prompt_plan.md").write_text(PLAN, encoding="utf-8")
    proc = plan_ls("todo", str(ws), env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == str(prompts / "todo-checklist.md")
    (ws / "todo.md").write_text(TODO, encoding="utf-8")
    assert plan_ls("status", str(ws), env=env).returncode == 0


def test_refusals_and_unusable_answers(fake_openai: FakeOpenAI, tmp_path: Path):  # noqa: F811
    ws = tmp_path / "notes"
    ws.mkdir()
    env = environ(**{KEY_ENV: KEY})
    args = model_args(fake_openai)
    assert plan_ls("plan", str(ws), *args, env=env).returncode == 2  # no spec yet

    # over the budget: refused with the figures, nothing sent
    (ws / "spec.md").write_text(SPEC + "More detail on storage. " * 400, encoding="utf-8")
    proc = plan_ls("plan", str(ws), *args, "--context-tokens", "1000", env=env)
    assert proc.returncode == 2 and not fake_openai.requests
    assert "refused: the prompt is " in proc.stderr and "context of 1,000 tokens" in proc.stderr
    assert "--context-tokens" in proc.stderr and not (ws / "prompt_plan.md").exists()

    # a plan with no steps: warned, and an existing plan is kept
    (ws / "prompt_plan.md").write_text(PLAN, encoding="utf-8")
    fake_openai.add("Here are some thoughts about the project, but no steps at all.\n")
    proc = plan_ls("plan", str(ws), *args, "--replace", env=env)
    assert proc.returncode == 3 and "no steps could be found" in proc.stderr, proc.stderr
    assert (ws / "prompt_plan.md").read_text(encoding="utf-8") == PLAN
    assert "no steps at all" in (ws / "prompt_plan-2.md").read_text(encoding="utf-8")

    # a checklist that is pages of code: warned, nothing replaced
    fake_openai.add("```python\nprint('hello')\n```\n")
    proc = plan_ls("todo", str(ws), *args, env=env)
    assert proc.returncode == 3 and "no `- [ ]` items" in proc.stderr
    assert (ws / "todo.md").read_text(encoding="utf-8").startswith("```python")

    # cut off inside a code fence: the fence is closed before the mark
    fake_openai.add(Reply("# Plan\n\n## Step 1: Store\n\n```text\nWrite the store and its "
                          "tests in one go, then the command line on top of it all.\n",
                          fault="cut"))
    proc = plan_ls("plan", str(ws), *args, env=env)
    assert proc.returncode == 1 and "keeps what arrived" in proc.stderr
    written = Path(proc.stdout.strip()).read_text(encoding="utf-8")
    assert "\n```\n\n> ✂ **plan-ls: cut off here**" in written

    # a model that loops until max_tokens: stopped at the third round, marked as cut off
    fake_openai.add(Reply("## Step 1: Store notes\n\nWrite the store, test first.\n\n",
                          fault="repeat"))
    proc = plan_ls("plan", str(ws), *args, "--context-tokens", "4000", env=env)
    assert proc.returncode == 1, proc.stderr
    written = Path(proc.stdout.strip()).read_text(encoding="utf-8")
    assert written.count("Write the store, test first.") == 3
    assert "(the model began to repeat itself)" in written
    assert 0 < fake_openai.requests[-1].body["max_tokens"] < 4000


def test_nothing_listening_names_the_option_a_terminal_user_sets(tmp_path: Path):
    # a closed port: the message says how to fix it from the terminal, not only the
    # editor's setting; exit 1, no traceback
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens
    out = plan_ls("brainstorm", "A clock for the kitchen", str(tmp_path), "--base-url",
                  f"http://127.0.0.1:{port}/v1", "--model", "m", "--api-key-env", KEY_ENV,
                  env=environ(**{KEY_ENV: KEY, "PLAN_LS_RETRY_BACKOFF": "0.01"}))
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert f"cannot connect to http://127.0.0.1:{port}/v1" in out.stderr
    assert "(--base-url / planLs.llm.baseUrl)" in out.stderr


def test_a_second_brainstorm_never_starts_an_interview_nothing_reads(tmp_path: Path):
    """interview and spec read spec-interview.md only: a second brainstorm refuses (the first
    interview untouched), and with --replace starts again, keeping the old one beside it."""
    ws = tmp_path / "notes"
    ws.mkdir()
    env = environ(PLAN_LS_BASE_URL="https://llm.example.invalid/v1")  # manual mode
    interview = ws / "spec-interview.md"
    assert plan_ls("brainstorm", "The first idea", str(ws), env=env).returncode == 0
    interview.write_text(interview.read_text(encoding="utf-8") + "my answer\r\n",
                         encoding="utf-8")
    first = interview.read_bytes()

    proc = plan_ls("brainstorm", "A second idea", str(ws), env=env)
    assert proc.returncode == 2 and "plan-ls interview" in proc.stderr, proc.stderr
    assert interview.read_bytes() == first and sorted(p.name for p in ws.glob("*.md")) == [
        "spec-interview.md"]

    proc = plan_ls("brainstorm", "A second idea", str(ws), "--replace", env=env)
    assert proc.returncode == 0, proc.stderr
    assert (ws / "spec-interview-2.md").read_bytes() == first  # kept, byte for byte
    assert "A second idea" in interview.read_text(encoding="utf-8")
    assert "spec-interview-2.md" in proc.stderr
