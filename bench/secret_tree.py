"""A generated repository with planted credentials and look-alikes, for measuring secret scanners.

    from secret_tree import make_tree
    planted = make_tree(Path("/tmp/tree"), seed=1)

Every credential value is made up at run time from a seeded random generator, in the shape its
provider uses (so a scanner cannot tell it from a live one by format), and written into the kind
of file it turns up in: INI, TOML, JSON, YAML, shell, PHP, Python, JavaScript, Java properties,
Makefiles. The look-alikes are what a scanner should hold back: documented example keys, public
certificates and keys, placeholders, templates, hashes and identifiers. No file name is one that
a name rule alone would leave out (.env, *.pem, ...), so the content scanners are what is tested.

`make_tree` returns one `Planted` per labelled line; any finding on another line is a false
positive too.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Planted:
    path: str  # posix, relative to the tree's root
    line: int  # 1-based
    kind: str
    secret: bool  # False: a look-alike that should not be reported


class _Gen:
    """Fake credential values in their providers' formats."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def b64(self, n_bytes: int) -> str:
        return base64.b64encode(self.rng.randbytes(n_bytes)).decode()

    def b64url(self, n_bytes: int) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(n_bytes)).decode().rstrip("=")

    def password(self, in_url: bool = False) -> str:
        """A password people pick: words, digits and punctuation, 12-18 characters.

        in_url: only punctuation that may stand unencoded in a URL's userinfo."""
        words = ["mango", "Zebra", "orbit", "Quartz", "lemon", "Falcon", "river", "Violet"]
        punct = "!*+-._~" if in_url else "!#&*+-.:;?@^_~$%"
        parts = [
            self.rng.choice(words),
            self.chars(string.digits, self.rng.randint(1, 3)),
            self.rng.choice(punct),
            self.rng.choice(words),
            self.rng.choice(punct),
            self.chars(ALNUM, 2),
        ]
        return "".join(parts)

    def pem_body(self, n_bytes: int) -> list[str]:
        text = self.b64(n_bytes)
        return [text[i : i + 64] for i in range(0, len(text), 64)]

    def jwt(self) -> str:
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        claims = {"sub": str(self.rng.randint(10**6, 10**7)), "iat": 1_700_000_000}
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"{header}.{payload}.{self.b64url(32)}"


# A line of a file: plain text, or (text, kind, is_secret).
_Line = str | tuple[str, str, bool]


def _s(kind: str, text: str) -> tuple[str, str, bool]:
    return (text, kind, True)


def _l(kind: str, text: str) -> tuple[str, str, bool]:
    return (text, kind, False)


