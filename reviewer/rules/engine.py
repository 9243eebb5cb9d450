"""Runs a RuleSet over a document: blocks by scope, checks, findings with exact source spans."""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import regex

from reviewer.errors import InputError
from reviewer.models import BrandFinding, Span
from reviewer.rules.checks import Existence, Occurrence, Repetition, Substitution
from reviewer.rules.config import RuleSet, normalize_format
from reviewer.rules.definitions import Rule
from reviewer.rules.markup import PROSE, Builder, Document, html_blocks, markdown_blocks
from reviewer.rules.model import Block, FileState, Hit
from reviewer.rules.plain import adoc_blocks, rst_blocks, text_blocks
from reviewer.text import decode_text, mask_mdx, sentence_spans, switched_off, vale_switches

FORMATS = {
    ".md": "md",
    ".mdx": "mdx",
    ".markdown": "md",
    ".mdown": "md",
    ".mkd": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "txt",
    ".text": "txt",
    ".rst": "rst",
    ".adoc": "adoc",
    ".asciidoc": "adoc",
    ".asc": "adoc",
}


def mdx_blocks(text: str) -> Document:
    """MDX as Vale reads it: Markdown, without the ESM statements and JSX comments."""
    return markdown_blocks(mask_mdx(text))


_PARSERS = {
    "md": markdown_blocks,
    "mdx": mdx_blocks,
    "html": html_blocks,
    "txt": text_blocks,
    "rst": rst_blocks,
    "adoc": adoc_blocks,
}
_NEWLINE = re.compile("\n")
_SKIP_DIRS = {"node_modules", "__pycache__", ".git", ".venv", "venv"}


def units(doc: Document, text: str, ext: str) -> list[Block]:
    """Every block a rule may run on, in Vale's order: per block, then summary, then raw."""
    out: list[Block] = []
    summary = Builder()
    for block in doc.blocks:
        if block.scope == PROSE:
            out.extend(_prose_units(block, ext))
        else:
            out.append(Block(block.text, block.scope + ext, block.starts, block.origins))
        if block.scope in (PROSE, "text.list", "text.blockquote"):
            for start, piece in zip(block.starts or [0], _pieces(block), strict=False):
                summary.add(piece, block.origin(start))
            summary.add("\n\n", block.span(0, len(block.text))[1])
    out.append(summary.block("summary" + ext))
    out.append(Block(text, "raw" + ext, [0], [0]))
    return out


