"""Model backends: the same weights run by torch, ONNX Runtime or OpenVINO embed alike; the site
loads the model, the store and the lexical index once per process."""

from __future__ import annotations

import numpy as np
import pytest

from kb.config import Config
from kb.embedding import load_embedder
from kb.errors import KbError
from kb.model_backends import BACKENDS, batched_by_length, check_backend
from tests.conftest import make_config

TEXTS = [
    "Revisorerna bedömer att socialnämnden delvis har säkerställt en tillräcklig intern kontroll.",
    "Försörjningsstöd",
    "The municipal board has not ensured that the routines for income support are followed.",
    "Kommunstyrelsen bör säkerställa att rutinerna för informationssäkerhet är kända och efterlevs "
    "i hela organisationen, och att uppföljningen dokumenteras.",
]


def test_config_reads_the_backend_from_the_environment():
    assert Config.from_env({}).model_backend == "onnx-int8"
    assert Config.from_env({"KB_MODEL_BACKEND": "onnx-int8"}).model_backend == "onnx-int8"


def test_unknown_backend_is_a_clear_error(tmp_path):
    with pytest.raises(KbError, match="KB_MODEL_BACKEND"):
        check_backend("tensorflow")
    with pytest.raises(KbError, match="onnx-int8"):
        load_embedder("multilingual-e5-small", tmp_path, backend="gpu")


def test_length_batching_keeps_the_input_order():
    seen_batches = []

    def run(texts: list[str]) -> np.ndarray:
        seen_batches.append([len(t) for t in texts])
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    texts = ["a" * n for n in (5, 1, 9, 3, 7, 2, 8)]
    out = batched_by_length(run, 3)(texts)
    assert out[:, 0].tolist() == [5, 1, 9, 3, 7, 2, 8]
    assert seen_batches == [[9, 8, 7], [5, 3, 2], [1]]
    assert batched_by_length(run, 3)([]).shape[0] == 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b not in ("torch", "torch-int8")])
def test_every_backend_embeds_like_the_float_model(backend):
    """Same weights, other runtime: vectors stay within a small angle of torch's (int8 a bit wider).
    torch-int8 is left out: it is further off (docs/benchmarks.md) and only there to compare."""
    cache = Config.from_env().cache_dir
    reference = load_embedder("multilingual-e5-small", cache, backend="torch")
    other = load_embedder("multilingual-e5-small", cache, backend=backend)
    assert other.name == reference.name and other.dim == reference.dim == 384
    floor = 0.98 if "int8" in backend else 0.999
    passages = (reference.embed_passages(TEXTS) * other.embed_passages(TEXTS)).sum(axis=1)
    assert passages.min() > floor, passages
    queries = [float(reference.embed_query(t) @ other.embed_query(t)) for t in TEXTS]
    assert min(queries) > floor, queries
    assert np.allclose(np.linalg.norm(other.embed_passages(TEXTS), axis=1), 1.0, atol=1e-4)


@pytest.mark.slow
def test_query_cache_counts_hits_and_can_be_cleared():
    embedder = load_embedder("multilingual-e5-small", Config.from_env().cache_dir)
    first = embedder.embed_query("budgetuppföljning")
    assert embedder.embed_query("budgetuppföljning") is first
    assert (embedder.cache_hits, embedder.cache_misses) == (1, 1)
    embedder.cache_clear()
    assert embedder.embed_query("budgetuppföljning") is not first
    assert embedder.cache_misses == 2


def test_two_requests_reuse_the_model_store_and_lexical_index(tmp_path, monkeypatch):
    """Everything heavy is made once when the app is created, never per request."""
    import kb.index
    from web import create_app

    made: dict[str, int] = {"embedder": 0, "client": 0, "catalog": 0, "lexical": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            made[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(kb.index, "load_embedder", counting("embedder", kb.index.load_embedder))
    monkeypatch.setattr(kb.index, "make_client", counting("client", kb.index.make_client))
    monkeypatch.setattr(kb.index, "Catalog", counting("catalog", kb.index.Catalog))
    monkeypatch.setattr(kb.index.LexicalIndex, "from_connection",
                        counting("lexical", kb.index.LexicalIndex.from_connection))
    client = create_app({"TESTING": True}, config=make_config(tmp_path)).test_client()
    assert made == {"embedder": 1, "client": 1, "catalog": 1, "lexical": 1}
    for _ in range(2):
        assert client.get("/api/search?q=försörjningsstöd").status_code == 200
        assert client.get("/?q=försörjningsstöd").status_code == 200
    assert made == {"embedder": 1, "client": 1, "catalog": 1, "lexical": 1}


@pytest.mark.slow
def test_the_real_model_is_loaded_once_for_many_requests(tmp_path, monkeypatch):
    import kb.embedding
    from web import create_app

    loaded = []
    real_load = kb.embedding._load_encoder

    def counting_load(*args, **kwargs):
        loaded.append(args[1])
        return real_load(*args, **kwargs)

    monkeypatch.setattr(kb.embedding, "_load_encoder", counting_load)
    client = create_app({"TESTING": True},
                        config=make_config(tmp_path, model="multilingual-e5-small")).test_client()
    for q in ("försörjningsstöd", "intern kontroll", "försörjningsstöd"):
        assert client.get(f"/api/search?q={q}").status_code == 200
    assert loaded == [Config().model_backend]
