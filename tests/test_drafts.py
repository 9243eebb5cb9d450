"""Draft loading: every format to text, blocks and sentences with exact offsets; hostile files refused."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from reviewer.drafts import (
    SUPPORTED_SUFFIXES,
    Draft,
    draft_from_text,
    load_draft,
    load_draft_bytes,
    loaders,
    structure,
)
from reviewer.errors import InputError
from reviewer.settings import Settings

MARKDOWN = """---
title: Onboarding one-pager
audience: [cto, ciso]
---

# Live in days, not months

Most teams go live in two weeks. Our onboarding team does the setup,
e.g. SSO and data import, for you.

Security
--------

- Hosted in the EU. Your data never leaves Frankfurt.
  - SOC 2 Type II and ISO 27001 reports on request!
1. Transparent pricing per seat

> We were live before the quarter ended.
> Nobody on our side had to write code.

```python
client.review("draft.md")  # Not prose. Never a sentence.
```

| Plan | Price per seat |
|------|----------------|
| Pro  | 30 EUR         |
"""


def assert_offsets(draft: Draft) -> None:
    """The contract every consumer relies on: spans cut the exact text out of draft.text."""
    assert draft.blocks and draft.sentences
    for block in draft.blocks:
        assert draft.text[block.start : block.end] == block.text
        assert block.text.strip() == block.text
    for sentence in draft.sentences:
        assert draft.text[sentence.start : sentence.end] == sentence.text
        block = draft.blocks[sentence.block]
        assert block.kind != "code"
        assert block.start <= sentence.start < sentence.end <= block.end


def kinds(draft: Draft) -> list[tuple[str, int, str]]:
    return [(block.kind, block.level, block.text) for block in draft.blocks]


def error_of(path: Path, settings: Settings | None = None) -> InputError:
    with pytest.raises(InputError) as caught:
        load_draft(path, settings)
    assert caught.value.path == str(path)
    return caught.value


# --- Building real files in each format -------------------------------------------------------------


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF written by hand: one Helvetica text object per page, exact xref offsets."""
    objects: list[bytes] = []
    page_ids = [3 + 2 * i for i in range(len(pages))]
    font_id = 3 + 2 * len(pages)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for pid, lines in zip(page_ids, pages, strict=True):
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops += [f"({escaped}) Tj", "T*"]
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {pid + 1} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")

    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF_PAGES = [
    ["Live in days, not months", "", "Most teams go live in two weeks. Setup is done for you."],
    ["Security", "", "Hosted in the EU. Reports are available on request."],
]


@pytest.fixture
def pdf_file(tmp_path: Path) -> Path:
    path = tmp_path / "onepager.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))
    return path


