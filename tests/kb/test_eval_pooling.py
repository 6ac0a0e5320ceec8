"""Pooled judging (eval/pooling.py) on the real query sets and the real reports they name."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from eval.pooling import (
    SETS,
    graded,
    merge,
    passage_key,
    phrase_problems,
    pool,
    record,
    result_problems,
    source_of,
    sources,
)
from kb.evaluation import load_queries, normalise

REPO = Path(__file__).resolve().parents[2]
ALE = "002_b584caaa1296d239.txt"
PHRASE = "Det ställs krav på att vara arbetssökande eller delta i aktivitet inom AME."
pytestmark = pytest.mark.usefixtures("shared")


@pytest.fixture(scope="module")
def dev() -> list:
    return load_queries(REPO / "eval" / "dev.jsonl")


def _paragraph(words: str) -> str:
    return next(p for p in sources()[ALE].split("\n\n") if words in p).strip()


def test_a_phrase_must_name_one_place_of_one_report_on_one_line():
    assert phrase_problems("Aktgranskning har genomförts i 11 försörjningsstödsärenden.", ALE) == []
    assert phrase_problems("försörjningsstöd", ALE)[0].startswith("occurs ")  # everywhere
    assert "also occurs in another report" in phrase_problems("Arbetsförmedlingen", ALE)
    broken = phrase_problems("Verksamheten inom arbetsmarknadsenheten bedrivs inom dels", ALE)
    assert broken == ["spans a line break"]  # a page break cuts that sentence in the source
    assert phrase_problems("ingen rapport har denna mening", "finns-inte.txt") == ["unknown file finns-inte.txt"]


def test_a_pooled_passage_is_traced_to_its_report_by_its_words():
    passage = _paragraph("Aktgranskning har genomförts i 11")
    assert source_of(passage) == ALE
    assert source_of(passage.replace("Aktgranskning", "**Aktgranskning**")) == ALE  # markup a reader drops
    with pytest.raises(ValueError, match="no report holds"):
        source_of("7. Granskningsresultat")  # a bare heading: too short to tell


def test_pool_leaves_out_judged_and_already_pooled_passages_and_keeps_queries_whole(dev):
    queries = dev[:6]
    paragraphs = [p.strip() for p in sources()[ALE].split("\n\n") if len(p.strip()) > 200][:8]
    hits = [SimpleNamespace(chunk_id=f"ale-{i}", kommun="Ale", title="Granskning", section="7", text=text)
            for i, text in enumerate(paragraphs)]
    judged = next(q for q in dev[6:] if any(normalise(r.phrase) in normalise(h.text) for r in q.relevant for h in hits))
    seen = {(queries[0].id, passage_key(paragraphs[0]))}
    batches = pool(lambda text, mode: hits, [*queries, judged], seen, assessors=3)
    assert len(batches) == 3
    pooled = {(q["qid"], p["chunk_id"]) for b in batches for q in b for p in q["passages"]}
    assert (queries[0].id, "ale-0") not in pooled
    assert not any(judged.id == qid and any(normalise(r.phrase) in normalise(paragraphs[int(c[4:])])
                                            for r in judged.relevant) for qid, c in pooled)
    per_query = [q["qid"] for b in batches for q in b]
    assert len(per_query) == len(set(per_query))  # a query is one assessor's
    assert all(p["file"] == ALE for b in batches for q in b for p in q["passages"])


def _batch(dev) -> list[dict]:
    query = next(q for q in dev if q.id == "dev-003")
    passage = _paragraph("Aktgranskning har visat på att rutiner")
    return [{"qid": query.id, "query": query.query, "kind": query.kind,
             "already_judged": [{"phrase": r.phrase, "grade": r.grade} for r in query.relevant],
             "passages": [{"item": "dev-003#a", "chunk_id": "a", "file": ALE, "text": passage},
                          {"item": "dev-003#b", "chunk_id": "b", "file": ALE, "text": passage}]}]


def test_check_names_every_broken_grade_and_phrase(dev):
    batch = _batch(dev)
    good = {"dev-003#a": {"grade": 2, "phrase": PHRASE}, "dev-003#b": {"grade": 0}}
    assert result_problems(batch, good) == []
    bad = {"dev-003#a": {"grade": 2, "phrase": "krav"}, "dev-003#b": {"grade": 5}}
    problems = result_problems(batch, bad)
    assert "dev-003#b: needs a grade 0-3" in problems
    assert "dev-003#a: 4 characters, not 30-120" in problems
    judged_again = {"dev-003#a": {"grade": 1, "phrase": batch[0]["already_judged"][1]["phrase"]},
                    "dev-003#b": {"grade": 1, "phrase": "Ärendena är tydliga och lätta att följa"}}
    problems = result_problems(batch, judged_again)
    assert "dev-003#a: already a phrase of this query" in problems
    assert "dev-003#b: not in the passage text" in problems


def test_merge_adds_a_graded_passage_once_as_pooled(dev):
    batch = _batch(dev)
    results = {"dev-003#a": {"grade": 2, "phrase": PHRASE},
               "dev-003#b": {"grade": 1, "unphraseable": True, "phrase": None}}
    rows = [json.loads(line) for line in (REPO / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    before = copy.deepcopy(rows)
    assert merge([batch], results, rows) == 1
    row = next(r for r in rows if r["id"] == "dev-003")
    assert row["relevant"][-1] == {"phrase": PHRASE, "grade": 2, "file": ALE, "by": "pool"}
    assert merge([batch], results, rows) == 0  # merging twice adds nothing
    assert [r for r in rows if r["id"] != "dev-003"] == [r for r in before if r["id"] != "dev-003"]


def test_every_grade_is_recorded_once_so_no_round_asks_again(dev, tmp_path):
    batch = _batch(dev)
    record_file = tmp_path / "pooled.jsonl"
    results = {"dev-003#a": {"grade": 2, "phrase": PHRASE}, "dev-003#b": {"grade": 0}}
    assert record([batch], results, record_file) == 1  # both items hold the same passage: one key
    assert record([batch], results, record_file) == 0
    assert graded(record_file) == {("dev-003", passage_key(batch[0]["passages"][0]["text"]))}
    assert passage_key(" Aktgranskning  har\nvisat") == passage_key("Aktgranskning har visat")


def test_the_shipped_record_covers_the_judging_of_the_sets():
    shipped = graded()
    assert len(shipped) > 1500 and {qid.split("-")[0] for qid, _ in shipped} == set(SETS)
