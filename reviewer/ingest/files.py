"""Finding call-note files in folders and decoding their bytes into text."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from reviewer.errors import InputError
from reviewer.text import bom_encoding, decode_charset

SUPPORTED_EXTENSIONS = frozenset({".csv", ".md", ".markdown", ".txt", ".jsonl", ".ndjson", ".json", ".vtt", ".srt"})
META_SUFFIX = ".meta.yaml"

# Editors, office suites and browsers leave these next to real files while they work.
_TEMP_PREFIXES = ("~$", ".~lock", "~")
_TEMP_SUFFIXES = ("~", ".tmp", ".temp", ".swp", ".swo", ".part", ".crdownload", ".bak")

# A text file has almost no control characters besides tab, newline, carriage return and form feed.
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F; one regex scan instead of a
# Python loop over every character of every file.
_CONTROLS = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in _ALLOWED_CONTROLS)
    + "]"
)
_MAX_CONTROL_SHARE = 0.05
_SNIFF_BYTES = 8192


def iter_note_files(paths: list[Path]) -> Iterator[Path]:
    """Supported note files under the given files and folders, recursively and in sorted order.

    Folder contents skip hidden files and folders, editor temp files and `*.meta.yaml` sidecars.
    A file named explicitly is yielded whatever its extension, so the reader can reject it with a
    reason instead of it vanishing silently.
    """
    found: dict[str, Path] = {}
    for root in paths:
        if root.is_dir():
            for path in _walk(root):
                found.setdefault(_identity(path), path)
        else:
            found.setdefault(_identity(root), root)
    yield from sorted(found.values(), key=lambda p: str(p))


def is_note_file(path: Path) -> bool:
    """True for a visible, non-temporary file with a supported extension."""
    return _is_candidate(path) and path.suffix.lower() in SUPPORTED_EXTENSIONS


def iter_unread_files(paths: list[Path]) -> Iterator[Path]:
    """Visible, non-temporary files inside the given folders whose type no reader reads, sorted:
    an ingest reports them instead of passing over them in silence."""
    found: set[Path] = set()
    for root in paths:
        if root.is_dir():
            found.update(p for p in _walk(root, _is_candidate) if p.suffix.lower() not in SUPPORTED_EXTENSIONS)
    yield from sorted(found, key=str)


def _is_candidate(path: Path) -> bool:
    name = path.name
    if name.startswith(".") or name.startswith(_TEMP_PREFIXES) or name.endswith(_TEMP_SUFFIXES):
        return False
    return not name.lower().endswith(META_SUFFIX)


def _walk(root: Path, keep: Callable[[Path], bool] = is_note_file) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        # Pruning in place stops os.walk from descending into hidden folders (.git, .venv, ...)
        # and into feedback/ folders, whose files are reps' flags, not call notes.
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "feedback"]
        for name in names:
            path = Path(folder, name)
            if keep(path) and path.is_file():
                yield path


def _identity(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())


def read_text_file(path: Path) -> str:
    """The file's text with newlines normalised to `\\n`; raises InputError when it is not text.

    Decoding order, deterministic: BOM (UTF-8, UTF-32, UTF-16), BOM-less UTF-16 by its NUL pattern,
    strict UTF-8, strict cp1252, then charset-normalizer's best guess.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise InputError(path, "no such file") from exc
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    return decode_bytes(data, path)


def decode_bytes(data: bytes, path: Path | str | None = None) -> str:
    """Decode a file's bytes as `read_text_file` describes; InputError when it is not text."""
    if not data.strip():
        raise InputError(path, "empty file")
    text = _decode(path, data)
    if not text.strip():
        raise InputError(path, "empty file")
    _reject_control_heavy(path, text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _decode(path: Path | str | None, data: bytes) -> str:
    # BOM-less UTF-16 (NULs in every other byte) and charset-normalizer's guess are the notes' own:
    # exports of call recorders come that way, drafts do not.
    if b"\x00" in data and bom_encoding(data) is None:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise InputError(path, "binary file (contains NUL bytes)")
        try:
            return data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise InputError(path, "binary file (contains NUL bytes)") from exc
    try:
        return decode_charset(data)
    except UnicodeDecodeError as exc:
        encoding = bom_encoding(data)
        if encoding is not None:
            raise InputError(path, f"undecodable text: invalid {encoding} after its BOM") from exc
    return _guess(path, data)


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NULs sit in every other byte, as ASCII-heavy UTF-16 text does."""
    sample = data[:_SNIFF_BYTES]
    pairs = len(sample) // 2
    if pairs == 0 or len(data) % 2:
        return None
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    if odd_nuls >= 0.3 * pairs and even_nuls <= 0.05 * pairs:
        return "utf-16-le"
    if even_nuls >= 0.3 * pairs and odd_nuls <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _guess(path: Path | str | None, data: bytes) -> str:
    # Only reached for bytes that are neither UTF-8 nor cp1252 (cp1252 leaves five bytes undefined).
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(path, "undecodable text: not UTF-8, UTF-16 or cp1252")
    return str(best)


def _reject_control_heavy(path: Path | str | None, text: str) -> None:
    sample = text[:_SNIFF_BYTES]
    controls = len(_CONTROLS.findall(sample))
    if controls > _MAX_CONTROL_SHARE * len(sample):
        raise InputError(path, "binary file (too many control characters)")