@pytest.fixture
def docx_file(tmp_path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Live in days, not months", level=1)
    document.add_paragraph("Most teams go live in two weeks. Setup is done for you.")
    document.add_heading("Security", level=2)
    document.add_paragraph("Hosted in the EU.", style="List Bullet")
    document.add_paragraph("Reports on request.", style="List Bullet 2")
    document.add_paragraph("")
    document.add_paragraph("It just worked.", style="Quote")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Plan"
    table.cell(0, 1).text = "Price"
    table.cell(1, 0).merge(table.cell(1, 1)).text = "Pro costs 30 EUR per seat."
    document.add_paragraph("Book a demo today.")
    path = tmp_path / "onepager.docx"
    document.save(str(path))
    return path


# --- Formats ----------------------------------------------------------------------------------------


def test_markdown_keeps_source_text_and_structure(tmp_path: Path) -> None:
    path = tmp_path / "draft.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    draft = load_draft(path)

    assert draft.text == MARKDOWN
    assert draft.format == "markdown" and draft.language == "en"
    assert kinds(draft) == [
        ("heading", 1, "Live in days, not months"),
        (
            "paragraph",
            0,
            "Most teams go live in two weeks. Our onboarding team does the setup,\ne.g. SSO and data import, for you.",
        ),
        ("heading", 2, "Security"),
        ("list_item", 1, "Hosted in the EU. Your data never leaves Frankfurt."),
        ("list_item", 2, "SOC 2 Type II and ISO 27001 reports on request!"),
        ("list_item", 1, "Transparent pricing per seat"),
        ("quote", 1, "We were live before the quarter ended.\n> Nobody on our side had to write code."),
        ("code", 0, '```python\nclient.review("draft.md")  # Not prose. Never a sentence.\n```'),
        ("paragraph", 0, "Plan | Price per seat"),
        ("paragraph", 0, "Pro  | 30 EUR"),
    ]
    texts = [sentence.text for sentence in draft.sentences]
    assert "Most teams go live in two weeks." in texts
    assert "Our onboarding team does the setup,\ne.g. SSO and data import, for you." in texts
    assert "Nobody on our side had to write code." in texts  # the `>` marker is not part of it
    assert not any("title:" in text or "Not prose" in text for text in texts)
    assert_offsets(draft)


def test_markdown_line_col_is_one_based() -> None:
    draft = draft_from_text("# Title\n\nFirst line.\nSecond line here.\n")
    second = draft.text.index("Second")
    assert draft.line_col(0) == (1, 1)
    assert draft.line_col(second) == (4, 1)
    assert draft.line_col(second + 7) == (4, 8)
    assert draft.line_col(len(draft.text)) == (5, 1)


def test_markdown_edge_cases() -> None:
    text = (
        "Intro paragraph that is prose.\n\n"
        "---\n\n"  # a thematic break, not front matter
        "    indented code. Not prose.\n\n"
        "## Closing hashes ##\n\n"
        "* * *\n\n"
        "1) Ordered item with a paren.\n"
        "2) Second item\n"
        "   lazily continued.\n\n"
        "   A second paragraph of the item.\n\n"
        "<!-- an HTML comment. Not prose. -->\n"
        "~~~\nunclosed fence. Not prose.\n"
    )
    draft = draft_from_text(text, "notes.markdown")
    assert kinds(draft) == [
        ("paragraph", 0, "Intro paragraph that is prose."),
        ("code", 0, "indented code. Not prose."),
        ("heading", 2, "Closing hashes"),
        ("list_item", 1, "Ordered item with a paren."),
        ("list_item", 1, "Second item\n   lazily continued."),
        ("list_item", 1, "A second paragraph of the item."),
        ("code", 0, "~~~\nunclosed fence. Not prose."),
    ]
    assert_offsets(draft)


def test_markdown_crlf_and_bom_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "windows.md"
    path.write_bytes(b"\xef\xbb\xbf# Title\r\n\r\nOne sentence. Two sentences.\r\n")
    draft = load_draft(path)
    assert draft.text == "# Title\n\nOne sentence. Two sentences.\n"
    assert [s.text for s in draft.sentences] == ["Title", "One sentence.", "Two sentences."]
    assert_offsets(draft)


def test_plain_text_paragraphs_headings_and_bullets(tmp_path: Path) -> None:
    path = tmp_path / "draft.txt"
    path.write_text(
        "LIVE IN DAYS\n\nMost teams go live in two weeks. Setup is done for you.\n\n"
        "Why teams switch\n\n- It is hosted in the EU.\n- Reports on request\n  for every customer.\n\n"
        "A closing line without a full stop",
        encoding="utf-8",
    )
    draft = load_draft(path)
    assert draft.format == "text"
    assert kinds(draft) == [
        ("heading", 1, "LIVE IN DAYS"),
        ("paragraph", 0, "Most teams go live in two weeks. Setup is done for you."),
        ("heading", 1, "Why teams switch"),
        ("list_item", 1, "It is hosted in the EU."),
        ("list_item", 1, "Reports on request\n  for every customer."),
        ("paragraph", 0, "A closing line without a full stop"),
    ]
    assert_offsets(draft)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Grüße aus München. Das ist gut.".encode(), "Grüße aus München."),
        ("Grüße aus München. Das ist gut.".encode("utf-16"), "Grüße aus München."),
        ("Grüße aus München. Das ist „gut“.".encode("cp1252"), "Grüße aus München."),
        ("Grüße aus München. Das ist gut.".encode("utf-32"), "Grüße aus München."),
    ],
    ids=["utf-8", "utf-16-bom", "cp1252", "utf-32-bom"],
)
def test_text_encodings(tmp_path: Path, raw: bytes, expected: str) -> None:
    path = tmp_path / "german.txt"
    path.write_bytes(raw)
    draft = load_draft(path)
    assert draft.sentences[0].text == expected
    assert draft.language == "de"
    assert_offsets(draft)


