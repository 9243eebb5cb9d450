"""Lint benchmark: a generated ~1 MB Markdown file against the Microsoft Vale style (lines/s, findings/s)."""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from reviewer.rules import lint_text, load_rules

SENTENCES = [
    "Corvane Flow matches every invoice to its purchase order before it reaches the approver.",
    "We are not able to approve invoices that are missing a cost centre, so they wait in a queue.",
    "The team cannot close the month until all open items have been reviewed by the controller.",
    "Use the API to export approved invoices to your ERP every night at 10 PM.",
    "It is very important to ensure that the vendor master data is correct.",
    "Invoices were processed by the system and then they are sent on to accounting.",
    "You can auto-scale the workers when volumes spike at the end of the quarter.",
    "I think the new approval flow is easier to use than the old one, e.g. for managers.",
    "Our customers save hours each week; some of them say it is the best tool they use.",
    "The CFO asked for a report that shows spend by vendor, by team and by month.",
]


def make_document(target_bytes: int, seed: int = 7) -> str:
    """Markdown with headings, paragraphs, lists, code and links, about target_bytes long."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    section = 0
    while size < target_bytes:
        section += 1
        chunk = [f"## Section {section}: How Invoice Matching Works", ""]
        for _ in range(3):
            chunk.append(" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 4))))
            chunk.append("")
        chunk += [f"- {rng.choice(SENTENCES)}" for _ in range(3)] + [""]
        chunk += ["```python", "approve(invoice)  # it is not prose", "```", ""]
        chunk += [f"See [the guide](https://docs.example.com/guide/{section}) and `config.yml`.", ""]
        text = "\n".join(chunk) + "\n"
        parts.append(text)
        size += len(text.encode("utf-8"))
    return "".join(parts)


def main() -> int:
    shared = Path(os.environ.get("REVIEWER_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
    styles = shared / "conformance" / "vale" / "Microsoft" / "rules"
    if not styles.is_dir():
        print(f"Microsoft style not found at {styles}; set REVIEWER_SHARED_DIR", file=sys.stderr)
        return 2
    ruleset = load_rules(styles=styles)
    text = make_document(int(os.environ.get("REVIEWER_BENCH_BYTES", 1_000_000)))
    lines = text.count("\n")
    start, cpu = time.perf_counter(), time.process_time()
    findings = lint_text(text, ruleset, "md", "bench.md")
    # CPU time is the one-core figure; wall time also counts waiting for a busy machine.
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{len(text.encode('utf-8')) / 1e6:.2f} MB, {lines} lines, {len(ruleset.rules)} rules, "
        f"{len(findings)} findings in {elapsed:.2f} s"
    )
    print(f"wall: {lines / elapsed:,.0f} lines/s, {len(findings) / elapsed:,.0f} findings/s")
    print(f"cpu:  {lines / cpu:,.0f} lines/s, {len(findings) / cpu:,.0f} findings/s ({cpu:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
