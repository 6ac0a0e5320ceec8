"""A read-only BM25 matrix of the lexical index, so a query over 100,000 chunks costs milliseconds.

FTS5 scores every row that matches any query term; with a dozen weighted terms over a large
corpus that is tens of thousands of rows per query, ranked one by one in SQLite's VM. This
module precomputes FTS5's own per-term BM25 contribution for every (chunk, term) pair into a
sparse column-major matrix: a query is then a weighted sum of a few columns in numpy.

The matrix is a snapshot of the `lex_` tables at one *generation* (a counter every change to the
lexical index bumps, see `kb.lexical`). It is saved beside the catalog, so a starting server loads
it instead of building it, and it is only used while its generation is the index's: a stale
snapshot is never read, the index answers from FTS5 until a fresh one is built. Scores equal
FTS5's `bm25()` (k1 = 1.2, b = 0.75, FTS5's idf with its floor), so both paths rank alike.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse

#: FTS5's bm25() parameters (fts5_aux.c).
K1, B = 1.2, 0.75
#: The columns that filters test, stored as integer codes per chunk.
CODED_FIELDS = ("kommun", "firm", "section_type", "doc_type")
#: Chunks read from SQLite per batch while building.
_BATCH = 2_000
_NO_YEAR = np.iinfo(np.int32).min
#: A token as FTS5's unicode61 tokenizer cuts the stored terms (letters and digits; "11⁄2" is two).
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Bm25Matrix:
    """Per-term BM25 contributions (chunks × terms, CSC) with what filters and ids need."""

    index_id: str
    generation: int
    rowids: np.ndarray  # int64, chunk position -> lex_chunks.rowid
    terms: dict[str, int]  # term -> column
    doc_freq: np.ndarray  # int32 per column: chunks holding the term
    matrix: scipy.sparse.csc_matrix  # float64 contributions, one column per term
    codes: dict[str, np.ndarray]  # field -> int32 code per chunk (-1 = no value)
    values: dict[str, dict[str, int]]  # field -> value -> code
    years: np.ndarray  # int32 per chunk, _NO_YEAR when unknown

    @property
    def size(self) -> int:
        return len(self.rowids)

    def doc_freqs(self, terms: list[str]) -> dict[str, int]:
        """Chunks holding each known term."""
        return {t: int(self.doc_freq[self.terms[t]]) for t in terms if t in self.terms}

    def scores(self, weighted: list[tuple[str, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk's weighted BM25 sum, and which chunks match any term at all."""
        scores = np.zeros(self.size, dtype=np.float64)
        matched = np.zeros(self.size, dtype=bool)
        indptr, indices, data = self.matrix.indptr, self.matrix.indices, self.matrix.data
        for term, weight in weighted:
            col = self.terms.get(term)
            if col is None:
                continue
            rows = indices[indptr[col] : indptr[col + 1]]
            scores[rows] += weight * data[indptr[col] : indptr[col + 1]]  # rows unique per column
            matched[rows] = True
        return scores, matched

    def mask(self, filters: dict) -> np.ndarray | None:
        """Chunks passing the filters (the same conditions as the SQL path), or None for all."""
        keep = None
        for field in CODED_FIELDS:
            wanted = filters.get(field)
            if isinstance(wanted, str):
                wanted = [wanted]
            if wanted:
                codes = [self.values[field][v] for v in wanted if v in self.values[field]]
                part = np.isin(self.codes[field], np.asarray(codes, dtype=np.int32))
                keep = part if keep is None else keep & part
        for key, above in (("year_from", True), ("year_to", False)):
            if filters.get(key) is not None:
                year = int(filters[key])
                part = (self.years != _NO_YEAR) & ((self.years >= year) if above else (self.years <= year))
                keep = part if keep is None else keep & part
        return keep

    def top(self, weighted: list[tuple[str, float]], k: int, filters: dict) -> list[tuple[int, float]]:
        """The best `k` (rowid, score) among matching chunks that pass the filters, best first,
        plus any chunk tied with the k-th: the caller breaks ties by chunk id, as SQL does."""
        scores, matched = self.scores(weighted)
        keep = self.mask(filters)
        if keep is not None:
            matched &= keep
        found = np.flatnonzero(matched)
        if len(found) > k:
            kth = -np.partition(-scores[found], k - 1)[k - 1]
            found = found[scores[found] >= kth]
        found = found[np.argsort(-scores[found], kind="stable")]
        return [(int(self.rowids[i]), float(scores[i])) for i in found]

    def save(self, path: Path) -> None:
        """Write the snapshot atomically (a temporary file renamed over the old one)."""
        fields = {f"codes_{f}": self.codes[f] for f in CODED_FIELDS}
        fields |= {f"values_{f}": _joined(sorted(self.values[f], key=self.values[f].get)) for f in CODED_FIELDS}
        fd, tmp = tempfile.mkstemp(prefix=".lexical-", suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, index_id=_joined([self.index_id]), generation=np.int64(self.generation),
                         rowids=self.rowids, terms=_joined(sorted(self.terms, key=self.terms.get)),
                         doc_freq=self.doc_freq, indptr=self.matrix.indptr, indices=self.matrix.indices,
                         data=self.matrix.data, years=self.years, **fields)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: Path) -> Bm25Matrix | None:
        """The snapshot saved at `path`, or None if there is none or it cannot be read."""
        try:
            with np.load(path, allow_pickle=False) as f:
                terms = _split(f["terms"])
                rowids = f["rowids"]
                matrix = scipy.sparse.csc_matrix((f["data"], f["indices"], f["indptr"]),
                                                 shape=(len(rowids), len(terms)))
                values = {field: _split(f[f"values_{field}"]) for field in CODED_FIELDS}
                return cls(
                    index_id=_split(f["index_id"])[0], generation=int(f["generation"]), rowids=rowids,
                    terms={t: i for i, t in enumerate(terms)}, doc_freq=f["doc_freq"], matrix=matrix,
                    codes={field: f[f"codes_{field}"] for field in CODED_FIELDS},
                    values={field: {v: i for i, v in enumerate(vs)} for field, vs in values.items()},
                    years=f["years"],
                )
        except (OSError, KeyError, ValueError, IndexError, EOFError, zipfile.BadZipFile):
            return None  # missing, truncated or from another version: rebuilt by the caller


