"""The catalog: reports, their text, chunks and findings in one SQLite file.

SQLite is the source of truth for what the index holds. A report and all its
chunks are replaced in one transaction, so a crash leaves either the old or
the new version; the vector store is reconciled against the catalog.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.analysis import fold_diacritics
from kb.diskfaults import is_storage_error, storage_error
from kb.models import Chunk, Finding, Page, Report, ReportMeta

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL, kommun TEXT, year INTEGER, date TEXT, firm TEXT,
    doc_type TEXT NOT NULL, audited_body TEXT,
    source TEXT NOT NULL, sha256 TEXT NOT NULL, format TEXT NOT NULL,
    text TEXT NOT NULL, pages TEXT NOT NULL, warnings TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]', fingerprint TEXT NOT NULL,
    ingested_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS reports_sha ON reports(sha256);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    section TEXT NOT NULL, section_path TEXT NOT NULL, section_type TEXT NOT NULL,
    page INTEGER, text TEXT NOT NULL, page_end INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_report ON chunks(report_id, ord);
-- Each chunk's piece vectors (kb/lines.py), float16 rows in one blob; gone with the chunk.
CREATE TABLE IF NOT EXISTS line_vectors (
    chunk_id TEXT PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    vectors BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, answer TEXT,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    PRIMARY KEY (report_id, ord)
);
-- Each finding's text embedded as a passage (float16), for ranking findings by topic; gone
-- with the report. Absent in an index ingested before it existed: then they are embedded on use.
CREATE TABLE IF NOT EXISTS finding_vectors (
    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (report_id, ord)
);
"""

_REPORT_COLUMNS = (
    "id, title, kommun, year, date, firm, doc_type, audited_body, source, sha256, format, aliases"
)


def in_batches(ids: list, size: int = 500) -> Iterator[tuple[list, str]]:
    """Slices of `ids` with their "?,?,…" placeholders, for `IN (…)` queries: SQLite caps how
    many variables one statement may bind."""
    for i in range(0, len(ids), size):
        part = ids[i : i + size]
        yield part, ",".join("?" * len(part))


