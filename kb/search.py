"""Search: validate the query, find candidates densely (and lexically), fuse, cite."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from kb.analysis import phrase_terms
from kb.errors import BadQuery, NotFound
from kb.index import Index
from kb.lines import best_similarity
from kb.models import Chunk, Hit, Report
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


def validate(query: str, k: int) -> str:
    """The query stripped, or BadQuery with a message the user can act on."""
    query = (query or "").replace("\x00", " ").strip()
    if not query:
        raise BadQuery("Skriv något att söka efter.")
    if len(query) > MAX_QUERY_CHARS:
        raise BadQuery(f"Frågan är för lång (högst {MAX_QUERY_CHARS} tecken).")
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


def facet_values(chunk: Chunk, report: Report) -> dict:
    """A passage's value for each facet: its vector-store metadata and the audited body."""
    return {**chunk_metadata(chunk, report), "audited_body": report.meta.audited_body or ""}


def cite(chunk: Chunk, report: Report, rank: int = 1, score: float = 0.0) -> Hit:
    """A passage with everything needed to cite it: search results, the underlag, exports."""
    meta = report.meta
    return Hit(
        rank=rank, score=round(float(score), 6), chunk_id=chunk.id, report_id=report.id,
        title=meta.title, kommun=meta.kommun, year=meta.year, firm=meta.firm,
        section=chunk.section, page=chunk.page, start=chunk.start, end=chunk.end,
        text=chunk.text, url=passage_url(report.id, chunk.id),
        section_type=chunk.section_type, doc_type=meta.doc_type,
    )


def _overlaps(chunk: Chunk, kept: list[Chunk]) -> bool:
    return any(c.report_id == chunk.report_id and c.start < chunk.end and chunk.start < c.end
               for c in kept)


def _wording(chunk: Chunk) -> tuple[str, str]:
    """A passage's report and text: a report that repeats a passage word for word (Mellerud's
    recommendation list, in its summary and at its end) shows it once per result list. The text
    as stored (chunks are cut the same way everywhere), so the key costs a hash, not a pass."""
    return chunk.report_id, chunk.text


class Searcher:
    """Answers queries against an open Index; create once per process."""

    def __init__(self, index: Index, candidates: int = 50) -> None:
        self.index = index
        self.candidates = candidates

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               mode: str = "hybrid", spell: bool = True) -> SearchResult:
        """Ranked passages for a query; `mode` picks one retriever alone, for evaluation, and
        `spell=False` searches the words exactly as typed."""
        typed = query = validate(query, k)
        if mode not in MODES:
            raise BadQuery(f"Okänt sökläge {mode!r}.")
        filters = filters or Filters()
        timings: dict[str, float] = {}
        corrections: tuple[tuple[str, str], ...] = ()
        if spell:
            t0 = time.perf_counter()
            spelling = self.index.lexical.spell(query)
            query, corrections = spelling.searched, spelling.changes
            timings["spelling"] = time.perf_counter() - t0
        n = max(self.candidates, 3 * k)
        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
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
        t0 = time.perf_counter()
        fused = self._fuse(query, dense, lexical, vector) if mode == "hybrid" else dense or lexical
        timings["fusion"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        hits, facets = self._hits(fused, k, filters)
        if any(getattr(filters, f) not in (None, ()) for fields in _FACET_FILTERS.values() for f in fields):
            facets = self._facets_beside_filters(query, vector if mode != "lexical" else None, n, filters,
                                                 lexical=mode != "dense")
        timings["hits"] = time.perf_counter() - t0
        return SearchResult(typed, hits, facets, timings, searched=query, corrections=corrections)

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

    def _fuse(self, query: str, dense: list[tuple[str, float]],
              lexical: list[tuple[str, float]], vector: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Score the union of both candidate lists by a weighted sum of three measured signals,
        then rerank the best of them with their line vectors (`_add_lines`)."""
        candidates = list(dict.fromkeys([c for c, _ in dense] + [c for c, _ in lexical]))
        if not candidates:
            return []
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        dense_floor = min(dense_scores.values(), default=0.0)
        dense_top = max(dense_scores.values(), default=0.0)
        lexical_top = max(lexical_scores.values(), default=0.0) or 1.0
        terms = self.index.lexical.query_terms(query)
        total = sum(w for _, w in terms) or 1.0
        indexed = self.index.lexical.terms_of(candidates)
        scored = []
        for cid in candidates:
            have = indexed.get(cid, set())
            coverage = sum(w for t, w in terms if t in have) / total
            score = (WEIGHT_DENSE * (dense_scores.get(cid, dense_floor) - dense_top)
                     + WEIGHT_LEXICAL * lexical_scores.get(cid, 0.0) / lexical_top
                     + WEIGHT_COVERAGE * coverage)
            scored.append((cid, score))
        scored.sort(key=lambda item: -item[1])
        return self._add_lines(scored, vector) if vector is not None else scored

    def _add_lines(self, scored: list[tuple[str, float]], vector: np.ndarray) -> list[tuple[str, float]]:
        """Add the line-vector signal to the best LINE_CANDIDATES: WEIGHT_LINES times how far a
        passage's best piece falls below the best piece of any of them. Passages without line
        vectors (an index built before them) and those further down get the lowest such
        value, so an index without any ranks exactly as without this step."""
        head = [cid for cid, _ in scored[:LINE_CANDIDATES]]
        best = best_similarity(vector, self.index.catalog.line_vectors(head))
        if not best:
            return scored
        top, floor = max(best.values()), min(best.values())
        rescored = [(cid, score + WEIGHT_LINES * (best.get(cid, floor) - top)) for cid, score in scored]
        rescored.sort(key=lambda item: -item[1])
        return rescored

    def similar(self, chunk_id: str, k: int = 10, filters: Filters | None = None) -> SearchResult:
        """Passages like a given one ("liknande avsnitt"), the passage itself left out."""
        if not 1 <= k <= MAX_K:
            raise BadQuery(f"Antalet träffar (k) måste vara mellan 1 och {MAX_K}.")
        source = self.index.catalog.chunks_by_id([chunk_id]).get(chunk_id)
        if source is None:
            raise NotFound("Stycket finns inte i arkivet.")
        filters = filters or Filters()
        vector = self.index.vectors.vector(chunk_id)
        dense = self.index.vectors.query(vector, max(self.candidates, 3 * k) + 1,
                                         filters.chroma_where())
        ranked = [(cid, score) for cid, score in dense if cid != chunk_id]
        hits, facets = self._hits(ranked, k, filters, exclude=source)
        return SearchResult(source.text[:200], hits, facets, {})

    def _hits(self, fused: list[tuple[str, float]], k: int, filters: Filters,
              exclude: Chunk | None = None) -> tuple[list[Hit], dict]:
        chunks = self.index.catalog.chunks_by_id([cid for cid, _ in fused])
        reports = self.index.catalog.reports_by_id(c.report_id for c in chunks.values())
        kept: list[Chunk] = [exclude] if exclude else []
        scores: list[float] = [0.0] if exclude else []
        wordings = {_wording(chunk) for chunk in kept}
        facets: dict[str, Counter] = {name: Counter() for name in FACET_FIELDS}
        for cid, score in fused:
            chunk = chunks.get(cid)
            if chunk is None or _overlaps(chunk, kept) or _wording(chunk) in wordings:
                continue  # a vector the catalog no longer holds, or the same passage twice
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

