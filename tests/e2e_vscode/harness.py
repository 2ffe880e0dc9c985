"""Run the real VS Code (code-server) with the freshly built extension, for the e2e tests.

code-server is installed by .ci/install-vscode.sh into /opt/plan-ls-ci (or $PLAN_LS_CI_DIR);
$PLAN_LS_CODE_SERVER names another binary. Every process started here is ended at teardown,
with its whole tree (code-server forks the extension host, which starts plan-ls).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client-vscode"
VSIX = CLIENT / "plan-ls.vsix"
CI_DIR = Path(os.environ.get("PLAN_LS_CI_DIR", "/opt/plan-ls-ci"))
# Debian's chromium-headless-shell (Chromium's old headless mode, what Playwright itself runs
# headless) when installed: no browser UI behind the page, about a fifth less CPU per workbench
# load than the full /usr/bin/chromium in its new headless mode.
CHROMIUM = os.environ.get("PLAN_LS_CHROMIUM") or next(
    (c for c in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium") if os.path.exists(c)),
    "/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Every browser context a test opens. code-server compresses its ~15 MB of workbench scripts
# with brotli for each new context (a context shares no HTTP cache with the last one): about a
# second of CPU per workbench load, on both sides, for a transfer over loopback. Identity
# encoding skips that; what the workbench runs is the same.
CONTEXT_OPTIONS = {
    "viewport": {"width": 1400, "height": 900},
    "permissions": ["clipboard-read", "clipboard-write"],
    "extra_http_headers": {"Accept-Encoding": "identity"},
}


def code_server_path() -> Path | None:
    explicit = os.environ.get("PLAN_LS_CODE_SERVER")
    candidates = [Path(explicit)] if explicit else [CI_DIR / "code-server"]
    for c in candidates:
        if c.exists() and os.access(c, os.X_OK):
            return c
    return None


def plan_ls_command() -> list[str]:
    venv_bin = ROOT / ".venv" / "bin" / "plan-ls"
    exe = str(venv_bin) if venv_bin.exists() else shutil.which("plan-ls")
    if not exe:
        raise RuntimeError("plan-ls is not installed (pip install -e .)")
    return [exe, "serve"]


def _vsix_fresh() -> bool:
    """Whether the built .vsix is newer than the extension's sources."""
    sources = [p for p in (CLIENT / "src").rglob("*.ts")] + [CLIENT / "package.json"]
    newest = max(p.stat().st_mtime for p in sources)
    return VSIX.exists() and VSIX.stat().st_mtime >= newest


def vsix_unbuildable() -> bool:
    """True when there is no fresh .vsix and no node_modules to build one (a fresh clone
    on a machine that has code-server): the tests are skipped, not errors."""
    return not _vsix_fresh() and not (CLIENT / "node_modules").exists()


