"""Server mode: ingest and search through a real `chroma run` server."""

from __future__ import annotations

import pytest

from kb.errors import StoreUnavailable
from kb.index import Index
from kb.search import Searcher
from tests.chroma_server import ChromaServer
from tests.conftest import ingest_folder, make_config

pytestmark = pytest.mark.slow


def test_ingest_and_search_through_a_chroma_server(tmp_path, corpus_copy):
    with ChromaServer(tmp_path / "server") as server:
        index = Index.open(make_config(tmp_path, chroma_url=server.url))
        summary = ingest_folder(index, corpus_copy)
        assert summary.count("added") == 5 and not summary.failed
        assert index.vectors.count() == index.catalog.counts()[1]
        hits = Searcher(index).search("försörjningsstöd arbetsplan", k=5).hits
        assert len(hits) == 5
        assert all(h.url.startswith(f"/reports/{h.report_id}") for h in hits)
        again = ingest_folder(index, corpus_copy)
        assert {o.status for o in again.outcomes} == {"unchanged"}


def test_a_server_that_is_down_is_a_clear_error_and_recovery_is_automatic(tmp_path, corpus_copy):
    server = ChromaServer(tmp_path / "server").start()
    index = Index.open(make_config(tmp_path, chroma_url=server.url))
    ingest_folder(index, corpus_copy / "orsa-2015-resurscentrum.txt")
    searcher = Searcher(index)
    assert searcher.search("Resurscentrum", k=3).hits
    server.stop()
    with pytest.raises(StoreUnavailable):
        searcher.search("Resurscentrum samverkan", k=3)
    with ChromaServer(tmp_path / "server", port=server.port):
        assert searcher.search("Resurscentrum mål", k=3).hits


def test_the_site_starts_while_the_server_is_down_and_answers_once_it_is_up(tmp_path, corpus_copy):
    from tests.chroma_server import free_port
    from web import create_app

    port = free_port()
    config = make_config(tmp_path, chroma_url=f"http://127.0.0.1:{port}")
    index = Index.open(config)  # nothing listens yet: no error until the store is needed
    client = create_app({"TESTING": True}, config=config, index=index).test_client()
    response = client.get("/api/search?q=samverkan")
    assert response.status_code == 503 and response.get_json()["status"] == 503
    assert client.get("/healthz").status_code == 503
    with ChromaServer(tmp_path / "server", port=port):
        ingest_folder(index, corpus_copy / "orsa-2015-resurscentrum.txt")
        assert client.get("/api/search?q=samverkan").status_code == 200
        assert client.get("/healthz").get_json()["status"] == "ok"
