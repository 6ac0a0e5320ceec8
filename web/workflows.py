"""Auditor workflows over the whole archive: compare reports on a topic, and the findings register."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from flask import Blueprint, current_app, render_template, request, url_for

from kb.analysis import analyze, analyze_spans
from kb.errors import BadQuery, StoreUnavailable
from kb.findings import finding_dicts
from kb.highlight import excerpt, fold
from kb.lines import from_blob
from kb.models import ANSWERS, Hit, Report
from kb.search import MAX_K, Filters, validate
from kb.spelling import Spelling
from kb.thesaurus import expand
from web.errors import UNAVAILABLE, error_page
from web.params import index, parse_spell, searcher

workflows = Blueprint("workflows", __name__)

KINDS = {"revisionsfraga": "Revisionsfråga", "rekommendation": "Rekommendation"}
TOP_FINDINGS = 3


@dataclass
class CompareRow:
    """One report's stance on a topic: its best passage, its bedömning, its rekommendationer."""

    report: Report
    best: Hit
    bedomning: Hit | None = None
    answers: list[dict] = field(default_factory=list)  # revisionsfrågor, when no bedömning passage
    rekommendationer: list[dict] = field(default_factory=list)
    crowded_out: bool = False  # `best` found by a search of its kommun: the topic's candidates had none

    def to_dict(self) -> dict:
        return {**report_ref(self.report), "crowded_out": self.crowded_out,
                "best": self.best.to_dict(),
                "bedomning": self.bedomning.to_dict() if self.bedomning else None,
                "answers": self.answers, "rekommendationer": self.rekommendationer}


def _best_per_report(hits: list[Hit]) -> dict[str, Hit]:
    best: dict[str, Hit] = {}
    for hit in hits:
        best.setdefault(hit.report_id, hit)
    return best


_vector_lock = threading.Lock()


def _finding_vectors(texts: list[str]) -> np.ndarray:
    """Finding vectors by text, kept per process: read from the catalog, where ingest stores
    them; embedded here only for findings of an index ingested before it did."""
    cache: dict[str, np.ndarray] = current_app.extensions.setdefault("kb.finding_vectors", {})
    with _vector_lock:
        missing = sorted({t for t in texts if t not in cache})
        if missing:
            dim = index().embedder.dim
            for text, blob in index().catalog.finding_vectors(missing).items():
                if len(blob) == 2 * dim:  # a vector of another model's size is embedded again
                    cache[text] = from_blob(blob, dim)[0]
            if unstored := [t for t in missing if t not in cache]:
                cache.update(zip(unstored, index().embedder.embed_passages(unstored), strict=True))
        return np.array([cache[t] for t in texts])


def rank_findings(query: str, rows: list[dict]) -> list[dict]:
    """Findings ordered by how close their text is to the topic, each with its `relevance`."""
    if not rows:
        return []
    query_vector = index().embedder.embed_query(query)
    scores = _finding_vectors([r["text"] for r in rows]) @ query_vector
    ranked = sorted(zip(scores, range(len(rows)), rows, strict=True), key=lambda t: (-t[0], t[1]))
    return [{**row, "relevance": round(float(score), 4)} for score, _, row in ranked]


@dataclass
class Comparison:
    """The reports with a passage on a topic, compared; the others, which did not touch it, named apart."""

    rows: list[CompareRow]
    without_passage: list[Report]
    spelling: Spelling


def report_ref(report: Report) -> dict:
    """A report as a comparison names it: enough to cite and open it."""
    m = report.meta
    return {"report_id": report.id, "kommun": m.kommun, "year": m.year, "firm": m.firm, "title": m.title,
            "url": f"/reports/{report.id}"}


def _topic_words(topic: str, decompounder) -> list[set[str]]:
    """Each word of the topic as the terms that stand for it: its own, and its thesaurus synonyms."""
    return [{terms[0][0], *(t for t, w in expand([terms[0][0]]) if w >= 0.5)}
            for terms, _, _ in analyze_spans(topic, decompounder) if terms]


def _on_topic_outside(topic: str, reports: list[Report]) -> dict[str, Hit]:
    """The best passage of each report the topic's candidates left out whose passages hold every
    word of the topic: a long report on it can be crowded out of the candidates by others, and must
    not be listed as one that never touched it; one holding only "uppföljning" of "uppföljning av
    försörjningsstöd" did not."""
    decompounder = index().lexical.decompounder
    words = _topic_words(topic, decompounder)
    wanted = {r.id for r in reports}
    places = tuple(sorted({r.meta.kommun for r in reports if r.meta.kommun}))
    if not words or not places:
        return {}
    # one search over all their kommuner, however many: a search per kommun would grow with the archive
    hits = searcher().search(topic, k=MAX_K, spell=False, filters=Filters(kommun=places)).hits
    by_report: dict[str, list[Hit]] = {}
    for hit in hits:
        if hit.report_id in wanted:
            by_report.setdefault(hit.report_id, []).append(hit)
    found: dict[str, Hit] = {}
    for report_id, mine in by_report.items():
        held = {t for hit in mine for t in analyze(hit.text, decompounder)}
        if all(group & held for group in words):
            found[report_id] = mine[0]
    return found


