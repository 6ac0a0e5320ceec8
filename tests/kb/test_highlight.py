"""Excerpts mark the words the search's own analysis matched, on real report text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.analysis import default_decompounder
from kb.highlight import excerpt, fold

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def ale() -> str:
    return (CORPUS / "ale-2015-arbetsmarknadsenhet-forsorjningsstod.txt").read_text(encoding="utf-8")


def _paragraph(text: str, words: str) -> str:
    return next(p for p in text.split("\n\n") if words in p)


def _marked(markup: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", str(markup))


def test_an_abbreviation_marks_the_name_it_stands_for(ale):
    paragraph = _paragraph(ale, "Mellan socialtjänst/försörjningsstöd och Västra Götalandsregionen")
    marked = _marked(excerpt(paragraph, "FK läkare", width=2000, decompounder=default_decompounder()))
    assert "försäkringskassan" in marked and "läkare" in marked


def test_a_compound_is_marked_for_its_part(ale):
    paragraph = _paragraph(ale, "arbetsmarknadsenheten bedrivs inom dels den s.k. Ingången")
    marked = _marked(excerpt(paragraph, "arbetsmarknad", width=2000, decompounder=default_decompounder()))
    assert "arbetsmarknadsenheten" in marked


def test_unaccented_query_marks_accented_words_and_stopwords_are_left(ale):
    paragraph = _paragraph(ale, "Riktlinjerna för försörjningsstöd gällande arbetslösa vuxna")
    marked = _marked(excerpt(paragraph, "forsorjningsstod for vuxna", width=2000))
    assert {fold(m) for m in marked} == {"forsorjningsstod", "vuxna"}


def test_a_long_passage_is_cut_around_its_matches(ale):
    paragraph = _paragraph(ale, "Mellan socialtjänst/försörjningsstöd och Västra Götalandsregionen")
    assert len(paragraph) > 480
    cut = str(excerpt(paragraph, "rehabilitering", width=200))
    assert cut.startswith("… ") and "<mark>rehabilitering</mark>" in cut
    assert len(re.sub(r"</?mark>", "", cut)) <= 200 + 4


def test_no_query_marks_nothing_and_escapes_the_text():
    assert str(excerpt("Revisorerna <bedömer> & föreslår", "")) == "Revisorerna &lt;bedömer&gt; &amp; föreslår"


def test_an_excerpt_of_a_markdown_table_cell_shows_no_line_break_tag(shared):
    from ingest.readers import read_document

    path = shared / "data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md"
    text = read_document(path, max_bytes=10**8, ocr=False).text
    cell = text[text.index("| Har Kungsbacka kommun en<br>incidenthanteringsprocess"):][:300]
    shown = str(excerpt(cell, "incidenthanteringsprocess"))
    assert "Har Kungsbacka kommun en <mark>incidenthanteringsprocess</mark> som aktiveras" in shown
    assert "br&gt;" not in shown and "<br" not in shown


def test_an_excerpt_of_a_markdown_table_shows_a_links_text_and_cells_a_person_reads(shared):
    from ingest.readers import read_document

    path = shared / "data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md"
    text = read_document(path, max_bytes=10**8, ocr=False).text
    start = text.index("[Tabell 216-1](handlingar.tabeller/216-1.csv)")
    shown = str(excerpt(text[start:start + 700], "incidenthanteringsprocess phishing", width=2000))
    assert shown.startswith("Tabell 216-1\n\nHar Kungsbacka kommun en <mark>incidenthanteringsprocess</mark> som")
    assert "attacken? – Nej. Vår bedömning är det inte finns en <mark>incidenthanteringsprocess</mark>" in shown
    assert "|" not in shown and "](" not in shown
