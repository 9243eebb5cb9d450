"""Child process that extracts page texts from one PDF: `python pdf_worker.py [FILE]` (stdin if no FILE).

Runs apart from the reviewer so a hostile PDF can only exhaust this process: the parent applies a
timeout, and this process caps its own memory and CPU before it imports pypdf. It prints one JSON
object on stdout: {"pages": [str, ...]} or {"error": "encrypted" | "invalid" | "too_large", "detail": str}.
Imports nothing from the reviewer package, so it starts fast and is run by file path.
"""

from __future__ import annotations

import json
import sys

MEMORY_LIMIT_BYTES = 1024**3  # address space of this process, so a decompression bomb dies here
CPU_LIMIT_SECONDS = 30  # backstop behind the parent's wall-clock timeout
MAX_PAGES = 2_000
MAX_CHARS = 5_000_000


def _limit_resources() -> None:
    try:
        import resource
    except ImportError:  # not on POSIX: the parent's timeout is the only guard
        return
    for limit, value in ((resource.RLIMIT_AS, MEMORY_LIMIT_BYTES), (resource.RLIMIT_CPU, CPU_LIMIT_SECONDS)):
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, hard))


def extract(data: bytes) -> dict[str, object]:
    """Page texts of a PDF, or the reason there are none."""
    import io
    import logging

    logging.disable(logging.CRITICAL)  # pypdf logs every repair of a broken file; the result says enough
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                # Many PDFs only carry an owner password; an empty user password opens them.
                if not reader.decrypt(""):
                    return {"error": "encrypted", "detail": "password-protected"}
            except (DependencyError, NotImplementedError) as exc:
                return {"error": "encrypted", "detail": f"unsupported encryption: {exc}"}
        if len(reader.pages) > MAX_PAGES:
            return {"error": "too_large", "detail": f"{len(reader.pages)} pages; the limit is {MAX_PAGES}"}
        pages: list[str] = []
        total = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            total += len(text)
            if total > MAX_CHARS:
                return {"error": "too_large", "detail": f"more than {MAX_CHARS:,} characters of text"}
            pages.append(text)
    except FileNotDecryptedError:
        return {"error": "encrypted", "detail": "password-protected"}
    except MemoryError:
        raise
    except Exception as exc:  # pypdf raises many types on broken files; all mean "not a usable PDF"
        detail = str(exc).strip() or type(exc).__name__
        return {"error": "invalid", "detail": detail[:200]}
    return {"pages": pages}


def main(argv: list[str]) -> int:
    _limit_resources()
    if len(argv) > 1:
        with open(argv[1], "rb") as handle:
            data = handle.read()
    else:
        data = sys.stdin.buffer.read()
    result = extract(data)
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
