"""Section finding: coverage, types and headings on real reports and synthetic variants."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.structure import find_sections, section_type_of
from kb.models import SECTION_TYPES
from tests.ingest.expected_reports import REPORTS, SHARED, read_report

needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="set KB_SHARED_DIR to the shared test material")


def _check_cover(text: str, sections) -> None:
    assert sections[0].start == 0 and sections[-1].end == len(text)
    for a, b in itertools.pairwise(sections):
        assert a.end == b.start and a.start < a.end
    assert all(s.type in SECTION_TYPES for s in sections)


@needs_shared
@pytest.mark.parametrize("rel", sorted(REPORTS))
def test_sections_cover_real_reports(rel: str) -> None:
    text = read_report(rel)
    sections = find_sections(text, markdown=rel.endswith(".md"))
    _check_cover(text, sections)
    assert all(s.path[-1] == s.title for s in sections if s.title)


# (report, title, expected type, expected level or None)
REAL_HEADINGS = [
    ("seeds/000_f95ae1448ac3ea46.txt", "Sammanfattning och revisionell bedömning", "sammanfattning", 1),
    ("seeds/000_f95ae1448ac3ea46.txt", "Revisionsfrågor", "revisionsfraga", 2),
    ("seeds/000_f95ae1448ac3ea46.txt", "Kommentarer & bedömningar", "bedomning", 3),
    ("seeds/000_f95ae1448ac3ea46.txt", "Mål och riktlinjer", "iakttagelse", 2),
    ("seeds/001_2685321bc90dd1eb.txt", "Syfte och revisionsfrågor", "revisionsfraga", 2),
    ("seeds/001_2685321bc90dd1eb.txt", "Roll- och ansvarsfördelning", "iakttagelse", 2),
    ("seeds/001_2685321bc90dd1eb.txt", "Rekommendationer", "rekommendation", 1),
    ("seeds/002_b584caaa1296d239.txt", "Ingången", "iakttagelse", 3),
    ("seeds/002_b584caaa1296d239.txt", "Kommentar", "bedomning", None),
    ("seeds/003_38332d4cff676a59.txt", "Mål och riktlinjer", "iakttagelse", 2),
    ("seeds/003_38332d4cff676a59.txt", "Bedömning", "bedomning", 3),
    ("seeds/004_cdb858477220864e.txt", "Kommunstyrelsens beslut", "svar", None),
    ("seeds/004_cdb858477220864e.txt", "Svar till kommunrevisionen", "svar", None),
    ("data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md",
     "Mottagares medvetenhet kring informationssäkerhet och phishing", "iakttagelse", 2),
    ("data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md",
     "Bedömning utifrån revisionsfrågorna", "bedomning", 2),
]


@needs_shared
@pytest.mark.parametrize(("rel", "title", "kind", "level"), REAL_HEADINGS)
def test_real_headings(rel: str, title: str, kind: str, level: int | None) -> None:
    sections = [s for s in find_sections(read_report(rel), markdown=rel.endswith(".md")) if s.title == title]
    assert sections, f"heading {title!r} not found"
    assert sections[0].type == kind
    if level is not None:
        assert sections[0].level == level


@needs_shared
def test_table_of_contents_lines_are_not_headings() -> None:
    text = read_report("seeds/002_b584caaa1296d239.txt")
    titles = [s.title for s in find_sections(text)]
    assert titles.count("Sammanfattning") == 1 and "Vardagliga rutiner" not in titles


NUMBERED = """Granskning av IT-säkerhet
Region Halland

Innehåll
1. Sammanfattning ........ 2
2. Inledning ............. 3
2.1 Syfte och revisionsfrågor 3

1. Sammanfattning

Vi bedömer att styrningen i huvudsak är ändamålsenlig.

2. Inledning

2.1 Syfte och revisionsfrågor

Syftet är att bedöma om regionstyrelsen har en tillräcklig intern kontroll.

Följande steg ingår:
1. Intervjuer
2. Dokumentstudier

2.2 Revisionskriterier

Kommunallagen.

3. Resultat av granskningen

3.1 Mål och riktlinjer

Regionen har mål.

3.1.1 Vår bedömning

Målen är tydliga.

4. Rekommendationer