def build_vsix() -> Path:
    """Build the .vsix when it is missing or older than the extension's sources."""
    if _vsix_fresh():
        return VSIX
    if not (CLIENT / "node_modules").exists():
        raise RuntimeError("client-vscode/node_modules is missing: run .ci/install-vscode.sh")
    subprocess.run(["npm", "run", "--silent", "package"], cwd=CLIENT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    return VSIX


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    tree = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in tree.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def kill_tree(proc: subprocess.Popen, grace: float = 5.0) -> list[int]:
    """End a process and all its descendants; returns the pids that had to be killed hard."""
    pids = [proc.pid, *descendants(proc.pid)]
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    alive = pids
    while time.monotonic() < deadline:
        proc.poll()
        alive = [p for p in pids if _alive(p)]
        if not alive:
            break
        time.sleep(0.1)
    for p in alive:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    return alive


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class CodeServer:
    """code-server with its own user-data and extensions folders, on a free loopback port."""

    def __init__(self, binary: Path, home: Path):
        self.binary = binary
        self.home = home
        self.user_data = home / "user-data"
        self.extensions = home / "extensions"
        self.log_path = home / "code-server.log"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _base_args(self) -> list[str]:
        return [str(self.binary), "--user-data-dir", str(self.user_data),
                "--extensions-dir", str(self.extensions)]

    def install_extension(self, vsix: Path) -> str:
        out = subprocess.run([*self._base_args(), "--install-extension", str(vsix), "--force"],
                             capture_output=True, text=True, timeout=120,
                             env=self._env())
        if out.returncode != 0:
            raise RuntimeError(f"--install-extension failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def write_user_settings(self, settings: dict) -> None:
        user = self.user_data / "User"
        user.mkdir(parents=True, exist_ok=True)
        (user / "settings.json").write_text(json.dumps(settings, indent=2))

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("VSCODE_IPC_HOOK_CLI", None)
        env["HOME"] = str(self.home)  # keeps ~/.config/code-server of the machine out of it
        env["XDG_CONFIG_HOME"] = str(self.home / ".config")
        env["XDG_DATA_HOME"] = str(self.home / ".local" / "share")
        return env

    def start(self, timeout: float = 60.0) -> None:
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [*self._base_args(), "--auth", "none", "--bind-addr", f"127.0.0.1:{self.port}",
             "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
             "--disable-getting-started-override", "--disable-file-downloads"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self._env(), start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"code-server exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"code-server did not answer in {timeout} s")

    def stop(self) -> list[int]:
        hard: list[int] = []
        if self.proc is not None:
            hard = kill_tree(self.proc)
            self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        return hard

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text()[-n:]
        except OSError:
            return ""

    def extension_log_count(self, needle: str) -> int:
        """How many times the extension's own log (its "Plan Language Server" output channel,
        which VS Code writes to a file per window as lines come) has `needle`, all windows of
        this code-server together."""
        n = 0
        for p in (self.user_data / "logs").rglob("*Plan Language Server*.log"):
            try:
                n += p.read_text().count(needle)
            except OSError:
                pass
        return n

    def wait_extension_log(self, needle: str, more_than: int = 0, timeout: float = 30.0) -> None:
        """Wait until the extension's log has `needle` more than `more_than` times (the count
        before the step that should log it). Raises AssertionError, with the logs, when it does
        not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.extension_log_count(needle) <= more_than:
            if time.monotonic() > deadline:
                raise AssertionError(f"the extension never logged {needle!r}\n"
                                     f"{self.extension_host_logs()}")
            time.sleep(0.1)

    def extension_host_logs(self) -> str:
        """The 'Plan Language Server' output channel and the extension host log, when present."""
        texts = []
        for p in sorted((self.user_data / "logs").rglob("*.log")):
            if "Plan" in p.name or "exthost" in p.name:
                try:
                    texts.append(f"--- {p.relative_to(self.user_data)}\n{p.read_text()[-4000:]}")
                except OSError:
                    pass
        return "\n".join(texts)


class FakeLlm:
    """An OpenAI-compatible chat endpoint on loopback that streams a prompt plan slowly, and
    remembers what it was sent (the Authorization header above all)."""

    def __init__(self, chunks: list[str], delay: float = 0.3):
        import http.server
        import threading

        self.chunks = chunks
        self.delay = delay
        self.requests: list[dict] = []
        self.sent = 0
        self.finished = False
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                      "body": body})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for i, text in enumerate(fake.chunks):
                        delta = {"content": text}
                        if i == 0:
                            delta["role"] = "assistant"
                        self._event({"id": "fake-1", "object": "chat.completion.chunk",
                                     "created": 0, "model": body.get("model", "fake"),
                                     "choices": [{"index": 0, "delta": delta,
                                                  "finish_reason": None}]})
                        fake.sent += 1
                        time.sleep(fake.delay)
                    self._event({"id": "fake-1", "object": "chat.completion.chunk", "created": 0,
                                 "model": "fake", "choices": [{"index": 0, "delta": {},
                                                               "finish_reason": "stop"}]})
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                    fake.finished = True
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up: cancelled
                self.close_connection = True

            def _event(self, obj: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                self.wfile.flush()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
