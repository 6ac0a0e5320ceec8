"""The data that flows from a file to a search hit, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Section types an auditor filters on; every chunk carries one.
SECTION_TYPES = (
    "sammanfattning",
    "inledning",
    "revisionsfraga",
    "iakttagelse",
    "bedomning",
    "rekommendation",
    "svar",
    "ovrigt",
)

#: What a reader sees for each section type (the pages, the filters, the CSV export).
SECTION_TYPE_LABELS = {
    "sammanfattning": "Sammanfattning", "inledning": "Inledning/bakgrund",
    "revisionsfraga": "Revisionsfråga", "iakttagelse": "Iakttagelse", "bedomning": "Bedömning",
    "rekommendation": "Rekommendation", "svar": "Svar", "ovrigt": "Övrigt",
}

#: The years a report can be filed under and searched by: ingest refuses others, filters take no others.
YEARS = range(1900, 2101)

#: Document types a report file can be.
DOC_TYPES = ("granskningsrapport", "missiv", "svar", "protokollsutdrag", "ovrigt")
DOC_TYPE_LABELS = {"granskningsrapport": "Granskningsrapport", "missiv": "Missiv", "svar": "Svar",
                   "protokollsutdrag": "Protokollsutdrag", "ovrigt": "Övrigt"}


@dataclass(frozen=True)
class Page:
    """A PDF page's span in the document text; `number` is 1-based."""

    number: int
    start: int
    end: int


def pages_without_text(pages: tuple[Page, ...]) -> list[int]:
    """The PDF pages no text was read from (no text layer, OCR off or fruitless): the reader keeps
    them in the page list with an empty span, so the stored list says which a reader will not find."""
    return [page.number for page in pages if page.start == page.end]


#: A page holds a real share of a passage with a fifth of its characters, or this many (a few lines).
REAL_SHARE = 0.2
REAL_SHARE_CHARS = 100


def _visible(text: str, start: int, end: int) -> int:
    return sum(1 for ch in text[start:end] if not ch.isspace())


@dataclass(frozen=True)
class Document:
    """A file read into plain text; every offset elsewhere points into `text`."""

    text: str
    format: str  # "pdf", "md" or "txt"
    pages: tuple[Page, ...] = ()
    metadata: dict = field(default_factory=dict)  # what the file itself says (PDF info, front matter)
    warnings: tuple[str, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding `offset`, or None for formats without pages."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return self.pages[-1].number if self.pages and offset >= self.pages[-1].end else None

    def pages_of(self, start: int, end: int) -> tuple[int | None, int | None]:
        """The first and last page holding a real share of `text[start:end]` (a fifth of it, or
        a few lines), so a heading or chart label run on from another page never is the page a
        reader is sent to; else the page of `start`, as for formats without pages."""
        held = [(page.number, _visible(self.text, max(start, page.start), min(end, page.end)))
                for page in self.pages if page.start < end and start < page.end]
        held = [(number, count) for number, count in held if count]
        total = sum(count for _, count in held)
        real = [number for number, count in held
                if count >= min(REAL_SHARE * total, REAL_SHARE_CHARS)]
        if not real:
            page = self.page_at(start)
            return page, page
        return real[0], real[-1]


@dataclass(frozen=True)
class Section:
    """A heading and the text it governs, [start, end) in the document text."""

    title: str
    level: int
    start: int
    end: int
    path: tuple[str, ...]  # titles from the top heading down to this one
    type: str  # one of SECTION_TYPES


@dataclass(frozen=True)
class ReportMeta:
    """What a report is: kommun, firm, date, title, and what kind of document."""

    title: str
    kommun: str | None = None
    year: int | None = None
    date: str | None = None  # ISO yyyy-mm-dd where known
    firm: str | None = None
    doc_type: str = "granskningsrapport"
    audited_body: str | None = None


#: The answers a revisionsfråga can be given, as extraction writes them (`ingest.findings.normalise_answer`).
ANSWERS = ("ja", "nej", "delvis", "uppfyllt", "delvis uppfyllt", "ej uppfyllt")


@dataclass(frozen=True)
class Finding:
    """A revisionsfråga with its answer, or a rekommendation, cited to its passage."""

    report_id: str
    kind: str  # "revisionsfraga" or "rekommendation"
    text: str
    answer: str | None  # one of ANSWERS
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """An excerpt-sized passage of a report; `text == report_text[start:end]`."""

    id: str
    report_id: str
    text: str
    start: int
    end: int
    section: str
    section_path: tuple[str, ...]
    section_type: str
    page: int | None  # the page the passage starts on in earnest: where to open the PDF
    page_end: int | None = None  # its last page, when it runs over several


@dataclass(frozen=True)
class Report:
    """A report in the index: its identity, metadata and where it came from."""

    id: str
    meta: ReportMeta
    source: str  # path of the file it was read from
    sha256: str
    format: str
    chunk_count: int = 0
    aliases: tuple[str, ...] = ()  # other file names with the same content

    def to_dict(self) -> dict:
        """The report's identity and metadata as JSON, shared by the API and `kb reports`."""
        meta = self.meta
        return {"id": self.id, "title": meta.title, "kommun": meta.kommun, "year": meta.year,
                "date": meta.date, "firm": meta.firm, "doc_type": meta.doc_type,
                "audited_body": meta.audited_body, "chunks": self.chunk_count, "format": self.format}


@dataclass(frozen=True)
class Hit:
    """One ranked passage in a search result, with everything needed to cite it."""

    rank: int
    score: float
    chunk_id: str
    report_id: str
    title: str
    kommun: str | None
    year: int | None
    firm: str | None
    section: str
    page: int | None
    start: int
    end: int
    text: str
    url: str
    section_type: str
    doc_type: str
    page_end: int | None = None

    def to_dict(self) -> dict:
        """The hit as the JSON object the CLI and the API return."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
