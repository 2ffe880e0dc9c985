"""Find credentials in file text. Reports where and what kind, never the value itself.

Three kinds of evidence, each with its own check against look-alikes:

- a provider's token format (`ghp_…`, `xoxb-…`, `SG.….…`, a Telegram bot token, …), unless
  it is a documented example or a placeholder (`AKIAIOSFODNN7EXAMPLE`, `sk-proj-XXXX…`);
- credentials inside a URL (`scheme://user:password@host`, `redis://:password@`), chat webhook
  URLs, `Authorization:` headers and Docker `"auth"` entries, unless they are templates
  (`$VAR`, `${VAR}`, `%(name)s`, `<token>`) or the documentation's `user:password`;
- a literal assigned to a name that says credential (`password`, `secret`, `token`,
  `api_key`, `signingKey`, `AccountKey`, `client-key-data`, …): random-looking for keys and
  tokens, a password people would pick for passwords, a base64 PEM private key for key data.

Speed matters: every packed file is scanned, and each pass over the text costs about the same
(on the CPython standard library, ~20 ms), whatever it looks for. Python's regex engine finds
the first character of a pattern with a fast loop and then tries the rest, so every pattern
here starts with one fixed character, and token formats share a pass by a shared character:
`k` for `sk-…`, `sk_live_…`, `rk_live_…` and `key-…`; `A` for AWS, Google and PyPI tokens;
`:` for URLs and Telegram tokens. A JWT is searched from the `.eyJ` of its claims and its
header found by a bounded look back, so that a long base64 line costs linear time. Names are
found with substring searches of the lower-cased text, and rare formats (npm, Hugging Face)
only next to the word "token".

The provider formats follow the public rule sets of gitleaks and detect-secrets. Neither is
used as it is: detect-secrets runs every plugin on every line, and gitleaks' ~200 RE2 rules
would be ~200 passes here; both are far beyond the packer's time budget. See
bench/bench_secrets.py for recall and false positives side by side with detect-secrets.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from urllib.parse import unquote

MAX_FINDINGS_PER_FILE = 20
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_TOKEN_CHARS = frozenset(_WORD | set("-"))

Found = dict[int, str]  # offset of the secret in the text -> kind

# Values that say "fill me in" rather than being one.
_PLACEHOLDER = re.compile(
    r"(?i)x{4,}|\*{3,}|0{8,}|your|example|changeme|placeholder|dummy|redacted|sample|fake|test"
)
# Values that are filled in elsewhere: shell, Compose, GitHub Actions, ERB, Jinja, Python
# %-formatting, PHP variables, angle-bracket placeholders.
_TEMPLATE = re.compile(r"^[$<{]|\$\{|\{\{|%\(|%s\b|<%|<[A-Za-z_-]+>|^%\w+%$")
_TRIVIAL_PASSWORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "changeme", "example", "admin", "root"}
)


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.search(value)) or _entropy(value) < 2.5


_HOST_PORT = re.compile(r"[\w.-]+:\d+")
_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)+")


def _looks_random(value: str) -> bool:
    """A key or token rather than a word, name, path or placeholder."""
    if _PLACEHOLDER.search(value) or _TEMPLATE.search(value):
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    # File paths and dotted names (a.b.c) are identifiers, not keys. One base64 key in 64
    # starts with "/", but a long one is far more random than a path.
    entropy = _entropy(value)
    if value.startswith(("/", "./", "../", "~/")) and (len(value) < 32 or entropy < 4.5):
        return False
    return entropy >= 3.0 and not _DOTTED_NAME.fullmatch(value)


def _looks_like_password(value: str) -> bool:
    """A password someone chose: not a word, a name, a template, a path or a prompt."""
    if len(value) < 6 or value.lower() in _TRIVIAL_PASSWORDS:
        return False
    if _PLACEHOLDER.search(value) or _TEMPLATE.search(value):
        return False
    if value.startswith(("/", "./", "../", "~/", "*", "-")):
        return False  # a path, a mask, a command-line option
    if _DOTTED_NAME.fullmatch(value) and not any(c.isdigit() for c in value):
        return False  # settings.db_password, smtp.example.net
    if "\\" in value or _HOST_PORT.fullmatch(value) or not any(c.isalpha() for c in value):
        return False  # an escaped string, host:port, a number
    # Letters alone, or letters and underscores, make a name (user_password) more often
    # than a password.
    return any(not (c.isalpha() or c == "_") for c in value)


def _b64_text(value: str, limit: int | None = None) -> str:
    """The text a base64 value decodes to ("" when it is not base64 of ASCII-ish text)."""
    try:
        raw = base64.b64decode(value[:limit] if limit else value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("latin-1")


def _userinfo(value: str) -> bool:
    """Base64 of "user:password" with a real-looking password (Basic auth, Docker auths)."""
    user, sep, pw = _b64_text(value).partition(":")
    return bool(sep and user and pw.isprintable() and _looks_like_password(pw))


def _starts_word(text: str, pos: int) -> bool:
    return pos == 0 or text[pos - 1] not in _TOKEN_CHARS


def _preceded_by(text: str, pos: int, prefix: str) -> bool:
    """text[pos - len(prefix):pos] == prefix, and no token character before it."""
    start = pos - len(prefix)
    return (
        start >= 0
        and text.startswith(prefix, start)
        and (start == 0 or text[start - 1] not in _TOKEN_CHARS)
    )


# --- provider token formats -------------------------------------------------------------------
# Each pass: a regex that starts with one fixed character or string, and a function that takes
# a match and returns (offset, kind) or None.

# From the "k" of sk-… (OpenAI, Anthropic), sk_live_… and rk_live_… (Stripe), key-… (Mailgun).
_K_TOKENS = re.compile(
    r"k(?:-(?:(?P<ant>ant-(?:[a-z]{3}\d\d-)?[A-Za-z0-9_-]{32,})"
    r"|(?P<oai>(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}"
    r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{32,}(?![A-Za-z0-9_-])))"
    r"|_live_(?P<stripe>[0-9A-Za-z]{16,})|ey-(?P<mailgun>[0-9a-f]{32})(?![0-9A-Za-z]))"
)
_G_TOKENS = re.compile(
    r"g(?:h[pousr]_(?P<gh>[A-Za-z0-9]{36,})|ithub_pat_(?P<ghfg>[A-Za-z0-9_]{22,})"
    r"|lpat-(?P<gl>[A-Za-z0-9_-]{20,}))"
)
_A_TOKENS = re.compile(
    r"A(?:(?:KIA|SIA)(?P<aws>[0-9A-Z]{16})(?![0-9A-Za-z])|Iza(?P<google>[0-9A-Za-z_-]{35})"
    r"|gEIcHlwaS5vcmc(?P<pypi>[A-Za-z0-9_-]{50,}))"
)
# Searched only near the word "token" (`_authToken npm_…`, `HF_TOKEN=hf_…`, `token="hf_…"`):
# a pass of their own over every file would cost more than they are worth.
_NEAR_TOKEN = re.compile(r"(?:npm_(?P<npm>[A-Za-z0-9]{36})|hf_(?P<hf>[A-Za-z]{34}))(?![A-Za-z0-9])")
_NEAR = 100  # characters after "token" to look in


def _k_token(m: re.Match[str], text: str) -> tuple[int, str] | None:
    pos = m.start()
    if m["mailgun"]:
        if not _starts_word(text, pos) or _placeholder(m["mailgun"]):
            return None
        return pos, "Mailgun API key"
    if m["stripe"]:
        if not (_preceded_by(text, pos, "s") or _preceded_by(text, pos, "r")):
            return None
        kind, value = "Stripe live key", m["stripe"]
    else:
        if not _preceded_by(text, pos, "s"):
            return None
        kind = "Anthropic API key" if m["ant"] else "OpenAI API key"
        value = m["ant"] or m["oai"]
    return None if _placeholder(value) else (pos - 1, kind)


def _g_token(m: re.Match[str], text: str) -> tuple[int, str] | None:
    kind = "GitLab token" if m["gl"] else "GitHub token"
    if not _starts_word(text, m.start()) or _placeholder(m["gh"] or m["ghfg"] or m["gl"]):
        return None
    return m.start(), kind


def _a_token(m: re.Match[str], text: str) -> tuple[int, str] | None:
    if m["pypi"]:
        if not _preceded_by(text, m.start(), "pypi-"):
            return None
        return m.start() - 5, "PyPI token"
    value = m["aws"] or m["google"]
    if not _starts_word(text, m.start()) or _placeholder(value):  # AKIAIOSFODNN7EXAMPLE
        return None
    return m.start(), "AWS access key id" if m["aws"] else "Google API key"


def _near_token(text: str, pos: int) -> tuple[int, str] | None:
    m = _NEAR_TOKEN.search(text, pos, pos + _NEAR)
    if not m or not _starts_word(text, m.start()) or _placeholder(m["npm"] or m["hf"]):
        return None
    return m.start(), "npm token" if m["npm"] else "Hugging Face token"


def _simple(kind: str) -> Callable[[re.Match[str], str], tuple[int, str] | None]:
    """A check for a pattern whose group "v" is the token's random part."""

    def check(m: re.Match[str], text: str) -> tuple[int, str] | None:
        if not _starts_word(text, m.start()) or _placeholder(m["v"]):
            return None
        return m.start(), kind

    return check


