"""The persisted lexical index: pre-analyzed terms in SQLite FTS5, ranked by weighted BM25.

SQLite rather than a static BM25 matrix because reports are added, replaced and removed one at a
time, readers in other processes must see a consistent index while one writer works (WAL), and
the index shares one file with the catalog. Terms come from `kb.analysis`, never from FTS5's own
query parser: user text reaches SQLite only as quoted, analyzed terms, so "AND OR NEAR(" is text.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter, defaultdict
from pathlib import Path

from kb.analysis import analyze, analyze_query_weighted, vocabulary_of
from kb.compounds import BASE_VOCABULARY, Decompounder
from kb.errors import BadQuery

#: Filter keys that match one of several values of a chunk column.
LIST_FILTERS = ("kommun", "firm", "section_type", "doc_type")
#: Below this many chunks every query term is matched; above it, terms in half the chunks are skipped.
COMMON_TERM_MIN_CHUNKS = 2000
#: A corpus word must occur in this many chunks before it may be a compound part (OCR noise).
MIN_VOCAB_CHUNKS = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lex_chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    report_id TEXT NOT NULL,
    kommun TEXT, year INTEGER, firm TEXT, section_type TEXT, doc_type TEXT
);
CREATE INDEX IF NOT EXISTS lex_chunks_report ON lex_chunks(report_id);
CREATE VIRTUAL TABLE IF NOT EXISTS lex_fts USING fts5(
    terms, tokenize = "unicode61 remove_diacritics 0"
);
CREATE VIRTUAL TABLE IF NOT EXISTS lex_terms USING fts5vocab(lex_fts, 'row');
CREATE TABLE IF NOT EXISTS lex_vocab (word TEXT PRIMARY KEY, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lex_chunk_words (
    rowid INTEGER PRIMARY KEY REFERENCES lex_chunks(rowid) ON DELETE CASCADE,
    words TEXT NOT NULL
);
"""


def _quote(term: str) -> str:
    """An FTS5 string literal, so no user text is ever read as FTS5 syntax."""
    return '"' + term.replace('"', '""') + '"'