def compare(query: str, spell: bool = True) -> Comparison:
    """The reports with a passage on one topic (among the search's candidates for it), the most
    relevant first, and the reports without one apart: their bedömning and rekommendationer, ranked
    by closeness alone, would be shown as if on a topic they never touch. The topic's misspelled
    words are corrected once for all three rankings unless `spell` is False (`kb.spelling`)."""
    query = validate(query, MAX_K)
    spelling = index().lexical.spell(query) if spell else Spelling(query, query)
    topic = spelling.searched
    catalog = index().catalog
    reports = catalog.reports()
    best = _best_per_report(searcher().search(topic, k=MAX_K, spell=False).hits)
    outside = _on_topic_outside(topic, [r for r in reports if r.id not in best])
    best.update(outside)
    judged = _best_per_report(searcher().search(topic, k=MAX_K, spell=False,
                                                filters=Filters(section_type=("bedomning",))).hits)
    findings = rank_findings(topic, finding_dicts(catalog.findings(), catalog))
    rows, without = [], []
    for report in reports:
        if report.id not in best:
            without.append(report)
            continue
        mine = [f for f in findings if f["report_id"] == report.id]
        row = CompareRow(report, best[report.id], judged.get(report.id),
                         rekommendationer=[f for f in mine if f["kind"] == "rekommendation"][:TOP_FINDINGS],
                         crowded_out=report.id in outside)
        if row.bedomning is None:
            row.answers = [f for f in mine if f["kind"] == "revisionsfraga" and f["answer"]][:TOP_FINDINGS]
        rows.append(row)
    rows.sort(key=lambda r: (r.crowded_out, -r.best.score))  # a score compares only within its search
    return Comparison(rows, without, spelling)


@workflows.get("/compare")
def compare_page():
    query = request.args.get("q", "")
    rows, without, error, spelling = None, [], None, None
    if query.strip() or "q" in request.args:
        try:
            comparison = compare(query, spell=parse_spell(request.args))
            rows, without, spelling = comparison.rows, comparison.without_passage, comparison.spelling
        except BadQuery as exc:
            error = str(exc)
        except StoreUnavailable:
            return error_page(503, UNAVAILABLE)
    excerpts = {}
    decompounder = index().lexical.decompounder
    for row in rows or []:
        for hit in (row.best, row.bedomning):
            if hit:
                excerpts[hit.chunk_id] = excerpt(hit.text, spelling.searched, width=360, decompounder=decompounder)
    exact_url = (url_for("workflows.compare_page", q=query, spell="0")
                 if spelling is not None and spelling.changes else None)
    return render_template("compare.html", query=query, rows=rows, without=without, error=error,
                           excerpts=excerpts, spelling=spelling, exact_url=exact_url), 400 if error else 200


@dataclass(frozen=True)
class RegisterQuery:
    text: str = ""
    kommun: tuple[str, ...] = ()
    kind: str = ""
    answer: str = ""

    @classmethod
    def from_args(cls, args) -> RegisterQuery:
        kind = args.get("kind", "")
        if kind not in ("", *KINDS):
            raise BadQuery("Parametern kind kan vara revisionsfraga eller rekommendation.")
        answer = args.get("answer", "").strip()
        if answer and fold(answer) not in {fold(a) for a in ANSWERS}:
            raise BadQuery(f"Parametern answer kan vara {', '.join(ANSWERS[:-1])} eller {ANSWERS[-1]}.")
        text = args.get("q", "")
        if len(text) > 200:
            raise BadQuery("Sökordet är för långt (högst 200 tecken).")
        kommun = tuple(v for v in args.getlist("kommun") if v.strip())
        return cls(text.strip(), kommun, kind, answer)

    def matches(self, row: dict) -> bool:
        if self.kind and row["kind"] != self.kind:
            return False
        if self.answer and fold(row["answer"] or "") != fold(self.answer):
            return False
        return not self.text or fold(self.text) in fold(f"{row['text']} {row['answer'] or ''}")


def register(query: RegisterQuery) -> list[dict]:
    """The findings that match, each citable (kommun, report, passage url)."""
    catalog = index().catalog
    pairs = [(f, r) for f, r in catalog.findings(list(query.kommun) or None)
             if query.matches({"kind": f.kind, "answer": f.answer, "text": f.text})]
    return finding_dicts(pairs, catalog)


@workflows.get("/register")
def register_page():
    try:
        query = RegisterQuery.from_args(request.args)
    except BadQuery as exc:
        return error_page(400, str(exc))
    every = index().catalog.findings()
    kommuner = sorted({r.meta.kommun for _, r in every if r.meta.kommun})
    answers = sorted({f.answer for f, _ in every if f.answer})
    rows = register(query)
    return render_template("register.html", rows=rows, query=query, kinds=KINDS, kommuner=kommuner,
                           answers=answers)
