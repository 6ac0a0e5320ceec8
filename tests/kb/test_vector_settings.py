"""HNSW settings: a changed ef_search reaches an index that already exists."""

from __future__ import annotations

import numpy as np

from kb.embedding import HashingEmbedder
from kb.vectors import VectorStore, make_client


def test_reopening_with_another_ef_search_updates_the_collection(tmp_path):
    embedder = HashingEmbedder(16)
    store = VectorStore(make_client(None, str(tmp_path)), embedder, hnsw_ef_search=100)
    store.upsert(["a", "b"], np.eye(2, 16, dtype=np.float32), [{"kommun": "Ale"}, {"kommun": "Orsa"}])
    assert store.collection.configuration["hnsw"]["ef_search"] == 100
    reopened = VectorStore(make_client(None, str(tmp_path)), embedder, hnsw_ef_search=160)
    assert reopened.collection.configuration["hnsw"]["ef_search"] == 160
    assert [cid for cid, _ in reopened.query(np.eye(1, 16, dtype=np.float32)[0], 1)] == ["a"]


def test_new_collections_search_with_the_measured_ef(tmp_path):
    from kb.vectors import HNSW_EF_SEARCH

    store = VectorStore(make_client(None, str(tmp_path / "fresh")), HashingEmbedder(8))
    assert store.collection.configuration["hnsw"]["ef_search"] == HNSW_EF_SEARCH == 400