class Catalog:
    """Thread-safe access to the catalog file; one writer at a time, readers never blocked (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA busy_timeout=10000")
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            with self.lock:
                self.conn.executescript(SCHEMA)  # idempotent; executescript manages its own commit
                self._add_missing_columns()
        except (sqlite3.OperationalError, OSError) as exc:
            if not is_storage_error(exc):
                raise
            raise storage_error(path.parent, exc) from exc

    def _add_missing_columns(self) -> None:
        """Give a catalog made before a column existed that column (empty until its reports are
        ingested again), so an older index takes new chunks; one that cannot be written is still
        read, the column missing (`_chunk`)."""
        have = {row["name"] for row in self.conn.execute("PRAGMA table_info(chunks)")}
        if "page_end" not in have:
            try:
                self.conn.execute("ALTER TABLE chunks ADD COLUMN page_end INTEGER")
            except sqlite3.OperationalError as exc:
                if "readonly" not in str(exc) and "duplicate column" not in str(exc):
                    raise  # duplicate: another process added it first

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: all of it is committed, or none of it.

        A COMMIT that fails (disk full, read-only file) is rolled back too, so the connection
        never stays inside a half-open transaction that would refuse every later write.
        """
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                if not is_storage_error(exc):
                    raise
                raise storage_error(self.path.parent, exc) from exc

    # settings -----------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", (key, value))

    # writes -------------------------------------------------------------
    def replace_report(self, db: sqlite3.Connection, report: Report, text: str,
                       pages: tuple[Page, ...], warnings: tuple[str, ...], fingerprint: str,
                       chunks: list[Chunk], findings: list[Finding]) -> None:
        """Write a report with its chunks and findings, replacing any earlier version."""
        meta = report.meta
        db.execute("DELETE FROM reports WHERE id = ?", (report.id,))
        db.execute(
            "INSERT INTO reports (id, title, kommun, year, date, firm, doc_type, audited_body,"
            " source, sha256, format, text, pages, warnings, aliases, fingerprint)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (report.id, meta.title, meta.kommun, meta.year, meta.date, meta.firm, meta.doc_type,
             meta.audited_body, report.source, report.sha256, report.format, text,
             json.dumps([[p.number, p.start, p.end] for p in pages]), json.dumps(list(warnings)),
             json.dumps(list(report.aliases)), fingerprint),
        )
        db.executemany(
            'INSERT INTO chunks (id, report_id, ord, start, "end", section, section_path,'
            " section_type, page, page_end, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(c.id, c.report_id, i, c.start, c.end, c.section, json.dumps(list(c.section_path)),
              c.section_type, c.page, c.page_end, c.text) for i, c in enumerate(chunks)],
        )
        db.executemany(
            'INSERT INTO findings (report_id, ord, kind, text, answer, start, "end")'
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(f.report_id, i, f.kind, f.text, f.answer, f.start, f.end)
             for i, f in enumerate(findings)],
        )

    def put_line_vectors(self, db: sqlite3.Connection, blobs: dict[str, bytes]) -> None:
        """Store chunks' line vectors; call inside the transaction that writes the chunks."""
        db.executemany("INSERT OR REPLACE INTO line_vectors (chunk_id, vectors) VALUES (?, ?)",
                       list(blobs.items()))

    def put_finding_vectors(self, db: sqlite3.Connection, rows: list[tuple[str, int, bytes]]) -> None:
        """Store (report id, finding number, vector blob) rows; at ingest, inside the transaction
        that writes the findings."""
        db.executemany("INSERT OR REPLACE INTO finding_vectors (report_id, ord, vector) VALUES (?, ?, ?)", rows)

    def set_names(self, db: sqlite3.Connection, report_id: str, source: str, aliases: list[str]) -> None:
        """Set the file a report is said to be read from and its other names (files gone, or moved)."""
        db.execute("UPDATE reports SET source = ?, aliases = ? WHERE id = ?",
                   (source, json.dumps(aliases), report_id))

    def add_alias(self, db: sqlite3.Connection, report_id: str, source: str) -> None:
        """Record another file name under which the same report's content was found."""
        row = db.execute("SELECT source, aliases FROM reports WHERE id = ?", (report_id,)).fetchone()
        aliases = json.loads(row["aliases"])
        if source != row["source"] and source not in aliases:
            aliases.append(source)
            db.execute("UPDATE reports SET aliases = ? WHERE id = ?", (json.dumps(aliases), report_id))

    def delete_report(self, db: sqlite3.Connection, report_id: str) -> None:
        db.execute("DELETE FROM reports WHERE id = ?", (report_id,))

    # reads --------------------------------------------------------------
    def _query(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, tuple(params)).fetchall()

    def fingerprint(self, report_id: str) -> str | None:
        rows = self._query("SELECT fingerprint FROM reports WHERE id = ?", (report_id,))
        return rows[0][0] if rows else None

    def report_by_sha(self, sha256: str) -> str | None:
        rows = self._query("SELECT id FROM reports WHERE sha256 = ?", (sha256,))
        return rows[0][0] if rows else None

    def report_id_for_source(self, source: str) -> str | None:
        rows = self._query("SELECT id FROM reports WHERE source = ?", (source,))
        return rows[0][0] if rows else None

    def reports(self) -> list[Report]:
        rows = self._query(
            f"SELECT {_REPORT_COLUMNS}, (SELECT count(*) FROM chunks c WHERE c.report_id = r.id)"
            " AS n FROM reports r ORDER BY kommun, year, title"
        )
        return [_report(row) for row in rows]

    def report(self, report_id: str) -> Report | None:
        return self.reports_by_id([report_id]).get(report_id)

    def reports_by_id(self, ids: Iterable[str]) -> dict[str, Report]:
        """Several reports in one query (search results name dozens), unknown ids left out."""
        ids = list(dict.fromkeys(ids))
        found: dict[str, Report] = {}
        for part, marks in in_batches(ids):
            rows = self._query(
                f"SELECT {_REPORT_COLUMNS}, (SELECT count(*) FROM chunks c WHERE c.report_id = r.id)"
                f" AS n FROM reports r WHERE id IN ({marks})", part)
            found.update((row["id"], _report(row)) for row in rows)
        return found

    def pages(self, report_id: str) -> tuple[Page, ...]:
        """A report's page spans alone, without reading its text."""
        rows = self._query("SELECT pages FROM reports WHERE id = ?", (report_id,))
        return tuple(Page(*p) for p in json.loads(rows[0]["pages"])) if rows else ()

    def report_text(self, report_id: str) -> tuple[str, tuple[Page, ...], tuple[str, ...]]:
        rows = self._query("SELECT text, pages, warnings FROM reports WHERE id = ?", (report_id,))
        row = rows[0]
        pages = tuple(Page(*p) for p in json.loads(row["pages"]))
        return row["text"], pages, tuple(json.loads(row["warnings"]))

    def chunks_of(self, report_id: str) -> list[Chunk]:
        rows = self._query("SELECT * FROM chunks WHERE report_id = ? ORDER BY ord", (report_id,))
        return [_chunk(row) for row in rows]

    def chunks_by_id(self, ids: list[str]) -> dict[str, Chunk]:
        found: dict[str, Chunk] = {}
        for part, marks in in_batches(ids):
            for row in self._query(f"SELECT * FROM chunks WHERE id IN ({marks})", part):
                found[row["id"]] = _chunk(row)
        return found

    def line_vectors(self, ids: list[str]) -> dict[str, bytes]:
        """The stored line-vector blobs of some chunks, in one query; chunks without any
        (an index built before line vectors existed) are simply absent."""
        found: dict[str, bytes] = {}
        for part, marks in in_batches(ids):
            rows = self._query(f"SELECT chunk_id, vectors FROM line_vectors WHERE chunk_id IN ({marks})", part)
            found.update((row[0], row[1]) for row in rows)
        return found

    def findings_without_vectors(self) -> list[tuple[str, int, str]]:
        """(report id, finding number, text) of findings with no stored vector (older ingests)."""
        rows = self._query("SELECT f.report_id, f.ord, f.text FROM findings f LEFT JOIN finding_vectors v"
                           " ON v.report_id = f.report_id AND v.ord = f.ord WHERE v.vector IS NULL"
                           " ORDER BY f.report_id, f.ord")
        return [(row[0], row[1], row[2]) for row in rows]

    def finding_vectors(self, texts: list[str]) -> dict[str, bytes]:
        """Stored vector blobs of the findings with these texts (one text, one vector: the
        model embeds a text the same in any report); texts without one are absent."""
        found: dict[str, bytes] = {}
        for part, marks in in_batches(texts):
            rows = self._query("SELECT f.text, v.vector FROM findings f JOIN finding_vectors v"
                               f" ON v.report_id = f.report_id AND v.ord = f.ord WHERE f.text IN ({marks})", part)
            found.update((row[0], row[1]) for row in rows)
        return found

    def chunk_spans(self, report_id: str) -> list[tuple[int, int, str]]:
        """(start, end, id) of a report's chunks in text order, without their text."""
        rows = self._query('SELECT start, "end", id FROM chunks WHERE report_id = ? ORDER BY ord', (report_id,))
        return [(row[0], row[1], row[2]) for row in rows]

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._query("SELECT id FROM chunks")}

    def chunk_ids_of(self, report_id: str) -> set[str]:
        return {row[0] for row in self._query("SELECT id FROM chunks WHERE report_id = ?", (report_id,))}

    def kommun_names(self, typed: Iterable[str]) -> tuple[str, ...]:
        """Each kommun as the index spells it, case and å, ä, ö aside ('mellerud', 'Odeshog' are
        'Mellerud', 'Ödeshög'); a name the index lacks stays as typed, and finds nothing."""
        rows = self._query("SELECT DISTINCT kommun FROM reports WHERE kommun IS NOT NULL AND kommun != ''")
        spelled = {fold_diacritics(row[0].casefold()): row[0] for row in rows}
        return tuple(spelled.get(fold_diacritics(name.casefold()), name) for name in typed)

    def findings(self, kommun: list[str] | None = None) -> list[tuple[Finding, Report]]:
        sql = ('SELECT f.*, r.id AS rid FROM findings f JOIN reports r ON r.id = f.report_id')
        params: list = []
        if kommun:
            sql += f" WHERE r.kommun IN ({','.join('?' * len(kommun))})"
            params = list(self.kommun_names(kommun))
        rows = self._query(sql + " ORDER BY r.kommun, r.year, f.report_id, f.ord", params)
        reports = {r.id: r for r in self.reports()}
        return [(Finding(row["report_id"], row["kind"], row["text"], row["answer"], row["start"],
                         row["end"]), reports[row["rid"]]) for row in rows]

    def lexical_count(self) -> int:
        """Chunks in the lexical index (its tables share this file), for the health check."""
        try:
            return self._query("SELECT count(*) FROM lex_chunks")[0][0]
        except sqlite3.OperationalError:  # no lexical tables yet
            return 0

    def finding_counts(self) -> dict[str, int]:
        """Findings per report id, for the corpus page."""
        rows = self._query("SELECT report_id, count(*) FROM findings GROUP BY report_id")
        return {row[0]: row[1] for row in rows}

    def distinct_values(self) -> dict[str, list]:
        """Every kommun, firm, doc type, audited body and year the index holds, for filter forms."""
        values: dict[str, list] = {}
        for name in ("kommun", "firm", "doc_type", "audited_body", "year"):
            rows = self._query(f"SELECT DISTINCT {name} FROM reports WHERE {name} IS NOT NULL"
                               f" AND {name} != '' ORDER BY {name}")
            values[name] = [row[0] for row in rows]
        return values

    def counts(self) -> tuple[int, int]:
        rows = self._query("SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM chunks)")
        return rows[0][0], rows[0][1]


def _report(row: sqlite3.Row) -> Report:
    meta = ReportMeta(title=row["title"], kommun=row["kommun"], year=row["year"], date=row["date"],
                      firm=row["firm"], doc_type=row["doc_type"], audited_body=row["audited_body"])
    return Report(id=row["id"], meta=meta, source=row["source"], sha256=row["sha256"],
                  format=row["format"], chunk_count=row["n"], aliases=tuple(json.loads(row["aliases"])))


def _chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(id=row["id"], report_id=row["report_id"], text=row["text"], start=row["start"],
                 end=row["end"], section=row["section"],
                 section_path=tuple(json.loads(row["section_path"])),
                 section_type=row["section_type"], page=row["page"],
                 page_end=row["page_end"] if "page_end" in row.keys() else None)  # noqa: SIM118 - a Row's `in` tests values