def _pieces(block: Block) -> list[str]:
    bounds = [*(block.starts or [0]), len(block.text)]
    return [block.text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _prose_units(block: Block, ext: str) -> list[Block]:
    text = block.text
    out = []
    start = 0
    for part in text.split("\n\n"):
        out.append(block.sub(start, start + len(part), "paragraph" + ext))
        start += len(part) + 2
    for s, e in sentence_spans(text):
        out.append(block.sub(s, e, "sentence" + ext))
    out.append(Block(text, "text" + ext, block.starts, block.origins))
    return out


class _Corpus:
    """The blocks one rule applies to, joined, so its pattern runs once per document."""

    def __init__(self, blocks: list[Block], indices: list[int]) -> None:
        self.indices = indices
        self.starts = []
        self.lengths = []
        pos = 0
        for i in indices:
            self.starts.append(pos)
            self.lengths.append(len(blocks[i].text))
            pos += len(blocks[i].text) + 2
        self.text = "\n\n".join(blocks[i].text for i in indices)

    def matches_by_block(self, pattern: regex.Pattern) -> tuple[dict[int, list[regex.Match]], set[int]]:
        """One scan of the joined blocks: the matches inside each block (by block index), and the
        blocks that a match crossed into or out of, where the scan may differ from the block's own."""
        inside: dict[int, list[regex.Match]] = {}
        crossed: set[int] = set()
        for m in pattern.finditer(self.text):
            first = bisect_right(self.starts, m.start()) - 1
            last = bisect_right(self.starts, max(m.start(), m.end() - 1)) - 1
            if first == last and m.end() <= self.starts[first] + self.lengths[first]:
                inside.setdefault(self.indices[first], []).append(m)
            else:
                crossed.update(self.indices[first : last + 1])
        return inside, crossed

    def touched(self, pattern) -> list[int]:
        """Indices of blocks a match of pattern starts in or runs into."""
        hit: set[int] = set()
        for m in pattern.finditer(self.text):
            first = bisect_right(self.starts, m.start()) - 1
            last = bisect_right(self.starts, max(m.start(), m.end() - 1)) - 1
            hit.update(self.indices[first : last + 1])
        return sorted(hit)


def _targets(rule: Rule, indices: list[int], corpus: _Corpus | None) -> list[int]:
    # Most rules never fire on most blocks: one search over the joined blocks finds the few
    # blocks worth running the rule on, which then runs there exactly as it would alone.
    pattern = getattr(rule.check, "pattern", None)
    if corpus is None or pattern is None or rule.anchored:
        return indices
    if isinstance(rule.check, Occurrence | Repetition):
        # Counting rules match nearly every block: a search first would only add work.
        return indices
    return corpus.touched(getattr(rule.check, "prefilter", None) or pattern)


def _rule_hits(rule: Rule, blocks: list[Block], corpus: _Corpus, state: FileState) -> Iterator[tuple[Block, list[Hit]]]:
    """Each block the rule may fire in, with its hits, in block order."""
    check = rule.check
    if isinstance(check, Existence | Substitution) and rule.reusable and check.prefilter is None:
        # The document-wide scan already found the matches: use them instead of scanning again,
        # except in blocks a match crossed into, which are scanned on their own as before.
        inside, crossed = corpus.matches_by_block(check.pattern)
        start_of = dict(zip(corpus.indices, corpus.starts, strict=True))
        for i in sorted(inside.keys() | crossed):
            block = blocks[i]
            if i in crossed:
                yield block, check.run(block, state)
            else:
                yield block, check.hits_from(block, inside[i], start_of[i])
        return
    for i in _targets(rule, corpus.indices, corpus):
        yield blocks[i], check.run(blocks[i], state)


def lint_text(
    text: str, ruleset: RuleSet, fmt: str = "md", path: str | None = None, document: Document | None = None
) -> list[BrandFinding]:
    """Findings for one document, sorted by position; spans are offsets into `text`.

    `document` is the text's parse when the caller has one (a loaded Markdown draft's), else the
    text is parsed here as `fmt`."""
    fmt = normalize_format(fmt)
    ext = ".md" if fmt == "mdx" else "." + fmt  # MDX is Markdown to scopes (Vale's own mapping)
    enabled = ruleset.rules_for(path or f"stdin{ext}")
    if not enabled:
        return []
    doc = document if document is not None else _PARSERS[fmt](text)
    blocks = units(doc, text, ext)
    state = FileState()
    state.metrics = dict(doc.metrics)
    scopes = sorted({b.scope for b in blocks})
    corpora: dict[tuple[str, ...], _Corpus] = {}
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    findings: dict[tuple[int, int, str], BrandFinding] = {}
    for rule, level in enabled:
        wanted = tuple(s for s in scopes if rule.scope.matches(s))
        if not wanted:
            continue
        if wanted not in corpora:
            corpora[wanted] = _Corpus(blocks, [i for i, b in enumerate(blocks) if b.scope in wanted])
        count = 0
        for block, hits in _rule_hits(rule, blocks, corpora[wanted], state):
            for hit in hits:
                finding = _finding(rule, level, hit, block, text, line_starts)
                key = (finding.line, finding.col, rule.name)
                if key in findings or (rule.limit and count >= rule.limit):
                    continue
                findings[key] = finding
                count += 1
    switches = vale_switches(text) if "vale" in text else []
    kept = [f for f in findings.values() if not (switches and switched_off(switches, f.span.start, f.rule))]
    return sorted(kept, key=lambda f: (f.span.start, f.line, f.col, f.rule))


def _finding(rule: Rule, level: str, hit: Hit, block: Block, text: str, line_starts: list[int]) -> BrandFinding:
    if hit.start < 0:
        start = end = 0
    else:
        start, end = block.span(hit.start, hit.end)
    line = bisect_right(line_starts, start)
    col = start - line_starts[line - 1] + 1
    return BrandFinding(
        finding_id=f"{rule.name}:{start}",
        rule=rule.name,
        severity=level,  # type: ignore[arg-type]
        message=" ".join(hit.message.split()),
        line=line,
        col=col,
        span=Span(start=start, end=end, text=text[start:end]),
        suggestion=hit.suggestion,
        link=rule.link,
    )


def file_format(path: Path, extra: dict[str, str] | None = None) -> str | None:
    """The format a file is linted as: the `[formats]` section's mapping first, then its extension."""
    suffix = path.suffix.lower()
    mapped = (extra or {}).get(suffix.lstrip("."))
    return normalize_format(mapped) if mapped else FORMATS.get(suffix)


def iter_files(paths: Iterable[Path | str], extra: dict[str, str] | None = None) -> list[Path]:
    """Files to lint: given files, and supported files found recursively in given folders."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
                found += [Path(root) / f for f in sorted(files) if file_format(Path(f), extra)]
        elif p.exists():
            found.append(p)
        else:
            raise InputError(p, "no such file or folder")
    return found


def read_text(path: Path) -> str:
    """A file's text, decoded as `reviewer review` decodes drafts; InputError naming the file otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read file: {exc.strerror or exc}") from exc
    return decode_text(data, path)


def lint_paths(
    paths: Iterable[Path | str], ruleset: RuleSet, keep: Callable[[Path], bool] | None = None
) -> dict[str, list[BrandFinding]]:
    """Findings per file for files and folders (recursively, by extension); `keep` filters the files."""
    results: dict[str, list[BrandFinding]] = {}
    for path in iter_files(paths, ruleset.formats):
        if keep is not None and not keep(path):
            continue
        fmt = file_format(path, ruleset.formats)
        if fmt is None:
            raise InputError(path, f"unsupported file type '{path.suffix}'")
        if ruleset.rules_for(path.as_posix()) is None:
            continue
        results[str(path)] = lint_text(read_text(path), ruleset, fmt, path.as_posix())
    return results
