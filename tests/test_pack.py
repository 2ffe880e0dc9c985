"""The repository packer: what goes in, what stays out, secrets, determinism, tokens, CLI."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from plan_ls.cli import pack as pack_cli
from plan_ls.pack import PackOptions, pack_repository
from plan_ls.pack.secrets import scan
from tests.cli_runner import run_cli

REPO = Path(__file__).resolve().parents[1]

# Planted secrets are assembled at run time so that this file itself never looks like it
# holds one (packing plan-ls must not leave its own tests out).
SECRETS = {
    "OpenAI API key": "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "OpenAI API key (legacy)": "sk-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7",
    "AWS access key id": "AKIA" + "Q3R7T2ZJ5XK4WN8P",
    "GitHub token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "GitHub token (fine-grained)": "github_pat_" + "11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz012345",
    "Slack token": "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOp",
    "Google API key": "AIza" + "SyD3x9Kq2Lm8Np4Rs7Tv1Wx5Yz0Ab6Cd-Ef",
    "Stripe live key": "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "private key block": "-----BEGIN RSA " + "PRIVATE KEY-----",
    "high-entropy value": "q8Zr3Lm0Xv7Tk2Wp9Nb5",
    "password in a URL": "postgres://admin:" + "Tr0ub4dor-3x" + "@db.internal:5432/app",
    "JSON web token": "eyJ"
    + "hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"
    + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "high-entropy value (base64)": "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq8Z3Lm0Xv7T",
}


@pytest.fixture(autouse=True)
def _private_token_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """Each test gets its own token cache, so that none reads another's counts."""
    folder = tmp_path_factory.mktemp("token-cache")
    monkeypatch.setenv("PLAN_LS_CACHE_DIR", str(folder))
    return folder


def _files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, newline="")


def _opts(**kw) -> PackOptions:
    return PackOptions(**kw)


def _reasons(result) -> dict[str, str]:
    return {e.path: e.reason for e in result.excluded}


def test_binaries_lock_files_and_oversized_are_left_out_with_reasons(tmp_path: Path) -> None:
    _files(
        tmp_path,
        {
            "ok.py": "print('hi')\n",
            "logo.png": "not really a png, but the extension decides\n",
            "blob.txt": b"abc\x00def",
            "latin1.txt": "caf\u00e9\n".encode("latin-1"),
            "big.txt": "x" * 2000,
            "package-lock.json": "{}",
            "sub/yarn.lock": "# lock",
            "sub/Cargo.lock": "# lock",
            "poetry.lock": "",
            "uv.lock": "",
            ".git/HEAD": "ref: refs/heads/main\n",
            "node_modules/left-pad/index.js": "module.exports = 1\n",
        },
    )
    result = pack_repository(tmp_path, _opts(max_file_bytes=1000))
    assert [f.path for f in result.files] == ["latin1.txt", "ok.py"]  # text, in any encoding
    reasons = _reasons(result)
    assert reasons["logo.png"] == "binary (by extension)"
    assert reasons["blob.txt"] == "binary (by content)"
    assert reasons["big.txt"].startswith("too large (2000 bytes")
    for lock in ("package-lock.json", "sub/yarn.lock", "sub/Cargo.lock", "poetry.lock", "uv.lock"):
        assert reasons[lock] == "lock file"
    assert reasons["node_modules/"] == "default ignore"
    assert not any(p.startswith(".git") for p in reasons)  # silently skipped
    assert result.output == tmp_path.resolve() / "output.txt"
    assert (tmp_path / "output.txt").is_file()


