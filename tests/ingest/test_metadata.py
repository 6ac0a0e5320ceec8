"""Metadata extraction against the hand-read table, plus synthetic variants for generalisation."""

from __future__ import annotations

import pytest

from ingest.metadata import extract_metadata, normalise_firm
from ingest.places import load_places
from tests.ingest.expected_reports import (
    NOT_AUDITS,
    REPORTS,
    SHARED,
    pdf_text,
    read_report,
)

pytestmark = pytest.mark.skipif(not SHARED.exists(), reason="set KB_SHARED_DIR to the shared test material")
FIELDS = ("kommun", "firm", "year", "date", "title", "audited_body", "doc_type")


@pytest.mark.parametrize("rel", sorted(REPORTS))
@pytest.mark.parametrize("field", FIELDS)
def test_real_report_field(rel: str, field: str) -> None:
    meta = extract_metadata(read_report(rel), file_name=rel)
    assert getattr(meta, field) == REPORTS[rel][field]


@pytest.mark.parametrize("name", NOT_AUDITS)
def test_non_audit_pdfs_are_ovrigt(name: str) -> None:
    assert extract_metadata(pdf_text(name), file_name=name).doc_type == "ovrigt"


def test_place_list_is_complete() -> None:
    kommuner, regioner = load_places()
    assert (len(kommuner), len(regioner)) == (290, 21)
    assert {"Orsa", "Mellerud", "Ale", "Ödeshög", "Strömsund", "Kungsbacka"} <= set(kommuner)


@pytest.mark.parametrize(("raw", "firm"), [
    ("Kommunalsektor inom PwC", "PwC"), ("Öhrlings PricewaterhouseCoopers AB", "PwC"),
    ("Ernst & Young AB", "EY"), ("KPMG AB", "KPMG"), ("Deloitte AB", "Deloitte"),
    ("Grant Thornton Sweden AB", "Grant Thornton"), ("Forvis Mazars", "Forvis Mazars"), ("BDO Mälardalen", "BDO"),
])
def test_firm_names_are_normalised(raw: str, firm: str) -> None:
    assert normalise_firm(raw) == firm


REGION_REPORT = """Region Skåne

Granskning av
läkemedelshantering

Revisionsrapport
Deloitte AB
2022-11-15

1. Sammanfattning

Deloitte har på uppdrag av de förtroendevalda revisorerna i Region Skåne granskat om hälso- och
sjukvårdsnämnden säkerställer en ändamålsenlig läkemedelshantering. Region Skåne har brister.

2. Inledning

Granskningen avser hälso- och sjukvårdsnämnden i Region Skåne.
"""

MISSIV = """Till: Barn- och utbildningsnämnden
För kännedom: Kommunfullmäktige

2021-05-10

Granskning av elevhälsan

Grant Thornton har på uppdrag av de förtroendevalda revisorerna i Dals-Eds kommun granskat elevhälsan.
Vi önskar nämndens svar senast den 1 september 2021.

För revisorerna i Dals-Eds kommun
"""

PROTOCOL = """Sammanträdesprotokoll
Socialnämnden
Sammanträdesdatum 2020-03-04

§ 12 Dnr SN 2020/14

Svar på revisionsrapport om hemtjänsten

KPMG har på uppdrag av revisorerna i Sala kommun granskat hemtjänsten. Revisorerna önskar svar.

Socialnämndens beslut
Nämnden antar yttrandet.

Justerare
"""


def test_region_report() -> None:
    meta = extract_metadata(REGION_REPORT)
    assert (meta.kommun, meta.firm, meta.date, meta.year) == ("Region Skåne", "Deloitte", "2022-11-15", 2022)
    assert meta.title == "Granskning av läkemedelshantering"
    assert meta.audited_body == "hälso- och sjukvårdsnämnden"


def test_missiv_alone() -> None:
    meta = extract_metadata(MISSIV)
    assert (meta.doc_type, meta.kommun, meta.firm, meta.year) == ("missiv", "Dals-Ed", "Grant Thornton", 2021)


def test_protocol_extract() -> None:
    meta = extract_metadata(PROTOCOL)
    assert (meta.doc_type, meta.kommun, meta.firm, meta.date) == ("protokollsutdrag", "Sala", "KPMG", "2020-03-04")


def test_front_matter_overrides_and_pdf_info_fills() -> None:
    explicit = extract_metadata(REGION_REPORT, file_metadata={"origin": "front_matter", "title": "Egen titel",
                                                              "year": "2023", "firm": "Ernst & Young AB"})
    assert (explicit.title, explicit.year, explicit.firm) == ("Egen titel", 2023, "EY")
    weak = extract_metadata(REGION_REPORT, file_metadata={"title": "Dokument1"})
    assert weak.title == "Granskning av läkemedelshantering"
    fallback = extract_metadata("Ett kort dokument utan titel.", file_name="x/min_rapport.pdf",
                                file_metadata={"created": "D:20190101"})
    assert (fallback.title, fallback.year) == ("min rapport", 2019)


def test_a_title_from_the_file_name_is_spelled_as_the_text_spells_it() -> None:
    name = "Olofstrom_Handlingsplan_for_klimat_och_energi.pdf"  # its PDF title is "Föreskriftens namn"
    meta = extract_metadata(pdf_text(name), file_name=name)
    assert (meta.title, meta.kommun) == ("Handlingsplan för klimat och energi", "Olofström")  # the kommun once
    text = "Planen för Malmo. Vi for dit, vi for hem, vi for bort, och för övrigt: Malmö, Malmö."  # the commoner form
    assert extract_metadata(text, file_name="malmo_plan_for_2030.pdf").title == "malmö plan for 2030"
    assert extract_metadata(text, file_name="Okand_titel.pdf").title == "Okand titel"
    assert extract_metadata(text + " BFS", file_name="BFS_MALMO_Plan.pdf").title == "BFS MALMÖ Plan"  # case kept
    haparanda = "Haparanda_klimatstrategi_2020_2050.pdf"
    assert extract_metadata(pdf_text(haparanda), file_name=haparanda).title == "Klimatstrategi 2020–2050"
    assert extract_metadata(text, file_name="plan_2030_2020.pdf").title == "plan 2030 2020"  # no span backwards


def test_a_state_agency_is_never_the_audited_body() -> None:
    for name in ("Olofstrom_Handlingsplan_for_klimat_och_energi.pdf", "Vansbro_Energi_och_klimatplan.pdf"):
        assert extract_metadata(pdf_text(name), file_name=name).audited_body != "länsstyrelsen"  # cited, not audited
    text = "Socialstyrelsen har föreskrifter. Enligt Socialstyrelsen och Länsstyrelsen ska socialnämnden följa upp."
    assert extract_metadata(text).audited_body == "socialnämnden"
