"""The second-assessor study (eval/agreement.py): its statistics by hand, and its batches drawn
from real searches of the shipped corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import agreement, pooling
from kb.evaluation import load_queries
from kb.search import Searcher

REPO = Path(__file__).resolve().parents[2]


def test_kappa_by_hand():
    # two grades: agreement 3/4, chance 1/2, so (0.75 - 0.5) / (1 - 0.5)
    assert agreement.kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)
    assert agreement.kappa([1, 1, 0, 0], [1, 0, 0, 0], weighted=False) == pytest.approx(0.5)
    # three grades, quadratic weights 1/4 for a step of one and 1 for two: observed weighted
    # disagreement 1/8, expected 7/32
    assert agreement.kappa([0, 0, 1, 2], [0, 1, 1, 1]) == pytest.approx(1 - (1 / 8) / (7 / 32))
    assert agreement.kappa([2, 1, 0], [2, 1, 0]) == 1.0
    assert agreement.kappa([3, 3], [3, 3]) == 1.0  # one grade only: nothing to disagree on


def test_scores_compare_both_assessors_and_the_three_orders():
    key = {  # search ranked a, b, c: A graded them 1, 3, 0
        "q1#a": {"qid": "q1", "rank": 0, "grade": 1},
        "q1#b": {"qid": "q1", "rank": 1, "grade": 3},
        "q1#c": {"qid": "q1", "rank": 2, "grade": 0},
    }
    results = {"q1#a": {"grade": 2}, "q1#b": {"grade": 3}, "q1#c": {"grade": 0}}
    found = agreement.scores(key, results)
    assert (found["passages"], found["queries"]) == (3, 1)
    assert found["exact"] == pytest.approx(2 / 3) and found["within one"] == 1.0
    assert found["nDCG@10 of A's order judged by A"] == 1.0
    assert found["nDCG@10 of B's order judged by B"] == 1.0
    ideal_a = 7 + 1 / 1.584962500721156
    assert found["nDCG@10 of search's order judged by A"] == pytest.approx((1 + 7 / 1.584962500721156) / ideal_a)
    assert found["nDCG@10 of B's order judged by A"] == pytest.approx(1.0)  # B also puts b first
    assert "A \\ B" in agreement.confusion(key, results)
    assert agreement.problems([[{"passages": [{"item": "q1#a"}, {"item": "q1#x"}]}]], results) == [
        "q1#x: needs a grade 0-3"]


@pytest.mark.slow
def test_sample_draws_whole_top_tens_and_keeps_the_grades_apart(corpus_index, shared, tmp_path):
    seeds = {p.name for p in (shared / "seeds").iterdir()}
    queries = [q for q in load_queries(REPO / "eval" / "dev.jsonl") if all(r.file in seeds for r in q.relevant)]
    searcher = Searcher(corpus_index)
    batches, key = agreement.sample(lambda text: searcher.search(text, 10).hits, queries, 6, 2)
    assert [len(b) for b in batches] == [3, 3]
    items = [p["item"] for b in batches for q in b for p in q["passages"]]
    assert sorted(items) == sorted(key) and len(items) == 60
    shown = json.dumps(batches, ensure_ascii=False)
    assert '"grade"' not in shown and '"rank"' not in shown and "phrase" not in shown  # blind
    assert any(v["grade"] > 0 for v in key.values())  # the first assessor's grades are in the key
    assert agreement.sample(lambda text: searcher.search(text, 10).hits, queries, 6, 2) == (batches, key)


def test_a_record_scores_as_its_folder_did(tmp_path):
    text = {"a": "Samverkan med Arbetsförmedlingen fungerar väl.", "b": "Rekommendationer: utarbeta mål.",
            "c": "Innehållsförteckning"}
    batches = [[{"qid": "q1", "passages": [{"item": f"q1#{i}", "text": t} for i, t in text.items()]}]]
    first = {"a": 2, "b": 3, "c": 0}
    key = {f"q1#{i}": {"qid": "q1", "rank": r, "grade": first[i]} for r, i in enumerate("abc")}
    results = {"q1#a": {"grade": 3}, "q1#b": {"grade": 3}, "q1#c": {"grade": 1}}
    rows = agreement.record_rows(batches, key, results)
    assert [(r["rank"], r["first"], r["second"]) for r in rows] == [(0, 2, 3), (1, 3, 3), (2, 0, 1)]
    path = tmp_path / "second.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert agreement.scores(*agreement.from_record(path)) == agreement.scores(key, results)


def test_the_recorded_second_assessor_grades_queries_of_the_sets():
    rows = [json.loads(line) for line in agreement.RECORD.read_text(encoding="utf-8").splitlines()]
    ids = {q.id for q in pooling.set_queries()}
    assert len(rows) >= 300 and {r["qid"] for r in rows} <= ids
    assert all(r["first"] in agreement.GRADES and r["second"] in agreement.GRADES for r in rows)
    assert len({(r["qid"], r["passage"]) for r in rows}) == len(rows)  # a passage once per query
