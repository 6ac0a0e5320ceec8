"""The whole pipeline on real files: every shared document and generated broken ones through `kb ingest`,
the extracted metadata and findings of the real audit reports against the hand-read table, and the PDF
reading quality as chunks carry it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from ingest.readers.pdf import tesseract_available
from kb.models import DOC_TYPES
from kb.search import Searcher
from tests.ingest.expected_reports import NOT_AUDITS, REPORTS
from tests.ingest.pipeline_helpers import (
    DEVELOPER_WORDS,
    assert_consistent,
    by_source,
    failures,
    kb,
    open_index,
    pdf_pages,
)

pytestmark = pytest.mark.slow

#: Shared files that cannot be read, and what the message must say.
UNREADABLE = {
    "libreoffice-writer-password.pdf": "krypterad", "pypdf-r4-aes-user-password.pdf": "krypterad",
    "unreadablemetadata.pdf": "skadad",
}
BROKEN = {"trasig.pdf": "skadad", "tom.txt": "tom", "rapport.docx": "stöds inte", "text.pdf": "ingen PDF-fil",
          "binar.txt": "ingen textfil", "bilder.pdf": "saknar textlager på alla sidor"}
KOMMUNER = {"Haparanda_klimatstrategi_2020_2050.pdf": "Haparanda", "Simrishamn_Bokslut_2025.pdf": "Simrishamn",
            "Olofstrom_Handlingsplan_for_klimat_och_energi.pdf": "Olofström",
            "Vansbro_Energi_och_klimatplan.pdf": "Vansbro"}


@pytest.fixture(scope="module")
def everything(shared: Path, tmp_path_factory) -> tuple[Path, object]:
    """Every shared document plus broken files, ingested by one `kb ingest` run."""
    tmp = tmp_path_factory.mktemp("all")
    broken = tmp / "broken"
    broken.mkdir()
    pdf = (shared / "data" / "pdf-edge-cases" / "pdflatex-4-pages.pdf").read_bytes()
    files = {"trasig.pdf": pdf[: len(pdf) // 2], "tom.txt": b"", "rapport.docx": b"PK\x03\x04" + bytes(300),
             "text.pdf": "Granskning av IT-säkerhet\n".encode(), "binar.txt": bytes(range(256)) * 4,
             "bilder.pdf": pdf_pages(shared / "data" / "real" / "pdfs" / "Haparanda_klimatstrategi_2020_2050.pdf",
                                     [3, 5])}
    for name, data in files.items():
        (broken / name).write_bytes(data)
    data_dir = tmp / "index"
    result = kb(data_dir, "ingest", str(shared / "data" / "real"), str(shared / "data" / "pdf-edge-cases"),
                str(broken))
    return data_dir, result


def test_every_file_ingests_or_fails_with_a_swedish_message(everything, shared):
    data_dir, result = everything
    assert result.exit_code == 1
    assert not any(word in result.output for word in DEVELOPER_WORDS), result.output
    failed = failures(result.output)
    assert set(failed) == set(UNREADABLE) | set(BROKEN)
    for name, reason in {**UNREADABLE, **BROKEN}.items():
        assert reason in failed[name], (name, failed[name])
    ingested = by_source(data_dir)
    shared_files = [p for folder in ("real", "pdf-edge-cases") for p in (shared / "data" / folder).rglob("*")
                    if p.is_file()]
    notes = {"SOURCES.md"}  # each folder's description: passed over, and said so
    assert {p.name for p in shared_files} - set(UNREADABLE) - notes == set(ingested) - set(BROKEN)
    assert result.output.count("SOURCES.md: beskriver mappen") == 2
    summary = re.search(r"added=(\d+) updated=(\d+) unchanged=0 duplicate=0 failed=(\d+)", result.output)
    assert summary and int(summary[2]) == 0 and int(summary[3]) == len(UNREADABLE) + len(BROKEN)


def reports_of(data_dir: Path) -> list[dict]:
    return json.loads(kb(data_dir, "reports", "--json").stdout)


def test_every_report_has_sensible_metadata(everything):
    data_dir, _ = everything
    rows = reports_of(data_dir)
    assert len({row["id"] for row in rows}) == len(rows) == len({row["source"] for row in rows})
    for row in rows:
        name = Path(row["source"]).name
        assert row["title"] and row["chunks"] > 0 and row["doc_type"] in DOC_TYPES, row
        assert row["year"] is None or 2000 <= row["year"] <= 2026, row
        if name.startswith("kungsbacka"):
            assert (row["doc_type"], row["kommun"], row["firm"], row["year"]) == (
                "granskningsrapport", "Kungsbacka", "EY", 2023)
        else:
            assert row["doc_type"] == "ovrigt", row  # nothing else here is an audit document
        if name in KOMMUNER:
            assert row["kommun"] == KOMMUNER[name]
    assert {Path(r["source"]).name for r in rows} >= set(NOT_AUDITS)


def test_index_stays_consistent_and_a_rerun_changes_nothing(everything, shared):
    data_dir, _ = everything
    index = assert_consistent(data_dir)
    before = index.catalog.chunk_ids()
    assert index.lexical._current_matrix() is not None  # `kb ingest` leaves a BM25 matrix of what it wrote
    index.close()
    again = kb(data_dir, "ingest", str(shared / "data" / "real"), str(shared / "data" / "pdf-edge-cases"))
    assert "added=0 updated=0" in again.output and "failed=3" in again.output
    assert assert_consistent(data_dir).catalog.chunk_ids() == before


def test_image_pages_are_named_in_a_warning(everything):
    _, result = everything
    assert "varning: Sidorna 4, 6, 8, 14, 20, 23, 25, 26 saknar textlager" in result.output
    assert "varning: Sidorna 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 saknar textlager" in result.output


def test_pdf_chunks_cite_the_right_page_and_read_cleanly(everything):
    data_dir, _ = everything
    index = open_index(data_dir)
    bfs = index.catalog.chunks_of("bfs-2011-12")
    assert not any("manövrerin-" in c.text or re.search(r"^BFS 2011:12$", c.text, re.M) for c in bfs)
    for phrase, page in [("manövreringen av denna förhindras", 11), ("Om en motordriven vägg", 11)]:
        chunk = next(c for c in bfs if phrase in c.text)
        text, pages, _ = index.catalog.report_text("bfs-2011-12")
        start = chunk.text.index(phrase) + chunk.start
        assert chunk.page in (page - 1, page) and next(p.number for p in pages if p.start <= start < p.end) == page
    assert all(c.page is not None for c in bfs) and [c.page for c in bfs] == sorted(c.page for c in bfs)
    simrishamn = "\n".join(c.text for c in index.catalog.chunks_of("simrishamn-bokslut-2025"))
    assert "Status: Påbörjad\tRapportperiod: 2025-12-31" in simrishamn  # a table row stays one row
    columns = "\n".join(c.text for c in index.catalog.chunks_of("multicolumn"))
    assert columns.index("Duis eget orci sit amet orci dignissim rutrum.") < columns.index(
        "pellentesque ante. Phasellus adipiscing semper elit.")
    index.close()


@pytest.fixture(scope="module")
def audits(shared: Path, tmp_path_factory) -> Path:
    """The hand-read real reports (seeds and Kungsbacka) through `kb ingest`."""
    folder = tmp_path_factory.mktemp("audits")
    for rel in REPORTS:
        shutil.copy(shared / rel, folder / Path(rel).name)
    data_dir = folder / "index"
    result = kb(data_dir, "ingest", *(str(folder / Path(rel).name) for rel in sorted(REPORTS)))
    assert result.exit_code == 0, result.output
    return data_dir


@pytest.mark.parametrize("rel", sorted(REPORTS))
def test_metadata_matches_the_hand_read_table(audits, rel):
    row = by_source(audits)[Path(rel).name]
    expected = REPORTS[rel]
    fields = ("kommun", "firm", "year", "date", "title", "audited_body", "doc_type")
    assert {f: row[f] for f in fields} == {f: expected[f] for f in fields}


@pytest.mark.parametrize("rel", sorted(REPORTS))
def test_findings_match_the_hand_read_table_with_citations(audits, rel):
    report = by_source(audits)[Path(rel).name]
    result = kb(audits, "findings", "--json", "--kommun", report["kommun"])
    rows = [r for r in json.loads(result.stdout) if r["report_id"] == report["id"]]
    questions = [r for r in rows if r["kind"] == "revisionsfraga"]
    expected = REPORTS[rel]["questions"]
    assert [(r["text"][: len(q)], r["answer"]) for r, (q, _) in zip(questions, expected, strict=False)] == expected
    assert len(questions) == len(expected)
    recommendations = [r["text"] for r in rows if r["kind"] == "rekommendation"]
    assert [t[: len(e)] for t, e in zip(recommendations, REPORTS[rel]["recommendations"], strict=False)] == \
        REPORTS[rel]["recommendations"]
    index = open_index(audits)
    chunks = {c.id: c for c in index.catalog.chunks_of(report["id"])}
    for row in rows:
        chunk = chunks[row["chunk_id"]]
        assert row["url"] == f"/reports/{report['id']}?passage={chunk.id}#{chunk.id}"
        assert chunk.start <= row["start"] < chunk.end or row["start"] < chunk.start < row["end"]
    index.close()


def test_findings_filter_by_kommun(audits):
    rows = json.loads(kb(audits, "findings", "--json", "--kommun", "Ale", "--kommun", "Mellerud").stdout)
    assert {r["kommun"] for r in rows} == {"Ale", "Mellerud"}
    text = kb(audits, "findings", "--kommun", "Mellerud").output
    assert "Revisionsfråga [nej]: Sker det en tillfredsställande återrapportering" in text


@pytest.mark.skipif(not tesseract_available(), reason="tesseract with Swedish data is not installed")
def test_ocr_makes_image_pages_searchable(shared, tmp_path):
    pdf = shared / "data" / "real" / "pdfs" / "SCB-FS-2025-19.pdf"
    without = kb(tmp_path / "plain", "ingest", str(pdf))
    assert "Sidorna 2, 3, 4" in without.output
    result = kb(tmp_path / "ocr", "ingest", str(pdf), KB_OCR="1")
    assert result.exit_code == 0, result.output
    assert "lästes med OCR" in result.output
    for folder, found in (("plain", False), ("ocr", True)):
        index = open_index(tmp_path / folder)
        hits = Searcher(index).search("miljöskyddsinvesteringar", k=10).hits
        assert any("miljöskyddsinvesteringar" in h.text.lower() and h.page >= 3 for h in hits) is found
        index.close()
