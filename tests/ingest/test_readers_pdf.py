"""PDF reading on real Swedish documents, pypdf's edge cases and files broken on purpose."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from ingest.readers import read_document
from ingest.readers.pdf import tesseract_available
from kb.errors import IngestError

#: Edge cases that must read, with a phrase each must yield.
READABLE = {
    "google-doc-document.pdf": "Beautiful is better than ugly.",
    "habibi-rotated.pdf": "",
    "multicolumn.pdf": "Lorem ipsum dolor sit amet, consectetuer adipiscing elit.",
    "pdflatex-4-pages.pdf": "",
    "pdflatex-forms.pdf": "",
    "pypdf-Seige_of_Vicksburg_Sample_OCR.pdf": "Vicksburg",
    "pypdf-indirect-rotation.pdf": "",
    "pypdf-issue-297.pdf": "",
    "pypdf-missing_info.pdf": "",
    "pypdf-r2-empty-password.pdf": "",
    "pypdf-r6-empty-password.pdf": "",
}
#: Edge cases that must fail, with a word the Swedish message must contain.
UNREADABLE = {
    "libreoffice-writer-password.pdf": "lösenord",
    "pypdf-r4-aes-user-password.pdf": "lösenord",
    "unreadablemetadata.pdf": "skadad",
}


@pytest.fixture(scope="module")
def bfs(real_pdfs: Path):
    """The 103-page BFS 2011:12, read once for all tests that inspect it."""
    return read_document(real_pdfs / "BFS-2011-12.pdf")


def test_every_edge_case_reads_or_fails_clearly(edge_cases: Path) -> None:
    files = sorted(edge_cases.glob("*.pdf"))
    assert {f.name for f in files} == set(READABLE) | set(UNREADABLE)
    for path in files:
        if path.name in UNREADABLE:
            with pytest.raises(IngestError, match=UNREADABLE[path.name]):
                read_document(path)
        else:
            document = read_document(path)
            assert document.format == "pdf" and document.text.strip()
            assert READABLE[path.name] in document.text
            assert [p.number for p in document.pages] == list(range(1, len(document.pages) + 1))


def test_encrypted_message_is_plain_swedish(edge_cases: Path) -> None:
    with pytest.raises(IngestError) as error:
        read_document(edge_cases / "libreoffice-writer-password.pdf")
    assert "Filen är krypterad och kan inte läsas utan lösenord" in str(error.value)
    assert "Traceback" not in str(error.value) and "pypdf" not in str(error.value)


@pytest.mark.parametrize("name", ["pypdf-r2-empty-password.pdf", "pypdf-r6-empty-password.pdf"])
def test_empty_user_password_is_decrypted(edge_cases: Path, name: str) -> None:
    document = read_document(edge_cases / name)
    assert len(document.text) > 20
    assert document.metadata == {"author": "cheng", "created": "2022-04-14"}


def test_multicolumn_keeps_column_reading_order(edge_cases: Path) -> None:
    text = read_document(edge_cases / "multicolumn.pdf").text
    first_column = text.index("Duis eget orci sit amet orci dignissim rutrum.")
    second_column = text.index("pellentesque ante. Phasellus adipiscing semper elit.")
    assert first_column < second_column
    assert "ﬁ" not in text and "filled with Lorem Ipsum text" in text


def test_bfs_hyphenation_joined_and_real_hyphens_kept(bfs) -> None:
    text = bfs.text
    assert "manövreringen av denna förhindras" in text
    assert "manövrerin-" not in text
    assert "plan- och bygglagen" in text and "SS-EN 12604" in text and "CE-märkningen" in text
    assert len(re.findall(r"[a-zåäö]-\n[a-zåäö]", text)) == 0


def test_bfs_running_header_removed(bfs) -> None:
    assert len(bfs.pages) == 103
    assert bfs.text.count("BFS 2011:12\n") <= 1
    assert len(re.findall(r"^H 12$", bfs.text, flags=re.MULTILINE)) <= 1
    assert bfs.metadata == {
        "title": "Boverkets föreskrifter och allmänna råd (2011:12) om hissar och vissa andra motordrivna anordningar",
        "author": "Boverket",
        "created": "2020-09-06",
    }


def test_bfs_page_spans_cite_the_right_page(bfs) -> None:
    for phrase, page in [("manövreringen av denna", 11), ("Särskilda krav för anordningar för avfall", 11)]:
        offset = bfs.text.index(phrase)
        assert bfs.page_at(offset) == page
    for span in bfs.pages:
        assert bfs.text[span.start:span.end] == bfs.text[span.start:span.end].strip()


def test_bfs_paragraphs_are_one_line(bfs) -> None:
    paragraph = next(p for p in bfs.text.split("\n\n") if p.startswith("Om en motordriven vägg"))
    assert paragraph.endswith("befinner sig i utrymmet.") and "\n" not in paragraph


def test_haparanda_image_pages_warned(real_pdfs: Path) -> None:
    document = read_document(real_pdfs / "Haparanda_klimatstrategi_2020_2050.pdf")
    assert document.warnings == ("Sidorna 4, 6, 8, 14, 20, 23, 25, 26 saknar textlager (skannade bilder?).",)
    for number in (4, 6, 8):
        span = document.pages[number - 1]
        assert span.start == span.end


def test_scb_header_only_pages_count_as_without_text(real_pdfs: Path) -> None:
    document = read_document(real_pdfs / "SCB-FS-2025-19.pdf")
    assert "Sidorna 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 saknar textlager" in document.warnings[0]
    assert "miljöskyddskostnader" in document.text


def test_simrishamn_table_cells_on_one_line_and_metadata(real_pdfs: Path) -> None:
    document = read_document(real_pdfs / "Simrishamn_Bokslut_2025.pdf")
    assert "Status: Påbörjad\tRapportperiod: 2025-12-31\tOrganisation: Kultur- och fritidsnämnden" in document.text
    assert "SID 1 (36)" not in document.text and "2026-02-01.DOCX" not in document.text
    assert document.metadata["author"] == "Kultur- och fritidsnämnden"
    offset = document.text.index("Simrishamns kommuns idrottspris 2025 tilldelades Petra Damm")
    assert document.page_at(offset) == 6


def test_template_title_is_skipped(real_pdfs: Path) -> None:
    metadata = read_document(real_pdfs / "Olofstrom_Handlingsplan_for_klimat_och_energi.pdf").metadata
    assert "title" not in metadata
    assert metadata == {"author": "Karoline Mattsson", "created": "2023-04-05"}


def test_all_real_pdfs_read(real_pdfs: Path) -> None:
    for path in sorted(real_pdfs.glob("*.pdf")):
        document = read_document(path)
        assert len(document.text) > 1000 and not re.search(r"\n{3,}", document.text)


def test_truncated_pdf_fails_clearly(real_pdfs: Path, tmp_path: Path) -> None:
    data = (real_pdfs / "Olofstrom_Handlingsplan_for_klimat_och_energi.pdf").read_bytes()
    for cut in (200, 2000, len(data) // 2):
        path = tmp_path / f"cut{cut}.pdf"
        path.write_bytes(data[:cut])
        try:
            document = read_document(path)
        except IngestError as error:
            assert "PDF" in str(error)
        else:  # pypdf may recover some pages from half a file; that is fine if it is text
            assert document.text.strip()


def test_random_bytes_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "rapport.pdf"
    path.write_bytes(random.Random(1).randbytes(5000))
    with pytest.raises(IngestError, match="ingen PDF-fil"):
        read_document(path)


def test_garbage_after_pdf_magic(tmp_path: Path) -> None:
    path = tmp_path / "rapport.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random.Random(2).randbytes(5000))
    with pytest.raises(IngestError, match="skadad"):
        read_document(path)


def test_zero_byte_and_too_large(tmp_path: Path, real_pdfs: Path) -> None:
    empty = tmp_path / "tom.pdf"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="tom"):
        read_document(empty)
    with pytest.raises(IngestError, match="för stor"):
        read_document(real_pdfs / "BFS-2011-12.pdf", max_bytes=1_000_000)


def test_pdf_content_with_wrong_extension_is_read_as_pdf(tmp_path: Path, edge_cases: Path) -> None:
    path = tmp_path / "rapport.txt"
    path.write_bytes((edge_cases / "google-doc-document.pdf").read_bytes())
    assert read_document(path).format == "pdf"


@pytest.mark.slow
@pytest.mark.skipif(not tesseract_available(), reason="tesseract with Swedish data is not installed")
def test_ocr_reads_scb_enkat_pages(real_pdfs: Path) -> None:
    document = read_document(real_pdfs / "SCB-FS-2025-19.pdf", ocr=True)
    assert any("lästes med OCR" in warning for warning in document.warnings)
    page = document.pages[3]
    assert "investering" in document.text[page.start:page.end].lower()


def _in_thread(func):
    """func() in a worker thread, as the site calls readers; returns its result or raises its error."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(func).result()


def test_worker_thread_reads_the_same_in_a_child_process(edge_cases: Path) -> None:
    path = edge_cases / "multicolumn.pdf"
    assert _in_thread(lambda: read_document(path)) == read_document(path)
    with pytest.raises(IngestError, match="krypterad"):
        _in_thread(lambda: read_document(edge_cases / "pypdf-r4-aes-user-password.pdf"))


def test_worker_thread_is_bounded_in_time(real_pdfs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.readers import pdf

    monkeypatch.setattr(pdf, "TIME_LIMIT", 1)  # BFS takes several seconds: the child is stopped
    with pytest.raises(IngestError, match="tog för lång tid"):
        _in_thread(lambda: read_document(real_pdfs / "BFS-2011-12.pdf"))
