"""Bad input through `kb ingest`: a clear Swedish message naming the file, no traceback, and every
other file and the index left intact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ingest.pipeline_helpers import (
    DEVELOPER_WORDS,
    SWEDISH_REPORT,
    assert_consistent,
    by_source,
    failures,
    kb,
    pdf_pages,
)


def _truncated(shared: Path) -> bytes:
    data = (shared / "data" / "pdf-edge-cases" / "pdflatex-4-pages.pdf").read_bytes()
    return data[: len(data) // 3]


BAD: dict[str, tuple[Callable[[Path], bytes], str]] = {
    "trasig.pdf": (_truncated, "skadad eller ofullständig"),
    "skrap.pdf": (lambda s: b"%PDF-1.7\n" + bytes(range(256)) * 40, "skadad eller ofullständig"),
    "tom.pdf": (lambda s: b"", "är tom"),
    "tom.txt": (lambda s: b"", "är tom"),
    "bara-mellanslag.md": (lambda s: b"  \n\n\t\n", "ingen text"),
    "rapport.docx": (lambda s: b"PK\x03\x04" + bytes(range(256)) * 8, "Filtypen .docx stöds inte"),
    "text-med-fel-namn.pdf": (lambda s: b"Granskning av IT-styrning\n\nText.\n", "heter .pdf men är ingen PDF-fil"),
    "binar.txt": (lambda s: bytes(range(256)) * 20, "ingen textfil"),
    "krypterad.pdf": (lambda s: pdf_pages(s / "data" / "pdf-edge-cases" / "pdflatex-4-pages.pdf", [0, 1],
                                          password="hemligt"), "krypterad"),
    "bara-bilder.pdf": (lambda s: pdf_pages(s / "data" / "real" / "pdfs" / "Haparanda_klimatstrategi_2020_2050.pdf",
                                            [3, 5]), "saknar textlager på alla sidor"),
}


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "bra-rapport.txt"
    path.parent.mkdir()
    path.write_text(SWEDISH_REPORT, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_is_named_with_a_swedish_reason_and_the_rest_goes_in(name, shared, tmp_path, good):
    data_dir = tmp_path / "index"
    assert kb(data_dir, "ingest", str(good)).exit_code == 0
    make, reason = BAD[name]
    bad = good.parent / name
    bad.write_bytes(make(shared))
    other = good.parent / "annan-rapport.md"
    other.write_text("# Granskning av hemtjänsten\n\nNämnden bör följa upp hemtjänsten.\n", encoding="utf-8")

    result = kb(data_dir, "ingest", str(good.parent))

    assert result.exit_code == 1
    assert not any(word in result.output for word in DEVELOPER_WORDS), result.output
    message = failures(result.output)[name]
    assert reason in message, message
    assert "added=1 updated=0 unchanged=1 duplicate=0 failed=1" in result.output
    assert set(by_source(data_dir)) == {"bra-rapport.txt", "annan-rapport.md"}
    assert_consistent(data_dir).close()


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16", "utf-8-sig"])
def test_non_utf8_text_is_decoded(encoding, tmp_path):
    path = tmp_path / f"rapport-{encoding}.txt"
    path.write_bytes(SWEDISH_REPORT.replace("\n", "\r\n").encode(encoding))
    data_dir = tmp_path / "index"
    result = kb(data_dir, "ingest", str(path))
    assert result.exit_code == 0, result.output
    index = assert_consistent(data_dir)
    (report,) = index.catalog.reports()
    text, _, _ = index.catalog.report_text(report.id)
    assert "socialnämnden säkerställer en ändamålsenlig" in text and "Åtgärder behövs" in text
    assert "\ufffd" not in text and "Ã" not in text
    assert (report.meta.kommun, report.meta.firm) == ("Orsa", "PwC")
    index.close()


def test_size_limit_is_configurable(tmp_path, good):
    big = good.parent / "stor.txt"
    big.write_text(SWEDISH_REPORT * 8000, encoding="utf-8")  # about 2 MB
    data_dir = tmp_path / "index"
    result = kb(data_dir, "ingest", str(good.parent), KB_MAX_FILE_MB="1")
    assert result.exit_code == 1
    assert "för stor" in failures(result.output)["stor.txt"] and "KB_MAX_FILE_MB" in result.output
    assert set(by_source(data_dir)) == {"bra-rapport.txt"}


def test_a_fractional_size_limit_is_megabytes(tmp_path, good):
    big = good.parent / "stor.txt"
    big.write_text(SWEDISH_REPORT * 2000, encoding="utf-8")  # about 0.6 MB
    result = kb(tmp_path / "index", "ingest", str(good.parent), KB_MAX_FILE_MB="0,5")
    assert result.exit_code == 1 and "gränsen är 0.5 MB" in failures(result.output)["stor.txt"]
    assert set(by_source(tmp_path / "index")) == {"bra-rapport.txt"}


@pytest.mark.parametrize(("variable", "value", "allowed"), [
    ("KB_MAX_FILE_MB", "abc", "tal större än 0"), ("KB_MAX_FILE_MB", "0", "tal större än 0"),
    ("KB_MAX_FILE_MB", "-1", "tal större än 0"), ("KB_MAX_FILE_MB", "inf", "tal större än 0"),
    ("KB_RERANK", "abc", "1 (på) eller 0 (av)"), ("KB_OCR", "kanske", "1 (på) eller 0 (av)"),
    ("KB_CHROMA_URL", "http://127.0.0.1:abc", "http://värd:port"),
    ("KB_CHROMA_URL", "localhost:8000", "http://värd:port"),
    ("KB_SITE_URL", "granskning.example.se", "https://värd"),
])
@pytest.mark.parametrize("command", [["reports"], ["ingest", "--quiet"]])
def test_a_bad_setting_is_named_without_a_traceback(tmp_path, good, variable, value, allowed, command):
    args = [*command, str(good)] if command[0] == "ingest" else command
    result = kb(tmp_path / "index", *args, **{variable: value})
    assert result.exit_code != 0
    assert f"{variable}={value!r}" in result.output and allowed in result.output
    assert "Traceback" not in result.output and not (tmp_path / "index").exists()  # nothing was done


def test_a_folders_readme_and_sources_are_passed_over_unless_named(shared, tmp_path):
    """The real edge-case folder: its SOURCES.md describes the PDFs and is no report; named alone it is read."""
    folder = shared / "data" / "pdf-edge-cases"
    result = kb(tmp_path / "index", "ingest", str(folder))
    assert f"HOPP {folder / 'SOURCES.md'}: beskriver mappen" in result.output
    sources = set(by_source(tmp_path / "index"))
    assert "SOURCES.md" not in sources and "google-doc-document.pdf" in sources
    assert "SOURCES.md" not in result.output.split("HOPP", 1)[1].split("\n", 1)[1]  # said once, never read
    named = kb(tmp_path / "index", "ingest", str(folder / "SOURCES.md"))
    assert named.exit_code == 0 and "HOPP" not in named.output and "SOURCES.md" in by_source(tmp_path / "index")


def test_a_folder_note_is_known_by_its_name_in_any_case(shared, tmp_path):
    from ingest.pipeline import discover, passed_over

    real = shared / "data" / "real"
    found = {p.name for p in discover([real])}
    assert "kungsbacka_2023_informationssakerhet_i_praktiken.md" in found and "SOURCES.md" not in found
    assert [p.name for p in passed_over([real])] == ["SOURCES.md"]
    assert passed_over([real / "SOURCES.md"]) == [] and discover([real / "SOURCES.md"])  # named: no walk
    text = (real / "audits" / "kungsbacka_2023_informationssakerhet_i_praktiken.md").read_text(encoding="utf-8")
    for name in ("readme.txt", "README.sv.md", "License.md", "CHANGELOG.md", "readme-granskning.md"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert [p.name for p in discover([tmp_path])] == ["readme-granskning.md"]


def test_a_failure_names_the_file_once_and_colours_only_a_terminal(shared, tmp_path):
    """Stderr here is no terminal (as when redirected to a file): no ANSI codes; the path is the only name."""
    folder = shared / "data" / "pdf-edge-cases"
    names = ("libreoffice-writer-password.pdf", "unreadablemetadata.pdf")
    result = kb(tmp_path / "index", "ingest", *(str(folder / name) for name in names))
    assert result.exit_code == 1 and "\x1b[" not in result.output
    lines = {name: line for line in result.output.splitlines() for name in names if name in line}
    assert lines[names[0]] == (f"FEL  {folder / names[0]}: Filen är krypterad och kan inte läsas utan lösenord. "
                               "Spara en olåst kopia och försök igen.")
    assert lines[names[1]].count(names[1]) == 1 and "skadad eller ofullständig" in lines[names[1]]


def test_missing_file_and_folder_named(tmp_path):
    result = kb(tmp_path / "index", "ingest", str(tmp_path / "finns-inte.pdf"))
    assert result.exit_code == 1 and "finns-inte.pdf" in result.output and "finns inte" in result.output


def test_encrypted_with_empty_password_is_read(shared, tmp_path):
    path = tmp_path / "olast.pdf"
    path.write_bytes(pdf_pages(shared / "data" / "pdf-edge-cases" / "pdflatex-4-pages.pdf", [0], password=""))
    result = kb(tmp_path / "index", "ingest", str(path))
    assert result.exit_code == 0, result.output
    assert by_source(tmp_path / "index")["olast.pdf"]["chunks"] > 0


def test_some_pages_without_text_is_a_warning_naming_them(shared, tmp_path):
    path = tmp_path / "blandad.pdf"
    path.write_bytes(pdf_pages(shared / "data" / "real" / "pdfs" / "Haparanda_klimatstrategi_2020_2050.pdf",
                               [2, 3, 4]))
    result = kb(tmp_path / "index", "ingest", str(path))
    assert result.exit_code == 0, result.output
    assert "varning: Sidan 2 saknar textlager" in result.output
