"""Chunking on the real reports: exact offsets, excerpt-sized, never a cut word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.chunking import MAX_CHARS, chunk_document, chunk_id, is_contents_entry
from kb.models import Document, Section

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
REPORTS = sorted(CORPUS.glob("*.txt"))


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.stem)
def test_chunks_are_exact_excerpt_sized_and_whole_words(path):
    text = path.read_text(encoding="utf-8")
    chunks = chunk_document("r", Document(text, "txt"), [])
    assert chunks
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= MAX_CHARS
        assert chunk.start == 0 or not re.match(r"\w\w", text[chunk.start - 1 : chunk.start + 1])
        assert chunk.end == len(text) or not re.match(r"\w\w", text[chunk.end - 1 : chunk.end + 1])
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))  # no overlaps
    covered = sum(len(c.text) for c in chunks)
    assert covered >= len(text.strip()) * 0.97  # only whitespace between chunks is left out


def test_chunks_do_not_cross_sections_and_carry_them():
    text = "Sammanfattning\nKort text om allt.\nBedömning\n" + "Vi bedömer att det brister. " * 60
    split = text.index("Bedömning")
    sections = [Section("Sammanfattning", 1, 0, split, ("Sammanfattning",), "sammanfattning"),
                Section("Bedömning", 1, split, len(text), ("Bedömning",), "bedomning")]
    chunks = chunk_document("r", Document(text, "txt"), sections)
    assert chunks[0].section_type == "sammanfattning" and chunks[0].end <= split
    assert all(c.section == "Bedömning" for c in chunks[1:])
    assert len(chunks) >= 3  # the long section is split, at sentence ends
    assert all(c.text.endswith(".") for c in chunks[1:])


def test_chunk_ids_are_deterministic():
    assert chunk_id("a", 0, 4, "text") == chunk_id("a", 0, 4, "text")
    assert chunk_id("a", 0, 4, "text") != chunk_id("b", 0, 4, "text")


def test_a_passage_on_one_page_cites_that_page():
    from kb.models import Page

    text = "Första sidans text.\n\nAndra sidans text."
    doc = Document(text, "pdf", pages=(Page(1, 0, 19), Page(2, 21, len(text))))
    chunks = chunk_document("r", doc, [], target=10, max_chars=30)
    assert [c.page for c in chunks] == [1, 2]


@pytest.mark.parametrize(("line", "entry"), [
    ("1.\tSammanfattning\t1", True),  # Ale's contents, as the reader gives them
    ("1.2. Syfte och revisionsfråga.....\t4", True),  # Ödeshög's
    ("Sammanfattning                                                1", True),  # Kungsbacka's
    ("17 Finansiella rapporter ..................................", True),  # Simrishamn's, page on the next line
    ("Annan ersättning\t20\t4", False),  # a row of Mellerud's table of outcomes
    ("Bibliotekslån 97 032 95 414 93 666 90 000", False),  # key figures
    ("Sammanfattning 1", False),  # no leader
    ("Vi bedömer att nämnden delvis har säkerställt en ändamålsenlig uppföljning.", False),
])
def test_a_line_of_a_table_of_contents(line: str, entry: bool) -> None:
    assert is_contents_entry(line) is entry


@pytest.mark.parametrize(("name", "openings"), [
    ("Haparanda_klimatstrategi_2020_2050.pdf", ["Innehåll\n\nFörord av Kommunalråd Gunnel Simu 05 Varför"]),
    ("Simrishamn_Bokslut_2025.pdf", ["Innehåll\n\nVerksamhetsberättelse ....", "17 Finansiella rapporter ...."]),
    ("Olofstrom_Handlingsplan_for_klimat_och_energi.pdf", []),
])
def test_the_tables_of_contents_of_real_pdfs(shared, name, openings):
    """Leaders or not: a brochure's contents ("Nulägesbeskrivning 15", several entries a line) under its
    "Innehåll" heading count as much as a report's dotted ones; nothing else in these documents does."""
    from ingest.readers import read_document
    from ingest.structure import find_sections
    from kb.chunking import is_table_of_contents

    document = read_document(shared / "data/real/pdfs" / name, max_bytes=10**8, ocr=False)
    chunks = chunk_document("r", document, find_sections(document.text, markdown=False))
    found = [c.text for c in chunks if is_table_of_contents(c.text)]
    assert len(found) == len(openings) and all(t.startswith(o) for t, o in zip(found, openings, strict=True))


def test_under_a_contents_heading_only_page_numbers_make_entries():
    from kb.chunking import is_table_of_contents

    assert is_table_of_contents("Innehåll\n\nFörord 05 Klimathjältar 09\nNulägesbeskrivning 15\n– vad är skillnaden?")
    assert not is_table_of_contents("Innehåll\n\nRapporten beskriver granskningen 2019.\nMålet nåddes till 85 %\n"
                                    "Utsläppen minskade 2020-2050\nSe bilaga.")
    assert not is_table_of_contents("Nulägesbeskrivning 15\nProduktion 16\nMål till 2030 19")  # no heading


@pytest.mark.parametrize(("name", "opening", "pages"), [
    # 29 characters of a chart label end page 17; the passage's 673 others are on page 18
    ("Haparanda_klimatstrategi_2020_2050.pdf", "PÅVERKAN FRÅN KONSUMTION EF Total", (18, 18)),
    ("Haparanda_klimatstrategi_2020_2050.pdf", "4.\n\nKlImaThjälTar\n\nVilka utsläpp", (15, 15)),
    ("Olofstrom_Handlingsplan_for_klimat_och_energi.pdf", "VMAB\tGenom KLF\n\n4.6 Ta fram", (12, 12)),
    ("Olofstrom_Handlingsplan_for_klimat_och_energi.pdf", "Miljöförbundet\nOlofströms Hus AB VD", (7, 8)),
    ("Simrishamn_Bokslut_2025.pdf", "Övrig information\n\nInga rättstvister", (18, 21)),
])
def test_a_pdf_passage_cites_the_pages_that_hold_its_text(shared, name, opening, pages):
    from ingest.readers import read_document
    from ingest.structure import find_sections

    document = read_document(shared / "data/real/pdfs" / name, max_bytes=10**8, ocr=False)
    chunks = chunk_document("r", document, find_sections(document.text, markdown=False))
    chunk = next(c for c in chunks if c.text.startswith(opening))
    assert (chunk.page, chunk.page_end) == pages
    opened = next(p for p in document.pages if p.number == chunk.page)
    on_page = document.text[max(chunk.start, opened.start) : min(chunk.end, opened.end)]
    assert len(on_page.strip()) >= 100  # the reader sent to `page` finds a real part of the passage
    for c in chunks:  # pages never run backwards, so the report page's page marks stay in order
        assert c.page <= c.page_end and document.page_at(c.start) <= c.page <= document.page_at(c.end - 1)
    assert [c.page for c in chunks] == sorted(c.page for c in chunks)