def test_output_file_is_never_packed(tmp_path: Path) -> None:
    _files(tmp_path, {"a.md": "# A\n"})
    first = pack_repository(tmp_path, _opts())
    second = pack_repository(tmp_path, _opts())
    assert [f.path for f in second.files] == ["a.md"]
    assert _reasons(second)["output.txt"] == "output file"
    assert first.text == second.text
    custom = pack_repository(tmp_path, _opts(output=Path("out/bundle.md"), style="markdown"))
    again = pack_repository(tmp_path, _opts(output=Path("out/bundle.md"), style="markdown"))
    assert "out/bundle.md" in _reasons(again)
    assert {f.path for f in custom.files} == {"a.md", "output.txt"}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_each_planted_secret_is_found_and_never_echoed(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    value = SECRETS[kind]
    if kind == "high-entropy value":
        line = f'api_key = "{value}"'
    elif kind == "private key block":
        line = f"{value}\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    else:
        line = f"TOKEN_FOR_TESTS = '{value}'"
    _files(tmp_path, {"config/settings.py": f"import os\n\n{line}\n", "main.py": "pass\n"})

    result = pack_repository(tmp_path, _opts())
    assert [f.path for f in result.files] == ["main.py"]
    assert [(s.path, s.line) for s in result.secrets] == [("config/settings.py", 3)]
    expected_kind = kind.split(" (")[0]
    assert result.secrets[0].kind.startswith(expected_kind.split()[0]), result.secrets[0].kind
    assert _reasons(result)["config/settings.py"].startswith("secret: ")

    # The value appears nowhere: not in the result, the bundle, the JSON or the summary.
    blob = json.dumps(result.to_json()) + repr(result) + result.text
    assert value not in blob
    assert "Tr0ub4dor" not in blob
    assert value not in (tmp_path / "output.txt").read_text()
    parser = argparse.ArgumentParser()
    pack_cli.add_commands(parser.add_subparsers())
    for extra in ([], ["--json"]):
        args = parser.parse_args(["pack", str(tmp_path), *extra])
        assert args.func(args) == 0
        out = capsys.readouterr()
        assert value not in out.out + out.err
        assert "config/settings.py" in out.out


def test_credential_files_are_left_out_by_name(tmp_path: Path) -> None:
    _files(
        tmp_path,
        {
            ".env": "X=1\n",
            ".env.local": "X=1\n",
            "deploy/.env.production": "X=1\n",
            ".env.example": "OPENAI_API_KEY=\n",
            "id_rsa": "key\n",
            "certs/server.pem": "pem\n",
            "tls.key": "key\n",
            "keep.py": "x = 1\n",
        },
    )
    result = pack_repository(tmp_path, _opts())
    assert [f.path for f in result.files] == [".env.example", "keep.py"]
    named = {s.path for s in result.secrets if s.line is None}
    assert named == {".env", ".env.local", "deploy/.env.production", "id_rsa", "certs/server.pem",
                     "tls.key"}  # fmt: skip


def test_ordinary_code_is_not_mistaken_for_secrets(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """\
        import os, getpass, tokenize
        token = tokenize.generate_tokens(f.readline)
        password = getpass.getpass()
        api_key = os.environ["OPENAI_API_KEY"]
        SECRET_KEY = "your-secret-key-here-change-me"
        secret_name = "database_password_secret_name"
        token_type = "bearer"
        access_key = self._decode_base64(arg)
        commit = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        description = "sk-learn is a library; ask-for-help-is-free"
        """
    )
    _files(tmp_path, {"app.py": code})
    result = pack_repository(tmp_path, _opts())
    assert result.secrets == []
    assert [f.path for f in result.files] == ["app.py"]


@pytest.mark.parametrize("style", ["plain", "markdown", "xml"])
def test_same_tree_gives_same_bytes(tmp_path: Path, style: str) -> None:
    tree = {
        "b/z.py": "z = 1\n",
        "a.md": "# Title\n\n```python\nx = 1\n```\n",
        "b/a/deep.txt": "deep",
        "crlf.txt": "one\r\ntwo\r\n",
        "Zed.txt": "upper\n",
    }
    one, two = tmp_path / "one", tmp_path / "two"
    _files(one, tree)
    _files(two, dict(reversed(list(tree.items()))))
    r1 = pack_repository(one, _opts(style=style))
    r1b = pack_repository(one, _opts(style=style))
    r2 = pack_repository(two, _opts(style=style))
    b1 = (one / "output.txt").read_bytes()
    assert b1 == (two / "output.txt").read_bytes()
    assert r1.text == r1b.text == r2.text
    assert [f.path for f in r1.files] == sorted(tree)
    assert b"one\r\ntwo\r\n" in b1  # contents kept byte for byte
    if style == "markdown":
        assert "````markdown\n# Title" in r1.text  # fence longer than the one inside
    if style == "xml":
        assert '<file path="b/a/deep.txt">\ndeep\n</file>' in r1.text
    if style == "plain":
        assert "File: b/z.py" in r1.text


def test_tree_lists_directories_then_files() -> None:
    from plan_ls.pack.render import tree

    assert tree(["z.txt", "a/b.txt", "a/c/d.txt", "b.txt"]) == (
        "a/\n  c/\n    d.txt\n  b.txt\nb.txt\nz.txt"
    )


def test_token_counts_match_an_independent_count(tmp_path: Path) -> None:
    with warnings.catch_warnings():  # bpe_openai's import uses a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai

    tree = {
        "src/app.py": "def main():\n    print('héllo wörld')\n" * 200,
        "README.md": "# Demo\n\nSome prose, with <|endoftext|> in it.\n",
        "data/table.csv": "\n".join(f"{i},{i * i},{'x' * (i % 7)}" for i in range(300)),
        "empty.txt": "",
    }
    _files(tmp_path, tree)
    result = pack_repository(tmp_path, _opts())
    enc = bpe_openai.get_encoding("o200k_base")
    per_file = {rel: len(enc.encode(text, disallowed_special=())) for rel, text in tree.items()}
    assert {f.path: f.tokens for f in result.files} == per_file
    assert result.tokens == sum(per_file.values())
    whole = len(enc.encode((tmp_path / "output.txt").read_bytes().decode(), disallowed_special=()))
    assert abs(result.bundle_tokens - whole) <= len(tree) * 2
    assert [x["path"] for x in result.to_json()["largest"]][0] == "src/app.py"

    cl100k = pack_repository(tmp_path, _opts(encoding="cl100k_base", write=False))
    other = bpe_openai.get_encoding("cl100k_base")
    assert cl100k.tokens == sum(len(other.encode(t, disallowed_special=())) for t in tree.values())
    with pytest.raises(ValueError):
        pack_repository(tmp_path, _opts(encoding="no_such_encoding", write=False))


def test_include_exclude_and_project_ignore(tmp_path: Path) -> None:
    _files(
        tmp_path,
        {
            "src/a.py": "a\n",
            "src/b.py": "b\n",
            "src/gen/c.py": "c\n",
            "docs/x.md": "x\n",
            "notes.txt": "n\n",
            ".plan-ls/ignore": "notes.txt\n",
        },
    )
    result = pack_repository(tmp_path, _opts(include=["*.py", "*.md"], exclude=["src/gen/"]))
    assert [f.path for f in result.files] == ["docs/x.md", "src/a.py", "src/b.py"]
    reasons = _reasons(result)
    assert reasons["notes.txt"] == "ignored by .plan-ls/ignore"
    assert reasons["src/gen/"] == "excluded by pattern"
    assert ".plan-ls/" in reasons  # plan-ls's own folder is never packed


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _files(outside, {"secret.txt": "outside the root\n"})
    root = tmp_path / "root"
    _files(root, {"a.txt": "a\n"})
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "file-link.txt").symlink_to(outside / "secret.txt")
    result = pack_repository(root, _opts())
    assert [f.path for f in result.files] == ["a.txt"]
    assert _reasons(result) == {"link": "symlink", "file-link.txt": "symlink"}