_JWT_HEADER_MAX = 1000  # characters; real headers are a few dozen


def _jwt(m: re.Match[str], text: str) -> tuple[int, str] | None:
    # Searched from the ".eyJ" that starts the claims (base64 of '.{"'): the header before it
    # is found by looking back, a bounded walk, where a search for its own "eyJ" or "J" would
    # try every position of a long base64 line.
    start = m.start()
    floor = max(0, start - _JWT_HEADER_MAX)
    while start > floor and text[start - 1] in _TOKEN_CHARS:
        start -= 1
    if start == floor and start and text[start - 1] in _TOKEN_CHARS:
        return None  # longer than any header
    if m.start() - start < 10 or not text.startswith("eyJ", start):
        return None
    return start, "JSON web token"


def _private_key(m: re.Match[str], text: str) -> tuple[int, str] | None:
    return m.start(), "private key block"


def _telegram(m: re.Match[str], text: str) -> tuple[int, str] | None:
    # Bot tokens are "<bot id>:AA<33 characters>"; the search starts at the colon.
    start = m.start()
    while start and m.start() - start <= 10 and text[start - 1].isdigit():
        start -= 1
    digits = m.start() - start
    if not 8 <= digits <= 10 or (start and text[start - 1] in _WORD):
        return None
    return None if _placeholder(m["tg"]) else (start, "Telegram bot token")


