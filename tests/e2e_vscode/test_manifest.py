"""The extension's manifest against the server: settings and their defaults, command ids, and
every server command the extension sends being one that `plan-ls serve` offers.

No editor needed: these run wherever the venv has plan-ls.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import fields

import pytest

from plan_ls.settings import Settings
from tests.e2e_vscode.harness import CLIENT, plan_ls_command

MANIFEST = json.loads((CLIENT / "package.json").read_text())
SETTINGS = MANIFEST["contributes"]["configuration"]["properties"]
COMMANDS = MANIFEST["contributes"]["commands"]

# every setting DESIGN.md names, plus the client's own two
DESIGN_SETTINGS = [
    "files.spec", "files.plan", "files.todo", "files.interview",
    "llm.baseUrl", "llm.model", "llm.planModel", "llm.apiKeyEnv", "llm.mode",
    "llm.temperature", "llm.timeout", "user", "server.command", "trace.server",
]

# strings in the extension's sources that look like planLs.* but are not server commands
NOT_SERVER_COMMANDS = {
    "planLs.apiKey", "planLs.copyToClipboard", "planLs.plan", "planLs.plan.focus",
    "planLs.progress", "planLs.running", "planLs.active",
}


def test_every_design_setting_is_contributed_with_a_description() -> None:
    for key in DESIGN_SETTINGS:
        prop = SETTINGS.get(f"planLs.{key}")
        assert prop is not None, f"planLs.{key} is not contributed"
        assert prop.get("markdownDescription") or prop.get("description"), key
        assert "default" in prop, key
    assert "planLs.llm.apiKey" not in SETTINGS  # the key itself is never a setting


def test_defaults_are_the_servers() -> None:
    defaults = Settings()
    for group in ("files", "llm", "run"):
        for f in fields(getattr(defaults, group)):
            key = f"planLs.{group}.{f.name}"
            assert key in SETTINGS, key
            assert SETTINGS[key]["default"] == getattr(getattr(defaults, group), f.name), key
    assert SETTINGS["planLs.user"]["default"] == defaults.user
    assert SETTINGS["planLs.llm.mode"]["enum"] == ["auto", "manual"]
    assert SETTINGS["planLs.symbols"]["default"] == defaults.symbols
    assert SETTINGS["planLs.symbols"]["enum"] == ["auto", "on", "off"]
    assert SETTINGS["planLs.progressDisplay"]["default"] == defaults.progressDisplay
    assert SETTINGS["planLs.progressDisplay"]["enum"] == ["lens", "inlay", "both"]


def test_the_client_sends_every_server_setting() -> None:
    """The extension sends only the settings somebody set (so that the project's
    .plan-ls/config.toml is not hidden by the manifest's defaults): from its list of keys."""
    source = (CLIENT / "src" / "logic" / "settings.ts").read_text()
    listed = re.search(r"SERVER_SETTINGS = \[(.*?)\] as const", source, re.S).group(1)
    defaults = Settings()
    server = {f"{group}.{f.name}" for group in ("files", "llm", "run")
              for f in fields(getattr(defaults, group))} | {
        f.name for f in fields(defaults) if f.name not in ("files", "llm", "run")}
    assert set(re.findall(r"'([\w.]+)'", listed)) == server


def test_palette_commands_never_take_the_servers_ids() -> None:
    ids = [c["command"] for c in COMMANDS]
    assert len(ids) == len(set(ids))
    assert not [i for i in ids if i.startswith("planLs.")], "these collide with the server's"
    assert all(c["category"] == "Plan" and c["title"] for c in COMMANDS)
    hidden = {m["command"] for m in MANIFEST["contributes"]["menus"]["commandPalette"]
              if m.get("when") == "false"}
    assert {i for i in ids if i.startswith("plan.view.")} == hidden


def test_activation_is_not_at_every_start() -> None:
    events = MANIFEST["activationEvents"]
    assert "*" not in events and "onStartupFinished" not in events
    assert "workspaceContains:**/todo.md" in events
    assert "workspaceContains:**/prompt_plan.md" in events
    assert "onLanguage:markdown" in events


def _lsp_message(obj: dict) -> bytes:
    body = json.dumps(obj).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _read_message(stream) -> dict:
    length = 0
    while True:
        line = stream.readline()
        if not line:
            raise EOFError("the server closed its output")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(stream.read(length))


def server_commands(tmp_path) -> list[str]:
    """initialize `plan-ls serve` over stdio and read executeCommandProvider.commands."""
    proc = subprocess.Popen(plan_ls_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        assert proc.stdin and proc.stdout
        proc.stdin.write(_lsp_message({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}}))
        proc.stdin.flush()
        while True:
            msg = _read_message(proc.stdout)
            if msg.get("id") == 1:
                break
        caps = msg["result"]["capabilities"]
        proc.stdin.write(_lsp_message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        proc.stdin.write(_lsp_message({"jsonrpc": "2.0", "method": "exit"}))
        proc.stdin.flush()
        return caps.get("executeCommandProvider", {}).get("commands", [])
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_server_offers_every_command_the_extension_sends(tmp_path) -> None:
    sources = "\n".join(p.read_text() for p in (CLIENT / "src").rglob("*.ts"))
    sent = set(re.findall(r"'(planLs\.[A-Za-z.]+)'", sources)) - NOT_SERVER_COMMANDS
    sent = {s for s in sent if not re.match(r"planLs\.(files|llm|server|trace)\.", s)}
    assert "planLs.markDone" in sent and "planLs.status" in sent
    try:
        offered = set(server_commands(tmp_path))
    except (OSError, RuntimeError) as exc:
        pytest.fail(f"plan-ls serve did not answer initialize: {exc}")
    missing = sorted(sent - offered)
    assert not missing, f"the extension sends commands the server does not offer: {missing}"
