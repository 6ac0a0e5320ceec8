"""Retrieval metrics judged by phrases, so a query set outlives any one chunking.

A query lists the passages that answer it as exact phrases from the report text
(graded 3 = best answer, 2 = clearly relevant, 1 = partially relevant). A hit is
relevant when its text contains such a phrase; text is compared after NFC and
collapsing whitespace runs to one space, case-sensitively. Metric definitions:

- nDCG@10: gain ``2**g - 1``, discount ``log2(rank + 1)``. Each relevant phrase
  counts once, at the first hit that contains it; a hit's gain is the best grade
  among the phrases first seen in it, so later hits repeating a phrase get 0 and a
  hit holding two relevant phrases earns only the better one. The ideal ranking is
  the query's grades sorted descending, one position each.
- Recall@5: share of the query's relevant phrases contained in the top 5 hits.
- MRR@10: reciprocal rank of the first hit containing any relevant phrase.
- hit@1: the top hit contains a relevant phrase (any grade): success at 1, the usual
  binary reading, and the one the retrieval issue's anchors were measured with (plain
  BM25 over paragraph chunks reads 0.64 this way on the dev set against the anchor's
  0.67, and 0.42 the strict way; docs/retrieval.md).
- best@1: the stricter form: the top hit contains a phrase of the highest grade the
  query lists.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import fmean

import numpy as np

KINDS = (
    "topic",
    "compound",
    "question",
    "english",
    "no_diacritics",
    "misspelling",
    "abbreviation",
)
METRICS = ("ndcg@10", "recall@5", "mrr@10", "hit@1", "best@1")
#: The query sets of the repository, as eval/<name>.jsonl: what `kb eval` scores by default.
QUERY_SETS = ("dev", "heldout", "transfer")
#: How a judgment was made: written while reading the report, or a passage of the pool of the
#: methods' top hits graded blind (eval/README.md).
JUDGED_BY = ("reading", "pool")
MAX_RELEVANT = 32


def normalise(text: str) -> str:
    """Make phrase matching immune to line wrapping and Unicode composition."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class Relevant:
    """A passage that answers a query, named by a phrase it contains."""

    phrase: str
    grade: int
    file: str
    by: str = "reading"
    #: How often the phrase occurs in its file: more than once only where the report repeats
    #: the passage word for word (a summary copying a comment), any copy being an answer.
    copies: int = 1


@dataclass(frozen=True)
class EvalQuery:
    """A query as an auditor would type it, with the passages that answer it."""

    id: str
    query: str
    kind: str
    relevant: tuple[Relevant, ...]

    @property
    def max_grade(self) -> int:
        return max(r.grade for r in self.relevant)


@dataclass(frozen=True)
class QueryResult:
    """One query's scores, kept so the worst queries can be read."""

    id: str
    query: str
    kind: str
    ndcg: float
    recall: float
    mrr: float
    hit1: float
    best1: float
    gains: tuple[int, ...]  # per-rank grades after de-duplication, top 10


@dataclass(frozen=True)
class EvalReport:
    """Per-query rows of one method's run over a query set."""

    rows: tuple[QueryResult, ...]

    def values(self, metric: str) -> list[float]:
        """One of METRICS for each query, in row order."""
        field = {"ndcg@10": "ndcg", "recall@5": "recall", "mrr@10": "mrr", "hit@1": "hit1",
                 "best@1": "best1"}[metric]
        return [getattr(r, field) for r in self.rows]

    def mean(self, metric: str) -> float:
        """Mean of one of METRICS over all queries (0.0 for an empty report)."""
        return fmean(self.values(metric)) if self.rows else 0.0

    def by_kind(self) -> dict[str, EvalReport]:
        """The report split by query kind, to see which kinds of query fail."""
        order = {k: i for i, k in enumerate(KINDS)}
        kinds = sorted({r.kind for r in self.rows}, key=lambda k: (order.get(k, len(KINDS)), k))
        return {k: EvalReport(tuple(r for r in self.rows if r.kind == k)) for k in kinds}


