"""Query latency, broken down, at the corpus's size, 10,000 and 100,000 chunks (bench/scale_corpus.py).

For every query of eval/dev.jsonl and eval/heldout.jsonl, in one process per size:
  1. `Searcher.search` with the query's embedding not cached: `SearchResult.timings`;
  2. `GET /api/search?q=` through the Flask test client, embedding not cached ("new query");
  3. the same request again (embedding cached: "repeated query");
  4. `GET /?q=` (embedding cached): the page; rendering = page time minus the search's own time;
  5. the lexical search once more, answered by FTS5 instead of the BM25 matrix (same ranking).
Writes the "query" section of docs/benchmarks.md.

    python -m bench.query                 # corpus, 10000, 100000
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from bench.report import percentile, table, write_section

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("spelling", "encode", "vector", "lexical", "fusion", "rerank", "hits")


def queries() -> list[str]:
    from kb.evaluation import load_queries

    return [q.query for name in ("dev", "heldout") for q in load_queries(ROOT / f"eval/{name}.jsonl")]


def measure(size: str, rounds: int = 1) -> dict:
    """In this process: open the index of `size`, run every query `rounds` times, return samples."""
    from bench.scale_corpus import WORK
    from kb.config import Config
    from kb.index import Index
    from web import create_app

    base = Config.from_env()
    config = Config(data_dir=WORK / f"index-{size}", cache_dir=base.cache_dir, model_backend=base.model_backend)
    index = Index.open(config)
    app = create_app({"TESTING": True}, config=config, index=index)
    searcher = app.extensions["kb.searcher"]
    client = app.test_client()
    samples: dict[str, list[float]] = {k: [] for k in (*PARTS, "search", "api_new", "api_repeat", "page",
                                                     "render", "lexical_fts", "with_reranker",
                                                     "without_reranker")}
    qs = queries()
    index.lexical.ensure_matrix()  # as `kb ingest` leaves it
    searcher.search(qs[0])  # first-query costs (lazy collection open) belong to cold start
    for _ in range(rounds):
        for q in qs:
            index.embedder.cache_clear()
            result = searcher.search(q)
            for part in PARTS:
                samples[part].append(result.timings[part] * 1000)
            core = sum(result.timings[p] for p in PARTS if p != "encode") * 1000
            samples["search"].append(core + result.timings["encode"] * 1000)
            index.embedder.cache_clear()
            samples["api_new"].append(_get(client, f"/api/search?q={quote(q)}"))
            samples["api_repeat"].append(_get(client, f"/api/search?q={quote(q)}"))
            page = _get(client, f"/?q={quote(q)}")
            samples["page"].append(page)
            samples["render"].append(max(0.0, page - core))
            index.lexical.use_matrix = False  # the same lexical search answered by FTS5, for comparison
            t0 = time.perf_counter()
            index.lexical.search(q, searcher.candidates)
            samples["lexical_fts"].append((time.perf_counter() - t0) * 1000)
            index.lexical.use_matrix = True
            reranker = searcher.reranker  # the same warm search with and without it, back to back
            for key, model in (("without_reranker", None), ("with_reranker", reranker)):
                searcher.reranker = model
                t0 = time.perf_counter()
                searcher.search(q)
                samples[key].append((time.perf_counter() - t0) * 1000)
            searcher.reranker = reranker
    return {"chunks": index.catalog.counts()[1], "samples": samples}


def _get(client, url: str) -> float:
    t0 = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - t0) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def main(sizes: list[str]) -> None:
    results = {}
    for size in sizes:
        print(f"[query] {size} ...", file=sys.stderr, flush=True)
        out = subprocess.run([sys.executable, "-m", "bench.query", "--measure", size], check=True,
                             capture_output=True, text=True).stdout
        results[size] = json.loads(out.strip().splitlines()[-1])
    write_section("query", render(results))


def render(results: dict) -> str:
    rows = []
    labels = {"spelling": "spelling correction (`kb/spelling.py`)",
              "encode": "query encoding", "vector": "vector search (Chroma HNSW)",
              "lexical": "lexical search (BM25 matrix)", "lexical_fts": "lexical search by FTS5 instead (same ranking)",
              "fusion": "fusion (weighted signals, line vectors)",
              "rerank": "candidates' chunks and reports read, learned reranker, named kommun (`kb/rerank.py`)",
              "hits": "hits (filters, facets; catalog reads outside hybrid)",
              "search": "`Searcher.search` total", "api_new": "`GET /api/search`, new query",
              "api_repeat": "`GET /api/search`, repeated query (cached embedding)",
              "page": "`GET /?q=` page, cached embedding", "render": "page rendering (page − search)"}
    sizes = list(results)
    for key, label in labels.items():
        row = [label]
        for size in sizes:
            s = results[size]["samples"][key]
            row.append(f"{percentile(s, 50):.1f} / {percentile(s, 95):.1f}")
        rows.append(row)
    header = ["ms, p50 / p95"] + [f"{results[s]['chunks']:,} chunks" for s in sizes]
    n = len(results[sizes[0]]["samples"]["encode"])
    growth = ""
    if len(sizes) > 1:
        first, last = results[sizes[0]], results[sizes[-1]]
        factor = last["chunks"] / first["chunks"]
        ratio = percentile(last["samples"]["api_repeat"], 50) / percentile(first["samples"]["api_repeat"], 50)
        growth = (f"\n\nFrom {first['chunks']:,} to {last['chunks']:,} chunks ({factor:.0f}× the corpus) the "
                  f"p50 of a repeated `GET /api/search` grows {ratio:.1f}×.")
    pairs = {s: (percentile(results[s]["samples"]["with_reranker"], 50),
                 percentile(results[s]["samples"]["without_reranker"], 50)) for s in sizes}
    rerank = ("\n\nThe learned reranker (`kb/rerank.py`) in a warm `Searcher.search` (embedding cached, run just "
              "after the same search without it), p50: "
              + ", ".join(f"{on:.1f} ms against {off:.1f} ms at {results[s]['chunks']:,} chunks ({on / off:.2f}×)"
                          for s, (on, off) in pairs.items()) + ".")
    return (f"{n} query runs per size (eval/dev.jsonl and eval/heldout.jsonl, 1 round; 26 of them hold a word the "
            "speller corrects), Flask test "
            "client, one process per size; how the 10,000 and 100,000 chunk indexes are made is in "
            "`bench/scale_corpus.py` (real text; real vectors for real chunks and sentences, perturbed "
            "means of real sentence vectors for the sentence windows).\n\n"
            + table(header, rows) + growth + rerank)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
    else:
        main(sys.argv[1:] or ["corpus", "10000", "100000"])
