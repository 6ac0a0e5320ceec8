"""Findings as citable records for the CLI, the API and the register page."""

from __future__ import annotations

from kb.catalog import Catalog
from kb.models import Finding, Report
from kb.search import passage_url


def passage_for(catalog: Catalog, report_id: str, start: int) -> str | None:
    """The id of the chunk that holds offset `start` of a report."""
    for chunk in catalog.chunks_of(report_id):
        if chunk.start <= start < chunk.end or start < chunk.start:
            return chunk.id
    return None


def finding_dict(finding: Finding, report: Report, catalog: Catalog) -> dict:
    chunk = passage_for(catalog, report.id, finding.start)
    return {
        "report_id": report.id, "kommun": report.meta.kommun, "year": report.meta.year,
        "firm": report.meta.firm, "title": report.meta.title, "kind": finding.kind,
        "text": finding.text, "answer": finding.answer, "start": finding.start,
        "end": finding.end, "chunk_id": chunk,
        "url": passage_url(report.id, chunk) if chunk else f"/reports/{report.id}",
    }