@dataclass(frozen=True)
class Difference:
    """How much one method beats another on the same queries: the mean per-query difference and
    a 95 % interval for it from a paired bootstrap over the queries."""

    metric: str
    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return (f"{self.metric} {self.mean:+.3f} (95 % interval {self.low:+.3f} to {self.high:+.3f}, "
                f"paired bootstrap over {self.n} queries)")


def paired_difference(a: EvalReport, b: EvalReport, metric: str = "ndcg@10",
                      resamples: int = 10_000, seed: int = 0) -> Difference:
    """`a` minus `b` on one metric, with the 2.5th and 97.5th percentiles of the mean difference
    over `resamples` resamplings of the queries (with replacement, both methods' scores of a
    query kept together; queries are paired by id, so the runs may list them in any order).
    Seeded, so the same runs print the same interval. On a few dozen queries a difference of a
    few hundredths can be noise; the interval says how much."""
    theirs = dict(zip((r.id for r in b.rows), b.values(metric), strict=True))
    if sorted(theirs) != sorted(r.id for r in a.rows):
        raise ValueError("the two runs must score the same queries")
    diffs = np.array([mine - theirs[r.id] for r, mine in zip(a.rows, a.values(metric), strict=True)])
    if not len(diffs):
        return Difference(metric, 0.0, 0.0, 0.0, 0)
    samples = np.random.default_rng(seed).integers(0, len(diffs), size=(resamples, len(diffs)))
    means = diffs[samples].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Difference(metric, float(diffs.mean()), float(low), float(high), len(diffs))


