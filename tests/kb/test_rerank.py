"""The learned reranker: the shipped model, its features on a real index, training, and the
kommun a query names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from eval import train_ranker
from kb import rerank
from kb.evaluation import EvalQuery, Relevant, evaluate, load_queries
from kb.models import SECTION_TYPES
from kb.search import Searcher, dense_query

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_model_loads_and_was_trained_on_the_dev_set_in_the_repository():
    ranker = rerank.Reranker.load()
    assert ranker.model.feature_names == rerank.FEATURES
    info = rerank.info()
    assert info["features"] == list(rerank.FEATURES)
    assert rerank.trained_on(REPO / info["trained_on"]), (
        "eval/dev.jsonl changed since the ranker was trained: KB_DATA_DIR=<eval index> python -m eval.train_ranker")


def test_a_model_of_other_features_is_refused_with_what_to_do():
    lightgbm = pytest.importorskip("lightgbm")
    rows = np.random.default_rng(0).random((40, 3))
    model = lightgbm.LGBMRanker(n_estimators=2, min_child_samples=1, verbose=-1)
    model.fit(rows, np.arange(40) % 3, group=[20, 20])
    with pytest.raises(ValueError, match="python -m eval.train_ranker"):
        rerank.Reranker(rerank.Trees(model.booster_.model_to_string()))


def _lightgbm_model(rows: np.ndarray, labels: np.ndarray, **params) -> tuple[str, object]:
    lightgbm = pytest.importorskip("lightgbm")
    model = lightgbm.LGBMRanker(n_estimators=40, min_child_samples=5, verbose=-1, random_state=1, n_jobs=1, **params)
    model.fit(rows, labels, group=[len(labels) // 4] * 4)
    return model.booster_.model_to_string(), model.booster_


@pytest.mark.parametrize("params", [
    {"num_leaves": 3},
    {"num_leaves": 15},
    {"num_leaves": 7, "zero_as_missing": True},  # zeros take the default way
])
def test_trees_score_as_lightgbm_does_with_zeros_and_missing_values(params):
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(400, 6))
    rows[rng.random(rows.shape) < 0.25] = 0.0
    rows[rng.random(rows.shape) < 0.05] = np.nan  # trained with NaN: nodes of missing type NaN
    labels = np.clip(np.round(np.nan_to_num(rows[:, 0]) + np.nan_to_num(rows[:, 1]) + 1.5), 0, 3).astype(int)
    text, booster = _lightgbm_model(rows, labels, **params)
    trees = rerank.Trees(text)
    unseen = rng.normal(size=(300, 6)) * 2
    unseen[rng.random(unseen.shape) < 0.2] = 0.0
    unseen[rng.random(unseen.shape) < 0.1] = np.nan
    assert np.array_equal(trees.predict(unseen), booster.predict(unseen, num_threads=1))
    assert trees.predict(np.zeros((0, 6))).shape == (0,)


def test_a_damaged_model_file_is_refused_with_what_to_do(tmp_path):
    text = rerank.MODEL_PATH.read_text(encoding="utf-8")
    cut = tmp_path / "ranker.txt"
    cut.write_text(text[: text.index("leaf_value=", text.index("Tree=3"))], encoding="utf-8")
    with pytest.raises(ValueError, match="not a LightGBM model kb can read.*python -m eval.train_ranker"):
        rerank.Reranker.load(cut)
    assert rerank.Reranker.load(rerank.MODEL_PATH).scores(np.zeros((2, len(rerank.FEATURES)))).shape == (2,)


def test_trees_refuse_categorical_splits():
    rng = np.random.default_rng(4)
    rows = np.column_stack([rng.integers(0, 5, 400), rng.normal(size=400)])
    lightgbm = pytest.importorskip("lightgbm")
    model = lightgbm.LGBMRanker(n_estimators=5, min_child_samples=5, verbose=-1)
    model.fit(rows, (rows[:, 0] > 2).astype(int), group=[100] * 4, categorical_feature=[0])
    with pytest.raises(ValueError, match="categorical"):
        rerank.Trees(model.booster_.model_to_string())


@pytest.mark.slow
def test_the_shipped_model_scores_real_candidates_as_lightgbm_does(corpus_index):
    lightgbm = pytest.importorskip("lightgbm")
    searcher = Searcher(corpus_index, rerank=False)
    rows = np.vstack([searcher.ranking_features(q)[1] for q in (
        "samverkan med Arbetsförmedlingen", "Hur många hushåll får försörjningsstöd i Ödeshög?", "internal control")])
    booster = lightgbm.Booster(model_file=str(rerank.MODEL_PATH))
    assert len(rows) > 150
    assert np.array_equal(rerank.Reranker.load().scores(rows), booster.predict(rows, num_threads=1))


def test_ranks_are_capped_so_a_larger_k_keeps_features_in_the_trained_range():
    ranked = [(f"c{i}", 1.0 - i / 100) for i in range(80)]
    assert list(rerank.ranks(ranked, ["c0", "c5", "c70", "absent"])) == [0, 5, rerank.RANK_CAP, rerank.RANK_CAP]


def test_an_empty_candidate_list_has_no_rows():
    signals = rerank.Signals([], *(np.zeros(0) for _ in range(7)))
    assert rerank.features("x", signals, {}).shape == (0, len(rerank.FEATURES))
    assert rerank.Reranker.load().scores(np.zeros((0, len(rerank.FEATURES)))).shape == (0,)


def _corpus_queries(shared: Path) -> list:
    """The dev queries whose judged passages all lie in corpus/ (the seeds, renamed): the test
    index's reports."""
    seeds = {p.name for p in (shared / "seeds").iterdir()}
    return [q for q in load_queries(REPO / "eval" / "dev.jsonl") if all(r.file in seeds for r in q.relevant)]


