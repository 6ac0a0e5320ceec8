"""Ingest throughput: `Pipeline` against the raw model encoding the same texts, in one run.

The pipeline embeds every chunk, for line vectors (kb/lines.py) every piece of it, and every
finding (revisionsfråga, rekommendation). The raw figures are one `embed_passages` call over every
text the pipeline embedded (the pipeline's overhead) and one over the chunk texts alone (what the
line and finding vectors cost). The
pipeline figure is a full `Pipeline.run` into a fresh index with the same embedder object; its
time is split into reading and understanding, model, Chroma, and catalog plus lexical writes.
Writes the "ingest" section of docs/benchmarks.md.

    python -m bench.ingest
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.report import table, write_section


class _Timed:
    """Wraps an object's methods, adding their wall time to a shared tally."""

    def __init__(self, target, tally: dict[str, float], names: dict[str, str]) -> None:
        self._target, self._tally, self._names = target, tally, names

    def __getattr__(self, attr: str):
        value = getattr(self._target, attr)
        if attr not in self._names:
            return value

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                self._tally[self._names[attr]] += time.perf_counter() - t0

        return timed


def measure(files: list[Path], embedder, work: Path, rounds: int = 2) -> dict:
    """Alternate raw encoding and pipeline ingest `rounds` times; best of each."""
    from ingest.pipeline import Pipeline
    from kb import lines
    from kb.config import Config
    from kb.index import Index

    texts: list[str] = []
    chunk_texts: list[str] = []
    best: dict = {"raw": float("inf"), "raw_chunks": float("inf"), "pipeline": float("inf")}
    for n in range(rounds):
        tally: dict[str, float] = defaultdict(float)
        index = Index.open(Config(data_dir=work / f"ingest-{n}"), embedder=embedder)
        recorded: list[str] = []
        timed_embedder = _Timed(_Recording(embedder, recorded), tally, {"embed_passages": "model"})
        index.embedder = timed_embedder
        index.vectors = _Timed(index.vectors, tally, {"upsert": "Chroma", "delete": "Chroma"})
        index.lexical = _Timed(index.lexical, tally, {"upsert_in_transaction": "lexical"})
        t0 = time.perf_counter()
        summary = Pipeline(index).run(files)
        elapsed = time.perf_counter() - t0
        assert not summary.failed, [(o.path, o.message) for o in summary.failed]
        others = {p for chunk_id in index.catalog.chunk_ids()
                  for p in lines.pieces(index.catalog.chunks_by_id([chunk_id])[chunk_id].text)}
        others |= {finding.text for finding, _ in index.catalog.findings()}
        index.close()
        texts = recorded
        chunk_texts = [t for t in texts if t not in others]
        if elapsed < best["pipeline"]:
            best.update(pipeline=elapsed, tally=dict(tally))
        t0 = time.perf_counter()
        embedder.embed_passages(texts)
        best["raw"] = min(best["raw"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        embedder.embed_passages(chunk_texts)
        best["raw_chunks"] = min(best["raw_chunks"], time.perf_counter() - t0)
    best["chunks"], best["texts"] = len(chunk_texts), len(texts)
    return best


class _Recording:
    def __init__(self, inner, texts: list[str]) -> None:
        self._inner, self._texts = inner, texts
        self.name, self.dim = inner.name, inner.dim

    def embed_passages(self, texts: list[str]):
        self._texts.extend(texts)
        return self._inner.embed_passages(texts)

    def embed_query(self, text: str):
        return self._inner.embed_query(text)


def main() -> None:
    from bench.realdata import eval_corpus
    from kb.config import Config
    from kb.embedding import load_embedder

    config = Config.from_env()
    embedder = load_embedder(config.model, config.cache_dir, backend=config.model_backend)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = [f for f in sorted(eval_corpus(work / "corpus").iterdir()) if f.suffix != ".toml"]
        embedder.embed_passages(["uppvärmning"] * 8)
        print(f"[ingest] {len(files)} files, backend {config.model_backend} ...", file=sys.stderr)
        result = measure(files, embedder, work)
    write_section("ingest", render(result, len(files), config.model_backend))


def render(r: dict, n_files: int, backend: str) -> str:
    n, raw, raw_chunks, pipe, tally = r["chunks"], r["raw"], r["raw_chunks"], r["pipeline"], r["tally"]
    other = pipe - sum(tally.values())
    rows = [[f"raw model, one call over the {r['texts']:,} texts the pipeline embeds (chunks, pieces, findings)",
             f"{raw:.1f}", f"{n / raw:.1f}", "100%"],
            ["`Pipeline.run`", f"{pipe:.1f}", f"{n / pipe:.1f}", f"{raw / pipe:.0%}"],
            [f"raw model, the {n:,} chunk texts alone (no line or finding vectors)", f"{raw_chunks:.1f}",
             f"{n / raw_chunks:.1f}", f"{raw / raw_chunks:.0%}"]]
    split = [[part, f"{seconds:.1f}", f"{seconds / pipe:.0%}"] for part, seconds in
             [*sorted(tally.items(), key=lambda kv: -kv[1]), ("read, clean, structure, chunk, other", other)]]
    return (
        f"{n_files} real reports (the evaluation corpus: corpus/*.txt and Kungsbacka's report), {n} chunks, "
        f"model backend `{backend}`; each figure is the best of 2 rounds, raw and pipeline alternating.\n\n"
        + table(["what", "seconds", "chunks/s", "speed against raw"], rows)
        + "\n\nWhere the pipeline's time goes:\n\n"
        + table(["part", "seconds", "share"], split)
    )


if __name__ == "__main__":
    main()