def test_html_is_stripped_safely(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>Tab title</title><style>p{color:red}</style>"
        "<script>alert('pwned'); document.write('<p>injected</p>')</script></head><body>"
        "<nav><a href='/'>Home</a></nav>"
        "<h1>Live in days &amp; not months</h1>"
        "<p>Most teams go live in&nbsp;two weeks.\n   Setup is done <b>for</b> you &#8212; free.</p>"
        "<noscript><p>Enable JavaScript</p></noscript><template><p>Hidden template</p></template>"
        "<iframe src='https://evil.example'><p>frame fallback</p></iframe>"
        "<ul><li>Hosted in the EU.<ul><li>Frankfurt &lt;region&gt;.</li></ul></li><li>SOC 2</ul>"
        "<blockquote><p>We were live before the quarter ended.</p></blockquote>"
        "<pre>client.review(x)\n  # code. Not prose.</pre>"
        '<p onclick="steal()">Line one<br>line two.<img src=x onerror=alert(1)></p>'
        "<div>Loose div text.<span>Same block.</span></div>"
        "</body></html>",
        encoding="utf-8",
    )
    draft = load_draft(path)
    assert draft.format == "html"
    assert kinds(draft) == [
        ("paragraph", 0, "Home"),
        ("heading", 1, "Live in days & not months"),
        ("paragraph", 0, "Most teams go live in two weeks. Setup is done for you \u2014 free."),
        ("list_item", 1, "Hosted in the EU."),
        ("list_item", 2, "Frankfurt <region>."),
        ("list_item", 1, "SOC 2"),
        ("quote", 1, "We were live before the quarter ended."),
        ("code", 0, "client.review(x)\n  # code. Not prose."),
        ("paragraph", 0, "Line one\nline two."),
        ("paragraph", 0, "Loose div text.Same block."),
    ]
    for dropped in ("alert", "pwned", "injected", "Tab title", "color", "Enable", "Hidden", "frame", "steal"):
        assert dropped not in draft.text
    assert "\n\n".join(block.text for block in draft.blocks) == draft.text
    assert_offsets(draft)


def test_docx_paragraphs_headings_lists_and_tables(docx_file: Path) -> None:
    draft = load_draft(docx_file)
    assert draft.format == "docx"
    assert kinds(draft) == [
        ("heading", 1, "Live in days, not months"),
        ("paragraph", 0, "Most teams go live in two weeks. Setup is done for you."),
        ("heading", 2, "Security"),
        ("list_item", 1, "Hosted in the EU."),
        ("list_item", 2, "Reports on request."),
        ("quote", 1, "It just worked."),
        ("paragraph", 0, "Plan"),
        ("paragraph", 0, "Price"),
        ("paragraph", 0, "Pro costs 30 EUR per seat."),  # a merged cell counts once
        ("paragraph", 0, "Book a demo today."),
    ]
    assert_offsets(draft)


def test_pdf_is_read_in_a_worker(pdf_file: Path) -> None:
    assert len(PdfReader(pdf_file).pages) == 2  # the hand-written file is a valid PDF
    draft = load_draft(pdf_file)
    assert draft.format == "pdf"
    texts = [sentence.text for sentence in draft.sentences]
    assert "Most teams go live in two weeks." in texts
    assert "Hosted in the EU." in texts
    assert draft.blocks[0].kind == "heading" and draft.blocks[0].text == "Live in days, not months"
    assert_offsets(draft)


def test_upload_bytes_match_file_loading(docx_file: Path, pdf_file: Path, tmp_path: Path) -> None:
    markdown = tmp_path / "draft.md"
    markdown.write_text(MARKDOWN, encoding="utf-8")
    for path in (markdown, docx_file, pdf_file):
        from_file = load_draft(path)
        uploaded = load_draft_bytes(path.read_bytes(), path.name.upper())  # extensions in any case
        assert uploaded.path == path.name.upper()
        assert uploaded.model_dump(exclude={"path"}) == from_file.model_dump(exclude={"path"})
        assert len(from_file.sha256) == 64


def test_pasted_text() -> None:
    draft = draft_from_text("Live in days. Not months.")
    assert draft.path == "pasted.md" and draft.format == "markdown"
    assert [s.text for s in draft.sentences] == ["Live in days.", "Not months."]
    html = draft_from_text("<p>Hello &amp; welcome.</p>", "pasted.html")
    assert html.text == "Hello & welcome."
    with pytest.raises(InputError, match="no text found"):
        draft_from_text("  \n\n ")


def test_supported_suffixes() -> None:
    assert {".md", ".markdown", ".mdx", ".txt", ".html", ".htm", ".docx", ".pdf"} == SUPPORTED_SUFFIXES