_URL = re.compile(
    r":(?://(?:(?P<user>[A-Za-z0-9._%~+-]{0,64}):(?P<pw>[^\s/:@'\"`<>]{3,128})@[\w.\[-]"
    r"|(?:hooks\.slack\.com/(?:services|workflows|triggers)/(?P<slack>[A-Za-z0-9/_-]{20,})"
    r"|(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/(?P<discord>\d{5,30}/[A-Za-z0-9_-]{30,})"
    r"|api\.telegram\.org/bot(?P<tgurl>\d{8,10}:[A-Za-z0-9_-]{30,})))"
    r"|AA(?P<tg>[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-]))"
)


def _url(m: re.Match[str], text: str) -> tuple[int, str] | None:
    if m["tg"]:
        return _telegram(m, text)
    if m["slack"]:
        return None if _placeholder(m["slack"]) else (m.start("slack"), "Slack webhook URL")
    if m["discord"]:
        return None if _placeholder(m["discord"]) else (m.start("discord"), "Discord webhook URL")
    if m["tgurl"]:
        return None if _placeholder(m["tgurl"]) else (m.start("tgurl"), "Telegram bot token")
    pw = m["pw"]
    if _TEMPLATE.search(pw) or _PLACEHOLDER.search(pw):  # %(password)s, ${DB_PASSWORD}
        return None
    plain = unquote(pw)  # percent-encoding is how a URL carries punctuation
    if len(plain) < 6 or plain.lower() in _TRIVIAL_PASSWORDS or plain.isalpha():
        return None  # user:password@, admin:hunter@: the documentation's kind
    return m.start("pw"), "password in a URL"


