"""`plan-ls serve` against hostile and careless clients: every planLs.* command with wrong
types, nulls, huge values and paths that leave the workspace (`..`, absolute, symlinks out),
broken framing on the wire, out-of-range positions and requests after shutdown.

Each test asserts: every request is answered (never an internal error with a traceback), no
file outside the sandbox's workspace changes (a decoy tree's hashes), memory stays bounded,
and the next valid request still works."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import queue
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.lsp_client import copy_sample
from tests.raw_lsp import RawServer, encode, frame

ENV = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, INTERNAL = -32602, -32600, -32700, -32603

FIELDS = ["uri", "lines", "step", "line", "name", "position", "range", "idea", "flavour",
          "template", "number", "root"]
COMMANDS = ["planLs.markDone", "planLs.markNotDone", "planLs.status", "planLs.nextStep",
            "planLs.openStep", "planLs.insertPrompt", "planLs.brainstorm",
            "planLs.nextQuestion", "planLs.compileSpec", "planLs.generatePlan",
            "planLs.generateTodo", "planLs.claim", "planLs.release", "planLs.pack",
            "planLs.review", "planLs.issues", "planLs.missingTests", "planLs.syncStatus"]


def tree(path: Path) -> dict[str, str]:
    """Every file below `path` (symlinks not followed) and a hash of its bytes."""
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(path))] = "-> " + os.readlink(p)
        elif p.is_file():
            out[str(p.relative_to(path))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def make_sandbox(base: Path) -> tuple[Path, Path]:
    """A workspace (the greenfield sample) and, beside it, a decoy tree it must not touch;
    the workspace holds symlinks that lead into the decoy tree."""
    ws = copy_sample("greenfield", base)
    outside = base / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "x.md").write_text("# decoy\n\n- [ ] decoy item\n- [x] done decoy\n")
    (outside / "todo.md").write_text("## Step 1: Decoy\n\n- [ ] decoy one\n- [ ] decoy two\n")
    (outside / "prompt_plan.md").write_text("## Step 1: Decoy\n\n```text\nsecret prompt\n```\n")
    (outside / "notes.txt").write_text("private notes\n")
    (outside / "sub" / "spec.md").write_text("# Private spec\n")
    (ws / "out.md").symlink_to(outside / "x.md")
    (ws / "outdir").symlink_to(outside, target_is_directory=True)
    return ws, outside


def outside_uris(ws: Path, outside: Path) -> list[str]:
    return [
        (outside / "x.md").as_uri(),
        (outside / "todo.md").as_uri(),
        ws.as_uri() + "/../outside/x.md",
        ws.as_uri() + "/%2E%2E/outside/x.md",
        (ws / "out.md").as_uri(),
        (ws / "outdir" / "todo.md").as_uri(),
        "file:///etc/passwd",
        "file://" + quote(str(outside / "notes.txt")),
        "http://example.com/todo.md",
        "untitled:Untitled-1",
        "",
        "file:///" + "a" * 100_000,
    ]


def hostile_arguments(ws: Path, outside: Path) -> list[list]:
    """Argument lists for any command: wrong shapes, wrong types, huge values, outside paths."""
    uris = outside_uris(ws, outside)
    todo = (ws / "todo.md").as_uri()
    shapes: list[list] = [[], [None], ["text"], [42], [[1, 2]], [{}, {}], [{"unknown": 1}]]
    values = [None, "13", "x" * 1_000_000, -1, 2**31, 2**64, 1.5, True, [], {}, [-1], [2**40],
              list(range(20_000)), {"line": -1, "character": 0}, "../../x"]
    out = list(shapes)
    out += [[{"uri": u}] for u in uris]
    out += [[{"uri": u, "lines": [0, 1, 2, 3]}] for u in uris]
    out += [[{"uri": u, "line": 2, "name": "mallory"}] for u in uris]
    out += [[{"uri": u, "position": {"line": 0, "character": 0}}] for u in uris]
    out += [[{"uri": u, "range": {"start": {"line": 0, "character": 0},
                                  "end": {"line": 2, "character": 0}}}] for u in uris]
    out += [[{"root": r}] for r in [str(outside), "..", "../outside", "/", "outdir",
                                    outside.as_uri(), str(ws / "outdir"), "/etc"]]
    out += [[{f: v}] for f, v in itertools.product(FIELDS, values)]
    out += [[{"uri": todo, "lines": v}] for v in values]
    return out


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    ws, outside = make_sandbox(base)
    server = RawServer(base, ENV)
    server.initialize(ws)
    yield server, ws, outside, base
    server.close()


def answer(server: RawServer, msg_id: int, what: str, timeout: float = 60) -> dict:
    try:
        return server.wait(msg_id, timeout)
    except queue.Empty:
        pytest.fail(f"no answer in {timeout} s to {what}")


def check_answer(response: dict, what: str) -> None:
    error = response.get("error")
    if error is None:
        return
    what = what[:200]
    assert error["code"] != INTERNAL, f"{what}: internal error {error['message'][:300]}"
    assert "Traceback" not in json.dumps(error), what
    assert not (error.get("data") or {}).get("traceback"), what


def status(server: RawServer) -> dict:
    response = server.request("workspace/executeCommand",
                              {"command": "planLs.status", "arguments": []})
    assert "result" in response, response
    return response["result"]


def rss_kb(server: RawServer) -> int:
    return server.request("workspace/executeCommand",
                          {"command": "planLs.syncStatus", "arguments": []})["result"]["rssKb"]


def brief(value: object) -> str:
    """`value` as JSON for a message, its long strings and lists cut (never MBs)."""
    def cut(v: object) -> object:
        if isinstance(v, str) and len(v) > 60:
            return f"{v[:40]}...({len(v)} characters)"
        if isinstance(v, list):
            return [cut(x) for x in v[:5]] + ([f"...({len(v)} items)"] if len(v) > 5 else [])
        if isinstance(v, dict):
            return {k: cut(x) for k, x in v.items()}
        return v
    return json.dumps(cut(value))[:200]


def send_all(server: RawServer, cases: list[tuple[str, list]]) -> None:
    """Send every case; each must be answered, and not with an internal error."""
    pending = []
    for command, arguments in cases:
        msg_id = server.new_id()
        server.expect(msg_id)
        server.send({"jsonrpc": "2.0", "id": msg_id, "method": "workspace/executeCommand",
                     "params": {"command": command, "arguments": arguments}})
        pending.append((msg_id, command, brief(arguments)))
        if len(pending) >= 40:  # keep the pipe from filling: drain in batches
            for msg_id, command, shown in pending:
                what = f"{command} {shown}"
                check_answer(answer(server, msg_id, what), what)
            pending.clear()
    for msg_id, command, shown in pending:
        what = f"{command} {shown}"
        check_answer(answer(server, msg_id, what), what)


def accepted_fields(server: RawServer, command: str) -> frozenset[str]:
    """The FIELDS that `command` takes, as the server itself says: its refusal of an object
    with every field names the ones it does not know."""
    message = server.request("workspace/executeCommand", {
        "command": command, "arguments": [dict.fromkeys(FIELDS)]})["error"]["message"]
    if message.endswith("takes no arguments"):
        return frozenset()
    unknown = re.search(r"unknown argument\(s\): ([a-z, ]+) @", message)
    assert unknown, message
    return frozenset(FIELDS) - set(unknown[1].split(", "))


def unknown_keys(arguments: list, accepted: frozenset[str]) -> frozenset[str] | None:
    """The keys of a one-object argument list that the command does not take, or None when
    there are none (or it is not one object)."""
    if len(arguments) != 1 or not isinstance(arguments[0], dict):
        return None
    return frozenset(arguments[0]) - accepted or None


def worth_sending(arguments: list[list], accepted: frozenset[str], turn: int) -> list[list]:
    """The argument lists that test something new on a command taking `accepted`: all of
    them, except that of the lists with the same keys it does not take, one is enough (the
    object is refused for the unknown key and its values are never read); `turn` picks which,
    so that the commands between them still send every value."""
    kept, refused = [], {}
    for args in arguments:
        unknown = unknown_keys(args, accepted)
        if unknown is None:
            kept.append(args)
        else:
            refused.setdefault(unknown, []).append(args)
    return kept + [group[turn % len(group)] for group in refused.values()]


def is_big(arguments: list) -> bool:
    """An argument list of more than 50 kB of JSON: the ones that could make memory grow."""
    return len(json.dumps(arguments)) > 50_000


def test_every_command_answers_and_nothing_outside_changes(sandbox):
    server, ws, outside, base = sandbox
    before = tree(outside)
    around = sorted(p.name for p in base.iterdir())
    arguments = hostile_arguments(ws, outside)
    accepted = {c: accepted_fields(server, c) for c in COMMANDS}
    assert {"uri", "lines", "step"} <= accepted["planLs.markDone"]  # the probe reads right
    assert accepted["planLs.pack"] == {"root"} and accepted["planLs.nextStep"] == set()
    cases = [(c, a) for turn, c in enumerate(COMMANDS)
             for a in worth_sending(arguments, accepted[c], turn)]
    send_all(server, cases)
    first = rss_kb(server)
    assert tree(outside) == before, "a file outside the workspace changed"
    assert sorted(p.name for p in base.iterdir()) == around, "a file appeared beside it"
    assert status(server)["todo"]["total"] > 0  # and the server still works
    # memory is bounded: the requests of MBs again cost no more (a small leak per request
    # would stay under the margin whatever the number of small requests)
    send_all(server, [(c, a) for c, a in cases if is_big(a)])
    second = rss_kb(server)
    assert second < first * 1.2 + 20_000, f"the server grew from {first} to {second} kB"
    assert tree(outside) == before


@pytest.mark.parametrize("command,arguments,expected", [
    ("planLs.markDone", {"lines": "13"}, "expected a list"),
    ("planLs.markDone", {"lines": [True]}, "expected a whole number"),
    ("planLs.markDone", {"lines": list(range(20_000))}, "at most 10000"),
    ("planLs.markDone", {"line": [3]}, "unknown argument(s): line"),
    ("planLs.insertPrompt", {"uri": "x"}, "required argument missing"),
    ("planLs.generatePlan", {"flavour": "fancy"}, "flavour"),
    ("planLs.nextQuestion", {"uri": "OUTSIDE"}, "outside the workspace"),
    ("planLs.markDone", {"uri": "SYMLINK"}, "outside the workspace"),
    ("planLs.pack", {"root": ".."}, "outside the workspace"),
    ("planLs.status", {"surprise": 1}, "unknown argument(s): surprise"),
    ("planLs.status", {"plan": 3}, "expected a string"),
    ("planLs.nextStep", {"surprise": 1}, "takes no arguments"),
])
def test_a_wrong_argument_is_refused_with_what_was_expected(sandbox, command, arguments,
                                                            expected):
    server, ws, outside, _ = sandbox
    arguments = {k: (outside / "x.md").as_uri() if v == "OUTSIDE" else
                 (ws / "out.md").as_uri() if v == "SYMLINK" else v
                 for k, v in arguments.items()}
    response = server.request("workspace/executeCommand",
                              {"command": command, "arguments": [arguments]})
    assert response["error"]["code"] == INVALID_PARAMS, response
    assert expected in response["error"]["message"]


def test_a_huge_string_argument_costs_neither_memory_nor_time(sandbox):
    server, ws, _, _ = sandbox
    before = (ws / "todo.md").read_bytes()
    start = time.monotonic()
    for lines in ("1" * 1_000_000, "13"):
        response = server.request("workspace/executeCommand", {
            "command": "planLs.markNotDone", "arguments": [{"lines": lines}]})
        assert response["error"]["code"] == INVALID_PARAMS
    assert time.monotonic() - start < 5
    assert (ws / "todo.md").read_bytes() == before  # "13" is not lines 1 and 3


@pytest.mark.parametrize("method,params", [
    ("textDocument/hover", {"textDocument": {"uri": "URI"}, "position": {"line": -1,
                                                                       "character": 0}}),
    ("textDocument/hover", {"textDocument": {"uri": "URI"}, "position": {"line": 2**31,
                                                                       "character": 0}}),
    ("textDocument/hover", {"textDocument": {"uri": "URI"}, "position": {"line": 2**31 - 1,
                                                                       "character": 2**31 - 1}}),
    ("textDocument/hover", "a string"),
    ("textDocument/hover", None),
    ("textDocument/codeAction", {"textDocument": {"uri": "URI"}, "context": {"diagnostics": []},
                                 "range": {"start": {"line": 3, "character": 2**32},
                                           "end": {"line": 3, "character": 0}}}),
    ("textDocument/codeAction", {"textDocument": {"uri": "URI"}, "context": {"diagnostics": []},
                                 "range": {"start": {"line": 9, "character": 0},
                                           "end": {"line": 2, "character": 0}}}),
    ("textDocument/codeLens", {"textDocument": {"uri": "file:///etc/passwd"}}),
    ("textDocument/documentLink", {"textDocument": {"uri": "URI"}}),
    ("no/suchMethod", {}),
])
def test_every_request_is_answered(sandbox, method, params):
    server, ws, _, _ = sandbox
    text = json.dumps(params).replace("URI", (ws / "todo.md").as_uri())
    response = server.request(method, json.loads(text))
    check_answer(response, method)
    assert status(server)["todo"]["total"] > 0


# --- the wire ------------------------------------------------------------------------------
def _status_request(msg_id: int) -> bytes:
    return encode({"jsonrpc": "2.0", "id": msg_id, "method": "workspace/executeCommand",
                   "params": {"command": "planLs.status", "arguments": []}})


def _body(msg_id: int) -> bytes:
    return _status_request(msg_id).split(b"\r\n\r\n", 1)[1]


WIRE_CASES = {
    "stray byte before the header": lambda i: b"x" + _status_request(i),
    "negative length": lambda i: b"Content-Length: -5\r\n\r\n{}",
    "non-numeric length": lambda i: b"Content-Length: abc\r\n\r\n{}",
    "length of 10^14": lambda i: b"Content-Length: 100000000000000\r\n\r\n{}",
    "length too small": lambda i: b"Content-Length: 7\r\n\r\n" + _body(i),
    "not JSON": lambda i: frame(b"this is not json"),
    "JSON but not an object": lambda i: frame(b"[1, 2, 3]"),
    "invalid UTF-8": lambda i: frame(b'{"jsonrpc": "2.0", "method": "\xff\xfe"}'),
    "garbage line": lambda i: b"hello there\r\n\r\n",
}


@pytest.mark.parametrize("case", list(WIRE_CASES))
def test_broken_framing_is_skipped_and_the_next_message_answered(sandbox, case):
    server, _, _, _ = sandbox
    server.send_bytes(WIRE_CASES[case](server.new_id()))
    assert "result" in server.request("workspace/executeCommand",
                                      {"command": "planLs.status", "arguments": []})


@pytest.mark.parametrize("header", [b"content-length: %d\r\n\r\n", b"Content-Length: %d\n\n",
                                    b"Content-Type: application/vscode-jsonrpc; charset=utf-8"
                                    b"\r\nCONTENT-LENGTH:%d\r\n\r\n"])
def test_headers_in_any_case_and_with_lf_only_are_read(sandbox, header):
    server, _, _, _ = sandbox
    msg_id = server.new_id()
    body = _body(msg_id)
    server.send_bytes(header % len(body) + body)
    assert "result" in server.wait(msg_id)


def test_a_length_too_large_is_noticed_at_the_next_header(sandbox):
    server, _, _, _ = sandbox
    first, second = server.new_id(), server.new_id()
    body = _body(first)
    server.send_bytes(b"Content-Length: %d\r\n\r\n" % (len(body) + 5000) + body)
    server.send_bytes(_status_request(second))
    assert "result" in server.wait(second)
    assert "result" in server.wait(first)


def test_a_body_that_is_not_json_gets_a_parse_error(sandbox):
    server, _, _, _ = sandbox
    server.send_bytes(frame(b"{not json"))
    status(server)
    assert any(m["error"]["code"] == PARSE_ERROR for m in server.null_id_errors)


# --- lifecycle -----------------------------------------------------------------------------
def test_initialize_with_null_params_and_requests_after_shutdown(tmp_path):
    ws, _ = make_sandbox(tmp_path)
    server = RawServer(tmp_path, ENV)
    try:
        response = server.request("initialize", None)
        assert response["error"]["code"] == INVALID_PARAMS
        assert "capabilities" in server.initialize(ws)["result"]
        assert "result" in server.request("shutdown", None)
        after = server.request("textDocument/hover", {
            "textDocument": {"uri": (ws / "todo.md").as_uri()},
            "position": {"line": 0, "character": 0}})
        assert after["error"]["code"] == INVALID_REQUEST
        server.notify("exit")
        assert server.proc.wait(timeout=10) == 0
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
        server.stderr.close()


# --- settings and files that point out ----------------------------------------------------
def shown_messages(server: RawServer) -> str:
    return " ".join(m["params"].get("message", "") for m in list(server.notifications)
                    if m["method"] == "window/showMessage")


def test_file_settings_outside_the_workspace_are_refused(tmp_path):
    """Paths that lead out, given at initialize and then changed in the running session."""
    ws, outside = make_sandbox(tmp_path)
    before = tree(outside)
    server = RawServer(tmp_path, ENV)
    try:
        for n, files in enumerate(({"todo": "../outside/todo.md",
                                    "plan": str(outside / "prompt_plan.md"),
                                    "interview": "../outside/x.md", "spec": "outdir/sub/spec.md"},
                                   {"todo": "out.md", "plan": "notes.txt"})):
            if n == 0:
                server.initialize(ws, {"files": files})
            else:
                server.notifications.clear()
                server.notify("workspace/didChangeConfiguration",
                              {"settings": {"planLs": {"files": files}}})
                deadline = time.monotonic() + 10  # applied when the server reads it
                while "planLs.files.todo" not in shown_messages(server):
                    assert time.monotonic() < deadline, "the new settings were not refused"
                    time.sleep(0.01)
            state = status(server)
            assert state["todo"]["path"] == str((ws / "todo.md").resolve())
            assert "Decoy" not in json.dumps(state)
            for command in ("planLs.markDone", "planLs.claim"):
                server.request("workspace/executeCommand", {
                    "command": command, "arguments": [{"line": 3, "lines": [3]}
                                                      if command == "planLs.claim" else
                                                      {"lines": [2, 3]}]})
            server.request("workspace/executeCommand", {
                "command": "planLs.nextQuestion", "arguments": [{}]})
            said = shown_messages(server)
            assert "planLs.files.todo" in said and "outside the workspace" in said
    finally:
        server.close()
    assert tree(outside) == before


def test_a_plan_ls_folder_that_leads_out_is_never_written(tmp_path):
    ws, outside = make_sandbox(tmp_path)
    (ws / ".plan-ls").symlink_to(outside, target_is_directory=True)
    (ws / "code-review.md").symlink_to(outside / "x.md")
    before = tree(outside)
    server = RawServer(tmp_path, ENV)
    try:
        server.initialize(ws)
        for command in ("planLs.pack", "planLs.review", "planLs.generatePlan",
                        "planLs.brainstorm"):
            response = server.request("workspace/executeCommand", {
                "command": command, "arguments": [{"idea": "a tiny app"}
                                                  if command == "planLs.brainstorm" else {}]})
            check_answer(response, command)
    finally:
        server.close()
    assert tree(outside) == before
    assert not (outside / "output.txt").exists()


def test_a_template_override_that_leads_out_is_not_read(tmp_path):
    ws, outside = make_sandbox(tmp_path)
    (ws / ".plan-ls" / "prompts").mkdir(parents=True)
    (ws / ".plan-ls" / "prompts" / "plan-tdd.md").symlink_to(outside / "notes.txt")
    server = RawServer(tmp_path, ENV)
    try:
        server.initialize(ws)
        server.request("workspace/executeCommand", {"command": "planLs.generatePlan",
                                                    "arguments": [{}]})
        written = list((ws / ".plan-ls" / "prompts-out").glob("*.md"))
        assert all("private notes" not in p.read_text() for p in written)
    finally:
        server.close()