# --- Bad and hostile input --------------------------------------------------------------------------


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.md").reason == "file not found"
    folder = tmp_path / "folder.md"
    folder.mkdir()
    assert error_of(folder).reason == "is a directory, not a file"


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "slides.xyz"
    path.write_text("text", encoding="utf-8")
    assert error_of(path).reason.startswith("unsupported file type .xyz (supported: .docx, .htm, ")
    with pytest.raises(InputError, match="unsupported file type"):
        load_draft_bytes(b"text", "notes.doc")


def test_empty_file(tmp_path: Path) -> None:
    for name in ("empty.md", "empty.docx", "empty.pdf"):
        path = tmp_path / name
        path.write_bytes(b"")
        assert error_of(path).reason == "file is empty"


def test_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: nothing is written, nothing must be read
    assert error_of(path).reason == "file is 50.0 MB; the limit is 10.0 MB"
    small = Settings(max_draft_bytes=10)
    with pytest.raises(InputError, match="file is 0.0 MB; the limit is 0.0 MB"):
        load_draft_bytes(b"more than ten bytes", "upload.md", small)


@pytest.mark.parametrize(
    "content",
    [
        make_pdf([["A real PDF renamed."]]),
        bytes(range(256)) * 64,
        b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(4096),
        random.Random(8).randbytes(4096).replace(b"\x00", b"\x01"),  # no NUL byte to give it away
    ],
    ids=["pdf", "all-bytes", "png", "random-no-nul"],
)
def test_binary_renamed_as_text(tmp_path: Path, content: bytes) -> None:
    for name in ("draft.md", "draft.txt", "draft.html"):
        path = tmp_path / name
        path.write_bytes(content)
        assert error_of(path).reason == "not a text file (binary content)"


def test_no_prose(tmp_path: Path) -> None:
    cases = {
        "code.md": "```\nonly code here.\n```\n",
        "front.md": "---\ntitle: only metadata\n---\n",
        "scripts.html": "<script>var a = 'not text';</script><style>p{}</style>",
        "blank.txt": "\n\n   \n",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert error_of(path).reason == "no text found", name


def test_docx_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_text("This is plain text with a .docx name.", encoding="utf-8")
    assert error_of(path).reason == "not a valid DOCX (not a zip archive)"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert error_of(path).reason == "not a valid DOCX (password-protected, or an old .doc file renamed)"


def test_docx_zip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            zeros = bytes(1024 * 1024)
            for _ in range(200):
                entry.write(zeros)
    assert path.stat().st_size < 2 * 1024 * 1024
    reason = error_of(path).reason
    assert reason.startswith("not a valid DOCX (uncompressed size 200.0 MB; the limit is 50.0 MB")


def test_docx_high_compression_ratio(tmp_path: Path) -> None:
    path = tmp_path / "ratio.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", bytes(20 * 1024 * 1024))
    assert "compressed more than 100:1" in error_of(path).reason


def test_docx_too_many_entries(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(5_000):
            archive.writestr(f"word/media/{number}.xml", b"")
    assert error_of(path).reason == "not a valid DOCX (5,000 entries; the limit is 2,000)"


def test_docx_zip_without_a_document(tmp_path: Path) -> None:
    path = tmp_path / "plain.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a word document")
    assert error_of(path).reason.startswith("not a valid DOCX (")


