"""Findings as citable records for the CLI, the API and the register page."""

from __future__ import annotations

from bisect import bisect_right

from kb.catalog import Catalog
from kb.models import Finding, Report
from kb.search import passage_url


def passage_in(spans: list[tuple[int, int, str]], start: int) -> str | None:
    """The id of the chunk holding offset `start` (or the next one), from spans in text order."""
    i = bisect_right([end for _, end, _ in spans], start)
    return spans[i][2] if i < len(spans) else None


def passage_for(catalog: Catalog, report_id: str, start: int) -> str | None:
    """The id of the chunk that holds offset `start` of a report."""
    return passage_in(catalog.chunk_spans(report_id), start)


def finding_dict(finding: Finding, report: Report, catalog: Catalog,
                 spans: list[tuple[int, int, str]] | None = None) -> dict:
    """One finding as JSON; pass the report's `spans` when listing many to read them once."""
    if spans is None:
        spans = catalog.chunk_spans(report.id)
    chunk = passage_in(spans, finding.start)
    return {
        "report_id": report.id, "kommun": report.meta.kommun, "year": report.meta.year,
        "firm": report.meta.firm, "title": report.meta.title, "kind": finding.kind,
        "text": finding.text, "answer": finding.answer, "start": finding.start,
        "end": finding.end, "chunk_id": chunk,
        "url": passage_url(report.id, chunk) if chunk else f"/reports/{report.id}",
    }


def finding_dicts(pairs: list[tuple[Finding, Report]], catalog: Catalog) -> list[dict]:
    """Many findings at once, reading each report's chunk spans once."""
    spans: dict[str, list[tuple[int, int, str]]] = {}
    rows = []
    for finding, report in pairs:
        if report.id not in spans:
            spans[report.id] = catalog.chunk_spans(report.id)
        rows.append(finding_dict(finding, report, catalog, spans[report.id]))
    return rows