def test_progress_reports_every_file(tmp_path: Path) -> None:
    _files(tmp_path, {f"f{i:03}.txt": f"{i}\n" for i in range(150)})
    seen: list[tuple[int, int]] = []
    pack_repository(tmp_path, _opts(write=False), progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 150) and seen[-1] == (150, 150)
    assert not (tmp_path / "output.txt").exists()


def test_legacy_sample_shows_the_secret_scan(tmp_path: Path) -> None:
    sample = REPO / "samples" / "legacy"
    copy = tmp_path / "legacy"
    shutil.copytree(sample, copy)
    env = (copy / ".env").read_text()
    fake = env.split("OPENAI_API_KEY=", 1)[1].split()[0]
    assert "FAKE" in fake
    # The value says it is fake, like sk-proj-XXXX…: the content scan holds it back as a
    # placeholder, and the file is still left out by its name.
    assert scan(env) == []
    result = pack_repository(copy, _opts())
    assert [(s.path, s.kind) for s in result.secrets] == [(".env", "credentials file (.env)")]
    assert fake not in result.text
    assert ".env.example" in {f.path for f in result.files}
    assert {"invoicer/cli.py", "README.md", "tests/test_models.py"} <= {
        f.path for f in result.files
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plan-ls")
    pack_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _files(tmp_path, {"a.py": "x = 1\n", "b.bin": b"\x00\x01", ".env": "K=v\n"})
    out_file = tmp_path / "bundle.xml"
    args = _parser().parse_args(
        ["pack", str(tmp_path), "-o", str(out_file), "--style", "xml", "--json"]
    )
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"path", "files", "tokens", "excluded", "largest", "secrets"} <= set(data)
    assert data["path"] == str(out_file.resolve())
    assert data["files"] == 1 and data["tokens"] > 0
    assert all(set(e) == {"path", "reason"} for e in data["excluded"])
    assert {e["path"] for e in data["excluded"]} == {"b.bin", ".env"}
    assert data["largest"] == [{"path": "a.py", "tokens": data["tokens"]}]
    assert data["secrets"] == [{"path": ".env", "line": None, "kind": "credentials file (.env)"}]
    assert out_file.read_text().startswith("<file_summary>")


