"""The `planLs` settings section: defaults from DESIGN.md, overridden by the client."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class FileSettings:
    spec: str = "spec.md"
    plan: str = "prompt_plan.md"
    todo: str = "todo.md"
    interview: str = "spec-interview.md"


@dataclass
class LlmSettings:
    baseUrl: str = ""  # noqa: N815 - the names are the settings' JSON keys
    model: str = "gpt-4o-mini"
    planModel: str = ""  # noqa: N815
    apiKeyEnv: str = "OPENAI_API_KEY"  # noqa: N815
    mode: str = "auto"  # "auto" | "manual"
    temperature: float = 0.2
    timeout: float = 120.0
    # one answer's size in UTF-8 bytes; past it the stream is closed and the text marked as
    # cut off, so that an endless answer cannot grow the server or the file without bound
    maxAnswerBytes: int = 2_000_000  # noqa: N815

    @property
    def plan_model(self) -> str:
        return self.planModel or self.model


@dataclass
class Settings:
    files: FileSettings = field(default_factory=FileSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    user: str = ""
    # document symbols: "auto" (on, except for VS Code, whose markdown outline is there
    # already), "on" or "off"; true/false are read as "on"/"off"
    symbols: str = "auto"
    # where progress shows: code lenses ("lens"), inlay hints ("inlay") or "both"
    progressDisplay: str = "lens"  # noqa: N815 - the setting's JSON key

    @classmethod
    def from_dict(cls, data: Any) -> Settings:
        """Build settings from a client's JSON, ignoring unknown keys and wrong types."""
        settings = cls()
        if not isinstance(data, dict):
            return settings
        if isinstance(data.get("planLs"), dict):  # accept the section or its contents
            data = data["planLs"]
        _merge(settings.files, data.get("files"))
        _merge(settings.llm, data.get("llm"))
        if isinstance(data.get("user"), str):
            settings.user = data["user"]
        symbols = data.get("symbols")
        if isinstance(symbols, bool):
            settings.symbols = "on" if symbols else "off"
        elif symbols in ("auto", "on", "off"):
            settings.symbols = symbols
        if data.get("progressDisplay") in ("lens", "inlay", "both"):
            settings.progressDisplay = data["progressDisplay"]
        return settings


def _merge(target: object, data: Any) -> None:
    if not isinstance(data, dict):
        return
    for f in fields(target):  # type: ignore[arg-type]
        value = data.get(f.name)
        default = getattr(target, f.name)
        if value is None:
            continue
        if isinstance(default, float) and isinstance(value, (int, float)):
            setattr(target, f.name, float(value))
        elif isinstance(value, type(default)):
            setattr(target, f.name, value)
