"""Line vectors: a passage also embedded line by line, for a second, finer dense signal.

A chunk of ~800 characters often answers a query in one of its sentences; its single
vector blurs that sentence with the rest. Each chunk is therefore also cut into pieces:
its lines (paragraphs, list items, table rows), very short lines merged into their
neighbours and longer ones split into windows of one or two sentences, and every piece is
embedded with the same model (the embedder adds e5's `passage: ` prefix).
Search reads the pieces' vectors for its top candidates only and scores each candidate by
its best piece (`best_similarity`). The vectors are kept as float16 in the catalog, beside
the chunk they belong to.
"""

from __future__ import annotations

import re

import numpy as np

#: Pieces shorter than this are merged into a neighbour ("Bedömning", "2.3 Mål").
MIN_PIECE_CHARS = 60
#: Lines longer than this are split into windows of whole sentences of about this size
#: (a sentence longer than that stays whole). Sentence-sized pieces measured best (docs/retrieval.md).
MAX_PIECE_CHARS = 160
#: Pieces still shorter than this after merging (a chunk that is one short line) are skipped.
MIN_KEPT_CHARS = 40

_SENTENCE_END = re.compile(r"(?<=[.!?:;])[\"”’)*]*\s+(?=[\"“(*]?[A-ZÅÄÖÉ0-9])")


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A long line as windows of whole sentences, each at most MAX_PIECE_CHARS unless one
    sentence alone is longer."""
    matches = list(_SENTENCE_END.finditer(text, start, end))
    starts = [start, *(m.end() for m in matches)]
    ends = [*(m.start() for m in matches), end]
    windows: list[tuple[int, int]] = []
    for a, b in zip(starts, ends, strict=True):
        if windows and b - windows[-1][0] <= MAX_PIECE_CHARS:
            windows[-1] = (windows[-1][0], b)
        else:
            windows.append((a, b))
    return windows


def piece_spans(text: str) -> list[tuple[int, int]]:
    """Where a chunk's pieces lie in its text: lines, short ones merged into the next (a
    heading joins the paragraph it heads), long ones split into windows at sentence ends."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"\S(?:[^\n]*\S)?", text)]
    spans: list[tuple[int, int]] = []
    pending: int | None = None
    for start, end in lines:
        start = start if pending is None else pending
        if end - start < MIN_PIECE_CHARS:
            pending = start
            continue
        pending = None
        spans.extend(_sentences(text, start, end) if end - start > MAX_PIECE_CHARS else [(start, end)])
    if pending is not None:
        if spans and lines[-1][1] - pending < MIN_PIECE_CHARS:
            spans[-1] = (spans[-1][0], lines[-1][1])
        else:
            spans.append((pending, lines[-1][1]))
    return [(a, b) for a, b in spans if len(text[a:b].strip()) >= MIN_KEPT_CHARS]


def pieces(text: str) -> list[str]:
    """The pieces of a chunk to embed one by one, whitespace collapsed."""
    return [" ".join(text[a:b].split()) for a, b in piece_spans(text)]


def to_blob(vectors: np.ndarray) -> bytes:
    """A chunk's piece vectors (rows) as float16 bytes, half the space of float32."""
    return np.ascontiguousarray(vectors, dtype=np.float16).tobytes()


def from_blob(blob: bytes, dim: int) -> np.ndarray:
    """The rows written by `to_blob`, as float32."""
    return np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).astype(np.float32)


def best_similarity(query: np.ndarray, blobs: dict[str, bytes]) -> dict[str, float]:
    """Each chunk's highest cosine between the query and one of its pieces (unit vectors)."""
    dim = query.shape[0]
    found: dict[str, float] = {}
    for chunk_id, blob in blobs.items():
        if blob and len(blob) % (2 * dim) == 0:  # a blob from another model's dimension is ignored
            found[chunk_id] = float((from_blob(blob, dim) @ query).max())
    return found