Vi rekommenderar att regionstyrelsen tar fram en plan.
"""


def test_numbered_synthetic_report() -> None:
    sections = find_sections(NUMBERED)
    _check_cover(NUMBERED, sections)
    got = [(s.title, s.level, s.type) for s in sections if s.title]
    assert got == [
        ("Innehåll", 1, "ovrigt"),
        ("Sammanfattning", 1, "sammanfattning"),
        ("Inledning", 1, "inledning"),
        ("Syfte och revisionsfrågor", 2, "revisionsfraga"),
        ("Revisionskriterier", 2, "inledning"),
        ("Resultat av granskningen", 1, "iakttagelse"),
        ("Mål och riktlinjer", 2, "iakttagelse"),
        ("Vår bedömning", 3, "bedomning"),
        ("Rekommendationer", 1, "rekommendation"),
    ]
    assert next(s for s in sections if s.title == "Vår bedömning").path == (
        "Resultat av granskningen", "Mål och riktlinjer", "Vår bedömning")


MARKDOWN = """---
title: x
---
# Granskning av bisysslor

## Sammanfattning

Text om bisysslor.

## Iakttagelser

### Registrering

Det saknas rutiner.

**Bedömning**

Vi bedömer att rutinerna är bristfälliga.

## Nämndens svar

Nämnden instämmer.
"""


def test_markdown_headings() -> None:
    sections = find_sections(MARKDOWN, markdown=True)
    _check_cover(MARKDOWN, sections)
    got = [(s.title, s.level, s.type) for s in sections if s.title]
    assert got == [("Granskning av bisysslor", 1, "ovrigt"), ("Sammanfattning", 2, "sammanfattning"),
                   ("Iakttagelser", 2, "iakttagelse"), ("Registrering", 3, "iakttagelse"),
                   ("Nämndens svar", 2, "svar")]


@pytest.mark.parametrize(("title", "parent", "kind"), [
    ("Sammanfattande bedömning", None, "sammanfattning"),
    ("Revisionell bedömning", None, "sammanfattning"),
    ("Revisionell bedömning", "iakttagelse", "bedomning"),
    ("Syfte och revisionsfrågor", "inledning", "revisionsfraga"),
    ("Kontrollmål", None, "revisionsfraga"),
    ("3.2 Bedömning", "iakttagelse", "bedomning"),
    ("Vår bedömning", None, "bedomning"),
    ("lakttagelser", None, "iakttagelse"),
    ("Nulägesbeskrivning", None, "iakttagelse"),
    ("Förslag till förbättringar", None, "rekommendation"),
    ("Yttrande", None, "svar"),
    ("Svar på granskning av bisysslor", None, "svar"),
    ("Kommunstyrelsens beslut", None, "svar"),
    ("Metod", None, "inledning"),
    ("Revisionskriterier", None, "inledning"),
    ("Bilaga 1: Intervjuade", None, "ovrigt"),
    ("Mål och riktlinjer", "iakttagelse", "iakttagelse"),
    ("Mål och riktlinjer", None, "ovrigt"),
])
def test_section_type_of(title: str, parent: str | None, kind: str) -> None:
    assert section_type_of(title, parent) == kind


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc ÅÄÖ.\n\t1234#*-:?")), max_size=300))
def test_any_text_is_covered(text: str) -> None:
    sections = find_sections(text, markdown=True)
    if text:
        _check_cover(text, sections)


@needs_shared
@pytest.mark.parametrize(("name", "kept", "rows"), [
    ("Olofstrom_Handlingsplan_for_klimat_och_energi.pdf", {"Åtgärdsplan", "Förnybar energi", "Transporter"},
     {"Socialförvaltningen Fordonsansvarig 31 dec 2024 Utbildningsförvaltningen", "Datum: 2023-03-31"}),
    ("Vansbro_Energi_och_klimatplan.pdf", {"Nulägesanalys 2009", "Strategi - Byggnader", "Åtgärder, mål 11-12"},
     {"2009 - 7369 MWh, 2014 - 7001 MWh, 2020 - 6632 MWh", "30% t.om. 2014 och 50% t.o.m 2020"}),
    ("Simrishamn_Bokslut_2025.pdf", {"Fritidsenheten", "Driftredovisning", "Entreprenader & rättstvister"},
     {"Budget 4 259 10 525", "Bibliotekslån 97 032 95 414 93 666 90 000"}),
])
def test_rows_of_tables_and_key_figures_in_a_pdf_are_no_headings(name: str, kept: set, rows: set) -> None:
    """A PDF's text layer gives table rows and key figures as short lines; they cite as no section."""
    from ingest.readers import read_document

    titles = {s.title for s in find_sections(read_document(SHARED / "data/real/pdfs" / name).text)}
    assert kept <= titles
    assert not rows & titles


