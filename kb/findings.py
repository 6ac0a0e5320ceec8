"""Findings as citable records for the CLI, the API and the register page."""

from __future__ import annotations

from bisect import bisect_right

from kb.catalog import Catalog
from kb.models import Chunk, Finding, Report
from kb.search import passage_url


def _chunk_at(chunks: list[Chunk], start: int) -> str | None:
    """The id of the chunk that holds offset `start` (or the next one after it); chunks in order."""
    starts = [c.start for c in chunks]
    i = bisect_right(starts, start) - 1
    if i >= 0 and chunks[i].start <= start < chunks[i].end:
        return chunks[i].id
    return chunks[i + 1].id if i + 1 < len(chunks) else None


def passage_for(catalog: Catalog, report_id: str, start: int) -> str | None:
    """The id of the chunk that holds offset `start` of a report."""
    return _chunk_at(catalog.chunks_of(report_id), start)


def _as_dict(finding: Finding, report: Report, chunk: str | None) -> dict:
    return {
        "report_id": report.id, "kommun": report.meta.kommun, "year": report.meta.year,
        "firm": report.meta.firm, "title": report.meta.title, "kind": finding.kind,
        "text": finding.text, "answer": finding.answer, "start": finding.start,
        "end": finding.end, "chunk_id": chunk,
        "url": passage_url(report.id, chunk) if chunk else f"/reports/{report.id}",
    }


def finding_dict(finding: Finding, report: Report, catalog: Catalog) -> dict:
    return _as_dict(finding, report, passage_for(catalog, report.id, finding.start))


def finding_dicts(pairs: list[tuple[Finding, Report]], catalog: Catalog) -> list[dict]:
    """Many findings at once: each report's chunks are read with one query."""
    chunks: dict[str, list[Chunk]] = {}
    rows = []
    for finding, report in pairs:
        if report.id not in chunks:
            chunks[report.id] = catalog.chunks_of(report.id)
        rows.append(_as_dict(finding, report, _chunk_at(chunks[report.id], finding.start)))
    return rows
