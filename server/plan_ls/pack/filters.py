"""Rules that leave a file out by its name alone, and the binary test on its bytes."""

from __future__ import annotations

import fnmatch
import re

# Never worth sending to a model, whatever .gitignore says.
ALWAYS_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs"})

# Tool caches and dependency trees: usually gitignored, skipped by default in case they are not.
DEFAULT_SKIPPED_DIRS = frozenset(
    {
        "node_modules",
        "bower_components",
        ".plan-ls",  # plan-ls's own state: rendered prompts there hold whole earlier bundles
        "__pycache__",
        ".venv",
        "venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".tox",
        ".nox",
        ".ipynb_checkpoints",
        ".gradle",
        ".idea",
    }
)
DEFAULT_SKIPPED_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})

LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "Pipfile.lock",
        "Cargo.lock",
        "Gemfile.lock",
        "composer.lock",
        "go.sum",
        "mix.lock",
        "flake.lock",
        "pubspec.lock",
        "Podfile.lock",
        "packages.lock.json",
        "gradle.lockfile",
        "stack.yaml.lock",
        "cabal.project.freeze",
        "conda-lock.yml",
    }
)

BINARY_EXTENSIONS = frozenset(
    """
    png jpg jpeg gif bmp ico icns tif tiff webp avif heic psd xcf svgz xbm xpm pbm pgm ppm
    mp3 wav flac ogg oga opus m4a aac wma mid midi
    mp4 m4v mov avi mkv webm wmv flv mpg mpeg
    zip tar gz tgz bz2 xz zst lz lzma 7z rar jar war ear whl egg apk ipa dmg iso cab deb rpm
    exe dll so dylib a lib o obj ko elf bin dat class pyc pyo pyd wasm node
    pdf doc docx xls xlsx ppt pptx odt ods odp epub mobi
    ttf otf woff woff2 eot
    sqlite sqlite3 db mdb accdb parquet feather arrow npy npz pkl pickle h5 hdf5 onnx pt pth
    safetensors ckpt tflite
    """.split()
)

# File names that hold credentials by convention. Matched case-insensitively on the base name.
SECRET_FILE_GLOBS = (
    ".env",
    ".env.*",
    "*.env",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.ppk",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".npmrc",
    ".pypirc",
    "credentials.json",
    "service-account*.json",
    ".htpasswd",
)
# Templates that document the variables without values.
SECRET_FILE_ALLOWED = frozenset(
    {".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults"}
)


def lock_file(name: str) -> bool:
    return name in LOCK_FILES


def binary_extension(name: str) -> bool:
    _, dot, ext = name.rpartition(".")
    return bool(dot) and ext.lower() in BINARY_EXTENSIONS


# One regex for all the globs: most names match none, and one test is cheaper than twenty.
_SECRET_FILE_ANY = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in SECRET_FILE_GLOBS))


def secret_file_kind(name: str) -> str | None:
    """The kind of credential file this name suggests, or None."""
    lower = name.lower()
    if lower in SECRET_FILE_ALLOWED or not _SECRET_FILE_ANY.match(lower):
        return None
    glob = next(g for g in SECRET_FILE_GLOBS if fnmatch.fnmatchcase(lower, g))
    return f"credentials file ({glob})"


UTF8 = "utf_8"
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_WESTERN = "cp1252"  # what unlabelled Western text most often is (the WHATWG default)


def decode_text(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) of a file's bytes, or None when they are binary.

    UTF-8 (with or without a BOM, which is dropped) is tried first and reported as "utf_8".
    Other text (Latin-1, Shift-JIS, UTF-16 with a BOM, ...) is detected by charset-normalizer
    and reported under its Python codec name; bytes that decode to nothing plausible, or that
    hold NULs without a UTF-16/32 BOM, are binary.
    """
    has_nul = b"\x00" in data[:8192]
    if not has_nul:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            # A BOM is an encoding marker, not content.
            return text.removeprefix("\ufeff"), UTF8
    elif not data.startswith(_UTF16_32_BOMS):
        return None
    return _detect(data)


def _detect(data: bytes) -> tuple[str, str] | None:
    # Imported here: it costs ~60 ms and most trees are all UTF-8.
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    # Short text often leaves several single-byte encodings equally plausible, and the first
    # of them is then as good as a coin toss. Windows-1252 wins such a tie when it reads as a
    # Latin-script language would (a few accented letters among plain ones); otherwise a
    # candidate whose language the detector recognised wins.
    tied = [m for m in matches if m.chaos == best.chaos and m.coherence == best.coherence]
    if len(tied) > 1:
        if any(_WESTERN in m.could_be_from_charset for m in tied):
            try:
                western = data.decode(_WESTERN)
            except UnicodeDecodeError:  # a byte cp1252 leaves undefined
                western = ""
            letters = [c for c in western if c.isalpha()]
            if letters and sum(not c.isascii() for c in letters) * 3 < len(letters):
                return western.removeprefix("\ufeff"), _WESTERN
        best = next((m for m in tied if m.language != "Unknown"), best)
    return str(best).removeprefix("\ufeff"), best.encoding
