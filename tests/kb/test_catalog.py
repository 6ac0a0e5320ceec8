"""The catalog file across versions: an index made before a column existed still opens."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from kb.catalog import Catalog
from tests.conftest import ingest_folder

OLOFSTROM = "data/real/pdfs/Olofstrom_Handlingsplan_for_klimat_och_energi.pdf"


def test_a_catalog_without_page_end_opens_and_takes_new_chunks(fake_index, shared):
    assert not ingest_folder(fake_index, shared / OLOFSTROM).failed
    path = fake_index.catalog.path
    report_id = "olofstrom-handlingsplan-for-klimat-och-energi"
    spans = {c.id: (c.page, c.page_end) for c in fake_index.catalog.chunks_of(report_id)}
    assert (7, 8) in spans.values()
    fake_index.close()
    with sqlite3.connect(path) as db:  # the chunks table as pipeline version 4 made it
        db.execute("ALTER TABLE chunks DROP COLUMN page_end")

    catalog = Catalog(path)  # the column is back, empty until the next ingest fills it
    assert [(c.page, c.page_end) for c in catalog.chunks_of(report_id)] == [(p, None) for p, _ in spans.values()]
    with catalog.transaction() as db:
        report = catalog.report(report_id)
        text, pages, warnings = catalog.report_text(report_id)
        old = catalog.chunks_of(report_id)
        catalog.replace_report(db, report, text, pages, warnings, "f", [
            replace(c, page_end=spans[c.id][1]) for c in old], [])
    assert {c.id: (c.page, c.page_end) for c in catalog.chunks_of(report_id)} == spans
    catalog.close()
