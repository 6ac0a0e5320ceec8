"""The persisted lexical index: pre-analyzed terms in SQLite FTS5, ranked by weighted BM25.

SQLite rather than a static BM25 matrix because reports are added, replaced and removed one at a
time, readers in other processes must see a consistent index while one writer works (WAL), and
the index shares one file with the catalog. Terms come from `kb.analysis`, never from FTS5's own
query parser: user text reaches SQLite only as quoted, analyzed terms, so "AND OR NEAR(" is text.

FTS5 ranks every row a query matches, which at 100,000 chunks is most of the query time. Every
change bumps a generation counter; a BM25 matrix of one generation (`kb.bm25_matrix`), saved beside
the catalog, answers with the same scores in a few milliseconds while it is current, and FTS5
answers while it is not.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from kb import bm25_matrix
from kb.analysis import analyze, analyze_query_weighted, vocabulary_of
from kb.analysis import term as index_term
from kb.catalog import in_batches
from kb.compounds import BASE_VOCABULARY, Decompounder
from kb.errors import BadQuery
from kb.places import load_places
from kb.spelling import Speller, Spelling
from kb.thesaurus import known_terms

#: Filter keys that match one of several values of a chunk column.
LIST_FILTERS = ("kommun", "firm", "section_type", "doc_type")
#: Below this many chunks every query term is matched; above it, terms in half the chunks are skipped.
COMMON_TERM_MIN_CHUNKS = 2000
#: A corpus word must occur in this many chunks before it may be a compound part (OCR noise).
MIN_VOCAB_CHUNKS = 2
#: The BM25 matrix's file, beside the catalog.
MATRIX_FILE = "lexical-bm25.npz"

log = logging.getLogger("granskningsarkivet.lexical")

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
CREATE TABLE IF NOT EXISTS lex_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO lex_meta VALUES ('generation', '0');
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
            conn.execute("INSERT OR IGNORE INTO lex_meta VALUES ('index_id', ?)", (uuid.uuid4().hex,))
            conn.commit()
        self._data_version = -1
        self._analyzed: dict[str, list[tuple[str, float]]] = {}  # query -> weighted terms, this vocabulary
        self._decompounder = Decompounder(BASE_VOCABULARY)
        self._speller: Speller | None = None  # built on first use, for the vocabulary in use
        self._refresh_vocabulary()
        file = next((f for _, name, f in conn.execute("PRAGMA database_list") if name == "main"), "")
        self._db_path = Path(file) if file else None
        self._matrix_path = self._db_path.with_name(MATRIX_FILE) if self._db_path else None
        self._matrix: bm25_matrix.Bm25Matrix | None = None
        self._building: threading.Thread | None = None
        #: Build a missing or stale matrix in a background thread when a search finds one (servers).
        self.build_in_background = False
        #: Answer from the matrix when it is current; False makes FTS5 answer (benchmarks, tests).
        self.use_matrix = True
        self._load_saved_matrix()

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
        self._speller = None
        self._analyzed.clear()
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
            self._conn.execute("UPDATE lex_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
            self._delete(report_id)
            words_per_chunk = [vocabulary_of([text]) for _, text, _ in chunks]
            fresh = Counter(w for ws in words_per_chunk for w in ws)
            self._bump_vocabulary(fresh, +1)
            self._decompounder.add(w for w, n in fresh.items() if n >= MIN_VOCAB_CHUNKS)
            self._decompounder.add(self._known_words(fresh))
            self._analyzed.clear()
            self._speller = None
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
        for batch, marks in in_batches(list(words)):
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
        self._speller = None
        ids = [(r,) for r, _ in rows]
        self._conn.executemany("DELETE FROM lex_fts WHERE rowid = ?", ids)
        self._conn.executemany("DELETE FROM lex_chunk_words WHERE rowid = ?", ids)
        self._conn.executemany("DELETE FROM lex_chunks WHERE rowid = ?", ids)

    def delete_report(self, report_id: str) -> None:
        """Remove every chunk of `report_id`; unknown ids are a no-op."""
        self.upsert(report_id, [])

    def search(
        self, query: str, k: int, filters: dict | None = None
    ) -> list[tuple[str, float]]:
        """Best `k` chunks as (chunk_id, score): the weighted sum of each term's BM25, as FTS5's bm25()."""
        if k <= 0:
            return []
        filters = filters or {}
        where, params = _filter_sql(filters)
        with self._lock:
            self._refresh_vocabulary()
            weighted = self._weighted(query)
            matrix = self._current_matrix()
            if matrix is not None:
                kept = self._without_common(weighted, matrix.doc_freqs, matrix.size)
                return self._chunk_ids(matrix.top(kept, k, filters))[:k]
            total = self._conn.execute("SELECT count(*) FROM lex_chunks").fetchone()[0]
            return self._search_fts(self._without_common(weighted, self._doc_freqs, total), k, where, params)

    def _search_fts(self, weighted: list[tuple[str, float]], k: int, where: str,
                    params: list) -> list[tuple[str, float]]:
        """The same ranking computed by FTS5 itself: exact at any moment, slow on a large index."""
        # FTS5's bm25() sums over the phrases of an OR query, so one match per weight
        # gives the exact weighted sum; its values are negated (lower is better). The sum
        # and the top k are taken inside SQLite.
        by_weight: dict[float, list[str]] = defaultdict(list)
        for term, weight in weighted:
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

    def _chunk_ids(self, ranked: list[tuple[int, float]]) -> list[tuple[str, float]]:
        """Rowids to chunk ids, best score first and chunk id next (the FTS5 path's order)."""
        ids: dict[int, str] = {}
        for part, marks in in_batches([r for r, _ in ranked]):
            ids.update(self._conn.execute(f"SELECT rowid, chunk_id FROM lex_chunks WHERE rowid IN ({marks})", part))
        found = [(ids[r], score) for r, score in ranked if r in ids]
        return sorted(found, key=lambda item: (-item[1], item[0]))

    def _without_common(self, weighted: list[tuple[str, float]],
                        doc_freqs: Callable[[list[str]], dict[str, int]], total: int) -> list[tuple[str, float]]:
        """Drop terms in more than half of a large index's chunks (kommun, granskning: every
        chunk's context line). FTS5 gives them an idf of almost nothing, so they hardly move a
        score, but matching them makes SQLite score nearly the whole index. At least one of the
        words the user typed (weight 1) always stays: the rarest. Both paths drop the same terms."""
        terms = list({t for t, _ in weighted})
        if len(terms) < 2 or total < COMMON_TERM_MIN_CHUNKS:
            return weighted
        docs = doc_freqs(terms)
        common = {t for t in terms if docs.get(t, 0) > total / 2}
        typed = [t for t, w in weighted if w >= 1.0]
        if typed and set(typed) <= common:
            common.discard(min(typed, key=lambda t: docs.get(t, 0)))
        return [(t, w) for t, w in weighted if t not in common]

    def _doc_freqs(self, terms: list[str]) -> dict[str, int]:
        """Chunks holding each term, from FTS5's vocabulary table."""
        found: dict[str, int] = {}
        for part, marks in in_batches(terms):
            found.update(self._conn.execute(f"SELECT term, doc FROM lex_terms WHERE term IN ({marks})", part))
        return found

    def _state(self) -> tuple[str, int]:
        """This index's identity and generation, which a BM25 matrix must carry to be used."""
        meta = dict(self._conn.execute("SELECT key, value FROM lex_meta"))
        return meta.get("index_id", ""), int(meta.get("generation", 0))

    def _is_current(self, matrix: bm25_matrix.Bm25Matrix | None) -> bool:
        """Whether a matrix was built from this index as it is now."""
        return matrix is not None and (matrix.index_id, matrix.generation) == self._state()

    def _current_matrix(self) -> bm25_matrix.Bm25Matrix | None:
        """The BM25 matrix if it reflects the index as it is now; else None (and maybe a rebuild)."""
        if not self.use_matrix:
            return None
        if self._is_current(self._matrix):
            return self._matrix
        self._matrix = None  # stale for good (generations only grow): free it before building anew
        if self.build_in_background and self._db_path is not None and not (
                self._building and self._building.is_alive()):
            self._building = threading.Thread(target=self._build_quietly, name="bm25-matrix", daemon=True)
            self._building.start()
        return None

    def _load_saved_matrix(self) -> bool:
        """Use the saved matrix if it is the index's current one (another process may have built it)."""
        if self._matrix_path is None:
            return False
        matrix = bm25_matrix.Bm25Matrix.load(self._matrix_path)
        with self._lock:
            if not self._is_current(matrix):
                return False
            self._matrix = matrix
            return True

    def _build_quietly(self) -> None:
        """A server's refresh: the file `kb ingest` saved if it is current, else a build of our own."""
        try:
            if not self._load_saved_matrix():
                self.build_matrix()
        except Exception:  # the FTS5 path keeps answering; the next search tries again
            log.exception("Could not build the BM25 matrix")

    @property
    def matrix_current(self) -> bool:
        """Whether searches are answered from a current BM25 matrix (for /healthz)."""
        with self._lock:
            return self._current_matrix() is not None

    def ensure_matrix(self) -> bool:
        """Build the BM25 matrix unless the current one is fresh (after an ingest or a removal).
        A failure only costs speed, so it is logged, not raised; returns whether one is in use."""
        with self._lock:
            if self._current_matrix() is not None:
                return True
        try:
            return self.build_matrix() is not None
        except (sqlite3.Error, OSError) as exc:
            log.warning("BM25 matrix not built, FTS5 answers instead: %s", exc)
            return False

    def build_matrix(self) -> bm25_matrix.Bm25Matrix | None:
        """Build the BM25 matrix of the index as it is now, save it and use it (None for an
        in-memory index). It reads through a connection of its own, so searches go on meanwhile."""
        if self._db_path is None or self._matrix_path is None:
            return None
        conn = sqlite3.connect(f"{self._db_path.as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            conn.execute("BEGIN")  # one read snapshot for the generation and the rows
            meta = dict(conn.execute("SELECT key, value FROM lex_meta"))
            matrix = bm25_matrix.build(conn, meta["index_id"], int(meta["generation"]))
            conn.rollback()
        finally:
            conn.close()
        try:
            matrix.save(self._matrix_path)
        except OSError as exc:  # read-only or full disk: this process still uses it
            log.warning("BM25 matrix not saved to %s: %s", self._matrix_path, exc)
        with self._lock:
            if self._matrix is None or self._matrix.generation <= matrix.generation:
                self._matrix = matrix
        return matrix

    def spell(self, query: str) -> Spelling:
        """The query with the words this index has never seen corrected (`kb.spelling`)."""
        with self._lock:
            self._refresh_vocabulary()
            if self._speller is None:
                counts = dict(self._conn.execute("SELECT word, chunks FROM lex_vocab WHERE chunks >= ?",
                                                 (MIN_VOCAB_CHUNKS,)))
                self._speller = Speller(counts, known_term=self._known_term,
                                        protected=[name for names in load_places() for name in names])
            return self._speller.correct(query)

    def _known_term(self, word: str) -> bool:
        """A word the index holds with its stem, or one the thesaurus has a rule for."""
        term = index_term(word)
        return term in known_terms() or bool(self._doc_freqs([term]))

    def query_terms(self, query: str) -> list[tuple[str, float]]:
        """The weighted terms a query is searched with (after decompounding and the thesaurus)."""
        with self._lock:
            self._refresh_vocabulary()
            return self._weighted(query)

    def _weighted(self, query: str) -> list[tuple[str, float]]:
        """Analyzed query terms, remembered for the vocabulary in use: one search asks several times."""
        weighted = self._analyzed.get(query)
        if weighted is None:
            if len(self._analyzed) >= 1024:
                self._analyzed.clear()
            weighted = self._analyzed[query] = analyze_query_weighted(query, self._decompounder)
        return list(weighted)

    def terms_of(self, chunk_ids: list[str]) -> dict[str, set[str]]:
        """The indexed terms of some chunks, read back from FTS5 (no re-analysis per query)."""
        found: dict[str, set[str]] = {}
        with self._lock:
            for part, marks in in_batches(chunk_ids):
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
