"""What a careful reader finds in each real report, written by reading them; the extractors must match it.

Decisions recorded here: `date` is the first day-precise date on the front pages (the missiv's date when a
missiv leads), else the cover month completed by a signature date of the same month, else None; `year` is
always filled when the text allows. Titles drop a genre prefix ('Revisionsrapport:') and a trailing kommun.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

SHARED = Path(os.environ.get("KB_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))

REPORTS = {
    "seeds/000_f95ae1448ac3ea46.txt": {
        "kommun": "Orsa", "firm": "PwC", "year": 2015, "date": None,
        "title": "Granskning av verksamheten vid arbetsmarknadsenheten",
        "audited_body": "socialnämnden", "doc_type": "granskningsrapport",
        "questions": [
            ("Har socialnämnden säkerställt en ändamålsenlig ledning", None),
            ("Fungerar Resurscentrum på det sätt som angavs", None),
            ("Finns det tydliga mål och fastställda riktlinjer", None),
            ("Är organisationen och ansvarsområdena", None),
            ("Fungerar samarbetet mellan de inblandade parterna", None),
            ("Hur är avtalen utformade?", None),
            ("Sker en tillfredsställande uppföljning", None),
        ],
        "recommendations": [
            "Vi rekommenderar att man bör se över möjligheten",
            "För att tydliggöra flödet av klienter",
            "Vi rekommenderar att det upprättas rutiner",
            "Vi rekommenderar att man förtydligar vilka typer",
        ],
    },
    "seeds/001_2685321bc90dd1eb.txt": {
        "kommun": "Mellerud", "firm": "PwC", "year": 2024, "date": "2024-01-12",
        "title": "Granskning av arbetsmarknadsverksamheten",
        "audited_body": "socialnämnden", "doc_type": "granskningsrapport",
        "questions": [
            ("Finns det tydliga mål, riktlinjer och rutiner", "ja"),
            ("Finns det en tydlig roll- och ansvarsfördelning", "ja"),
            ("Sker det en tillfredsställande uppföljning, utvärdering", "ja"),
            ("Finns det välfungerande rutiner för samverkan", "ja"),
            ("Sker det en tillfredsställande återrapportering", "nej"),
        ],
        "recommendations": [
            "Överväg att fastställa mål och nyckeltal",
            "Säkerställ att det årligen finns en handlingsplan",
            "Förtydliga ansvarsfördelningen i reglementen",
            "För att säkerställa tillräcklig intern kontroll",
        ],
    },
    "seeds/002_b584caaa1296d239.txt": {
        "kommun": "Ale", "firm": "KPMG", "year": 2015, "date": "2015-07-01",
        "title": "Granskning av arbetsmarknadsenhet och försörjningsstöd",
        "audited_body": "omsorgs- och arbetsmarknadsnämnden", "doc_type": "granskningsrapport",
        "questions": [
            ("Finns mål och riktlinjer d v s ett tydligt uppdrag för AME?", None),
            ("Är roller och ansvar tydligt", None),
            ("Finns en ändamålsenlig samverkan mellan AME och försörjningsstöd?", None),
            ("Finns ett förebyggande arbete med ungdomar", None),
            ("Hur fungerar samverkan", None),
        ],
        "recommendations": [
            "En målsättning för arbetslösa vuxna",
            "Uppföljning sker av att rutinen",
            "En mer formaliserad samverkan",
        ],
    },
    "seeds/003_38332d4cff676a59.txt": {
        "kommun": "Ödeshög", "firm": "PwC", "year": 2019, "date": "2019-03-21",
        "title": "Försörjningsstöd",
        "audited_body": "socialnämnden", "doc_type": "granskningsrapport",
        "questions": [
            ("Finns mål och riktlinjer för arbetet med insatser", "ej uppfyllt"),
            ("Används arbetsmetoder för att bedöma behov", "delvis uppfyllt"),
            ("Görs en individuell planering och uppföljning?", "delvis uppfyllt"),
            ("Finns tillgång till insatser att erbjuda?", "uppfyllt"),
            ("Finns rutiner för samarbete och samverkan?", "uppfyllt"),
        ],
        "recommendations": [
            "Utarbeta mål och säkerställ indikatorer",
            "Upprätta en styrning för att säkerställa",
            "Utarbeta en styrning som visar vad den arbetsplan",
            "Förtydliga vad som är Arbetsförmedlingens ansvar",
            "Följ upp att SIP nyttjas",
        ],
    },
    "seeds/004_cdb858477220864e.txt": {
        "kommun": "Strömsund", "firm": "PwC", "year": 2013, "date": "2013-03-12",
        "title": "Intern och extern samverkan kring långtidsarbetslösa",
        "audited_body": "kommunstyrelsen", "doc_type": "protokollsutdrag",
        "questions": [],
        "recommendations": [
            "Att kommunen undersöker behovet",
            "Nämnderna bör utveckla uppföljning",
            "Kommunstyrelsen och socialnämnden bör förbättra",
        ],
    },
    "data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md": {
        "kommun": "Kungsbacka", "firm": "EY", "year": 2023, "date": None,
        "title": "Informationssäkerhet i praktiken",
        "audited_body": "nämnden för Service och kommunstyrelsen", "doc_type": "granskningsrapport",
        "questions": [
            ("Hanterar Kungsbacka kommuns personal hot", "nej"),
            ("Har Kungsbacka kommun en incidenthanteringsprocess", "nej"),
            ("Har Kungsbacka kommun en ändamålsenlig krisberedskap", "nej"),
        ],
        "recommendations": [
            "Utveckla ett strukturerat och regelbundet arbete",
            "Genomföra både teoretiska samt praktiska övningar",
            "Vidareutveckla befintliga rapporteringsvägar",
            "Färdigställa kontinuitetsplaner",
        ],
    },
}

#: PDFs in data/real/pdfs that are not audit documents at all.
NOT_AUDITS = (
    "BFS-2011-12.pdf", "Haparanda_klimatstrategi_2020_2050.pdf", "Olofstrom_Handlingsplan_for_klimat_och_energi.pdf",
    "SCB-FS-2025-19.pdf", "Simrishamn_Bokslut_2025.pdf", "Vansbro_Energi_och_klimatplan.pdf",
)

_BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]")


def read_report(rel: str) -> str:
    """A report's text as the cleaner would hand it over (Word bookmarks removed)."""
    return _BOOKMARK.sub("", (SHARED / rel).read_text(encoding="utf-8"))


def pdf_text(name: str, max_pages: int = 30) -> str:
    """Text of a PDF's first pages, enough to tell what kind of document it is."""
    import pypdf

    reader = pypdf.PdfReader(SHARED / "data" / "real" / "pdfs" / name)
    return "\n".join((page.extract_text() or "") for page in reader.pages[:max_pages])
