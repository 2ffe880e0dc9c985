"""Find credentials in file text. Reports where and what kind, never the value itself.

Speed matters (every packed file is scanned), and Python's regex engine is slow at unanchored
searches with many alternatives, so each rule is found by plain substring search for a fixed
marker first, and the regex only runs anchored at the marker.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

MAX_FINDINGS_PER_FILE = 20
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True)
class _Rule:
    kind: str
    markers: tuple[str, ...]  # each match starts with one of these
    pattern: re.Pattern[str]  # matched at a marker's position
    word_start: bool = True  # the marker must not follow a word character (or "-")


_RULES = (
    _Rule(
        "OpenAI API key",
        ("sk-",),
        re.compile(
            r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}"
            r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{32,}(?![A-Za-z0-9_-]))"
        ),
    ),
    _Rule("Anthropic API key", ("sk-ant-",), re.compile(r"sk-ant-[A-Za-z0-9_-]{20,}")),
    _Rule("AWS access key id", ("AKIA", "ASIA"), re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    _Rule(
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}"),
    ),
    _Rule("Slack token", ("xox",), re.compile(r"xox[baprs]-[A-Za-z0-9-]{10,}")),
    _Rule("Google API key", ("AIza",), re.compile(r"AIza[0-9A-Za-z_-]{35}")),
    _Rule("Stripe live key", ("sk_live_", "rk_live_"), re.compile(r"[sr]k_live_[0-9A-Za-z]{16,}")),
    _Rule(
        "private key block",
        ("-----BEGIN ",),
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
        word_start=False,
    ),
)

# Parts of names that suggest a credential (searched in lower-cased text).
_KEY_WORDS = (
    "secret",
    "token",
    "passw",
    "credential",
    "apikey",
    "api_key",
    "api-key",
    "accesskey",
    "access_key",
    "access-key",
    "privatekey",
    "private_key",
    "private-key",
    "authkey",
    "auth_key",
)
# After the key word: the rest of the name, an assignment, and a literal-looking value.
_ASSIGNED = re.compile(
    r"""[A-Za-z0-9_.-]*["']?[ \t]*(?::=|=>|:|=)[ \t]*"""
    r"""(?P<q>["'`]?)(?P<value>[A-Za-z0-9_\-+/=.~]{16,200})(?P=q)(?![A-Za-z0-9_\-+/=.~])"""
)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_PLACEHOLDER = re.compile(
    r"(?i)x{4,}|\*{3,}|your|example|changeme|placeholder|dummy|redacted|sample|fake|test"
)


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _looks_random(value: str) -> bool:
    if _PLACEHOLDER.search(value):
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    # Dotted names and paths are identifiers, not keys.
    if value.count(".") >= 2 or value.count("/") >= 2:
        return False
    return _entropy(value) >= 3.0


def _positions(text: str, marker: str):
    pos = text.find(marker)
    while pos != -1:
        yield pos
        pos = text.find(marker, pos + 1)


def _provider_hits(text: str, found: dict[int, str]) -> None:
    for rule in _RULES:
        for marker in rule.markers:
            for pos in _positions(text, marker):
                if rule.word_start and pos and (text[pos - 1] in _WORD or text[pos - 1] == "-"):
                    continue
                if rule.pattern.match(text, pos):
                    found.setdefault(pos, rule.kind)


def _assignment_hits(text: str, found: dict[int, str]) -> None:
    lower = text.lower()
    if len(lower) != len(text):  # a few non-ASCII letters change length when lowered
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    seen: set[int] = set()
    for word in _KEY_WORDS:
        for pos in _positions(lower, word):
            m = _ASSIGNED.match(text, pos + len(word))
            if not m or m.start("value") in seen:
                continue
            seen.add(m.start("value"))
            value = m.group("value")
            after = text[m.end() : m.end() + 1]
            if not m.group("q") and after not in ("", "\n", "\r", " ", "\t", ",", ";", "#"):
                continue  # an unquoted value followed by "(" or "[" is code, not a literal
            if any(m.start("value") <= p < m.end("value") for p in found):
                continue  # already named by a provider rule
            if not _looks_random(value):
                continue
            start = pos
            while start and text[start - 1] in _NAME_CHARS:
                start -= 1
            name = text[start : m.start("value")].rstrip("\"'`:=> \t")
            found.setdefault(m.start("value"), f"high-entropy value assigned to {name}")


def scan(text: str) -> list[tuple[int, str]]:
    """(line, kind) for each credential-looking thing in text, in line order."""
    found: dict[int, str] = {}
    _provider_hits(text, found)
    _assignment_hits(text, found)
    hits = sorted((text.count("\n", 0, pos) + 1, kind) for pos, kind in found.items())
    return hits[:MAX_FINDINGS_PER_FILE]