class LexicalIndex:
    """BM25 over analyzed chunk text, kept in `lex_` tables of a SQLite file."""

    def __init__(self, path: Path) -> None:
        """Open or create the index at `path` (a SQLite file) in WAL mode for concurrent readers."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        self._setup(conn, owned=True)

    @classmethod
    def from_connection(cls, conn: sqlite3.Connection,
                        lock: threading.RLock | None = None) -> LexicalIndex:
        """Share a connection (the catalog's) and its lock, so chunks and their terms commit together."""
        self = cls.__new__(cls)
        self._setup(conn, owned=False, lock=lock)
        return self

    def _setup(self, conn: sqlite3.Connection, owned: bool,
               lock: threading.RLock | None = None) -> None:
        """Create the tables if missing and load the vocabulary the decompounder splits with."""
        self._conn = conn
        self._owned = owned
        self._lock = lock or threading.RLock()
        conn.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            conn.executescript(_SCHEMA)
            conn.commit()
        self._data_version = -1
        self._decompounder = Decompounder(BASE_VOCABULARY)
        self._refresh_vocabulary()

    def _refresh_vocabulary(self) -> None:
        """Reload corpus words if another connection changed the index since we last looked."""
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return
        words = self._conn.execute(
            "SELECT word FROM lex_vocab WHERE chunks >= ?", (MIN_VOCAB_CHUNKS,)
        )
        decompounder = Decompounder(BASE_VOCABULARY)
        decompounder.add(w for (w,) in words)
        self._decompounder = decompounder
        self._data_version = version

    @property
    def decompounder(self) -> Decompounder:
        """The decompounder in use: shipped words plus the words of the indexed corpus."""
        return self._decompounder

    def upsert(self, report_id: str, chunks: list[tuple[str, str, dict]]) -> None:
        """Replace every chunk of `report_id` with `chunks` (chunk_id, text, filter_fields)."""
        with self._lock, self._conn:
            self.upsert_in_transaction(report_id, chunks)

    def upsert_in_transaction(self, report_id: str, chunks: list[tuple[str, str, dict]]) -> None:
        """`upsert` inside a transaction the caller holds (the catalog's), committing nothing."""
        with self._lock:
            self._delete(report_id)
            words_per_chunk = [vocabulary_of([text]) for _, text, _ in chunks]
            fresh = Counter(w for ws in words_per_chunk for w in ws)
            self._bump_vocabulary(fresh, +1)
            self._decompounder.add(w for w, n in fresh.items() if n >= MIN_VOCAB_CHUNKS)
            self._decompounder.add(self._known_words(fresh))
            for (chunk_id, text, fields), words in zip(chunks, words_per_chunk, strict=True):
                cur = self._conn.execute(
                    "INSERT INTO lex_chunks (chunk_id, report_id, kommun, year, firm,"
                    " section_type, doc_type) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (chunk_id, report_id, *(fields.get(k) for k in
                     ("kommun", "year", "firm", "section_type", "doc_type"))),
                )
                rowid = cur.lastrowid
                terms = " ".join(analyze(text, self._decompounder))
                self._conn.execute("INSERT INTO lex_fts (rowid, terms) VALUES (?, ?)", (rowid, terms))
                self._conn.execute(
                    "INSERT INTO lex_chunk_words (rowid, words) VALUES (?, ?)",
                    (rowid, " ".join(sorted(words))),
                )

    def _known_words(self, words: Counter) -> list[str]:
        """Words of this report that other reports also use: safe to treat as compound parts."""
        found = []
        items = list(words)
        for i in range(0, len(items), 500):
            batch = items[i : i + 500]
            marks = ",".join("?" * len(batch))
            found += [w for (w,) in self._conn.execute(
                f"SELECT word FROM lex_vocab WHERE chunks >= ? AND word IN ({marks})",
                (MIN_VOCAB_CHUNKS, *batch),
            )]
        return found

    def _bump_vocabulary(self, counts: Counter, sign: int) -> None:
        """Add or subtract chunk counts of words, dropping words no chunk uses any more."""
        self._conn.executemany(
            "INSERT INTO lex_vocab (word, chunks) VALUES (?, ?)"
            " ON CONFLICT(word) DO UPDATE SET chunks = chunks + excluded.chunks",
            [(w, sign * n) for w, n in counts.items()],
        )
        if sign < 0:
            self._conn.execute("DELETE FROM lex_vocab WHERE chunks <= 0")

    def _delete(self, report_id: str) -> None:
        """Remove a report's rows; the caller holds the transaction."""
        rows = self._conn.execute(
            "SELECT c.rowid, w.words FROM lex_chunks c LEFT JOIN lex_chunk_words w"
            " ON w.rowid = c.rowid WHERE c.report_id = ?",
            (report_id,),
        ).fetchall()
        if not rows:
            return
        gone = Counter(w for _, words in rows for w in (words or "").split())
        self._bump_vocabulary(gone, -1)
        ids = [(r,) for r, _ in rows]
        self._conn.executemany("DELETE FROM lex_fts WHERE rowid = ?", ids)
        self._conn.executemany("DELETE FROM lex_chunk_words WHERE rowid = ?", ids)
        self._conn.executemany("DELETE FROM lex_chunks WHERE rowid = ?", ids)

    def delete_report(self, report_id: str) -> None:
        """Remove every chunk of `report_id`; unknown ids are a no-op."""
        with self._lock, self._conn:
            self._delete(report_id)

    def search(
        self, query: str, k: int, filters: dict | None = None
    ) -> list[tuple[str, float]]:
        """Best `k` chunks as (chunk_id, score): the weighted sum of each term's FTS5 BM25."""
        if k <= 0:
            return []
        where, params = _filter_sql(filters or {})
        with self._lock:
            self._refresh_vocabulary()
            weighted = analyze_query_weighted(query, self._decompounder)
            # FTS5's bm25() sums over the phrases of an OR query, so one match per weight
            # gives the exact weighted sum; its values are negated (lower is better). The sum
            # and the top k are taken inside SQLite: common terms match most of a large corpus.
            by_weight: dict[float, list[str]] = defaultdict(list)
            for term, weight in self._without_common(weighted):
                by_weight[weight].append(_quote(term))
            if not by_weight:
                return []
            matches = " UNION ALL ".join(
                "SELECT rowid, ? * bm25(lex_fts) AS s FROM lex_fts WHERE lex_fts MATCH ?" for _ in by_weight)
            sql = (f"WITH m AS MATERIALIZED ({matches})"
                   " SELECT c.chunk_id, -SUM(m.s) AS score FROM m JOIN lex_chunks c"
                   f" ON c.rowid = m.rowid WHERE 1{where} GROUP BY m.rowid"
                   " ORDER BY score DESC, c.chunk_id LIMIT ?")
            args = [x for weight, terms in by_weight.items() for x in (weight, " OR ".join(terms))]
            return [(cid, score) for cid, score in self._conn.execute(sql, (*args, *params, k))]

    def _without_common(self, weighted: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """Drop terms in more than half of a large index's chunks (kommun, granskning: every
        chunk's context line). FTS5 gives them an idf of almost nothing, so they hardly move a
        score, but matching them makes SQLite score nearly the whole index. At least one of the
        words the user typed (weight 1) always stays: the rarest."""
        terms = list({t for t, _ in weighted})
        total = self._conn.execute("SELECT count(*) FROM lex_chunks").fetchone()[0]
        if len(terms) < 2 or total < COMMON_TERM_MIN_CHUNKS:
            return weighted
        marks = ",".join("?" * len(terms))
        docs = dict(self._conn.execute(f"SELECT term, doc FROM lex_terms WHERE term IN ({marks})", terms))
        common = {t for t in terms if docs.get(t, 0) > total / 2}
        typed = [t for t, w in weighted if w >= 1.0]
        if typed and set(typed) <= common:
            common.discard(min(typed, key=lambda t: docs.get(t, 0)))
        return [(t, w) for t, w in weighted if t not in common]

    def query_terms(self, query: str) -> list[tuple[str, float]]:
        """The weighted terms a query is searched with (after decompounding and the thesaurus)."""
        with self._lock:
            self._refresh_vocabulary()
            return analyze_query_weighted(query, self._decompounder)

    def terms_of(self, chunk_ids: list[str]) -> dict[str, set[str]]:
        """The indexed terms of some chunks, read back from FTS5 (no re-analysis per query)."""
        found: dict[str, set[str]] = {}
        with self._lock:
            for i in range(0, len(chunk_ids), 500):
                part = chunk_ids[i : i + 500]
                marks = ",".join("?" * len(part))
                rows = self._conn.execute(
                    "SELECT c.chunk_id, f.terms FROM lex_chunks c JOIN lex_fts f ON f.rowid = c.rowid"
                    f" WHERE c.chunk_id IN ({marks})", part)
                found.update((cid, set(terms.split())) for cid, terms in rows)
        return found

    def chunk_ids(self) -> set[str]:
        """Every chunk id in the index, for pruning against the catalog and the vector store."""
        with self._lock:
            return {c for (c,) in self._conn.execute("SELECT chunk_id FROM lex_chunks")}

    def close(self) -> None:
        """Close the connection if this index opened it; a shared one belongs to its owner."""
        if self._owned:
            self._conn.close()


def _filter_sql(filters: dict) -> tuple[str, list]:
    """SQL conditions on lex_chunks for the search filters; unknown keys are a user error."""
    unknown = set(filters) - {*LIST_FILTERS, "year_from", "year_to"}
    if unknown:
        raise BadQuery(f"Okänt filter: {', '.join(sorted(unknown))}")
    where, params = [], []
    for key in LIST_FILTERS:
        values = filters.get(key)
        if isinstance(values, str):
            values = [values]
        if values:
            where.append(f"c.{key} IN ({','.join('?' * len(values))})")
            params.extend(values)
    for key, op in (("year_from", ">="), ("year_to", "<=")):
        if filters.get(key) is not None:
            try:
                year = int(filters[key])
            except (TypeError, ValueError):
                raise BadQuery(f"Årtalet måste vara ett heltal: {filters[key]!r}") from None
            where.append(f"c.year {op} ?")
            params.append(year)
    return "".join(f" AND {w}" for w in where), params
