"""Indexes of 10,000 and 100,000 chunks made from real report text, for the scale benchmarks.

What is real and what is not:
- every chunk of the 12 real reports (the 6-report evaluation corpus and the 6 shared PDFs) goes
  in through `Pipeline` with its real model embedding;
- 5,000 sentences of those reports (a seeded sample) are embedded for real, by the model;
- the other chunks are windows of 3-9 real sentences (consecutive, sometimes two windows from
  different reports joined), so their text, and the lexical index, is real Swedish report text;
  their vector is the length-weighted mean of the window's real sentence embeddings plus a small
  Gaussian perturbation (sigma 0.01 per dimension), normalised: a stand-in for the model's vector
  of that text, not the model's output;
- line vectors (kb/lines.py): the real chunks' pieces are embedded by the model through `Pipeline`;
  a window's pieces (whole sentences, at most 160 characters) get the normalised mean of the real
  vectors of the sentences they hold (the window's vector if a piece holds none whole).

    python -m bench.scale_corpus corpus 10000 100000     # builds under $BENCH_WORK (default /tmp/kb-bench)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

from kb import lines

WORK = Path(os.environ.get("BENCH_WORK", "/tmp/kb-bench"))
CHUNKS_PER_REPORT = 100
MAX_SENTENCES = 5000
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9])")


def log(message: str) -> None:
    print(f"[scale] {message}", file=sys.stderr, flush=True)


class LookupEmbedder:
    """Serves precomputed real vectors under the real model's name, so `kb serve` opens the index."""

    def __init__(self, name: str, vectors: dict[str, np.ndarray], fallback) -> None:
        self.name, self._vectors, self._fallback = name, vectors, fallback
        self.dim = fallback.dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self._fallback.embed_passages(missing), strict=True):
                self._vectors[text] = vector
        return np.stack([self._vectors[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._fallback.embed_query(text)


def real_files() -> list[Path]:
    from bench.realdata import eval_corpus, real_pdfs

    return [*sorted(eval_corpus(WORK / "real-files").iterdir()), *real_pdfs()]


def real_material(embedder) -> tuple[dict[str, np.ndarray], list[list[str]], dict[str, np.ndarray]]:
    """(vectors of the real chunks as embedded, sentences per report, vectors of the sentences), cached."""
    cache = WORK / "real-material.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from ingest.pipeline import Pipeline
    from kb.config import Config
    from kb.index import Index

    recorder = _Recorder()
    index = Index.open(Config(data_dir=WORK / "recording", model="hashing-64"), embedder=recorder)
    files = real_files()
    Pipeline(index).run(files)
    docs = []
    for report in index.catalog.reports():
        text, _, _ = index.catalog.report_text(report.id)
        sentences = [s.strip() for line in text.splitlines() for s in _SENTENCE.split(line)]
        docs.append([" ".join(s.split()) for s in sentences if 40 <= len(s) <= 400])
    index.close()
    unique = sorted({s for doc in docs for s in doc})
    unique = sorted(random.Random(1).sample(unique, min(MAX_SENTENCES, len(unique))))
    keep = set(unique)
    docs = [[s for s in doc if s in keep] for doc in docs]
    log(f"embedding {len(recorder.texts)} real chunks and {len(unique)} real sentences for real ...")
    t0 = time.perf_counter()
    chunk_vectors = dict(zip(recorder.texts, embedder.embed_passages(recorder.texts), strict=True))
    sentence_vectors = dict(zip(unique, embedder.embed_passages(unique), strict=True))
    log(f"... {time.perf_counter() - t0:.0f} s")
    WORK.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps((chunk_vectors, docs, sentence_vectors)))
    return chunk_vectors, docs, sentence_vectors


class _Recorder:
    name, dim = "recording", 64

    def __init__(self) -> None:
        from kb.embedding import HashingEmbedder

        self._inner, self.texts = HashingEmbedder(64), []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return self._inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._inner.embed_query(text)


def synthetic_chunks(docs: list[list[str]], vectors: dict[str, np.ndarray], n: int, seed: int = 7):
    """n (text, vector) windows of real sentences; vectors are perturbed means of real ones."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    docs = [d for d in docs if len(d) >= 3]
    for _ in range(n):
        parts = []
        for _ in range(2 if rng.random() < 0.3 else 1):
            doc = rng.choice(docs)
            length = rng.randint(3, 9) if len(parts) == 0 else rng.randint(2, 4)
            start = rng.randrange(max(1, len(doc) - length))
            parts += doc[start : start + length]
        weights = np.array([len(s) for s in parts], dtype=np.float32)
        vector = (np.stack([vectors[s] for s in parts]) * weights[:, None]).sum(0) / weights.sum()
        vector = vector + noise.normal(0, 0.01, vector.shape).astype(np.float32)
        vector = (vector / np.linalg.norm(vector)).astype(np.float32)
        text = " ".join(parts)
        yield text, vector, np.stack([_piece_vector(piece, parts, vectors, vector) for piece in lines.pieces(text)]
                                     or [vector])


def _piece_vector(piece: str, sentences: list[str], vectors: dict[str, np.ndarray], fallback: np.ndarray):
    """The normalised mean of the real vectors of the sentences a piece holds whole."""
    held = [vectors[s] for s in sentences if s in piece]
    if not held:
        return fallback
    mean = np.mean(held, axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


def build(size: str, embedder) -> Path:
    """An index of `size` chunks (or `corpus`: the evaluation corpus alone) under WORK/index-<size>,
    reused when it is already there."""
    from ingest.pipeline import Pipeline
    from kb.config import Config
    from kb.index import Index

    data_dir = WORK / f"index-{size}"
    if (data_dir / "complete").exists():
        return data_dir
    chunk_vectors, docs, sentence_vectors = real_material(embedder)
    index = Index.open(Config(data_dir=data_dir), embedder=LookupEmbedder(embedder.name, chunk_vectors, embedder))
    t0 = time.perf_counter()
    files = real_files()
    Pipeline(index).run(files if size != "corpus" else [f for f in files if f.suffix != ".pdf"])
    real = index.catalog.counts()[1]
    wanted = real if size == "corpus" else int(size)
    log(f"{size}: {real} real chunks in; adding {wanted - real} windows of real sentences ...")
    batch: list[tuple[str, np.ndarray, np.ndarray]] = []
    for number, item in enumerate(synthetic_chunks(docs, sentence_vectors, wanted - real)):
        batch.append(item)
        if len(batch) == CHUNKS_PER_REPORT or number == wanted - real - 1:
            _add_report(index, number // CHUNKS_PER_REPORT, batch)
            batch = []
    index.lexical.ensure_matrix()  # as `kb ingest` leaves an index
    log(f"{size}: built in {time.perf_counter() - t0:.0f} s")
    index.close()
    (data_dir / "complete").write_text("ok")
    return data_dir


_KOMMUNER = ("Ale", "Mellerud", "Ödeshög", "Orsa", "Strömsund", "Kungsbacka", "Haparanda",
             "Olofström", "Simrishamn", "Borås", "Umeå", "Gotland")
_FIRMS = ("PwC", "KPMG", "EY", "Deloitte", None)


def _add_report(index, number: int, items: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
    """One synthetic report holding `items` as its chunks, written as the pipeline writes."""
    from ingest.pipeline import contextual_text
    from kb.chunking import chunk_id
    from kb.models import Chunk, Report, ReportMeta
    from kb.search import chunk_metadata

    report_id = f"syntetisk-{number:05d}"
    rng = random.Random(number)
    meta = ReportMeta(title=f"Granskning {number} (syntetisk, av verkliga meningar)",
                      kommun=rng.choice(_KOMMUNER), year=rng.randint(2010, 2025), firm=rng.choice(_FIRMS))
    text, chunks, pos = "", [], 0
    for body, _, _ in items:
        start = pos
        text += body + "\n\n"
        pos = len(text)
        section_type = rng.choice(("inledning", "iakttagelse", "bedomning", "rekommendation"))
        chunks.append(Chunk(chunk_id(report_id, start, start + len(body), body), report_id, body, start,
                            start + len(body), "Iakttagelser", ("Iakttagelser",), section_type, None))
    sha = hashlib.sha256(text.encode()).hexdigest()
    report = Report(report_id, meta, f"synthetic:{number}", sha, "txt", len(chunks))
    index.vectors.upsert([c.id for c in chunks], np.stack([v for _, v, _ in items]),
                         [chunk_metadata(c, report) for c in chunks])
    with index.catalog.transaction() as db:
        index.catalog.replace_report(db, report, text, (), (), sha, chunks, [])
        index.catalog.put_line_vectors(db, {c.id: lines.to_blob(piece_vectors)
                                            for c, (_, _, piece_vectors) in zip(chunks, items, strict=True)})
        index.lexical.upsert_in_transaction(report_id, [
            (c.id, contextual_text(c, meta), chunk_metadata(c, report)) for c in chunks])


def main(sizes: list[str]) -> None:
    from kb.config import Config
    from kb.embedding import load_embedder

    config = Config.from_env()
    embedder = load_embedder(config.model, config.cache_dir, backend=config.model_backend)
    for size in sizes:
        print(build(size, embedder))


if __name__ == "__main__":
    main(sys.argv[1:] or ["corpus", "10000", "100000"])
