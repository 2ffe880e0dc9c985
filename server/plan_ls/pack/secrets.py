"""Find credentials in file text. Reports where and what kind, never the value itself.

Speed matters (every packed file is scanned), and Python's regex engine is slow at unanchored
searches that do not start with a literal, so every search here starts with one: a regex per
provider, and a plain substring search for the name parts of `NAME = "value"`.
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
    # Starts with a literal, which lets the regex engine skip ahead with a fast substring
    # search instead of trying every position.
    pattern: re.Pattern[str]
    word_start: bool = True  # the match must not follow a word character (or "-")


_RULES = (
    _Rule("Anthropic API key", re.compile(r"sk-ant-[A-Za-z0-9_-]{20,}")),
    _Rule(
        "OpenAI API key",
        re.compile(
            r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}"
            r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{32,}(?![A-Za-z0-9_-]))"
        ),
    ),
    _Rule("AWS access key id", re.compile(r"A(?:KIA|SIA)[0-9A-Z]{16}(?![0-9A-Za-z])")),
    _Rule("GitHub token", re.compile(r"gh[pousr]_[A-Za-z0-9]{36,}")),
    _Rule("GitHub token", re.compile(r"github_pat_[A-Za-z0-9_]{22,}")),
    _Rule("Slack token", re.compile(r"xox[baprs]-[A-Za-z0-9-]{10,}")),
    _Rule(
        "JSON web token",
        re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
    ),
    _Rule("Google API key", re.compile(r"AIza[0-9A-Za-z_-]{35}")),
    _Rule("Stripe live key", re.compile(r"sk_live_[0-9A-Za-z]{16,}")),
    _Rule("Stripe live key", re.compile(r"rk_live_[0-9A-Za-z]{16,}")),
    _Rule(
        "private key block",
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
        word_start=False,
    ),
)

# Parts of names that suggest a credential (searched in lower-cased text)...
_KEY_WORDS = ("secret", "token", "passw", "credential")
# ...and "key" when it follows one of these, as in api_key, accessKey, PRIVATE-KEY. One search
# for "key" with a look back is cheaper than a search for every spelling.
_KEY_PREFIXES = tuple(
    f"{word}{sep}" for word in ("api", "access", "private", "auth") for sep in ("", "_", "-", ".")
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


# scheme://user:password@host, as in DATABASE_URL. Found from "://" (a literal, so fast).
_URL_CREDENTIALS = re.compile(
    r"://(?P<user>[A-Za-z0-9._%~-]{1,64}):(?P<pw>[^\s/:@'\"`<>]{6,128})@[\w.-]"
)
_TRIVIAL_PASSWORDS = frozenset({"password", "passwd", "secret", "changeme", "example"})


def _url_hits(text: str, found: dict[int, str]) -> None:
    for m in _URL_CREDENTIALS.finditer(text):
        pw = m.group("pw")
        if pw.lower() in _TRIVIAL_PASSWORDS or any(c in pw for c in "$%{}*"):
            continue  # a template or a documentation placeholder
        if _PLACEHOLDER.search(pw) or not any(c.isdigit() or not c.isalnum() for c in pw):
            continue
        found.setdefault(m.start("pw"), "password in a URL")


_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)+")


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _looks_random(value: str) -> bool:
    if _PLACEHOLDER.search(value):
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    # File paths and dotted names (a.b.c) are identifiers, not keys; base64 keys have slashes
    # too, but never at the start.
    if value.startswith(("/", "./", "../", "~/")) or _DOTTED_NAME.fullmatch(value):
        return False
    return _entropy(value) >= 3.0


def _positions(text: str, marker: str):
    pos = text.find(marker)
    while pos != -1:
        yield pos
        pos = text.find(marker, pos + 1)


def _provider_hits(text: str, found: dict[int, str]) -> None:
    for rule in _RULES:
        for m in rule.pattern.finditer(text):
            pos = m.start()
            if rule.word_start and pos and (text[pos - 1] in _WORD or text[pos - 1] == "-"):
                continue
            found.setdefault(pos, rule.kind)


def _assignment_hits(text: str, found: dict[int, str]) -> None:
    lower = text.lower()
    if len(lower) != len(text):  # a few non-ASCII letters change length when lowered
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    seen: set[int] = set()
    hits = [(pos, len(word)) for word in _KEY_WORDS for pos in _positions(lower, word)]
    hits += [(pos, 3) for pos in _positions(lower, "key") if lower.endswith(_KEY_PREFIXES, 0, pos)]
    for pos, length in hits:
        m = _ASSIGNED.match(text, pos + length)
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
    _url_hits(text, found)
    _assignment_hits(text, found)
    hits = sorted((text.count("\n", 0, pos) + 1, kind) for pos, kind in found.items())
    return hits[:MAX_FINDINGS_PER_FILE]
