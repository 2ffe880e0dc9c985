"""`plan-ls init` (editable templates, mise tasks) and `plan-ls templates export --llm`."""

from __future__ import annotations

import re
import string
from pathlib import Path

from plan_ls.cli import main
from plan_ls.llm.templates import list_templates, render_template, template_path
from tests.cli_runner import run_cli


def test_init_writes_template_copies_and_never_overwrites(tmp_path: Path, capsys):
    assert main(["init", str(tmp_path)]) == 0
    prompts = tmp_path / ".plan-ls" / "prompts"
    names = sorted(p.stem for p in prompts.glob("*.md"))
    assert names == list_templates() and "code-review" in names
    assert (prompts / "issues.md").read_text() == template_path("issues").read_text()
    assert not (tmp_path / "mise.toml").exists()
    assert f"wrote {Path('.plan-ls/prompts/code-review.md')}" in capsys.readouterr().out

    (prompts / "code-review.md").write_text("Mine: {{bundle}}\n")
    assert main(["init", str(tmp_path), "--mise"]) == 0
    out = capsys.readouterr().out
    assert "wrote mise.toml" in out
    assert f"skipped {Path('.plan-ls/prompts/code-review.md')} (it exists; --force" in out
    assert (prompts / "code-review.md").read_text() == "Mine: {{bundle}}\n"
    # the project's copy is what the server and the CLI render from now on
    assert render_template("code-review", {"bundle": "B"}, tmp_path) == "Mine: B\n"
    mise = (tmp_path / "mise.toml").read_text()
    assert '[tasks."plan:review"]' in mise and 'run = "plan-ls review"' in mise
    assert (tmp_path / "mise.toml").stat().st_mode & 0o044 == 0o044  # readable like any file

    (tmp_path / "mise.toml").write_text("[tools]\npython = '3.12'\n")
    assert main(["init", str(tmp_path), "--mise"]) == 0
    assert "skipped mise.toml" in capsys.readouterr().out
    assert main(["init", str(tmp_path), "--mise", "--force"]) == 0
    assert "plan:status" in (tmp_path / "mise.toml").read_text()
    assert (prompts / "code-review.md").read_text() == template_path("code-review").read_text()
    assert main(["init", str(tmp_path / "nope")]) == 2


def test_mise_toml_is_valid_toml_with_the_five_tasks(tmp_path: Path):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return
    main(["init", str(tmp_path), "--mise"])
    tasks = tomllib.loads((tmp_path / "mise.toml").read_text())["tasks"]
    assert sorted(tasks) == ["plan:issues", "plan:missing-tests", "plan:pack", "plan:review",
                             "plan:status"]
    assert tasks["plan:pack"]["run"] == "plan-ls pack"


_KEY = re.compile(r"^([a-z_]+): \|(2?)$")


def read_llm_yaml(text: str) -> dict[str, str]:
    """The subset of YAML the export writes: top-level keys holding literal block scalars.
    Anything else fails the test (PyYAML is not a dependency)."""
    data: dict[str, str] = {}
    key = None
    for line in text.split("\n")[:-1]:
        m = _KEY.match(line)
        if m:
            key = m.group(1)
            assert key not in data
            data[key] = ""
            continue
        assert key is not None and (line == "" or line.startswith("  ")), line
        data[key] += line[2:] + "\n"
    return {k: v.rstrip("\n") for k, v in data.items()}


def test_templates_export_for_the_llm_cli(tmp_path: Path):
    dest = tmp_path / "llm"
    project = tmp_path / "proj"
    (project / ".plan-ls" / "prompts").mkdir(parents=True)
    (project / ".plan-ls" / "prompts" / "triage.md").write_text(
        "Costs in $ matter.\n\n## Input\n\n{{todo}}\n")
    proc = run_cli("templates", "export", "--llm", str(dest), "--root", str(project))
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.stem for p in dest.glob("*.yaml"))
    assert files == list_templates(project) and "triage" in files
    for name in files:
        data = read_llm_yaml((dest / f"{name}.yaml").read_text(encoding="utf-8"))
        assert set(data) <= {"system", "prompt"} and data["prompt"]
        assert "{{" not in data["prompt"] + data.get("system", "")
        # what llm sends (string.Template, as llm uses) is what plan-ls renders
        fields = sorted(set(re.findall(r"\$\{?([a-z_]+)", data["prompt"])))
        values = {f: f"<{f}>" for f in fields}
        sent = "\n\n".join(string.Template(data[k]).substitute(values)
                           for k in ("system", "prompt") if k in data)
        names = {"input": "bundle"} if name in ("code-review", "issues", "missing-tests") \
            else {"input": "spec"} if name.startswith("plan-") else \
            {"input": "plan"} if name == "todo-checklist" else {"input": "todo"}
        ours = render_template(name, {names.get(f, f): f"<{f}>" for f in fields}, project)
        assert sent == ours.strip("\n"), name
    triage = read_llm_yaml((dest / "triage.yaml").read_text())
    assert triage == {"system": "Costs in $$ matter.", "prompt": "## Input\n\n$input"}
    assert read_llm_yaml((dest / "interview.yaml").read_text())["prompt"].count("$idea") == 1

    (dest / "issues.yaml").write_text("mine\n")
    proc = run_cli("templates", "export", "--llm", str(dest))
    assert proc.returncode == 0 and "skipped issues.yaml" in proc.stdout
    assert (dest / "issues.yaml").read_text() == "mine\n"
