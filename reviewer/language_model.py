"""The packaged py3langid model, unpacked once per machine into the model cache.

py3langid ships its model LZMA-compressed and unpacks it on every load: about 0.6 s of CPU, a
quarter of a cold `reviewer review` on 2 cores. The unpacked arrays (about 70 MB) are kept in the
model cache beside the static embedding model as one raw file that is mapped into memory, not read:
a review classifies a few sentences, which touch a few pages of the tables, so loading costs next
to nothing (reading an archive of the same arrays and copying its 40 MB state table into a Python
array took 0.5 s). A missing or unreadable copy is unpacked again from the package.

The file: a header line `PY3LANGID-RAW 1 <json>` padded to 4096 bytes, where the JSON names each
array's dtype, shape and byte offset, then the arrays' bytes, each at its offset.
"""

from __future__ import annotations

import contextlib
import json
import mmap
from pathlib import Path
from typing import Any

import numpy as np

_MAGIC = b"PY3LANGID-RAW 1 "
_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
_TYPECODES = {2: "H", 4: "I", 8: "L"}  # unsigned, as py3langid's DFA tables are
_ALIGN = 64
_HEADER = 4096  # bytes before the first array: the header line, padded with spaces


def load_identifier(cache_dir: Path | None) -> Any:
    """py3langid's LanguageIdentifier (probabilities normalised), from `cache_dir` when unpacked there."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    packaged = MODEL_DIR / MODEL_FILE
    stat = packaged.stat()
    cached = cache_dir / f"py3langid-{stat.st_size}-{int(stat.st_mtime)}.raw" if cache_dir else None
    arrays = _read(cached) if cached else None
    if arrays is None:
        arrays = _unpack(packaged)
        if cached:
            _write(cached, arrays)
    return LanguageIdentifier(
        arrays["ptc"],
        arrays["pc"],
        arrays["classes"].tolist(),
        _table(arrays["nextmove"]),
        _table(arrays["out_feat"]),
        norm_probs=True,
        tk_row=_table(arrays["nextmove_row"]),
    )


def _table(values: np.ndarray) -> Any:
    """A flat integer table py3langid indexes one element at a time: a memoryview gives Python ints
    at the speed of the stdlib array it builds itself, without copying the (mapped) bytes."""
    unsigned = values.dtype.kind == "u"
    data: Any = np.ascontiguousarray(values if unsigned else values.astype(np.int32, copy=False)).data
    return data.cast("B").cast(_TYPECODES[values.dtype.itemsize] if unsigned else "i")


def _unpack(packaged: Path) -> dict[str, np.ndarray]:
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(packaged)
    return {
        "ptc": np.asarray(ptc),
        "pc": np.asarray(pc),
        "classes": np.array(classes),
        "nextmove": np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"),
        "nextmove_row": np.frombuffer(row, dtype=f"u{row.itemsize}"),
        "out_feat": np.asarray(output, dtype=np.int32),
    }


def _read(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a copy written by `_write`, mapped read-only; None when missing or unreadable."""
    try:
        with path.open("rb") as file:
            header = file.readline()
            if not header.startswith(_MAGIC):
                return None
            layout = json.loads(header[len(_MAGIC) :])
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)  # stays valid once closed
        arrays = {}
        for name in _ARRAYS:
            dtype, shape, offset = layout[name]
            count = int(np.prod(shape))
            arrays[name] = np.frombuffer(mapped, dtype=np.dtype(dtype), count=count, offset=offset).reshape(shape)
        return arrays
    except (OSError, ValueError, KeyError, TypeError):  # not there yet, or a copy that cannot be read
        return None


def _write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from reviewer.atomic import write_atomic

    layout: dict[str, Any] = {}
    body = bytearray(_HEADER)  # the header goes in front once the offsets are known
    for name in _ARRAYS:
        data = np.ascontiguousarray(arrays[name])
        layout[name] = [data.dtype.str, list(data.shape), len(body)]
        body += data.tobytes()
        body += b"\0" * (-len(body) % _ALIGN)
    header = _MAGIC + json.dumps(layout).encode()
    if len(header) >= _HEADER:
        raise ValueError("the language model's layout does not fit its header")
    body[:_HEADER] = header + b" " * (_HEADER - len(header) - 1) + b"\n"
    with contextlib.suppress(OSError):  # a read-only cache: unpack again next time, as py3langid does
        write_atomic(path, bytes(body))