@pytest.mark.slow
def test_features_describe_every_candidate_of_a_real_query(corpus_index):
    ids, rows, chunks = Searcher(corpus_index).ranking_features("samverkan med Arbetsförmedlingen")
    assert rows.shape == (len(ids), len(rerank.FEATURES)) and len(ids) >= 50
    assert np.isfinite(rows).all()
    column = {name: rows[:, i] for i, name in enumerate(rerank.FEATURES)}
    assert column["fused"].max() == 0.0 and column["fused_rank"].min() == 0.0
    sections = rows[:, [rerank.FEATURES.index(f"section_{t}") for t in SECTION_TYPES]]
    assert (sections.sum(axis=1) == 1).all()  # every passage has exactly one section type
    assert set(ids) == set(chunks)
    assert ((column["dense_found"] == 1) | (column["lexical_found"] == 1)).all()


@pytest.mark.slow
def test_training_is_deterministic_and_learns_the_judged_order(corpus_index, shared):
    searcher = Searcher(corpus_index, rerank=False)
    queries = _corpus_queries(shared)
    assert len(queries) >= 40
    groups = train_ranker.groups(searcher, queries)
    first, second = train_ranker.fit(groups), train_ranker.fit(groups)
    assert first.model.text == second.model.text

    def ndcg(s: Searcher) -> float:
        return evaluate(lambda q: [h.text for h in s.search(q, 10).hits], queries).mean("ndcg@10")

    fusion = ndcg(searcher)
    trained = Searcher(corpus_index)
    trained.reranker = first
    assert ndcg(trained) > fusion + 0.02  # on the queries it learned from: the objective works


def test_a_query_is_about_the_report_of_its_best_passages_read():
    def judged(*relevant: tuple[str, int, str]) -> EvalQuery:
        return EvalQuery("t", "q", "topic", tuple(Relevant(f"phrase {i}", g, f, by=by)
                                                    for i, (f, g, by) in enumerate(relevant)))

    assert train_ranker.report_of(judged(("a", 2, "reading"), ("b", 3, "reading"), ("b", 3, "pool"))) == "b"
    assert train_ranker.report_of(judged(("a", 3, "pool"), ("b", 3, "reading"), ("b", 1, "reading"))) == "b"
    assert train_ranker.report_of(judged(("a", 3, "pool"), ("a", 3, "pool"), ("b", 2, "reading"))) == "a"


@pytest.mark.slow
def test_leave_report_out_ranks_each_reports_queries_without_training_on_that_report(corpus_index, shared):
    searcher = Searcher(corpus_index, rerank=False)
    queries = _corpus_queries(shared)
    train, asked = queries[::2], queries[1::2]
    by_report = train_ranker.leave_report_out(searcher, train_ranker.groups(searcher, train), asked)
    assert set(by_report) == {train_ranker.report_of(q) for q in asked} and len(by_report) >= 4
    assert sum(len(runs["fusion"].rows) for runs in by_report.values()) == len(asked)
    for report, runs in by_report.items():
        ids = [r.id for r in runs["fusion"].rows]
        assert ids and all(train_ranker.report_of(q) == report for q in asked if q.id in ids)
        assert [r.id for r in runs["all"].rows] == ids == [r.id for r in runs["other reports"].rows]
    assert searcher.reranker is None  # left as found: fusion alone
    fusion = Searcher(corpus_index, rerank=False)
    first = next(iter(by_report.values()))["fusion"]
    assert first == evaluate(lambda q: [h.text for h in fusion.search(q, 10).hits],
                             [q for q in asked if q.id in {r.id for r in first.rows}])


@pytest.mark.slow
def test_a_query_naming_a_kommun_lists_that_kommuns_passages_first(corpus_index, monkeypatch):
    reads = []
    catalog = corpus_index.catalog
    monkeypatch.setattr(catalog, "reports_by_id", lambda ids, read=catalog.reports_by_id: reads.append(1) or read(ids))
    hits = Searcher(corpus_index).search("samverkan med Arbetsförmedlingen i Ale", 100).hits
    assert len(reads) == 1  # the candidates' reports, read once for the kommun rule and the hits
    monkeypatch.undo()
    kommuner = [h.kommun for h in hits]
    assert kommuner[0] == "Ale" and "Ale" in kommuner and len(set(kommuner)) > 1
    assert kommuner == sorted(kommuner, key=lambda k: k != "Ale")  # every Ale passage before the rest
    unnamed = Searcher(corpus_index).search("samverkan med Arbetsförmedlingen", 100).hits
    assert [h.kommun for h in unnamed] != kommuner


@pytest.mark.slow
def test_without_the_reranker_hybrid_search_keeps_the_fused_order(corpus_index):
    searcher = Searcher(corpus_index, rerank=False)
    query = "uppföljning av försörjningsstöd"
    vector = corpus_index.embedder.embed_query(dense_query(query))
    dense = corpus_index.vectors.query(vector, 50)
    lexical = corpus_index.lexical.search(query, 50)
    fused = [cid for cid, _ in searcher._fuse(query, dense, lexical, vector)]
    hits = [h.chunk_id for h in searcher.search(query, 10).hits]
    assert hits == [cid for cid in fused if cid in set(hits)][:10]
    assert hits[0] == fused[0]


def test_kb_rerank_0_switches_the_reranker_off(fake_index):
    from kb.config import Config

    assert Config.from_env({}).rerank and not Config.from_env({"KB_RERANK": "0"}).rerank
    assert Searcher(fake_index).reranker is not None
    off = replace(fake_index, config=replace(fake_index.config, rerank=False))
    assert Searcher(off).reranker is None
    assert Searcher(off, rerank=True).reranker is not None
