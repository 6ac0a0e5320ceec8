"""The backbone: the real corpus in real Chroma with the real model, searched and cited."""

from __future__ import annotations

import shutil

import pytest

from kb.index import Index
from kb.search import Searcher
from tests.conftest import ingest_folder, make_config

pytestmark = pytest.mark.slow

QUERY = "samverkan med Arbetsförmedlingen"


def test_query_finds_passages_from_several_kommuner(corpus_index):
    hits = Searcher(corpus_index).search(QUERY, k=10).hits
    assert len(hits) == 10
    assert len({h.kommun for h in hits}) >= 3
    assert [h.rank for h in hits] == list(range(1, 11))
    assert all(hits[i].score >= hits[i + 1].score for i in range(9))


def test_every_citation_points_at_its_text(corpus_index):
    for hit in Searcher(corpus_index).search(QUERY, k=10).hits:
        text, _, _ = corpus_index.catalog.report_text(hit.report_id)
        assert text[hit.start : hit.end] == hit.text
        assert hit.url == f"/reports/{hit.report_id}?passage={hit.chunk_id}#{hit.chunk_id}"


def test_cited_passage_opens_highlighted(client, corpus_index):
    hit = Searcher(corpus_index).search(QUERY, k=1).hits[0]
    page = client.get(hit.url).get_data(as_text=True)
    assert f'class="passage cited" id="{hit.chunk_id}"' in page
    first_words = " ".join(hit.text.split()[:4])
    assert first_words.split()[0] in page


def test_reingest_is_a_no_op(corpus_index, corpus_copy):
    ids_before = corpus_index.vectors.ids()
    summary = ingest_folder(corpus_index, corpus_copy)
    assert {o.status for o in summary.outcomes} == {"unchanged"}
    assert corpus_index.vectors.ids() == ids_before


def test_changed_file_replaces_its_chunks(tmp_path, corpus_copy):
    folder = tmp_path / "reports"
    shutil.copytree(corpus_copy, folder)
    index = Index.open(make_config(tmp_path))
    ingest_folder(index, folder)
    report_id = "odeshog-2019-forsorjningsstod"
    old = index.catalog.chunk_ids_of(report_id)
    path = folder / "odeshog-2019-forsorjningsstod.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Ödeshög", "Ödeshögs", 1) +
                    "\nTillägg: nämnden har beslutat om en ny handlingsplan.\n", encoding="utf-8")
    summary = ingest_folder(index, folder)
    statuses = {o.report_id: o.status for o in summary.outcomes}
    assert statuses[report_id] == "updated"
    assert sum(1 for s in statuses.values() if s == "unchanged") == 4
    new = index.catalog.chunk_ids_of(report_id)
    assert new != old
    assert index.vectors.ids() == index.catalog.chunk_ids()
    text, _, _ = index.catalog.report_text(report_id)
    assert "ny handlingsplan" in text


def test_a_failing_file_leaves_the_index_as_it_was(tmp_path, corpus_copy):
    index = Index.open(make_config(tmp_path))
    ingest_folder(index, corpus_copy)
    before = (index.catalog.counts(), index.vectors.ids())
    bad = tmp_path / "trasig.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj <<\n")  # truncated
    summary = ingest_folder(index, bad, corpus_copy)
    failed = summary.failed
    assert len(failed) == 1 and failed[0].path.name == "trasig.pdf" and failed[0].message
    assert (index.catalog.counts(), index.vectors.ids()) == before
