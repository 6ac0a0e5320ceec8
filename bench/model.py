"""Model execution: each backend (and thread setting) in its own process on the same real texts.

Measures passages/s over every chunk of the 6-report evaluation corpus, query encoding time over
the dev queries, cosine to the float torch model, dense-only nDCG@10 on eval/dev.jsonl, load time
and resident memory. Writes the "model" section of docs/benchmarks.md.

    python -m bench.model            # all variants
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.report import percentile, table, write_section
from bench.rss import peak_rss_mb

VARIANTS = {  # name: (KB_MODEL_BACKEND, torch threads or None for the default)
    "torch, default threads": ("torch", None),
    "torch, 1 thread": ("torch", 1),
    "torch-int8": ("torch-int8", None),
    "onnx": ("onnx", None),
    "onnx-int8": ("onnx-int8", None),
    "openvino": ("openvino", None),
}
REFERENCE = "torch, default threads"


def corpus_passages(workdir: Path) -> tuple[list[str], list[str]]:
    """(texts as embedded, chunk texts as shown) for every chunk of the evaluation corpus."""
    from bench.realdata import eval_corpus
    from ingest.pipeline import Pipeline, contextual_text
    from kb.config import Config
    from kb.embedding import HashingEmbedder
    from kb.index import Index

    index = Index.open(Config(data_dir=workdir / "data", model="hashing-64"), embedder=HashingEmbedder(64))
    Pipeline(index).run([eval_corpus(workdir / "corpus")])
    embedded, shown = [], []
    for report in sorted(index.catalog.reports(), key=lambda r: r.id):
        for chunk in index.catalog.chunks_of(report.id):
            embedded.append(contextual_text(chunk, report.meta))
            shown.append(chunk.text)
    index.close()
    return embedded, shown


def run_variant(backend: str, threads: int | None, texts_file: Path, out: Path) -> None:
    """In a fresh process: load the backend, embed passages and queries, save vectors and timings."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    from kb.config import Config
    from kb.embedding import load_embedder
    from kb.evaluation import load_queries

    config = Config.from_env()
    load_embedder(config.model, config.cache_dir, backend=backend)  # exports once, untimed
    t0 = time.perf_counter()
    embedder = load_embedder(config.model, config.cache_dir, backend=backend)
    load_s = time.perf_counter() - t0
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    queries = [q.query for q in load_queries(Path(__file__).resolve().parents[1] / "eval/dev.jsonl")]
    embedder.embed_passages(texts[:16])  # warm up
    t0 = time.perf_counter()
    passages = embedder.embed_passages(texts)
    passage_s = time.perf_counter() - t0
    query_ms, query_vectors = [], []
    for q in queries:
        t0 = time.perf_counter()
        query_vectors.append(embedder.embed_query(q))
        query_ms.append((time.perf_counter() - t0) * 1000)
    np.savez(out, passages=passages, queries=np.stack(query_vectors))
    out.with_suffix(".json").write_text(json.dumps({
        "load_s": load_s, "passage_s": passage_s, "query_ms": query_ms, "rss_mb": peak_rss_mb(),
        "threads": torch.get_num_threads(),
    }))


def dense_ndcg(passages: np.ndarray, queries: np.ndarray, shown: list[str]) -> float:
    """nDCG@10 of exact dense search over the corpus for eval/dev.jsonl."""
    from kb.evaluation import evaluate, load_queries

    dev = load_queries(Path(__file__).resolve().parents[1] / "eval/dev.jsonl")
    by_query = {q.query: queries[i] for i, q in enumerate(dev)}

    def run(query: str) -> list[str]:
        scores = passages @ by_query[query]
        return [shown[i] for i in np.argsort(-scores)[:10]]

    return evaluate(run, dev).mean("ndcg@10")


def main(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        embedded, shown = corpus_passages(work)
        texts_file = work / "texts.json"
        texts_file.write_text(json.dumps(embedded), encoding="utf-8")
        results = {}
        for name in names:
            backend, threads = VARIANTS[name]
            out = work / f"{backend}-{threads}.npz"
            print(f"[model] {name} ...", file=sys.stderr, flush=True)
            subprocess.run([sys.executable, "-m", "bench.model", "--variant", backend, str(threads or 0),
                            str(texts_file), str(out)], check=True)
            results[name] = (np.load(out), json.loads(out.with_suffix(".json").read_text()))
    write_section("model", render(results, shown, len(embedded)))


def render(results: dict, shown: list[str], n_passages: int) -> str:
    reference = next((results[n] for n in (REFERENCE, "torch, 1 thread") if n in results), None)
    base_rate = n_passages / reference[1]["passage_s"] if reference else None
    rows = []
    for name, (vectors, stats) in results.items():
        rate = n_passages / stats["passage_s"]
        cos_p = cos_q = "–"
        if reference:
            cos_p = f"{(vectors['passages'] * reference[0]['passages']).sum(1).min():.4f}"
            cos_q = f"{(vectors['queries'] * reference[0]['queries']).sum(1).min():.4f}"
        rows.append([
            name, f"{rate:.1f}", f"{rate / base_rate:.2f}×" if base_rate else "–",
            f"{percentile(stats['query_ms'], 50):.1f}", f"{percentile(stats['query_ms'], 95):.1f}",
            cos_p, cos_q, f"{dense_ndcg(vectors['passages'], vectors['queries'], shown):.4f}",
            f"{stats['load_s']:.1f}", f"{stats['rss_mb']:.0f}",
        ])
    return (
        f"{n_passages} real passages (every chunk of the 6-report evaluation corpus, as embedded) and the "
        f"{len(next(iter(results.values()))[1]['query_ms'])} eval/dev.jsonl queries, each variant in "
        "its own process, one after another in one run. Cosine is the minimum over all passages "
        f"(queries) against `{REFERENCE}`; nDCG@10 is exact dense-only search on eval/dev.jsonl.\n\n"
        + table(["variant", "passages/s", "speed-up", "query p50 ms", "query p95 ms", "min cos passages",
                 "min cos queries", "dense nDCG@10", "load s", "peak RSS MB"], rows)
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--variant":
        run_variant(sys.argv[2], int(sys.argv[3]) or None, Path(sys.argv[4]), Path(sys.argv[5]))
    else:
        main(sys.argv[1:] or list(VARIANTS))