def build(conn: sqlite3.Connection, index_id: str, generation: int) -> Bm25Matrix:
    """Build the matrix from the `lex_` tables; the caller holds a read transaction.

    Term frequencies are counted a batch of chunks at a time, so memory stays near the size of
    the result (about 16 bytes per distinct term of a chunk) rather than of every token read."""
    vocab: dict[str, int] = {}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (columns, rows, counts) per batch
    rowids: list[int] = []
    doc_len: list[int] = []
    fields: dict[str, list] = {f: [] for f in (*CODED_FIELDS, "year")}
    cursor = conn.execute(
        "SELECT c.rowid, f.terms, c.kommun, c.firm, c.section_type, c.doc_type, c.year"
        " FROM lex_chunks c JOIN lex_fts f ON f.rowid = c.rowid ORDER BY c.rowid")
    while batch := cursor.fetchmany(_BATCH):
        first, ids, rows = len(rowids), [], []
        for rowid, terms, *values in batch:
            tokens = _TOKEN.findall(terms)
            ids += [vocab.setdefault(t, len(vocab)) for t in tokens]
            rows += [len(rowids)] * len(tokens)
            doc_len.append(len(tokens))
            rowids.append(rowid)
            for field, value in zip((*CODED_FIELDS, "year"), values, strict=True):
                fields[field].append(value)
        keys, counts = np.unique((np.asarray(ids, np.int64) << 32) | (np.asarray(rows, np.int64) - first),
                                 return_counts=True)
        parts.append((first, (keys >> 32).astype(np.int32), (keys & 0xFFFFFFFF).astype(np.uint16),
                      counts.astype(np.uint16)))  # rows within a batch, and a term at most a few hundred times
    n_docs = len(rowids)
    rows, data, doc_freq = _by_column(parts, len(vocab))
    lengths = np.asarray(doc_len, dtype=np.float64)
    avg_len = lengths.sum() / n_docs if n_docs else 1.0
    idf = np.log((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
    idf[idf <= 0] = 1e-6  # FTS5's floor for terms in more than half the rows
    indptr = np.concatenate([[0], np.cumsum(doc_freq, dtype=np.int64)])
    _weigh(data, rows, indptr, lengths, avg_len, idf)
    matrix = scipy.sparse.csc_matrix((data, rows, indptr), shape=(n_docs, len(vocab)))
    codes, values = {}, {}
    for field in CODED_FIELDS:
        known: dict[str, int] = {}
        codes[field] = np.asarray([-1 if v is None else known.setdefault(v, len(known)) for v in fields[field]],
                                  dtype=np.int32)
        values[field] = known
    years = np.asarray([_NO_YEAR if y is None else int(y) for y in fields["year"]], dtype=np.int32)
    return Bm25Matrix(index_id, generation, np.asarray(rowids, dtype=np.int64), vocab, doc_freq, matrix,
                      codes, values, years)


def _by_column(parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]], n_terms: int):
    """Batches of (first row, column, row in batch, count), each sorted by column then row and in
    row order between them, placed straight into CSC order (a counting sort, consuming `parts`):
    the rows, the counts as float64 and the entries per column. No concatenated copy, no argsort;
    the counts are placed as uint16 and widened once the batches are gone, which keeps the peak
    near 14 bytes per entry instead of 22."""
    doc_freq = np.zeros(n_terms, dtype=np.int64)
    for _, cols, _, _ in parts:
        doc_freq += np.bincount(cols, minlength=n_terms)
    cursor = np.concatenate([[0], np.cumsum(doc_freq)[:-1]]) if n_terms else np.zeros(0, np.int64)
    rows = np.empty(int(doc_freq.sum()), dtype=np.int32)
    counts = np.empty(len(rows), dtype=np.uint16)
    while parts:
        first, cols, batch_rows, batch_counts = parts.pop(0)
        per_col = np.bincount(cols, minlength=n_terms)
        rank = np.arange(len(cols)) - (np.cumsum(per_col) - per_col)[cols]  # place within its column here
        where = cursor[cols] + rank
        rows[where] = batch_rows.astype(np.int32) + first
        counts[where] = batch_counts
        cursor += per_col
    return rows, counts.astype(np.float64), doc_freq.astype(np.int32)


def _weigh(data: np.ndarray, rows: np.ndarray, indptr: np.ndarray, lengths: np.ndarray, avg_len: float,
           idf: np.ndarray, block: int = 1 << 18) -> None:
    """Turn term counts into BM25 contributions in place, a block of entries at a time (so the
    temporaries stay a few MB at any size): idf * (tf * (k1 + 1)) / (tf + k1 * (1 - b + b * len / avg))."""
    for start in range(0, len(data), block):
        part = slice(start, start + block)
        denom = lengths[rows[part]]
        denom *= B / avg_len
        denom += 1 - B
        denom *= K1
        denom += data[part]
        data[part] *= K1 + 1
        data[part] /= denom
        columns = np.searchsorted(indptr, np.arange(start, min(start + block, len(data))), side="right") - 1
        data[part] *= idf[columns]


def _joined(items: list[str]) -> np.ndarray:
    """Strings as UTF-8 JSON bytes: no fixed-width padding, no pickle."""
    return np.frombuffer(json.dumps(items, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _split(array: np.ndarray) -> list[str]:
    return json.loads(array.tobytes().decode("utf-8"))
