"""Metric functions on hand-computed examples."""

import json
import math
from dataclasses import replace

import pytest

from kb.evaluation import (
    EvalQuery,
    EvalReport,
    Relevant,
    best_at_1,
    evaluate,
    format_table,
    hit_at_1,
    judge,
    judged_by,
    load_queries,
    matched_phrases,
    mrr_at_k,
    ndcg_at_k,
    normalise,
    paired_difference,
    ranked_gains,
    recall_at_k,
    score_query,
    worst_queries,
)

QUERY = EvalQuery(
    id="t-1",
    query="samverkan med Arbetsförmedlingen",
    kind="topic",
    relevant=(
        Relevant("samverkan med Arbetsförmedlingen fungerar väl", 3, "a.txt"),
        Relevant("överenskommelse med Arbetsförmedlingen", 2, "a.txt"),
        Relevant("styrgrupp som träffas tre gånger", 1, "b.txt"),
    ),
)


def test_normalise_collapses_whitespace_and_composes():
    assert normalise("  a\n\tb   c ") == "a b c"
    assert normalise("fo\u0308r") == "för"


def test_judge_matches_across_line_breaks_and_takes_best_grade():
    hit = ("Vi ser att samverkan med\nArbetsförmedlingen  fungerar väl och en överenskommelse med "
           "Arbetsförmedlingen finns.")
    assert matched_phrases(hit, QUERY) == frozenset({0, 1})
    assert judge(hit, QUERY) == 3
    assert judge("Styrgrupp som träffas tre gånger", QUERY) == 0  # case-sensitive
    assert judge("ingenting här", QUERY) == 0


def test_ranked_gains_count_each_phrase_once():
    hits = [
        "en överenskommelse med Arbetsförmedlingen",  # new phrase 1 -> 2
        "åter överenskommelse med Arbetsförmedlingen",  # repeat -> 0
        "samverkan med Arbetsförmedlingen fungerar väl; överenskommelse med Arbetsförmedlingen",  # new 0 -> 3
        "irrelevant",
    ]
    assert ranked_gains(hits, QUERY) == [2, 0, 3, 0]


def test_ndcg_hand_computed():
    # DCG = (2^2-1)/log2(2) + 0 + (2^3-1)/log2(4) = 3 + 3.5 = 6.5
    # IDCG = 7/1 + 3/log2(3) + 1/2
    idcg = 7 + 3 / math.log2(3) + 0.5
    assert ndcg_at_k([2, 0, 3, 0], [3, 2, 1]) == pytest.approx(6.5 / idcg)
    assert ndcg_at_k([3, 2, 1], [1, 3, 2]) == pytest.approx(1.0)
    assert ndcg_at_k([0, 0, 3], [3], k=2) == 0.0
    assert ndcg_at_k([], [3]) == 0.0
    assert ndcg_at_k([3], []) == 0.0


def test_ndcg_ideal_is_truncated_to_k():
    # k=1: DCG = 3, IDCG = 7 (only the best ideal grade fits)
    assert ndcg_at_k([2, 3], [3, 2], k=1) == pytest.approx(3 / 7)


def test_recall_at_k():
    matches = [frozenset({1}), frozenset(), frozenset({1, 2}), frozenset(), frozenset(), frozenset({0})]
    assert recall_at_k(matches, 3, k=5) == pytest.approx(2 / 3)
    assert recall_at_k(matches, 3, k=6) == 1.0
    assert recall_at_k([], 3) == 0.0
    assert recall_at_k(matches, 0) == 0.0


def test_mrr_at_k():
    assert mrr_at_k([0, 0, 2, 3]) == pytest.approx(1 / 3)
    assert mrr_at_k([1]) == 1.0
    assert mrr_at_k([0] * 10 + [3]) == 0.0
    assert mrr_at_k([]) == 0.0


def test_hit_at_1_takes_any_relevant_passage():
    assert hit_at_1(3) == 1.0
    assert hit_at_1(1) == 1.0
    assert hit_at_1(0) == 0.0


def test_best_at_1_needs_the_highest_grade():
    assert best_at_1(3, 3) == 1.0
    assert best_at_1(2, 3) == 0.0
    assert best_at_1(2, 2) == 1.0
    assert best_at_1(0, 0) == 0.0


def test_score_query_and_evaluate():
    hits = ["en överenskommelse med Arbetsförmedlingen", "x", "samverkan med Arbetsförmedlingen fungerar väl"]
    row = score_query(hits, QUERY)
    idcg = 7 + 3 / math.log2(3) + 0.5
    assert row.ndcg == pytest.approx((3 + 7 / 2) / idcg)
    assert row.recall == pytest.approx(2 / 3)
    assert row.mrr == 1.0
    assert row.hit1 == 1.0  # the top hit is relevant (grade 2) ...
    assert row.best1 == 0.0  # ... but not of the query's best grade (3)
    assert row.gains == (2, 0, 3)

    report = evaluate(lambda q: hits if q == QUERY.query else [], [QUERY])
    assert report.rows == (row,)
    assert report.mean("mrr@10") == 1.0
    empty = score_query([], QUERY)
    assert (empty.ndcg, empty.recall, empty.mrr, empty.hit1, empty.best1) == (0.0,) * 5