def load_queries(path: str | Path) -> list[EvalQuery]:
    """Read a JSONL query set, failing on the first malformed line with its number."""
    queries = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            queries.append(_parse_query(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
    return queries


def _parse_query(data: dict) -> EvalQuery:
    relevant = tuple(
        Relevant(phrase=str(r["phrase"]), grade=int(r["grade"]), file=str(r["file"]),
                 by=str(r.get("by", "reading")), copies=int(r.get("copies", 1)))
        for r in data["relevant"]
    )
    query = EvalQuery(id=str(data["id"]), query=str(data["query"]), kind=str(data["kind"]),
                      relevant=relevant)
    if query.kind not in KINDS:
        raise ValueError(f"unknown kind {query.kind!r}")
    if not 1 <= len(relevant) <= MAX_RELEVANT:
        raise ValueError(f"{query.id}: needs 1-{MAX_RELEVANT} relevant passages, has {len(relevant)}")
    if any(r.grade not in (1, 2, 3) for r in relevant):
        raise ValueError(f"{query.id}: grades must be 1, 2 or 3")
    if any(r.copies < 1 for r in relevant):
        raise ValueError(f"{query.id}: 'copies' must be at least 1")
    if any(r.by not in JUDGED_BY for r in relevant):
        raise ValueError(f"{query.id}: 'by' must be one of {', '.join(JUDGED_BY)}")
    return query


def judged_by(queries: Sequence[EvalQuery], sources: Sequence[str]) -> list[EvalQuery]:
    """The queries with only the judgments made the given ways, to score a ranking against
    the judgments written while reading alone (queries left without any are dropped)."""
    kept = [replace(q, relevant=tuple(r for r in q.relevant if r.by in sources)) for q in queries]
    return [q for q in kept if q.relevant]


def missing_files(queries: Sequence[EvalQuery], texts: Iterable[str]) -> list[str]:
    """The files the queries' judgments name of which none of `texts` (the index's reports) holds
    a judged phrase: an index without them scores those queries near zero, which says nothing."""
    phrases: dict[str, set[str]] = {}
    for query in queries:
        for r in query.relevant:
            phrases.setdefault(r.file, set()).add(normalise(r.phrase))
    missing = set(phrases)
    for text in texts:
        held = normalise(text)
        missing = {f for f in missing if not any(p in held for p in phrases[f])}
        if not missing:
            break
    return sorted(missing)


def unindexed_files(catalog, queries: Sequence[EvalQuery]) -> list[str]:
    """`missing_files` against an index's catalog, its reports read one at a time and only until
    every file is found."""
    return missing_files(queries, (catalog.report_text(report.id)[0] for report in catalog.reports()))


def matched_phrases(hit_text: str, query: EvalQuery) -> frozenset[int]:
    """Indices of the query's relevant phrases that the hit text contains."""
    text = normalise(hit_text)
    return frozenset(i for i, r in enumerate(query.relevant) if normalise(r.phrase) in text)


def judge(hit_text: str, query: EvalQuery) -> int:
    """Grade of the best relevant phrase in the hit, 0 when it holds none."""
    return max((query.relevant[i].grade for i in matched_phrases(hit_text, query)), default=0)


def ranked_gains(hits: Sequence[str], query: EvalQuery) -> list[int]:
    """Per-rank grades where each phrase counts only at the first hit containing it."""
    seen: set[int] = set()
    gains = []
    for hit in hits:
        new = matched_phrases(hit, query) - seen
        seen |= new
        gains.append(max((query.relevant[i].grade for i in new), default=0))
    return gains


def _dcg(grades: Sequence[int]) -> float:
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg_at_k(grades: Sequence[int], ideal_grades: Sequence[int], k: int = 10) -> float:
    """DCG of the top k grades over the DCG of the ideal grades sorted descending."""
    ideal = _dcg(sorted(ideal_grades, reverse=True)[:k])
    return _dcg(grades[:k]) / ideal if ideal else 0.0


def recall_at_k(matches: Sequence[frozenset[int]], n_relevant: int, k: int = 5) -> float:
    """Share of the relevant phrases found in the first k hits' matches."""
    found = frozenset().union(*matches[:k])
    return len(found) / n_relevant if n_relevant else 0.0


def mrr_at_k(grades: Sequence[int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant hit within k, 0 when there is none."""
    return next((1 / (rank + 1) for rank, g in enumerate(grades[:k]) if g > 0), 0.0)


def hit_at_1(top_grade: int) -> float:
    """1.0 when the top hit holds a relevant phrase of any grade."""
    return 1.0 if top_grade > 0 else 0.0


def best_at_1(top_grade: int, max_grade: int) -> float:
    """1.0 when the top hit holds a phrase of the query's highest grade."""
    return 1.0 if top_grade > 0 and top_grade >= max_grade else 0.0


def score_query(hits: Sequence[str], query: EvalQuery) -> QueryResult:
    """Every metric of METRICS for one query's ranked hit texts."""
    gains = ranked_gains(hits[:10], query)
    matches = [matched_phrases(h, query) for h in hits[:5]]
    top = judge(hits[0], query) if hits else 0
    return QueryResult(
        id=query.id, query=query.query, kind=query.kind,
        ndcg=ndcg_at_k(gains, [r.grade for r in query.relevant], k=10),
        recall=recall_at_k(matches, len(query.relevant), k=5),
        mrr=mrr_at_k(gains, k=10),
        hit1=hit_at_1(top),
        best1=best_at_1(top, query.max_grade),
        gains=tuple(gains),
    )


def evaluate(run: Callable[[str], list[str]], queries: Sequence[EvalQuery]) -> EvalReport:
    """Run every query through a search function returning ranked hit texts."""
    return EvalReport(tuple(score_query(run(q.query), q) for q in queries))


def format_table(reports: dict[str, EvalReport]) -> str:
    """Methods as rows, the mean metrics as columns, in a fixed-width table."""
    width = max([len("method"), *map(len, reports)])
    lines = [f"{'method':<{width}}  {'n':>3}  " + "  ".join(f"{m:>9}" for m in METRICS)]
    for name, report in reports.items():
        cells = "  ".join(f"{report.mean(m):>9.3f}" for m in METRICS)
        lines.append(f"{name:<{width}}  {len(report.rows):>3}  {cells}")
    return "\n".join(lines)


def worst_queries(report: EvalReport, n: int = 10) -> list[QueryResult]:
    """The n lowest-scoring queries by nDCG, then recall, then id, for error analysis."""
    return sorted(report.rows, key=lambda r: (r.ndcg, r.recall, r.id))[:n]
