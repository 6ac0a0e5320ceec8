"""Search: validate the query, find candidates densely (and lexically), fuse, cite."""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from kb.analysis import phrase_terms, tokenize_with_offsets
from kb.chunking import is_table_of_contents
from kb.errors import BadQuery, NotFound
from kb.index import Index
from kb.lines import best_similarity
from kb.models import Chunk, Hit, Report
from kb.places import named_places
from kb.rerank import Signals, default_reranker, features, ranks
from kb.spelling import changes_json
from kb.thesaurus import expansion_text

MAX_QUERY_CHARS = 1000
MAX_K = 100
FACET_FIELDS = ("kommun", "year", "firm", "section_type", "doc_type", "audited_body")
MODES = ("hybrid", "dense", "lexical")
#: The filter fields each facet stands for.
_FACET_FILTERS = {"kommun": ("kommun",), "year": ("year_from", "year_to"), "firm": ("firm",),
                  "section_type": ("section_type",), "doc_type": ("doc_type",),
                  "audited_body": ("audited_body",)}
# Fusion weights, tuned on eval/dev.jsonl and checked on eval/heldout.jsonl (docs/retrieval.md).
WEIGHT_DENSE = 10.0  # per unit of cosine below the best dense candidate
WEIGHT_LEXICAL = 0.5  # BM25 relative to the best lexical candidate
WEIGHT_COVERAGE = 2.0  # share of the query's (weighted) terms the passage contains
WEIGHT_LINES = 20.0  # per unit of best-piece cosine below the best candidate's (kb/lines.py)
LINE_CANDIDATES = 40  # how many of the best-scored candidates the line vectors rerank


def dense_query(query: str) -> str:
    """The query the model embeds: the user's words plus thesaurus expansions as written,
    so "AF" and "internal control" also mean "Arbetsförmedlingen" and "intern kontroll"."""
    extra = expansion_text(phrase_terms(query))
    return f"{query} ({', '.join(extra)})" if extra else query