def _files(g: _Gen) -> dict[str, list[_Line]]:
    pw = g.password

    def url_pw() -> str:
        return g.password(in_url=True)

    priv_pem = [
        "-----BEGIN RSA " + "PRIVATE KEY-----",  # in two, so that this file is not a key
        *g.pem_body(600),
        "-----END RSA PRIVATE KEY-----",
    ]
    cert_pem = ["-----BEGIN CERTIFICATE-----", *g.pem_body(700), "-----END CERTIFICATE-----"]

    def b64_of(lines: list[str]) -> str:
        return base64.b64encode(("\n".join(lines) + "\n").encode()).decode()

    slack_hook = f"https://hooks.slack.com/services/T{g.chars(UPPER_ALNUM, 8)}/B{g.chars(UPPER_ALNUM, 10)}/{g.chars(ALNUM, 24)}"  # noqa: E501
    discord_hook = (
        f"https://discord.com/api/webhooks/{g.chars(string.digits, 19)}/{g.chars(URLSAFE, 68)}"  # noqa: E501
    )
    telegram = f"{g.chars(string.digits, 10)}:AA{g.chars(URLSAFE, 33)}"
    azure_key = g.b64(64)
    # The storage emulator's account key is published in Microsoft's documentation.
    azurite_key = (
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    )

    return {
        "deploy/aws.ini": [
            "[default]",
            _s("AWS access key id", f"aws_access_key_id = AKIA{g.chars(UPPER_ALNUM, 16)}"),
            _s("AWS secret access key", f"aws_secret_access_key = {g.chars(ALNUM + '/+', 40)}"),
            "region = eu-west-1",
            "",
            "[docs-example]",
            _l("documented example key id", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
            _l(
                "documented example secret",
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
        ],
        "scripts/notify.sh": [
            "#!/bin/sh",
            "set -eu",
            _s(
                "Slack webhook URL",
                "curl -X POST -H 'Content-type: application/json' "
                f'--data \'{{"text":"deployed"}}\' {slack_hook}',
            ),
            _s("Discord webhook URL", f'curl -d \'{{"content": "done"}}\' {discord_hook}'),
            _s(
                "Authorization: Bearer header",
                f'curl -H "Authorization: Bearer {g.chars(ALNUM, 40)}" https://api.example.org/v1/builds',
            ),
            _s(
                "Authorization: Basic header",
                f"curl -H 'Authorization: Basic {base64.b64encode(f'ci:{pw()}'.encode()).decode()}'"
                " https://nexus.example.org/repository/",
            ),
            _s(
                "Telegram bot token",
                f'curl "https://api.telegram.org/bot{telegram}/sendMessage" -d chat_id=42',
            ),
            _l("Bearer with a shell variable", 'curl -H "Authorization: Bearer $API_TOKEN" "$URL"'),
            _l("Bearer placeholder", "# usage: -H 'Authorization: Bearer <your-token>'"),
            _l(
                "Slack's documented webhook",
                "# e.g. https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            ),
        ],
        "app/settings.py": [
            "import os",
            "",
            _s(
                "database URL with a password",
                f'DATABASE_URL = "postgres://app:{url_pw()}@db.internal:5432/app"',
            ),
            _s("redis URL with a password", f'REDIS_URL = "redis://:{url_pw()}@cache:6379/0"'),
            _s("password in Python", f'DB_PASSWORD = "{pw()}"'),
            _s(
                "Django secret key",
                "SECRET_KEY = '"
                + g.chars(string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)", 50)
                + "'",
            ),
            _s("OpenAI project key", f'OPENAI_API_KEY = "sk-proj-{g.chars(URLSAFE, 120)}"'),
            _s(
                "Anthropic API key",
                f'client = Anthropic(api_key="sk-ant-api03-{g.chars(URLSAFE, 93)}AA")',
            ),
            _l("password from the environment", 'EMAIL_PASSWORD = os.environ["EMAIL_PASSWORD"]'),
            _l("placeholder OpenAI key", 'OPENAI_FALLBACK_KEY = "sk-proj-' + "X" * 48 + '"'),
            _l(
                "documentation database URL",
                'DEV_DATABASE_URL = "postgres://user:password@localhost:5432/dev"',
            ),
            _l("URL template", 'TEMPLATE_URL = "postgresql://%(user)s:%(password)s@%(host)s/app"'),
            _l("placeholder key", 'STRIPE_API_KEY = "your-api-key-here"'),
            _l("a setting named like a password", "PASSWORD_MIN_LENGTH = 12"),
            _l("token from a request", 'token = request.headers.get("X-Token")'),
        ],
        "config/prod.toml": [
            "[database]",
            _s(
                "database URL with a percent-encoded password",
                f'url = "mysql://shop:{quote(pw(), safe="")}@mysql.internal:3306/shop"',
            ),
            "",
            "[crypto]",
            _s("signing key in TOML", f'signing_key = "{g.chars(HEX, 64)}"'),
            _s("encryption key in TOML", f'encryption_key = "{g.b64(32)}"'),
            _l("git revision", 'revision = "9fceb02d0ae598e95dc970b74767f19372d61af8"'),
            _l(
                "empty-input SHA-256",
                'expected_digest = "e3b0c44298fc1c149afbf4c8996fb924'
                '27ae41e4649b934ca495991b7852b855"',
            ),
        ],
        "config/keys.json": [
            "{",
            '  "jwt": {',
            _s("signing key in JSON", f'    "signingKey": "{g.b64(48)}",'),
            '    "issuer": "shop"',
            "  },",
            _s(
                "webhook signing secret",
                f'  "stripe_webhook_secret": "whsec_{g.chars(ALNUM, 32)}",',
            ),
            _l("request id", '  "request_id": "f47ac10b-58cc-4372-a567-0e02b2c3d479",'),
            _l("subresource integrity", f'  "integrity": "sha512-{g.b64(64)}",'),
            _l("public key in a JWKS", f'  "n": "{g.b64url(256)}", "e": "AQAB", "kty": "RSA"'),
            "}",
        ],
        "docker/config.json": [
            "{",
            '  "auths": {',
            _s(
                "Docker registry auth",
                f'    "registry.example.com": {{"auth": "{base64.b64encode(f"deploy:{pw()}".encode()).decode()}"}},',  # noqa: E501
            ),
            '    "ghcr.io": {}',
            "  },",
            _l("Docker credential store", '  "credsStore": "desktop"'),
            "}",
        ],
        "k8s/kubeconfig.yaml": [
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- cluster:",
            _l("cluster CA certificate", f"    certificate-authority-data: {b64_of(cert_pem)}"),
            "    server: https://10.0.0.1:6443",
            "  name: prod",
            "users:",
            "- name: admin",
            "  user:",
            _l("client certificate", f"    client-certificate-data: {b64_of(cert_pem)}"),
            _s("kubeconfig client key", f"    client-key-data: {b64_of(priv_pem)}"),
        ],
        "web/appsettings.json": [
            "{",
            '  "ConnectionStrings": {',
            _s(
                "storage connection string",
                '    "Storage": "DefaultEndpointsProtocol=https;AccountName=shopdata;'
                f'AccountKey={azure_key};EndpointSuffix=core.windows.net",',
            ),
            _s(
                "SQL connection string password",
                f'    "Db": "Server=tcp:sql.example.net,1433;Database=shop;User ID=app;Password={pw()};",',  # noqa: E501
            ),
            _l(
                "storage emulator connection string",
                '    "Local": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;'
                f'AccountKey={azurite_key};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"',
            ),
            "  }",
            "}",
        ],
        "legacy/mail.ini": [
            "[smtp]",
            "host = smtp.example.net",
            "user = mailer",
            _s("password in INI", f"password = {pw()}"),
            "",
            "[imap]",
            _l("password left empty", "password ="),
        ],
        "web/wp-config.php": [
            "<?php",
            "define( 'DB_NAME', 'shop' );",
            "define( 'DB_USER', 'shop' );",
            _s("password in a PHP define", f"define( 'DB_PASSWORD', '{pw()}' );"),
            _s("password in a PHP variable", f"$smtp_password = '{pw()}';"),
            _l("password from getenv", "define( 'MAIL_PASSWORD', getenv('MAIL_PASSWORD') );"),
        ],
        "services/mail.py": [
            "from sendgrid import SendGridAPIClient",
            "",
            _s(
                "SendGrid API key",
                f'sg = SendGridAPIClient("SG.{g.chars(URLSAFE, 22)}.{g.chars(URLSAFE, 43)}")',
            ),
            _s("Mailgun API key", f'mg_auth = ("api", "key-{g.chars(HEX, 32)}")'),
            _l("Mailgun domain", 'MAILGUN_DOMAIN = "mg.example.com"'),
        ],
        "bots/telegram_bot.py": [
            "from telegram.ext import Application",
            "",
            _s("Telegram bot token", f'app = Application.builder().token("{telegram}").build()'),
        ],
        ".github/workflows/release.yml": [
            "name: release",
            "on: push",
            "env:",
            _s("GitHub token", f"  GH_TOKEN: ghp_{g.chars(ALNUM, 36)}"),
            _s(
                "GitHub fine-grained token",
                f"  GH_BOT_PAT: github_pat_{g.chars(ALNUM, 22)}_{g.chars(ALNUM, 59)}",
            ),
            _s("GitLab token", f"  MIRROR_PAT: glpat-{g.chars(URLSAFE, 20)}"),
            _l("secret from the CI store", "  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}"),
        ],
        "Makefile": [
            "publish:",
            _s(
                "npm token",
                f"\tnpm config set //registry.npmjs.org/:_authToken npm_{g.chars(ALNUM, 36)}",
            ),
            _s(
                "PyPI token",
                f"\ttwine upload -u __token__ -p pypi-AgEIcHlwaS5vcmc{g.chars(URLSAFE, 70)} dist/*",
            ),
        ],
        "web/static/app.js": [
            _s(
                "Stripe secret key",
                f"const stripe = require('stripe')('sk_live_{g.chars(ALNUM, 24)}');",
            ),
            _l("Stripe publishable key", f"const pk = 'pk_live_{g.chars(ALNUM, 24)}';"),
            _s(
                "Slack bot token",
                f"const slack = new WebClient('xoxb-{g.chars(string.digits, 12)}-"
                f"{g.chars(string.digits, 13)}-{g.chars(ALNUM, 24)}');",
            ),
            _s("JSON web token", f"const session = '{g.jwt()}';"),
            _s("Google API key", f"const maps = 'AIza{g.chars(URLSAFE, 35)}';"),
            _l("image data URI", f"const icon = 'data:image/png;base64,{g.b64(90)}';"),
        ],
        "web/index.html": [
            "<!doctype html>",
            _s(
                "Google API key",
                f'<script src="https://maps.googleapis.com/maps/api/js?key=AIza{g.chars(URLSAFE, 35)}"></script>',  # noqa: E501
            ),
        ],
        "ml/hub.py": [
            "from huggingface_hub import login",
            "",
            _s("Hugging Face token", f'login(token="hf_{g.chars(string.ascii_letters, 34)}")'),
        ],
        "src/main/resources/application.properties": [
            "spring.datasource.url=jdbc:postgresql://db:5432/shop",
            "spring.datasource.username=shop",
            _s("password in Java properties", f"spring.datasource.password={pw()}"),
            _l("password placeholder", "spring.mail.password=${MAIL_PASSWORD}"),
        ],
        "docker-compose.yml": [
            "services:",
            "  db:",
            "    image: postgres:16",
            "    environment:",
            _s("password in YAML", f'      POSTGRES_PASSWORD: "{pw()}"'),
            _l("password template in YAML", "      PGADMIN_PASSWORD: ${PGADMIN_PASSWORD}"),
            "  worker:",
            "    environment:",
            _s(
                "MongoDB URL with a password",
                f"      MONGO_URL: mongodb+srv://worker:{url_pw()}@cluster0.ab1cd.mongodb.net/jobs",
            ),
            _s(
                "SMTP URL with a password",
                f"      SMTP_URL: smtp://mailer:{url_pw()}@smtp.example.net:587",
            ),
            _s("Twilio auth token", f"      TWILIO_AUTH_TOKEN: {g.chars(HEX, 32)}"),
            _s("Datadog API key", f"      DD_API_KEY: {g.chars(HEX, 32)}"),
        ],
        "crypto/signer.py": [
            '"""Signs release manifests."""',
            "",
            _s("private key in source", 'PRIVATE_KEY = """' + priv_pem[0]),
            *priv_pem[1:-1],
            priv_pem[-1] + '"""',
        ],
        "certs/ca-bundle.crt": [
            _l("public certificate", cert_pem[0]),
            *cert_pem[1:],
        ],
        "docs/deploy-keys.md": [
            "# Deploy keys",
            "",
            "Add this public key to the server's authorized_keys:",
            "",
            _l(
                "SSH public key",
                f"    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{g.b64(32)[:43]} deploy@ci",
            ),
            "",
            _l("masked password", "The admin password is shown as `password: ********`."),
            _l("Rails template", 'secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>'),
        ],
    }


def make_tree(root: Path, seed: int = 1) -> list[Planted]:
    """Write the tree under root (which may exist) and return what was planted, line by line."""
    g = _Gen(seed)
    planted: list[Planted] = []
    for rel, lines in _files(g).items():
        out = []
        for n, line in enumerate(lines, 1):
            if isinstance(line, tuple):
                text, kind, secret = line
                planted.append(Planted(rel, n, kind, secret))
                line = text
            out.append(line)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(out) + "\n", encoding="utf-8", newline="\n")
    return planted
