"""Vector index accuracy: recall@10 of Chroma's HNSW against exact (numpy) search at 100,000 vectors.

The vectors are those of bench/scale_corpus.py's 100,000-chunk index. Queries: the 100 real query
embeddings of eval/dev.jsonl and eval/heldout.jsonl, and 400 real sentence embeddings (sentences
are not chunks of the index). Each HNSW setting is built fresh in a temporary Chroma store and
queried for 50 neighbours, as `Searcher` asks. Each ef_search gets its own freshly built
collection: `collection.modify` records a new ef_search, but an index already loaded in the
process keeps searching with the old one (measured: four identical rows).
Writes the "hnsw" section of docs/benchmarks.md.

    python -m bench.hnsw [M:ef_construction ...]      # default 32:200
"""

from __future__ import annotations

import pickle
import random
import sys
import tempfile
import time

import numpy as np

from bench.report import percentile, table, write_section
from bench.scale_corpus import WORK

N_RESULTS = 50
EF_SEARCH = (100, 200, 400)


def load_vectors(size: int = 100_000) -> tuple[list[str], np.ndarray]:
    """The ids and vectors of the scale index, read back from its Chroma store."""
    from kb.vectors import COLLECTION, make_client

    collection = make_client(None, str(WORK / f"index-{size}" / "chroma")).get_collection(COLLECTION)
    ids, vectors, offset = [], [], 0
    while True:
        page = collection.get(include=["embeddings"], limit=5000, offset=offset)
        if not page["ids"]:
            break
        ids += page["ids"]
        vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
        offset += len(page["ids"])
    return ids, np.concatenate(vectors)


def load_queries() -> np.ndarray:
    from bench.query import queries
    from kb.config import Config
    from kb.embedding import load_embedder

    config = Config.from_env()
    embedder = load_embedder(config.model, config.cache_dir, backend=config.model_backend)
    real = [embedder.embed_query(q) for q in queries()]
    _, _, sentence_vectors = pickle.loads((WORK / "real-material.pickle").read_bytes())
    rng = random.Random(3)
    sentences = [sentence_vectors[k] for k in rng.sample(sorted(sentence_vectors), 400)]
    return np.stack(real + sentences).astype(np.float32)


def exact(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[list[list[int]], list[float]]:
    """Exact top-k by cosine (vectors are unit length), one query at a time, with the time of each."""
    found, ms = [], []
    for q in queries:
        t0 = time.perf_counter()
        scores = vectors @ q
        top = np.argpartition(-scores, k)[:k]
        found.append(list(top[np.argsort(-scores[top])]))
        ms.append((time.perf_counter() - t0) * 1000)
    return found, ms


def measure_setting(m: int, ef_construction: int, ids: list[str], vectors: np.ndarray,
                    queries: np.ndarray, truth: list[list[int]]) -> list[list]:
    import chromadb
    from chromadb.config import Settings

    rows = []
    position = {cid: i for i, cid in enumerate(ids)}
    for ef in EF_SEARCH:
        with tempfile.TemporaryDirectory() as tmp:
            client = chromadb.PersistentClient(path=tmp, settings=Settings(anonymized_telemetry=False))
            collection = client.create_collection("bench", configuration={"hnsw": {
                "space": "cosine", "max_neighbors": m, "ef_construction": ef_construction, "ef_search": ef}})
            t0 = time.perf_counter()
            for i in range(0, len(ids), 5000):
                collection.add(ids=ids[i : i + 5000], embeddings=vectors[i : i + 5000])
            build_s = time.perf_counter() - t0
            collection.query(query_embeddings=[queries[0]], n_results=N_RESULTS)
            recall10, recall50, ms = [], [], []
            for q, want in zip(queries, truth, strict=True):
                t0 = time.perf_counter()
                got = collection.query(query_embeddings=[q], n_results=N_RESULTS, include=[])["ids"][0]
                ms.append((time.perf_counter() - t0) * 1000)
                got_pos = [position[c] for c in got]
                recall10.append(len(set(got_pos[:10]) & set(want[:10])) / 10)
                recall50.append(len(set(got_pos) & set(want)) / N_RESULTS)
            rows.append([m, ef_construction, ef, f"{build_s:.0f}", f"{np.mean(recall10):.4f}",
                         f"{min(recall10):.1f}", f"{np.mean(recall50):.4f}",
                         f"{percentile(ms, 50):.1f}", f"{percentile(ms, 95):.1f}"])
            print(f"[hnsw] {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def main(settings: list[tuple[int, int]]) -> None:
    ids, vectors = load_vectors()
    queries = load_queries()
    truth, exact_ms = exact(vectors, queries, N_RESULTS)
    rows = []
    for m, efc in settings:
        rows += measure_setting(m, efc, ids, vectors, queries, truth)
    body = (
        f"{len(ids):,} vectors (bench/scale_corpus.py: real vectors of real chunks and sentences, "
        "perturbed means of real sentence vectors for the other chunks); "
        f"{len(queries)} queries (100 real query embeddings, 400 real sentence embeddings); "
        f"{N_RESULTS} neighbours asked, as `Searcher` does. Recall is against exact numpy search.\n\n"
        + table(["M (max_neighbors)", "ef_construction", "ef_search", "build s", "recall@10", "worst query",
                 "recall@50", "query p50 ms", "query p95 ms"], rows)
        + f"\n\nExact search (numpy, one query × {len(ids):,} vectors): p50 {percentile(exact_ms, 50):.1f} ms, "
        f"p95 {percentile(exact_ms, 95):.1f} ms."
    )
    write_section("hnsw", body)


if __name__ == "__main__":
    main([tuple(int(x) for x in a.split(":")) for a in sys.argv[1:]] or [(32, 200)])