@dataclass(frozen=True)
class Filters:
    """Metadata restrictions; every hit honours all of them."""

    kommun: tuple[str, ...] = ()
    firm: tuple[str, ...] = ()
    section_type: tuple[str, ...] = ()
    doc_type: tuple[str, ...] = ()
    audited_body: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    def matches(self, chunk: Chunk, report: Report) -> bool:
        """The final word on a hit: both retrievers pre-filter, this guarantees it."""
        meta = report.meta
        checks = (("kommun", meta.kommun), ("firm", meta.firm), ("doc_type", meta.doc_type),
                  ("section_type", chunk.section_type))
        if any(getattr(self, name) and value not in getattr(self, name) for name, value in checks):
            return False
        if self.audited_body and (meta.audited_body or "").casefold() not in {
                body.casefold() for body in self.audited_body}:
            return False  # written as a label or in running text: "Socialnämnden" = "socialnämnden"
        year = meta.year
        if self.year_from is not None and (year is None or year < self.year_from):
            return False
        return not (self.year_to is not None and (year is None or year > self.year_to))

    def lexical_filters(self) -> dict:
        """The filters the lexical index applies itself (audited_body is checked afterwards)."""
        return {name: getattr(self, name) for name in
                ("kommun", "firm", "section_type", "doc_type", "year_from", "year_to")}

    def chroma_where(self) -> dict | None:
        """The same restrictions as a Chroma `where` clause."""
        clauses: list[dict] = []
        for name in ("kommun", "firm", "section_type", "doc_type"):
            values = getattr(self, name)
            if values:
                clauses.append({name: {"$in": list(values)}})
        if self.year_from is not None:
            clauses.append({"year": {"$gte": self.year_from}})
        if self.year_to is not None:
            clauses.append({"year": {"$lte": self.year_to}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)


@dataclass(frozen=True)
class SearchResult:
    query: str  # as typed
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: What was searched when the speller changed words of the query (`kb.spelling`), and the
    #: words it changed as (typed, corrected); the query itself and () otherwise.
    searched: str = ""
    corrections: tuple[tuple[str, str], ...] = ()
    #: The kommuner and regioner the query names whose passages were listed first (`Searcher._rank`).
    places_first: tuple[str, ...] = ()
    #: Whether any word of the query occurs in a passage the filters allow; when none does, the
    #: hits are only passages near in meaning (the lexical retriever found nothing).
    words_found: bool = True

    def to_dict(self) -> dict:
        """The result as `/api/search` and `kb search --json` give it (facets aside)."""
        return {"query": self.query, "searched": self.searched, "corrections": changes_json(self.corrections),
                "places_first": list(self.places_first), "words_found": self.words_found,
                "hits": [h.to_dict() for h in self.hits]}


def as_typed(query: str | None) -> str:
    """The query as the user typed it, stripped (a NUL byte is a space): what results echo back."""
    return (query or "").replace("\x00", " ").strip()


def validate(query: str, k: int) -> str:
    """The query stripped and composed (NFC: "ö" typed as o + diaeresis, as text pasted on a Mac may
    be, is the one character the model and the speller know), or BadQuery with a message the user
    can act on."""
    query = unicodedata.normalize("NFC", as_typed(query))
    if not query:
        raise BadQuery("Skriv något att söka efter.")
    if len(query) > MAX_QUERY_CHARS:
        raise BadQuery(f"Frågan är för lång (högst {MAX_QUERY_CHARS} tecken).")
    if not tokenize_with_offsets(query):  # only punctuation, symbols or emoji: nothing to match
        raise BadQuery("Frågan innehåller inga sökbara ord.")
    if not 1 <= k <= MAX_K:
        raise BadQuery(f"Antalet träffar (k) måste vara mellan 1 och {MAX_K}.")
    return query


def passage_url(report_id: str, chunk_id: str) -> str:
    """The site's path that opens a report at a passage, highlighted."""
    return f"/reports/{report_id}?passage={chunk_id}#{chunk_id}"


def chunk_metadata(chunk: Chunk, report: Report) -> dict:
    """What the vector store keeps beside each vector, for filtering."""
    meta = report.meta
    return {
        "report_id": chunk.report_id, "kommun": meta.kommun or "", "year": meta.year or 0,
        "firm": meta.firm or "", "section_type": chunk.section_type, "doc_type": meta.doc_type,
    }


def body_label(body: str) -> str:
    """An audited body capitalised as a list item, so 'kommunstyrelsen' (read from a text) and
    'Kommunstyrelsen' (written in reports.toml) are one facet value and one filter option."""
    return body[:1].upper() + body[1:]


def facet_values(chunk: Chunk, report: Report) -> dict:
    """A passage's value for each facet: its vector-store metadata and the audited body as a list
    item (`body_label`); the filter compares bodies regardless of case."""
    return {**chunk_metadata(chunk, report), "audited_body": body_label(report.meta.audited_body or "")}


def cite(chunk: Chunk, report: Report, rank: int = 1, score: float = 0.0) -> Hit:
    """A passage with everything needed to cite it: search results, the underlag, exports."""
    meta = report.meta
    return Hit(
        rank=rank, score=round(float(score), 6), chunk_id=chunk.id, report_id=report.id,
        title=meta.title, kommun=meta.kommun, year=meta.year, firm=meta.firm,
        section=chunk.section, page=chunk.page, start=chunk.start, end=chunk.end,
        text=chunk.text, url=passage_url(report.id, chunk.id),
        section_type=chunk.section_type, doc_type=meta.doc_type, page_end=chunk.page_end,
    )


def _overlaps(chunk: Chunk, kept: list[Chunk]) -> bool:
    return any(c.report_id == chunk.report_id and c.start < chunk.end and chunk.start < c.end
               for c in kept)


@lru_cache(maxsize=1 << 16)
def _is_contents(chunk_id: str, text: str) -> bool:
    """`is_table_of_contents`, remembered: a chunk id stands for one text, and search asks of
    every candidate."""
    return is_table_of_contents(text)


def _wording(chunk: Chunk) -> tuple[str, str]:
    """A passage's report and text: a report that repeats a passage word for word (Mellerud's
    recommendation list, in its summary and at its end) shows it once per result list. The text
    as stored (chunks are cut the same way everywhere), so the key costs a hash, not a pass."""
    return chunk.report_id, chunk.text


class Searcher:
    """Answers queries against an open Index; create once per process."""

    def __init__(self, index: Index, candidates: int = 50, rerank: bool | None = None) -> None:
        """`rerank=False` ranks hybrid results by fusion alone (`kb eval` compares the two); by
        default the index's config decides (KB_RERANK)."""
        self.index = index
        self.candidates = candidates
        self.reranker = default_reranker() if (index.config.rerank if rerank is None else rerank) else None

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               mode: str = "hybrid", spell: bool = True) -> SearchResult:
        """Ranked passages for a query; `mode` picks one retriever alone, for evaluation, and
        `spell=False` searches the words exactly as typed."""
        typed, query = as_typed(query), validate(query, k)
        if mode not in MODES:
            raise BadQuery(f"Okänt sökläge {mode!r}.")
        filters = self.spelled(filters or Filters())
        timings: dict[str, float] = {}
        corrections: tuple[tuple[str, str], ...] = ()
        if spell:
            t0 = time.perf_counter()
            spelling = self.index.lexical.spell(query)
            query, corrections = spelling.searched, spelling.changes
            timings["spelling"] = time.perf_counter() - t0
        n = max(self.candidates, 3 * k)
        dense, lexical, vector = self._retrieve(query, n, filters, mode, timings)
        t0 = time.perf_counter()
        chunks, reports, places_first = None, None, ()
        if mode == "hybrid":
            signals = self._signals(query, dense, lexical, vector)
            timings["fusion"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            fused, chunks, reports, places_first = self._rank(query, signals)
            timings["rerank"] = time.perf_counter() - t0
        else:
            fused = dense or lexical
            timings["fusion"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        hits, facets = self._hits(fused, k, filters, chunks=chunks, reports=reports)
        if any(getattr(filters, f) not in (None, ()) for fields in _FACET_FILTERS.values() for f in fields):
            facets = self._facets_beside_filters(query, vector, n, filters, lexical=mode != "dense")
        timings["hits"] = time.perf_counter() - t0
        return SearchResult(typed, hits, facets, timings, searched=query, corrections=corrections,
                            places_first=places_first, words_found=mode == "dense" or bool(lexical))

    def spelled(self, filters: Filters) -> Filters:
        """The filters with each kommun as the index spells it: 'mellerud' filters on Mellerud."""
        if not filters.kommun:
            return filters
        return replace(filters, kommun=self.index.catalog.kommun_names(filters.kommun))

    def _retrieve(self, query: str, n: int, filters: Filters, mode: str = "hybrid",
                  timings: dict[str, float] | None = None
                  ) -> tuple[list[tuple[str, float]], list[tuple[str, float]], np.ndarray | None]:
        """Each retriever's best n for the (spelled) query, and the query's vector: the dense list
        and the vector are empty and None when `mode` is lexical, the lexical list when it is dense.
        Records how long each step took in `timings`."""
        timings = {} if timings is None else timings
        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
        vector = None
        if mode != "lexical":
            t0 = time.perf_counter()
            vector = self.index.embedder.embed_query(dense_query(query))
            timings["encode"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            dense = self.index.vectors.query(vector, n, filters.chroma_where())
            timings["vector"] = time.perf_counter() - t0
        if mode != "dense":
            t0 = time.perf_counter()
            lexical = self.index.lexical.search(query, n, filters.lexical_filters())
            timings["lexical"] = time.perf_counter() - t0
        return dense, lexical, vector

    def _facets_beside_filters(self, query: str, vector, n: int, filters: Filters, *,
                               lexical: bool) -> dict[str, dict[str, int]]:
        """Counts for every value of a facet as if that facet alone were not filtered, so a
        user filtering on Mellerud still sees how many passages Ale and Orsa would give."""
        pool = [c for c, _ in self.index.vectors.query(vector, n)] if vector is not None else []
        if lexical:
            pool += [c for c, _ in self.index.lexical.search(query, n)]
        chunks = self.index.catalog.chunks_by_id(list(dict.fromkeys(pool)))
        reports = self.index.catalog.reports_by_id(c.report_id for c in chunks.values())
        facets: dict[str, dict[str, int]] = {}
        for name in FACET_FIELDS:
            relaxed = replace(filters, **{f: (None if f.startswith("year") else ()) for f in _FACET_FILTERS[name]})
            counter: Counter[str] = Counter()
            for chunk in chunks.values():
                report = reports.get(chunk.report_id)
                if report is not None and relaxed.matches(chunk, report):
                    value = facet_values(chunk, report)[name]
                    if value not in ("", 0):
                        counter[str(value)] += 1
            facets[name] = dict(counter.most_common())
        return facets

    def _signals(self, query: str, dense: list[tuple[str, float]], lexical: list[tuple[str, float]],
                 vector: np.ndarray | None = None) -> Signals:
        """Every candidate of either list with what fusion knows of it: a weighted sum of three
        measured signals, then the line vectors of the best LINE_CANDIDATES (`_lines`)."""
        ids = list(dict.fromkeys([c for c, _ in dense] + [c for c, _ in lexical]))
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        dense_floor = min(dense_scores.values(), default=0.0)
        dense_top = max(dense_scores.values(), default=0.0)
        lexical_top = max(lexical_scores.values(), default=0.0) or 1.0
        terms = self.index.lexical.query_terms(query)
        total = sum(w for _, w in terms) or 1.0
        indexed = self.index.lexical.terms_of(ids)
        dense_rel = np.array([dense_scores.get(c, dense_floor) - dense_top for c in ids])
        lexical_rel = np.array([lexical_scores.get(c, 0.0) / lexical_top for c in ids])
        coverage = np.array([sum(w for t, w in terms if t in indexed.get(c, ())) / total for c in ids])
        base = WEIGHT_DENSE * dense_rel + WEIGHT_LEXICAL * lexical_rel + WEIGHT_COVERAGE * coverage
        lines = self._lines(ids, base, vector) if vector is not None else np.zeros(len(ids))
        return Signals(ids=ids, dense=dense_rel, lexical=lexical_rel, coverage=coverage, lines=lines,
                       fused=base + WEIGHT_LINES * lines, dense_rank=ranks(dense, ids),
                       lexical_rank=ranks(lexical, ids))

    def _lines(self, ids: list[str], base: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """How far each candidate's best piece falls below the best piece of the LINE_CANDIDATES
        best-scored ones. Passages without line vectors (an index built before them) and those
        further down get the lowest such value, so an index without any ranks as without them."""
        head = [ids[i] for i in np.argsort(-base, kind="stable")[:LINE_CANDIDATES]]
        best = best_similarity(vector, self.index.catalog.line_vectors(head))
        if not best:
            return np.zeros(len(ids))
        top, floor = max(best.values()), min(best.values())
        return np.array([best.get(cid, floor) - top for cid in ids])

    @staticmethod
    def _fused_order(s: Signals) -> np.ndarray:
        """Candidate positions in the hand-tuned fused order, best first; ties keep the order of
        the three signals' sum, then of the lists."""
        first = np.argsort(-(s.fused - WEIGHT_LINES * s.lines), kind="stable")
        return first[np.argsort(-s.fused[first], kind="stable")]

    def _fuse(self, query: str, dense: list[tuple[str, float]], lexical: list[tuple[str, float]],
              vector: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The candidates in the hand-tuned fused order, with their fused scores."""
        s = self._signals(query, dense, lexical, vector)
        return [(s.ids[i], float(s.fused[i])) for i in self._fused_order(s)]

    def _rank(self, query: str, s: Signals) -> tuple[list[tuple[str, float]], dict[str, Chunk],
                                                     dict[str, Report], tuple[str, ...]]:
        """Hybrid ranking: fusion's candidates reordered by the learned reranker (`kb.rerank`),
        then the passages of a kommun or region the query names ahead of the rest. Also returns
        the candidates' chunks and reports, read once for both steps and for the hits, and the
        named places that had passages among them."""
        chunks = self.index.catalog.chunks_by_id(s.ids)
        reports = self.index.catalog.reports_by_id({c.report_id for c in chunks.values()})
        scores = self.reranker.scores(features(query, s, chunks)) if self.reranker else s.fused
        named = named_places(query)
        first: tuple[str, ...] = ()
        if named and len(scores):
            kommun = {cid: reports[c.report_id].meta.kommun for cid, c in chunks.items() if c.report_id in reports}
            ahead = np.array([kommun.get(cid) in named for cid in s.ids], dtype=float)
            scores = scores + ahead * (scores.max() - scores.min() + 1.0)
            first = tuple(sorted(named & set(kommun.values())))
        order = self._fused_order(s)
        order = order[np.argsort(-scores[order], kind="stable")]
        return [(s.ids[i], float(scores[i])) for i in order], chunks, reports, first

    def ranking_features(self, query: str) -> tuple[list[str], np.ndarray, dict[str, Chunk]]:
        """The candidates of a query as the reranker sees them (ids, feature rows, chunks): what
        `python -m eval.train_ranker` learns from."""
        query = self.index.lexical.spell(validate(query, 10)).searched
        dense, lexical, vector = self._retrieve(query, self.candidates, Filters())
        s = self._signals(query, dense, lexical, vector)
        chunks = self.index.catalog.chunks_by_id(s.ids)
        return s.ids, features(query, s, chunks), chunks

    def similar(self, chunk_id: str, k: int = 10, filters: Filters | None = None,
                same_report: bool = False) -> SearchResult:
        """Passages like a given one ("liknande avsnitt"), the passage itself left out; from other
        reports unless `same_report`, since a report's own passages are nearly always the closest
        and what an auditor asks is what other audits said."""
        if not 1 <= k <= MAX_K:
            raise BadQuery(f"Antalet träffar (k) måste vara mellan 1 och {MAX_K}.")
        source = self.index.catalog.chunks_by_id([chunk_id]).get(chunk_id)
        if source is None:
            raise NotFound("Stycket finns inte i arkivet.")
        filters = self.spelled(filters or Filters())
        vector = self.index.vectors.vector(chunk_id)
        where = filters.chroma_where()
        if not same_report:
            other = {"report_id": {"$ne": source.report_id}}
            where = {"$and": [*where.get("$and", [where]), other]} if where else other
        dense = self.index.vectors.query(vector, max(self.candidates, 3 * k) + 1, where)
        ranked = [(cid, score) for cid, score in dense if cid != chunk_id]
        hits, facets = self._hits(ranked, k, filters, exclude=source)
        return SearchResult(source.text[:200], hits, facets, {})

    def _hits(self, fused: list[tuple[str, float]], k: int, filters: Filters,
              exclude: Chunk | None = None, chunks: dict[str, Chunk] | None = None,
              reports: dict[str, Report] | None = None) -> tuple[list[Hit], dict]:
        if chunks is None:
            chunks = self.index.catalog.chunks_by_id([cid for cid, _ in fused])
        if reports is None:
            reports = self.index.catalog.reports_by_id(c.report_id for c in chunks.values())
        kept: list[Chunk] = [exclude] if exclude else []
        scores: list[float] = [0.0] if exclude else []
        wordings = {_wording(chunk) for chunk in kept}
        facets: dict[str, Counter] = {name: Counter() for name in FACET_FIELDS}
        for cid, score in fused:
            chunk = chunks.get(cid)
            if (chunk is None or _overlaps(chunk, kept) or _wording(chunk) in wordings
                    or _is_contents(chunk.id, chunk.text)):
                continue  # a vector the catalog no longer holds, the same passage twice, or navigation
            report = reports.get(chunk.report_id)
            if report is None or not filters.matches(chunk, report):
                continue
            for name, value in facet_values(chunk, report).items():
                if name in facets and value not in ("", 0):
                    facets[name][str(value)] += 1
            if len(kept) < k + (exclude is not None):
                kept.append(chunk)
                scores.append(score)
                wordings.add(_wording(chunk))
        if exclude:
            kept, scores = kept[1:], scores[1:]
        hits = [cite(chunk, reports[chunk.report_id], rank, score)
                for rank, (chunk, score) in enumerate(zip(kept, scores, strict=True), start=1)]
        return hits, {name: dict(counter.most_common()) for name, counter in facets.items()}

