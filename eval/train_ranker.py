"""Train the learned reranker (kb/rerank.py) on the graded judgments of eval/dev.jsonl.

    KB_DATA_DIR=/tmp/evalidx python -m eval.train_ranker          # writes kb/data/ranker.{txt,json}
    KB_DATA_DIR=/tmp/evalidx python -m eval.train_ranker --cv     # 5-fold figures on dev, no writing
    KB_DATA_DIR=/tmp/evalidx python -m eval.train_ranker --by-report   # on a report it never learned from

Needs an index of the evaluation corpus (`kb ingest $(python -m eval.corpus)`). Every
candidate hybrid search gathers for a dev query is one row, labelled with the grade of the best
judged phrase it holds (0 when none). eval/heldout.jsonl is never trained on: it is what tells
whether the ranker is worth keeping (`kb eval`), and, scored by `--by-report`, whether it carries
over to a report none of its training queries was about. Training is deterministic (one thread, fixed
seed), so the same judgments and index give the same model.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path

import numpy as np

from kb.evaluation import (
    METRICS,
    EvalQuery,
    EvalReport,
    evaluate,
    judge,
    load_queries,
    paired_difference,
    score_query,
)
from kb.rerank import FEATURES, INFO_PATH, MODEL_PATH, Reranker, Trees, fingerprint
from kb.search import Searcher

REPO = Path(__file__).resolve().parents[1]
DEV = REPO / "eval" / "dev.jsonl"
HELDOUT = REPO / "eval" / "heldout.jsonl"
#: Small trees and few rounds: 75 queries teach no more (docs/retrieval.md has the settings tried).
PARAMS = {
    "objective": "lambdarank", "n_estimators": 150, "learning_rate": 0.05, "num_leaves": 3,
    "min_child_samples": 20, "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8,
    "lambdarank_truncation_level": 10, "random_state": 1, "n_jobs": 1, "deterministic": True,
    "force_col_wise": True, "verbose": -1,
}
FOLDS = 5


@dataclass(frozen=True)
class Group:
    """One query's candidates: feature rows and the grade each holds."""

    query: EvalQuery
    rows: np.ndarray
    grades: np.ndarray


def groups(searcher: Searcher, queries: Sequence[EvalQuery]) -> list[Group]:
    """The training rows of each query, from the searcher's own candidates and features."""
    found = []
    for q in queries:
        ids, rows, chunks = searcher.ranking_features(q.query)
        grades = np.array([judge(chunks[c].text, q) if c in chunks else 0 for c in ids])
        found.append(Group(q, rows, grades))
    return found


def fit(train: Sequence[Group], params: dict | None = None) -> Reranker:
    """A LambdaMART ranker trained on the groups."""
    import lightgbm

    model = lightgbm.LGBMRanker(**(params or PARAMS))
    model.fit(np.vstack([g.rows for g in train]), np.concatenate([g.grades for g in train]),
              group=[len(g.grades) for g in train], feature_name=list(FEATURES))
    return Reranker(Trees(model.booster_.model_to_string()))


def cross_validate(searcher: Searcher, data: Sequence[Group], folds: int = FOLDS) -> EvalReport:
    """Each query searched with a ranker trained on the other folds: an estimate for dev that
    its own judgments did not train."""
    rows = []
    for k in range(folds):
        searcher.reranker = fit([g for i, g in enumerate(data) if i % folds != k])
        rows += [score_query([h.text for h in searcher.search(g.query.query, 10).hits], g.query)
                 for i, g in enumerate(data) if i % folds == k]
    return EvalReport(tuple(rows))


def report_of(query: EvalQuery) -> str:
    """The report file a query is about: where most of its best-graded passages are, counting
    those written while reading the report (the pooled ones only when it has none)."""
    best = [r for r in query.relevant if r.grade == query.max_grade]
    read = [r.file for r in best if r.by == "reading"] or [r.file for r in best]
    return Counter(read).most_common(1)[0][0]


def leave_report_out(searcher: Searcher, train: Sequence[Group],
                     queries: Sequence[EvalQuery]) -> dict[str, dict[str, EvalReport]]:
    """Per report, its `queries` ranked three ways: by fusion alone ("fusion"), by a ranker
    trained on every `train` group ("all"), and by one trained only on the groups about other
    reports ("other reports"): what the ranker is worth on a report it never saw a query about,
    the case of every report added to the archive."""
    everything = fit(train)
    by_report: dict[str, dict[str, EvalReport]] = {}
    for report in sorted({report_of(q) for q in queries}):
        asked = [q for q in queries if report_of(q) == report]
        rankers = {"fusion": None, "all": everything,
                   "other reports": fit([g for g in train if report_of(g.query) != report])}
        by_report[report] = {}
        for name, ranker in rankers.items():
            searcher.reranker = ranker
            by_report[report][name] = evaluate(lambda q: [h.text for h in searcher.search(q, 10).hits], asked)
    searcher.reranker = None
    return by_report


def _print_by_report(by_report: dict[str, dict[str, EvalReport]]) -> None:
    names = ("fusion", "all", "other reports")
    print(f"{'report':<44} {'n':>3}  " + "  ".join(f"{n:>13}" for n in names) + "   (nDCG@10)")
    for report, runs in by_report.items():
        print(f"{report[:44]:<44} {len(runs['fusion'].rows):>3}  "
              + "  ".join(f"{runs[n].mean('ndcg@10'):>13.3f}" for n in names))
    pooled = {n: EvalReport(tuple(r for runs in by_report.values() for r in runs[n].rows)) for n in names}
    for name in names:
        print(f"{name:<14} " + "  ".join(f"{m} {pooled[name].mean(m):.3f}" for m in METRICS))
    print(f"other reports − fusion {paired_difference(pooled['other reports'], pooled['fusion'])}")
    print(f"all − other reports    {paired_difference(pooled['all'], pooled['other reports'])}")


def main(argv: list[str]) -> int:
    from eval.corpus import open_index

    index = open_index()
    searcher = Searcher(index, rerank=False)
    data = groups(searcher, load_queries(DEV))
    if "--by-report" in argv:  # heldout is only scored here, never trained on
        _print_by_report(leave_report_out(searcher, data, load_queries(HELDOUT)))
        return 0
    if "--cv" in argv:
        report = cross_validate(searcher, data)
        print(f"dev, {FOLDS}-fold: " + "  ".join(f"{m} {report.mean(m):.3f}" for m in METRICS))
        for mode in ("lexical", "dense"):
            alone = evaluate(lambda q, m=mode: [h.text for h in searcher.search(q, 10, mode=m).hits],
                             [g.query for g in data])
            print(f"hybrid − {mode:<7} {paired_difference(report, alone)}")
        return 0
    ranker = fit(data)
    MODEL_PATH.write_text(ranker.model.text, encoding="utf-8")
    reports, chunks = index.catalog.counts()
    info = {
        "trained_on": DEV.relative_to(REPO).as_posix(),
        "sha256": fingerprint(DEV),
        "queries": len(data), "rows": int(sum(len(g.grades) for g in data)),
        "index": f"{reports} reports, {chunks} passages, model {index.embedder.name}",
        "lightgbm": version("lightgbm"), "date": date.today().isoformat(),
        "params": PARAMS, "features": list(FEATURES),
    }
    INFO_PATH.write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{MODEL_PATH.relative_to(REPO)}: trained on {info['queries']} queries, {info['rows']} candidates")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