def test_format_table_and_worst_queries():
    good = score_query(["samverkan med Arbetsförmedlingen fungerar väl"], QUERY)
    bad = score_query(["x"], EvalQuery("t-0", "q", "english", QUERY.relevant))
    report = EvalReport((good, bad))
    table = format_table({"bm25": report, "hybrid-long-name": EvalReport((good,))})
    lines = table.splitlines()
    assert lines[0].split() == ["method", "n", "ndcg@10", "recall@5", "mrr@10", "hit@1", "best@1"]
    assert lines[1].split()[:2] == ["bm25", "2"]
    assert lines[1].split()[4] == "0.500"  # MRR mean of 1 and 0
    assert len({len(line) for line in lines}) == 1
    assert [r.id for r in worst_queries(report, n=1)] == ["t-0"]
    assert list(report.by_kind()) == ["topic", "english"]
    assert EvalReport(()).mean("ndcg@10") == 0.0


def test_load_queries_roundtrip_and_errors(tmp_path):
    line = {"id": "d-1", "query": "q", "kind": "topic",
            "relevant": [{"phrase": "p" * 30, "grade": 3, "file": "f.txt"}]}
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(line) + "\n\n", encoding="utf-8")
    [query] = load_queries(path)
    assert query == EvalQuery("d-1", "q", "topic", (Relevant("p" * 30, 3, "f.txt"),))
    for broken in ({**line, "kind": "weird"}, {**line, "relevant": []},
                   {**line, "relevant": [{"phrase": "p", "grade": 4, "file": "f"}]},
                   {k: v for k, v in line.items() if k != "query"}):
        path.write_text(json.dumps(line) + "\n" + json.dumps(broken) + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=":2:"):
            load_queries(path)


def test_judgments_keep_how_they_were_made_and_can_be_scored_apart(tmp_path):
    written = {"phrase": "p" * 30, "grade": 3, "file": "f.txt"}
    pooled = {"phrase": "q" * 30, "grade": 2, "file": "f.txt", "by": "pool"}
    path = tmp_path / "set.jsonl"
    rows = [{"id": "d-1", "query": "q", "kind": "topic", "relevant": [written, pooled]},
            {"id": "d-2", "query": "r", "kind": "topic", "relevant": [pooled]}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    one, two = load_queries(path)
    assert [r.by for r in one.relevant] == ["reading", "pool"]
    assert [q.relevant for q in judged_by([one, two], ["reading"])] == [(Relevant("p" * 30, 3, "f.txt"),)]
    assert [q.id for q in judged_by([one, two], ["reading", "pool"])] == ["d-1", "d-2"]
    path.write_text(json.dumps({**rows[0], "relevant": [{**pooled, "by": "guess"}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="'by' must be one of reading, pool"):
        load_queries(path)
    path.write_text(json.dumps({**rows[0], "relevant": [{**written, "copies": 2}]}), encoding="utf-8")
    assert load_queries(path)[0].relevant[0].copies == 2
    path.write_text(json.dumps({**rows[0], "relevant": [{**written, "copies": 0}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="'copies' must be at least 1"):
        load_queries(path)
    many = [{"phrase": f"{i:02d}" * 15, "grade": 1, "file": "f.txt"} for i in range(33)]
    path.write_text(json.dumps({**rows[0], "relevant": many}), encoding="utf-8")
    with pytest.raises(ValueError, match="needs 1-32 relevant passages, has 33"):
        load_queries(path)


def _runs(differences: list[float]) -> tuple[EvalReport, EvalReport]:
    """Two runs over the same queries whose nDCG@10 differs by the given amounts, query by query."""
    base = score_query(["en överenskommelse med Arbetsförmedlingen"], QUERY)
    b = tuple(replace(base, id=f"t-{i}", ndcg=0.5) for i in range(len(differences)))
    a = tuple(replace(row, ndcg=0.5 + d) for row, d in zip(b, differences, strict=True))
    return EvalReport(a), EvalReport(b)


def test_paired_difference_is_the_mean_difference_with_a_bootstrap_interval():
    same = paired_difference(*_runs([0.0] * 20))
    assert (same.mean, same.low, same.high, same.n) == (0.0, 0.0, 0.0, 20)
    shifted = paired_difference(*_runs([0.1] * 20))  # every query 0.1 better: no doubt about it
    assert shifted.mean == pytest.approx(0.1) and shifted.low == pytest.approx(0.1) == shifted.high

    mixed = paired_difference(*_runs([0.3, -0.1] * 10))  # better on half, worse on the other half
    assert mixed.mean == pytest.approx(0.1)
    assert 0.0 < mixed.low < mixed.mean < mixed.high < 0.2
    noisy = paired_difference(*_runs([0.5, -0.3] * 10))  # the same mean, more spread: wider
    assert noisy.low < 0.0 < noisy.high
    assert paired_difference(*_runs([0.3, -0.1] * 10)) == mixed  # seeded: the same runs, the same interval
    assert str(mixed).startswith("ndcg@10 +0.100 (95 % interval +0.")
    assert str(mixed).endswith("paired bootstrap over 20 queries)")


def test_paired_difference_pairs_queries_by_id():
    a, b = _runs([0.3, -0.1, 0.2, 0.0])
    in_order = paired_difference(a, b)
    assert paired_difference(a, EvalReport(b.rows[::-1])) == in_order
    assert paired_difference(a, b, metric="mrr@10").mean == 0.0  # only nDCG was changed
    with pytest.raises(ValueError, match="same queries"):
        paired_difference(a, EvalReport(b.rows[1:]))
    assert paired_difference(EvalReport(()), EvalReport(())).n == 0
