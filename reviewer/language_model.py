"""The packaged py3langid model, unpacked once per machine into the model cache.

py3langid ships its model LZMA-compressed and unpacks it on every load: about 0.6 s of CPU, a
quarter of a cold `reviewer review` on 2 cores. The unpacked arrays (about 70 MB) are kept in the
model cache beside the static embedding model and load in under 0.1 s; a missing or unreadable
copy is unpacked again from the package.
"""

from __future__ import annotations

import contextlib
import io
from array import array
from pathlib import Path
from typing import Any

import numpy as np

_TYPECODES = {2: "H", 4: "I", 8: "L"}  # unsigned stdlib arrays, as py3langid's DFA tables are


def load_identifier(cache_dir: Path | None) -> Any:
    """py3langid's LanguageIdentifier (probabilities normalised), from `cache_dir` when unpacked there."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    packaged = MODEL_DIR / MODEL_FILE
    stat = packaged.stat()
    cached = cache_dir / f"py3langid-{stat.st_size}-{int(stat.st_mtime)}.npz" if cache_dir else None
    arrays = _read(cached) if cached else None
    if arrays is None:
        arrays = _unpack(packaged)
        if cached:
            _write(cached, arrays)
    return LanguageIdentifier(
        arrays["ptc"],
        arrays["pc"],
        arrays["classes"].tolist(),
        _stdlib_array(arrays["nextmove"]),
        arrays["out_feat"].tolist(),
        norm_probs=True,
        tk_row=_stdlib_array(arrays["nextmove_row"]),
    )


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
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")}
    except (OSError, ValueError, KeyError):  # not there yet, or a copy that cannot be read
        return None


def _write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from reviewer.atomic import write_atomic

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy types **kwds as the allow_pickle flag
    with contextlib.suppress(OSError):  # a read-only cache: unpack again next time, as py3langid does
        write_atomic(path, buffer.getvalue())


def _stdlib_array(values: np.ndarray) -> array[int]:
    table = array(_TYPECODES[values.dtype.itemsize])
    table.frombytes(np.ascontiguousarray(values).tobytes())
    return table
