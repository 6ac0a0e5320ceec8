"""Taking reports out of the index: one report by id, or every report whose file is gone.

The catalog and the lexical index lose the report in one transaction; its vectors go after,
so a crash in between leaves only orphan vectors, which search ignores and the next ingest
deletes (README, "Consistency").
"""

from __future__ import annotations

from pathlib import Path

from kb.errors import NotFound
from kb.index import Index
from kb.models import Report


def remove_report(index: Index, report_id: str) -> Report:
    """Delete a report with its chunks, findings, lexical entries, vectors and kept original."""
    catalog = index.catalog
    report = catalog.report(report_id)
    if report is None:
        raise NotFound(f"Rapporten {report_id!r} finns inte i indexet (se kb reports).")
    chunk_ids = catalog.chunk_ids_of(report_id)
    with catalog.transaction() as db:
        index.lexical.upsert_in_transaction(report_id, [])
        catalog.delete_report(db, report_id)
    index.vectors.delete(chunk_ids)
    if catalog.report_by_sha(report.sha256) is None:
        (index.config.data_dir / "originals" / f"{report.sha256}.pdf").unlink(missing_ok=True)
    return report


def missing_reports(index: Index, folders: list[Path]) -> list[Report]:
    """Reports read from a file under one of `folders` that no longer exists under any of its names."""
    return [report for report, names in _under(index, folders) if not any(p.exists() for p in names)]


def renamed_reports(index: Index, folders: list[Path]) -> list[tuple[Report, str, list[str]]]:
    """Reports some of whose files under `folders` are gone while another still holds them:
    (report, new source, new aliases) without the gone names, the source being the first
    remaining one. Reports with no file left are `missing_reports`."""
    roots = [folder.resolve() for folder in folders]
    renamed = []
    for report, names in _under(index, folders):
        kept = [p for p in names if p.exists() or not any(root in p.resolve().parents for root in roots)]
        source = next((p for p in kept if p.exists()), None)
        if source is not None and kept != names:
            renamed.append((report, str(source), [str(p) for p in kept if p != source]))
    return renamed


def _under(index: Index, folders: list[Path]) -> list[tuple[Report, list[Path]]]:
    """Reports with a name under one of `folders`, with all their names, the source first."""
    roots = [folder.resolve() for folder in folders]
    found = []
    for report in index.catalog.reports():
        names = [Path(report.source), *(Path(a) for a in report.aliases)]
        if any(root in p.resolve().parents for p in names for root in roots):
            found.append((report, names))
    return found