def test_cli_summary_and_bad_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _files(tmp_path, {"a.py": "x = 1\n", "yarn.lock": ""})
    args = _parser().parse_args(["pack", str(tmp_path), "--exclude", "*.md"])
    assert args.func(args) == 0
    out = capsys.readouterr()
    assert "Packed 1 files" in out.out and "1 lock file" in out.out
    assert "Secrets found: none" in out.out
    assert out.err == ""  # no progress bar when stderr is not a terminal
    bad = _parser().parse_args(["pack", str(tmp_path / "missing")])
    assert bad.func(bad) == 2


def test_runs_with_the_network_blocked(tmp_path: Path) -> None:
    _files(tmp_path, {"a.py": "print('offline')\n" * 20, "README.md": "# offline\n"})
    script = textwrap.dedent(
        """\
        import socket, sys

        def refuse(*args, **kwargs):
            raise OSError("network access attempted")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        import argparse
        from plan_ls.cli import pack as cli
        parser = argparse.ArgumentParser()
        cli.add_commands(parser.add_subparsers())
        args = parser.parse_args(["pack", sys.argv[1], "--json"])
        sys.exit(args.func(args))
        """
    )
    env = {
        **os.environ,
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "",
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "no-cache"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["files"] == 2 and data["tokens"] > 20


def test_cli_module_is_import_light() -> None:
    heavy = ("bpe_openai", "pathspec", "plan_ls.pack.packer")
    code = f"import sys, plan_ls.cli.pack; print([m for m in {heavy!r} if m in sys.modules])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_main_cli_registers_pack(tmp_path: Path) -> None:
    """`plan-ls pack` works, wherever the command-line code lives."""
    _files(tmp_path, {"a.py": "x = 1\n"})
    proc = run_cli("pack", tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["files"] == 1


def test_project_ignore_uses_gitignore_rules_and_stale_temp_output_is_skipped(
    tmp_path: Path,
) -> None:
    _files(
        tmp_path,
        {
            ".plan-ls/ignore": "*.txt\n!keep.txt\nscratch/\n",
            "drop.txt": "d\n",
            "keep.txt": "k\n",
            "scratch/x.py": "x\n",
            "main.py": "m\n",
            ".output.txt.abc123.tmp": "half a bundle from a run that died\n",
        },
    )
    result = pack_repository(tmp_path, _opts())
    assert [f.path for f in result.files] == ["keep.txt", "main.py"]
    reasons = _reasons(result)
    assert reasons["drop.txt"] == reasons["scratch/"] == "ignored by .plan-ls/ignore"
    assert reasons[".output.txt.abc123.tmp"] == "temporary output file"


def test_progress_bar_draws_on_a_terminal(tmp_path: Path) -> None:
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = pack_cli._Bar(stream)
    bar(0, 4)
    bar(4, 4)
    bar.close()
    assert "packing [" in stream.getvalue() and "4/4 files" in stream.getvalue()


def test_worker_processes_give_the_same_result_as_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plan_ls.pack import reading

    if not reading._can_fork():
        pytest.skip("worker processes are only forked on Linux, from a single-threaded process")
    tree: dict[str, str | bytes] = {
        f"pkg{i % 5}/mod{i:03}.py": f"def f{i}(x):\n    return x * {i}  # ü\n" * (i % 17 + 1)
        for i in range(120)
    }
    tree["pkg0/blob.txt"] = b"\x00\x01\x02"
    tree["pkg1/conf.py"] = f"KEY = '{SECRETS['AWS access key id']}'\n"
    _files(tmp_path, tree)
    serial = pack_repository(tmp_path, _opts(workers=1, write=False))

    used: list[int] = []
    real = reading._read_in_processes

    def spy(candidates, options, workers, progress, known):
        used.append(workers)
        return real(candidates, options, workers, progress, known)

    monkeypatch.setattr(reading, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(reading, "_read_in_processes", spy)
    seen: list[tuple[int, int]] = []
    parallel = pack_repository(
        tmp_path, _opts(workers=3, write=False), progress=lambda d, t: seen.append((d, t))
    )
    assert used == [3]
    assert parallel.text == serial.text
    assert parallel.files == serial.files
    assert parallel.excluded == serial.excluded and parallel.secrets == serial.secrets
    assert [s.path for s in parallel.secrets] == ["pkg1/conf.py"]
    assert seen[-1] == (len(tree), len(tree))


def test_token_cache_reuses_counts_and_holds_no_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _private_token_cache: Path
) -> None:
    from plan_ls import tokens

    tree = {"a.py": "print('alpha')\n" * 30, "b.md": "# beta\n", "c.txt": "gamma\n"}
    root = tmp_path / "repo"
    _files(root, tree)
    first = pack_repository(root, _opts())
    stored = list(_private_token_cache.iterdir())
    assert [p.name for p in stored] == ["token-counts-o200k_base.json"]
    raw = stored[0].read_text()
    assert "alpha" not in raw and "a.py" not in raw

    # With the cache filled, unchanged files are not counted again; a changed one is.
    real = tokens.counter("o200k_base")
    counted: list[str] = []

    def counting(text: str) -> int:
        counted.append(text)
        return real(text)

    monkeypatch.setattr(tokens, "counter", lambda encoding: counting)
    (root / "c.txt").write_text("gamma, changed\n")
    second = pack_repository(root, _opts())
    file_texts = [t for t in counted if t in ("gamma, changed\n", *tree.values())]
    assert file_texts == ["gamma, changed\n"]
    assert {f.path: f.tokens for f in second.files}["a.py"] == first.files[0].tokens
    assert second.tokens == first.tokens - real("gamma\n") + real("gamma, changed\n")

    # A corrupt cache is ignored (and replaced), and the cache can be turned off.
    stored[0].write_text("{not json")
    assert pack_repository(root, _opts()).tokens == second.tokens
    assert json.loads(stored[0].read_text())["version"] == 1
    counted.clear()
    pack_repository(root, _opts(token_cache=False))
    assert {"gamma, changed\n", *[tree["a.py"], tree["b.md"]]} <= set(counted)


def test_a_broken_symlink_does_not_make_every_review_repack(tmp_path: Path) -> None:
    from plan_ls.review.bundle import get_bundle, is_fresh

    _files(tmp_path, {"app.py": "print('hi')\n"})
    (tmp_path / "dangling").symlink_to(tmp_path / "gone.txt")  # target never existed
    (tmp_path / "linked.py").symlink_to(tmp_path / "app.py")
    first = get_bundle(tmp_path)
    assert first.packed is not None
    reasons = {e["path"]: e["reason"] for e in first.packed["excluded"]}
    assert reasons["dangling"] == reasons["linked.py"] == "symlink"  # never followed
    assert is_fresh(tmp_path)
    assert get_bundle(tmp_path).packed is None  # reused, not packed again
    # A real change still counts.
    os.utime(tmp_path / "app.py", ns=(time.time_ns() + 10**9,) * 2)
    assert not is_fresh(tmp_path)


# Each in its own encoding; the bundle must hold the same characters in UTF-8.
ENCODED = {
    "latin1.py": ("# -*- coding: latin-1 -*-\nname = 'Jos\u00e9 Mu\u00f1oz'\n", "latin-1"),
    "notes-fr.txt": ("\u00c7a va? Tr\u00e8s bien, merci; \u00e0 bient\u00f4t.\n" * 3, "cp1252"),
    "readme-ja.txt": ("\u65e5\u672c\u8a9e\u306e\u8aac\u660e\u6587\u3067\u3059\u3002\n" * 4,
                      "shift_jis"),
    "utf16le.txt": ("Grüße aus Köln\nline two\n", "utf-16"),  # Python writes a BOM
    "utf16be.txt": ("\ufeffhello, w\u00f6rld\n", "utf-16-be"),
    "cyrillic.txt": ("\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! " * 5 + "\n",
                     "cp1251"),
}  # fmt: skip


def test_text_in_other_encodings_is_packed_as_utf8_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import random

    _files(tmp_path, {name: text.encode(enc) for name, (text, enc) in ENCODED.items()})
    noise = random.Random(3).randbytes(4000)
    _files(
        tmp_path,
        {
            "bom.txt": "\ufeffplain utf-8 with a BOM\n".encode(),
            "blob.bin.txt": b"\x7fELF\x02\x01\x01\x00\x00\x00" + noise,  # NULs, no BOM
            "noise.txt": noise.replace(b"\x00", b"\x01"),  # no NUL, still no text
        },
    )
    result = pack_repository(tmp_path, _opts())
    packed = {f.path: f.text for f in result.files}
    for name, (text, _) in ENCODED.items():
        assert packed[name] == text.lstrip("\ufeff"), name
    assert packed["bom.txt"] == "plain utf-8 with a BOM\n"
    reasons = _reasons(result)
    assert reasons["blob.bin.txt"] == reasons["noise.txt"] == "binary (by content)"

    converted = {c.path: c.encoding for c in result.converted}
    assert set(converted) == set(ENCODED)  # not bom.txt: it was UTF-8
    assert converted["readme-ja.txt"] in ("shift_jis", "cp932")
    assert converted["utf16le.txt"] == converted["utf16be.txt"] == "utf_16"
    assert converted["notes-fr.txt"] in ("cp1252", "latin_1")
    assert converted["cyrillic.txt"] == "cp1251"
    assert (tmp_path / "output.txt").read_text(encoding="utf-8") == result.text
    data = result.to_json()
    assert {"path": "readme-ja.txt", "encoding": converted["readme-ja.txt"]} in data["converted"]

    args = _parser().parse_args(["pack", str(tmp_path)])
    assert args.func(args) == 0
    assert "Converted to UTF-8: " in capsys.readouterr().out


def test_secret_in_a_utf16_file_is_found(tmp_path: Path) -> None:
    _files(tmp_path, {"conf.txt": ("token = '" + SECRETS["GitHub token"] + "'\n").encode("utf-16")})
    result = pack_repository(tmp_path, _opts())
    assert [(s.path, s.line, s.kind) for s in result.secrets] == [("conf.txt", 1, "GitHub token")]


def test_charset_detection_is_loaded_only_for_non_utf8_text(tmp_path: Path) -> None:
    _files(tmp_path, {"a.py": "print('ok')\n", "b.md": "caf\u00e9\n"})
    code = (
        "import sys; from pathlib import Path; from plan_ls.pack import pack_repository, "
        "PackOptions; pack_repository(Path(sys.argv[1]), PackOptions(write=False)); "
        "print('charset_normalizer' in sys.modules)"
    )
    run = [sys.executable, "-c", code, str(tmp_path)]
    assert subprocess.run(run, capture_output=True, text=True, check=True).stdout == "False\n"
    (tmp_path / "c.txt").write_bytes("caf\u00e9\n".encode("latin-1"))
    assert subprocess.run(run, capture_output=True, text=True, check=True).stdout == "True\n"