@needs_shared
@pytest.mark.parametrize(("name", "kept", "sentences"), [
    ("Vansbro_Energi_och_klimatplan.pdf", {"Konkreta åtgärder", "Utbilda driftpersonal på värmekamera"},
     {"Vansbro kommun ska verka för att persontrafiken på Västerdalsbanan kan återuppstå",
      "De personer som kör mest bil i tjänsten bör erbjudas utbildning i Sparsam Körning/Eco-Driving",
      "Årsförbrukningen av förnybara drivmedel kommer att följaktligen att öka",
      "Uppmärksamma duktiga initiativ och resultat.- Feedback betyder mycket"}),
    ("BFS-2011-12.pdf", {"Brister som inte har omedelbar betydelse för säkerhet och hälsa"},
     {"Ansökan ska omfatta", "Dokumentationen ska minst innehålla", "Av journalen ska även framgå"}),
    ("Haparanda_klimatstrategi_2020_2050.pdf", set(), {"Fokusområden är"}),
])
def test_goals_rules_and_lead_ins_in_a_pdf_are_no_headings(name: str, kept: set, sentences: set) -> None:
    """A short line with a modal verb is a goal or a rule ("… ska verka för …"), one ending in "är" the
    lead-in to a list: the text of a section, not its title."""
    from ingest.readers import read_document

    titles = {s.title for s in find_sections(read_document(SHARED / "data/real/pdfs" / name).text)}
    assert kept <= titles
    assert not sentences & titles


@needs_shared
def test_a_charts_labels_in_the_text_are_no_headings() -> None:
    """Kungsbacka's survey charts came through as text: answer labels ending in their share or cut short
    ("Nej, jag visste inte att jag skulle rapportera… 9%"), statements above their values ("Jag får
    tillräcklig utbildning i informationssäkerhet" over "11%   32%   52%"). Passages under them were cited
    as sections of those names; they belong to the section the chart is in."""
    from ingest.readers import read_document

    text = read_document(SHARED / "data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md").text
    sections = find_sections(text, markdown=True)
    titles = [s.title for s in sections]
    assert not [t for t in titles if "%" in t or "…" in t or t.startswith("Jag ")]
    chart = text.index("Nej, jag visste inte att jag skulle rapportera… 9%")
    assert next(s for s in reversed(sections) if s.start <= chart).title == "Iakttagelser och analys"
    assert {"Iakttagelser och analys", "Utbildning och medvetenhet", "Frågor om e-postmeddelandet"} <= set(titles)


@needs_shared
@pytest.mark.parametrize(("name", "kept", "lines"), [
    ("seeds/003_38332d4cff676a59.txt", {"Rekommendationer", "Bedömning"},
     {"Markus Zackrisson, uppdragsledare", "Lena Brönnert, projektledare"}),
    ("data/real/pdfs/Haparanda_klimatstrategi_2020_2050.pdf", {"Innehåll"},
     {"Sofia Larsson, Klimatstrateg Haparanda stad", "Tryck: 2013",
      "Foton: Sofia Larsson, Chris Steel-Perkins och Kari Pistokoski"}),
    ("data/real/pdfs/Simrishamn_Bokslut_2025.pdf", {"Driftredovisning"}, {"Totalt 226"}),
    ("data/real/pdfs/Vansbro_Energi_och_klimatplan.pdf", {"Övriga åtgärder, ingående i fler mål"}, set()),
])
def test_signatures_colophons_and_totals_are_no_headings(name: str, kept: set, lines: set) -> None:
    """Ödeshög's report ends with its authors' signatures, and a footnote after them was cited under
    "Lena Brönnert, projektledare"; a brochure's credits and a table's total stand alone the same way."""
    from ingest.readers import read_document

    document = read_document(SHARED / name)
    titles = {s.title for s in find_sections(document.text, markdown=False)}
    assert kept <= titles
    assert not lines & titles