def test_truncated_pdf(tmp_path: Path) -> None:
    whole = make_pdf(PDF_PAGES)
    for cut in (len(whole) // 3, len(whole) // 2, len(whole) - 40):
        path = tmp_path / f"truncated-{cut}.pdf"
        path.write_bytes(whole[:cut])
        reason = error_of(path).reason
        assert reason.startswith(("not a valid PDF (", "PDF has no extractable text")), reason


@pytest.mark.parametrize(
    "content",
    [random.Random(3).randbytes(20_000), b"%PDF-1.7\n" + random.Random(4).randbytes(20_000), b"%PDF-"],
    ids=["random", "header-then-garbage", "header-only"],
)
def test_garbage_pdf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(content)
    assert error_of(path).reason.startswith("not a valid PDF (")


def test_pdf_without_text(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert error_of(path).reason == "PDF has no extractable text (a scanned image?)"


def test_encrypted_pdf(tmp_path: Path, pdf_file: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(pdf_file))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert error_of(path).reason.startswith("PDF is encrypted")


def test_pdf_worker_timeout(tmp_path: Path, pdf_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stuck = tmp_path / "stuck_worker.py"
    stuck.write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    monkeypatch.setattr(loaders, "PDF_WORKER", stuck)
    monkeypatch.setattr(loaders, "PDF_TIMEOUT_SECONDS", 0.5)
    assert error_of(pdf_file).reason == "PDF could not be read within 0.5 s"


def test_pdf_worker_memory_cap(tmp_path: Path, pdf_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    greedy = tmp_path / "greedy_worker.py"
    greedy.write_text(
        f"import sys\nsys.path.insert(0, {str(loaders.PDF_WORKER.parent)!r})\nimport pdf_worker\n"
        "pdf_worker._limit_resources()\nhoard = bytearray(2 * 1024**3)\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(loaders, "PDF_WORKER", greedy)
    assert error_of(pdf_file).reason == "PDF needs too much memory to read"


def test_pdf_worker_runs_on_its_own(pdf_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(loaders.PDF_WORKER), str(pdf_file)], capture_output=True, check=True, timeout=30
    )
    pages = json.loads(done.stdout)["pages"]
    assert len(pages) == 2 and "Hosted in the EU." in pages[1]


def test_html_hostile_markup_stays_fast() -> None:
    # Each of these is quadratic or worse in a naive extractor (or in Python 3.11's HTMLParser).
    cases = {
        "unclosed end tags": "<p>Real text here.</p>" + "</" * 200_000,
        "unclosed start tags": "<p>Real text here.</p>" + "<a " * 100_000,
        "deep nesting": "<div>" * 50_000 + "<p>Real text here.</p>" + "</div>" * 50_000,
        "unclosed paragraphs": "<p>Real text here." * 20_000,
        "stray end tags": "<p>Real text here.</p>" + "</div>" * 100_000,
    }
    for label, source in cases.items():
        draft = draft_from_text(source, "page.html")
        assert draft.sentences[0].text == "Real text here.", label
        assert_offsets(draft)


def test_html_without_closing_head() -> None:
    draft = draft_from_text("<html><head><title>Tab</title><meta charset=utf-8><body><p>Body text.", "x.html")
    assert draft.text == "Body text."


def test_structure_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(structure, "MAX_BLOCKS", 10)
    for name in ("list.md", "list.txt"):
        with pytest.raises(InputError, match=r"too many paragraphs \(more than 10\)"):
            draft_from_text("- item\n" * 11, name)
    with pytest.raises(InputError, match="too many paragraphs"):
        draft_from_text("<p>x</p>" * 11, "page.html")
    monkeypatch.setattr(structure, "MAX_SENTENCES", 10)
    with pytest.raises(InputError, match=r"too many sentences \(more than 10\)"):
        draft_from_text("Go! " * 11)
    monkeypatch.setattr(loaders, "MAX_HTML_TAGS", 10)
    with pytest.raises(InputError, match=r"too much markup \(more than 10 tags\)"):
        load_draft_bytes(b"<b>Bold words.</b>" * 11, "page.html")


def test_an_mdx_draft_reads_without_its_imports_and_art_does_not_end_a_sentence() -> None:
    source = b'import Hero from "./hero"\n\n# Security\n\nWe sign a contract under Art. 28 GDPR, and p.a. billing.\n'
    draft = load_draft_bytes(source, "page.mdx")
    assert draft.text == source.decode()  # offsets point into the source as written
    assert [s.text for s in draft.sentences] == [
        "Security",
        "We sign a contract under Art. 28 GDPR, and p.a. billing.",
    ]


def test_a_markdown_draft_is_parsed_once_for_its_blocks_and_the_review_brand_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """markdown-it reads the draft once; the draft view's blocks and the rules step's prose share it."""
    from reviewer.graph import build_context, review_draft
    from reviewer.rules import markup
    from tests.demo import CORPUS_DIR, DEMO_GUIDELINES

    parses: list[str] = []
    parse = markup._MD.parse
    monkeypatch.setattr(markup._MD, "parse", lambda src, env=None: parses.append(src) or parse(src, env))
    draft = load_draft(CORPUS_DIR / "drafts" / "landing_page.md")
    assert len(parses) == 1
    heading = draft.blocks[0]
    assert heading.kind == "heading" and not heading.text.startswith("#")
    settings = Settings(data_dir=tmp_path / "data", embeddings="hash", guidelines=DEMO_GUIDELINES)
    review = review_draft(build_context(settings), draft=draft)
    assert review.brand and len(parses) == 1
    for finding in review.brand:
        assert draft.text[finding.span.start : finding.span.end] == finding.span.text
    # A draft read back from JSON (a checkpoint, a batch result) parses its text again, to the same blocks.
    again = Draft.model_validate_json(draft.model_dump_json())
    assert again.markup() is not None and again.markup().sections == draft.markup().sections
