"""Findings against the hand-read table, with exact spans, plus other firms' phrasings."""

from __future__ import annotations

import pytest

from ingest.findings import display_text, extract_findings, normalise_answer
from ingest.structure import find_sections
from tests.ingest.expected_reports import REPORTS, SHARED, read_report

needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="set KB_SHARED_DIR to the shared test material")


def _findings(text: str, markdown: bool = False):
    return extract_findings(text, find_sections(text, markdown=markdown), "r1")


@needs_shared
@pytest.mark.parametrize("rel", sorted(REPORTS))
def test_questions_and_answers(rel: str) -> None:
    found = [f for f in _findings(read_report(rel), rel.endswith(".md")) if f.kind == "revisionsfraga"]
    expected = REPORTS[rel]["questions"]
    assert [(f.text[:len(q)], f.answer) for f, (q, _) in zip(found, expected, strict=False)] == expected
    assert len(found) == len(expected)


@needs_shared
@pytest.mark.parametrize("rel", sorted(REPORTS))
def test_recommendations(rel: str) -> None:
    found = [f.text for f in _findings(read_report(rel), rel.endswith(".md")) if f.kind == "rekommendation"]
    expected = REPORTS[rel]["recommendations"]
    assert [t[:len(e)] for t, e in zip(found, expected, strict=False)] == expected
    assert len(found) == len(expected)


@needs_shared
@pytest.mark.parametrize("rel", sorted(REPORTS))
def test_spans_hold_the_finding(rel: str) -> None:
    text = read_report(rel)
    for f in _findings(text, rel.endswith(".md")):
        assert 0 <= f.start < f.end <= len(text)
        assert f.text in display_text(text[f.start:f.end])
        if "\n" not in text[f.start:f.end]:
            assert f.text in text[f.start:f.end]


@pytest.mark.parametrize(("raw", "answer"), [
    ("Ja ", "ja"), ("<p>Nej: Vi bedömer", "nej"), ("Delvis", "delvis"), ("Uppfyllt", "uppfyllt"),
    ("Delvis uppfylld", "delvis uppfyllt"), ("Ej uppfyllt", "ej uppfyllt"), ("Inte uppfyllt.", "ej uppfyllt"),
    ("Vi bedömer att", None),
])
def test_answers_are_normalised(raw: str, answer: str | None) -> None:
    assert normalise_answer(raw) == answer


KONTROLLMAL_TABLE = """1. Sammanfattning

Vår samlade bedömning är att nämnden delvis har en ändamålsenlig styrning.

Kontrollmål | Kommentar | Bedömning
Det finns aktuella riktlinjer för upphandling. | Riktlinjerna är från 2015. | Delvis uppfyllt
Avtalsuppföljning sker systematiskt. | Ingen uppföljning sker. | Ej uppfyllt

2. Rekommendationer

Vi rekommenderar att tekniska nämnden:
• Uppdaterar riktlinjerna för upphandling.
• Inför en rutin för systematisk avtalsuppföljning.
"""

LABELLED = """1. Inledning

Granskningen ska besvara två revisionsfrågor.

2. Iakttagelser

2.1 Styrning

Revisionsfråga 1: Har kommunstyrelsen en ändamålsenlig styrning av bolagen?

Ägardirektiven är uppdaterade.

Bedömning: Uppfyllt

2.2 Uppföljning

Revisionsfråga 2: Följer kommunstyrelsen upp bolagens verksamhet?

Uppföljningen är bristfällig. Vi rekommenderar kommunstyrelsen att begära in kvartalsrapporter.

Bedömning: Delvis uppfyllt

3. Samlad bedömning

Vi rekommenderar kommunstyrelsen att begära in kvartalsrapporter från bolagen.
"""


def test_kontrollmal_table_and_bullets() -> None:
    found = _findings(KONTROLLMAL_TABLE)
    questions = [(f.text, f.answer) for f in found if f.kind == "revisionsfraga"]
    assert questions == [("Det finns aktuella riktlinjer för upphandling.", "delvis uppfyllt"),
                         ("Avtalsuppföljning sker systematiskt.", "ej uppfyllt")]
    recs = [f.text for f in found if f.kind == "rekommendation"]
    assert recs == ["Uppdaterar riktlinjerna för upphandling.", "Inför en rutin för systematisk avtalsuppföljning."]


def test_labelled_questions_and_sentence_recommendations() -> None:
    found = _findings(LABELLED)
    questions = [(f.text, f.answer) for f in found if f.kind == "revisionsfraga"]
    assert questions == [("Har kommunstyrelsen en ändamålsenlig styrning av bolagen?", "uppfyllt"),
                         ("Följer kommunstyrelsen upp bolagens verksamhet?", "delvis uppfyllt")]
    recs = [f for f in found if f.kind == "rekommendation"]
    assert len(recs) == 1 and "kvartalsrapporter" in recs[0].text
    for f in found:
        assert f.text in display_text(LABELLED[f.start:f.end])