_PROVIDER_PASSES: tuple[tuple[re.Pattern[str], Callable], ...] = (
    (_K_TOKENS, _k_token),
    (_G_TOKENS, _g_token),
    (_A_TOKENS, _a_token),
    (re.compile(r"xox[baprs]-(?P<v>[A-Za-z0-9-]{10,})"), _simple("Slack token")),
    (re.compile(r"\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"), _jwt),
    (
        re.compile(r"SG\.(?P<v>[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])"),
        _simple("SendGrid API key"),
    ),
    (re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"), _private_key),
    (_URL, _url),
)


def _provider_hits(text: str, found: Found) -> None:
    for pattern, check in _PROVIDER_PASSES:
        for m in pattern.finditer(text):
            hit = check(m, text)
            if hit:
                found.setdefault(*hit)


# --- names that say credential ----------------------------------------------------------------

# Parts of names that suggest a credential (searched in lower-cased text)...
_KEY_WORDS = ("secret", "token", "credential")
# ...and "key" when it follows one of these, as in api_key, accessKey, PRIVATE-KEY, signingKey,
# AccountKey. One search for "key" with a look back is cheaper than a search for every spelling.
_KEY_PREFIXES = tuple(
    f"{word}{sep}"
    for word in (
        "api", "access", "private", "auth", "signing", "encryption", "master", "hmac",
        "account", "session", "jwt", "client", "app", "license", "webhook", "tls", "ssl",
    )
    for sep in ("", "_", "-", ".")
)  # fmt: skip
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")

# After the name: the rest of it, an assignment, and a literal. A quoted literal may hold any
# punctuation but no space; an unquoted one ends at a space, a quote or a separator. In
# `define('NAME', 'value')` and `{'name', 'value'}` a comma after a quoted name assigns too.
_ASSIGNED = re.compile(
    r"""[A-Za-z0-9_.-]*(?P<nq>["'])?[ \t]*(?P<sep>:=|=>|:|=|(?(nq),|(?!)))[ \t]*"""
    r"""(?:(?P<q>["'`])(?P<quoted>[^\s"'`]{1,300})(?P=q)|(?P<bare>[^\s"'`,()\[\]{}<>]{1,300}))"""
)
_BARE_VALUE = re.compile(r"[A-Za-z0-9_\-+/=.~]+")
# Keys and tokens: base64, hex, and the punctuation of generated keys (Django's); no ":" so
# that URLs and "host:port" are not taken for keys.
_QUOTED_VALUE = re.compile(r"[A-Za-z0-9_\-+/=.~!@#$%^&*()|]+")
_B64_PEM = "LS0tLS1CRUdJTi"  # base64 of "-----BEGIN"
_CODE_NAME = re.compile(r"[A-Za-z_]+|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
# The storage emulator's account: its key is the same published constant everywhere.
_EMULATOR_ACCOUNT = "devstoreaccount1"


def _positions(text: str, marker: str) -> Iterator[int]:
    pos = text.find(marker)
    while pos != -1:
        yield pos
        pos = text.find(marker, pos + 1)


def _name_before(text: str, pos: int, end: int) -> str:
    start = pos
    while start and text[start - 1] in _NAME_CHARS:
        start -= 1
    return text[start:end].rstrip("\"'`:=>, \t")


def _assigned_hit(text: str, pos: int, length: int, password: bool) -> tuple[int, str] | None:
    m = _ASSIGNED.match(text, pos + length)
    if not m:
        return None
    quoted = m["quoted"] is not None
    value = m["quoted"] if quoted else m["bare"]
    start = m.start("quoted") if quoted else m.start("bare")
    if not quoted:
        if text[m.end() : m.end() + 1] in ("(", "[", "{"):
            return None  # code, not a literal
        # `Password=x;Database=y` and `x = y;` end at the ";"; `password=a;b` holds one.
        head, semicolon, rest = value.partition(";")
        if semicolon and (not rest or "=" in rest):
            value = head
    if value.startswith(_B64_PEM) and "PRIVATE KEY" in _b64_text(value, 64):
        return start, "private key (base64)"
    name = _name_before(text, pos, start)
    if m["sep"] == "," and (not quoted or "." in name):
        return None  # f('password', x) and ('file.passwd.pem', '-opt') are not assignments
    if password:
        # Unquoted names are code (settings.DB_PASSWORD, getpass, None) in most languages.
        if not quoted and _CODE_NAME.fullmatch(value):
            return None
        return (start, f"password assigned to {name}") if _looks_like_password(value) else None
    if len(value) < 16 or not (_QUOTED_VALUE if quoted else _BARE_VALUE).fullmatch(value):
        return None
    line_end = text.find("\n", pos)
    line = text[text.rfind("\n", 0, pos) + 1 : line_end if line_end != -1 else None]
    if _EMULATOR_ACCOUNT in line:
        return None
    return (start, f"high-entropy value assigned to {name}") if _looks_random(value) else None


def _auth_hit(text: str, lower: str, pos: int) -> tuple[int, str] | None:
    """Authorization headers and Docker's "auth": "base64(user:password)"."""
    if lower.startswith("authorization", pos):
        m = _AUTH_HEADER.match(text, pos + 13)
        if not m:
            return None
        scheme, value = m["scheme"].lower(), m["v"]
        if scheme == "basic":
            return (m.start("v"), "Basic auth credentials") if _userinfo(value) else None
        if _looks_random(value):
            return m.start("v"), "bearer token in an Authorization header"
        return None
    if pos and text[pos - 1] == '"' and lower.startswith('auth"', pos):
        m = _DOCKER_AUTH.match(text, pos + 5)
        if m and _userinfo(m["v"]):
            return m.start("v"), "registry credentials (Docker auths)"
    return None


_AUTH_HEADER = re.compile(
    r"""["']?[ \t]*[:=,]?[ \t]*["'`]?[ \t]*(?P<scheme>[Bb]earer|[Bb]asic|[Tt]oken)[ \t]+"""
    r"""(?P<v>[A-Za-z0-9._~+/=-]{16,})"""
)
_DOCKER_AUTH = re.compile(r"""[ \t]*:[ \t]*"(?P<v>[A-Za-z0-9+/=]{8,})\"""")


def _name_hits(text: str, found: Found) -> None:
    lower = text.lower()
    if len(lower) != len(text):  # a few non-ASCII letters change length when lowered
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)

    def add(hit: tuple[int, str] | None) -> None:
        if hit:
            found.setdefault(*hit)  # a provider's name for the same value wins

    for word in _KEY_WORDS:
        for pos in _positions(lower, word):
            add(_assigned_hit(text, pos, len(word), password=False))
            if word == "token":
                add(_near_token(text, pos))
    for pos in _positions(lower, "passw"):
        add(_assigned_hit(text, pos, 5, password=True))
    for pos in _positions(lower, "key"):
        if lower.endswith(_KEY_PREFIXES, 0, pos):
            add(_assigned_hit(text, pos, 3, password=False))
    for pos in _positions(lower, "auth"):
        add(_auth_hit(text, lower, pos))


def scan(text: str) -> list[tuple[int, str]]:
    """(line, kind) for each credential-looking thing in text, in line order (1-based lines).

    At most MAX_FINDINGS_PER_FILE; the values themselves are never returned."""
    found: Found = {}
    _provider_hits(text, found)
    _name_hits(text, found)
    hits = sorted((text.count("\n", 0, pos) + 1, kind) for pos, kind in found.items())
    return hits[:MAX_FINDINGS_PER_FILE]
