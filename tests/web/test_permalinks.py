"""Permalinks to passages survive re-ingesting the same report (chunk ids are content hashes)."""

from __future__ import annotations

import shutil

from kb.index import Index
from tests.conftest import CORPUS, ingest_folder, make_config

NAME = "odeshog-2019-forsorjningsstod.txt"


def _urls(index: Index, report_id: str) -> list[str]:
    from kb.search import passage_url

    return [passage_url(report_id, c.id) for c in index.catalog.chunks_of(report_id)]


def test_reingesting_gives_the_same_passage_urls(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORPUS / NAME, folder / NAME)
    shutil.copy(CORPUS / "reports.toml", folder / "reports.toml")
    report_id = NAME.removesuffix(".txt")
    first = Index.open(make_config(tmp_path / "a"))
    ingest_folder(first, folder)
    urls = _urls(first, report_id)
    assert urls
    second = Index.open(make_config(tmp_path / "b"))
    ingest_folder(second, folder)
    assert _urls(second, report_id) == urls  # a fresh index, the same links
    (folder / NAME).write_text((folder / NAME).read_text() + "\n\nEtt tillägg i slutet av rapporten.\n")
    summary = ingest_folder(first, folder)
    assert summary.count("updated") == 1
    kept = set(_urls(first, report_id))
    assert len(set(urls) & kept) >= len(urls) - 2  # only the end of the report changed
    first.close()
    second.close()
