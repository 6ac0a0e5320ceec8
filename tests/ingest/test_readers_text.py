"""Text and Markdown reading: encodings, export leftovers, front matter, converted-PDF page markers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ingest.readers import read_document
from kb.errors import IngestError

SAMPLE = ("Revisionsfråga: Har socialnämnden säkerställt en ändamålsenlig styrning?\r\n"
          "Svar: Delvis – ”åtgärder” krävs.\r\n")


@pytest.fixture(scope="module")
def kungsbacka(shared_dir: Path):
    """EY's Kungsbacka report as converted to Markdown with page markers."""
    return read_document(shared_dir / "data" / "real" / "audits"
                         / "kungsbacka_2023_informationssakerhet_i_praktiken.md")


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("cp1252", b""), ("latin-1", b"")],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    path = tmp_path / "rapport.txt"
    path.write_bytes(prefix + SAMPLE.encode(encoding, errors="replace"))
    document = read_document(path)
    assert document.format == "txt"
    assert document.text.startswith("Revisionsfråga: Har socialnämnden säkerställt")
    assert "\r" not in document.text and "\ufeff" not in document.text
    if encoding != "latin-1":
        assert "”åtgärder”" in document.text


def test_double_encoded_utf8_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "rapport.txt"
    text = "Revisionsfråga: Har socialnämnden säkerställt en ändamålsenlig styrning? Svar: Delvis – åtgärder krävs."
    path.write_bytes(text.encode("utf-8").decode("cp1252").encode("utf-8"))
    assert "Ã¤" in path.read_text(encoding="utf-8")
    assert read_document(path).text == text


def test_seed_exports_lose_their_leftovers(shared_dir: Path) -> None:
    for path in sorted((shared_dir / "seeds").glob("*.txt")):
        document = read_document(path)
        assert "[bookmark" not in document.text and "[footnote" not in document.text, path.name
        assert "\n\n\n" not in document.text and "\x0c" not in document.text and "\u200b" not in document.text
        assert document.text == document.text.strip()
    orsa = read_document(shared_dir / "seeds" / "000_f95ae1448ac3ea46.txt").text
    assert orsa.startswith("Sammanfattning och revisionell bedömning\nVår sammanfattande bedömning")
    assert "Socialnämnden¹  är granskningsobjekt" in orsa
    assert "\n¹ Kommunstyrelsens socialutskott har sedan årsskiftet övertagit Socialnämndens funktioner.\n" in orsa


def test_seed_text_is_otherwise_faithful(shared_dir: Path) -> None:
    raw = (shared_dir / "seeds" / "003_38332d4cff676a59.txt").read_text(encoding="utf-8")
    text = read_document(shared_dir / "seeds" / "003_38332d4cff676a59.txt").text
    paragraph = next(line for line in raw.split("\n") if line.startswith("Nämndens planeringsdirektiv"))
    assert paragraph.strip() in text


def test_front_matter_becomes_metadata(tmp_path: Path) -> None:
    path = tmp_path / "rapport.md"
    path.write_text('---\ntitle: "Granskning av IT-säkerhet"\nkommun: Orsa\nyear: 2023\n---\n\n'
                    '# Sammanfattning\n\nText.\n')
    document = read_document(path)
    assert document.format == "md"
    assert document.metadata == {"title": "Granskning av IT-säkerhet", "kommun": "Orsa", "year": "2023",
                                 "origin": "front_matter"}
    assert document.text == "# Sammanfattning\n\nText."


def test_horizontal_rule_is_not_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "rapport.md"
    path.write_text("---\nDet här är bara text, inte metadata\n---\nMer text.\n")
    document = read_document(path)
    assert document.metadata == {} and document.text.startswith("---")


def test_converted_pdf_markers_become_pages(kungsbacka) -> None:
    assert [p.number for p in kungsbacka.pages] == list(range(192, 228))
    assert "<!--" not in kungsbacka.text
    offset = kungsbacka.text.index("Offentlig sektor behandlar stora mängder digital information.")
    assert kungsbacka.page_at(offset) == 195
    offset = kungsbacka.text.index(
        "Utveckla ett strukturerat och regelbundet arbete med informationssäkerhetsutbildningar")
    assert kungsbacka.page_at(offset) == 193


def test_converted_pdf_escapes_and_page_numbers_removed(kungsbacka) -> None:
    text = kungsbacka.text
    assert "1\\)" not in text and "\\-" not in text
    assert "1) Mottagare som klickat på länken i e-postmeddelandet" in text
    for span in kungsbacka.pages:
        lines = text[span.start:span.end].split("\n")
        assert not any(line.strip().isdigit() and len(line.strip()) <= 2 for line in lines[-2:]), span.number


def test_converted_pdf_paragraphs_merged(kungsbacka) -> None:
    assert (
        "Offentlig sektor behandlar stora mängder digital information. Detta skapar många nya möjligheter"
        in kungsbacka.text
    )


PNG = b"\x89PNG\r\n\x1a\n" + random.Random(3).randbytes(4000)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("tom.txt", b"", "tom"),
    ("blank.md", "\n\n   \n\u200b\n".encode(), "ingen text"),
    ("data.txt", PNG, "ingen textfil"),
    ("data.md", PNG, "ingen textfil"),
    ("data.bin", PNG, "stöds inte"),
    ("rapport.docx", b"text", "stöds inte"),
])
def test_unreadable_file_is_refused(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError, match=message):
        read_document(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="finns inte"):
        read_document(tmp_path / "saknas.txt")


def test_large_text_is_read_whole(tmp_path: Path, shared_dir: Path) -> None:
    """Speed is measured in bench/, not here; this checks a 3 MB export is read completely."""
    path = tmp_path / "stor.txt"
    seed = (shared_dir / "seeds" / "001_2685321bc90dd1eb.txt").read_bytes()
    path.write_bytes(seed * 50)
    text = read_document(path).text
    assert len(text) > 1_000_000
    assert text.count("Melleruds kommun") == 50 * read_document(shared_dir / "seeds" / "001_2685321bc90dd1eb.txt"
                                                              ).text.count("Melleruds kommun")
