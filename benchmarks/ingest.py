"""Ingest throughput on 1,000 generated long conversations, next to the raw embedding throughput.

    python benchmarks/ingest.py [--n 1000] [--embeddings static|minilm|hash]

Prints notes/s and sentences/s for a first ingest, the time of a second (unchanged) ingest, and
the embedding model's own throughput on the same chunk texts in the same run: the ratio between
the two is the overhead of our code (reading, redaction, chunking, Chroma writes).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.conversations import write_csv  # noqa: E402
from reviewer.embeddings import get_embedder  # noqa: E402
from reviewer.ingest.chunking import chunk_note  # noqa: E402
from reviewer.ingest.pipeline import ingest_paths  # noqa: E402
from reviewer.ingest.readers import read_notes  # noqa: E402
from reviewer.settings import Settings  # noqa: E402
from reviewer.text import sentence_spans  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--embeddings", default="static")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "conversations.csv"
        write_csv(csv_path, n=args.n)
        settings = Settings(data_dir=Path(tmp) / "data", embeddings=args.embeddings)
        embedder = get_embedder(settings)  # loaded (and distilled, the first time) outside the timing
        notes = read_notes(csv_path, settings)
        chunks = [c.text for n in notes for c in chunk_note(n)]
        sentences = sum(len(sentence_spans(c)) for c in chunks)

        started = time.perf_counter()
        first = ingest_paths([csv_path], settings)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = ingest_paths([csv_path], settings)
        second_s = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(0, len(chunks), 1024):
            embedder.embed(chunks[i : i + 1024])
        raw_s = time.perf_counter() - started

    size_mb = csv_path.stat().st_size / 1e6 if csv_path.exists() else 0
    print(f"machine: {os.cpu_count()} cores; embeddings: {embedder.name}")
    print(
        f"corpus: {args.n} conversations, {len(chunks)} chunks (exchanges of speaker turns), {sentences} sentences"
        + (f", {size_mb:.1f} MB" if size_mb else "")
    )
    print(
        f"first ingest:   {first_s:7.2f} s  {first.notes / first_s:8.0f} notes/s"
        f"  {sentences / first_s:8.0f} sentences/s"
        f"  ({first.notes} notes, {first.chunks} chunks)"
    )
    print(f"second ingest:  {second_s:7.2f} s  ({second.files_unchanged} unchanged file, {second.notes} new notes)")
    print(f"raw embedding:  {raw_s:7.2f} s  {sentences / raw_s:8.0f} sentences/s on the same chunks")
    print(f"ratio ingest/raw embedding time: {first_s / raw_s:.1f}x")


if __name__ == "__main__":
    main()
