"""Ingest time next to the stack's limit, measured in the same run: generated CSVs and a folder of notes.

    python benchmarks/ingest.py [--n 1000 10000] [--folder PATH] [--embeddings static] [--repeat 1]

For each corpus it prints our first ingest (`ingest_paths`), a second, unchanged one, and the limit:
the raw embedding of the same chunk texts plus a raw Chroma upsert of the same chunk and note
records (built by `reviewer.store.build_records`) into a fresh store in maximal batches. The ratio
ours/limit is the cost of everything of ours (reading, redaction, language, chunking, lookups,
locks). chromadb is imported and the embedding model loaded before any timing, for both sides. On a
shared machine compare the ratio, not the seconds. The folder defaults to the casino notes in
../shared beside the repo ($REVIEWER_SHARED_DIR where it lives elsewhere).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import chromadb  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.conversations import write_csv  # noqa: E402
from reviewer.embeddings import get_embedder  # noqa: E402
from reviewer.ingest.chunking import chunk_note  # noqa: E402
from reviewer.ingest.files import iter_note_files  # noqa: E402
from reviewer.ingest.pipeline import ingest_paths  # noqa: E402
from reviewer.ingest.readers import read_notes  # noqa: E402
from reviewer.settings import Settings  # noqa: E402
from reviewer.store import CHUNKS, NOTES, FileRecords, build_records, upsert_records  # noqa: E402

_EMBED_SLICE = 1024


def limit(files: list[Path], settings: Settings, tmp: Path) -> tuple[float, float, float, int]:
    """Seconds of raw embedding and of raw Chroma upserts of what an ingest of `files` writes, and
    the CPU seconds of both."""
    embedder = get_embedder(settings)
    records = []
    for path in files:
        notes = read_notes(path, settings)
        records.append(FileRecords(str(path.resolve()), "sha", notes, [c for n in notes for c in chunk_note(n)]))
    texts = [c.text for f in records for c in f.chunks]
    cpu = time.process_time()
    started = time.perf_counter()
    vectors = np.concatenate([embedder.embed(texts[i : i + _EMBED_SLICE]) for i in range(0, len(texts), _EMBED_SLICE)])
    embed_s = time.perf_counter() - started
    cpu = time.process_time() - cpu
    chunk_records, note_records = build_records(records, vectors)
    client = chromadb.PersistentClient(
        path=str(tmp / "raw-chroma"), settings=chromadb.config.Settings(anonymized_telemetry=False)
    )
    space = {"hnsw": {"space": "cosine"}}
    cpu -= time.process_time()
    started = time.perf_counter()
    for name, recs in ((CHUNKS, chunk_records), (NOTES, note_records)):
        collection = client.get_or_create_collection(name, embedding_function=None, configuration=space)  # type: ignore[arg-type]
        upsert_records(collection, recs, client.get_max_batch_size())
    upsert_s = time.perf_counter() - started
    return embed_s, upsert_s, cpu + time.process_time(), len(texts)


def measure(label: str, paths: list[Path], embeddings: str, repeat: int) -> None:
    """Best of `repeat` runs of each side, alternating, so a burst of load elsewhere hits both."""
    ours, raw, again, ours_cpu, raw_cpu = [], [], [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            settings = Settings(data_dir=tmp / "data", embeddings=embeddings)
            files = list(iter_note_files(paths))
            embed_s, upsert_s, cpu_s, chunks = limit(files, settings, tmp)
            raw.append((embed_s + upsert_s, embed_s, upsert_s))
            raw_cpu.append(cpu_s)
            cpu = time.process_time()
            started = time.perf_counter()
            first = ingest_paths(paths, settings)
            ours.append(time.perf_counter() - started)
            ours_cpu.append(time.process_time() - cpu)
            started = time.perf_counter()
            second = ingest_paths(paths, settings)
            again.append(time.perf_counter() - started)
    best, (limit_s, embed_s, upsert_s) = min(ours), min(raw)
    print(f"{label}: {len(files)} files, {first.notes} notes, {chunks} chunks (best of {repeat})")
    print(
        f"  ours {best:7.2f} s ({first.notes / best:6.0f} notes/s)   limit {limit_s:7.2f} s "
        f"(embedding {embed_s:.2f} s + Chroma upsert {upsert_s:.2f} s)   ratio {best / limit_s:.2f}x (goal <= 1.3x)"
    )
    print(
        f"  CPU time: ours {min(ours_cpu):.2f} s, limit {min(raw_cpu):.2f} s, ratio {min(ours_cpu) / min(raw_cpu):.2f}x"
        "  (less disturbed by other load than wall time)"
    )
    print(f"  second, unchanged ingest {min(again):.2f} s ({second.files_unchanged} files unchanged)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="*", default=[1000, 10000], help="generated conversations")
    shared = Path(os.environ.get("REVIEWER_SHARED_DIR", ROOT.parent / "shared"))
    parser.add_argument("--folder", type=Path, default=shared / "data" / "casino" / "notes")
    parser.add_argument("--embeddings", default="static")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side; the best of each is shown")
    args = parser.parse_args()
    settings = Settings(embeddings=args.embeddings)
    embedder = get_embedder(settings)  # loaded (and distilled, the first time) outside the timing
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; embeddings: {embedder.name}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            csv_path = Path(tmp) / f"conversations-{n}.csv"
            write_csv(csv_path, n=n)
            measure(f"one CSV of {n} generated conversations", [csv_path], args.embeddings, args.repeat)
    if args.folder.is_dir():
        measure(f"folder {args.folder} (one Markdown file per call)", [args.folder], args.embeddings, args.repeat)
    else:
        print(f"folder {args.folder} not found: skipped")


if __name__ == "__main__":
    main()
