"""The query sets stay answerable: every judged phrase is found once in its report."""

import os
import re
from collections import Counter
from pathlib import Path

import pytest

from kb.evaluation import KINDS, EvalQuery, load_queries, normalise

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("KB_SHARED_DIR", REPO.parent / "shared"))
SETS = {"dev": (REPO / "eval" / "dev.jsonl", 60), "heldout": (REPO / "eval" / "heldout.jsonl", 30),
        "transfer": (REPO / "eval" / "transfer.jsonl", 40)}


def _load(name: str) -> list[EvalQuery]:
    return load_queries(SETS[name][0])


def _all_relevant():
    return [(name, q, r) for name in SETS for q in _load(name) for r in q.relevant]


@pytest.mark.parametrize("name", SETS)
def test_set_size_ids_and_kinds(name):
    queries = _load(name)
    assert len(queries) >= SETS[name][1]
    assert all(q.id.startswith(f"{name}-") for q in queries)
    assert set(KINDS) <= {q.kind for q in queries}
    for q in queries:
        phrases = [normalise(r.phrase) for r in q.relevant]
        assert len(set(phrases)) == len(phrases), q.id
        if q.kind == "no_diacritics":
            assert not re.search("[åäöÅÄÖéü]", q.query), q.id


def test_ids_unique_and_no_query_shared_between_sets():
    queries = [q for name in SETS for q in _load(name)]
    ids = Counter(q.id for q in queries)
    assert [i for i, n in ids.items() if n > 1] == []
    texts = Counter(normalise(q.query).casefold() for q in queries)
    assert [t for t, n in texts.items() if n > 1] == []


def test_phrase_lengths():
    bad = [(q.id, r.phrase) for _, q, r in _all_relevant() if not 20 <= len(normalise(r.phrase)) <= 200]
    assert bad == []


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason=f"no seed reports in {SHARED}; set KB_SHARED_DIR")
def test_every_phrase_occurs_once_in_its_file_within_one_line():
    """Once, or as often as its `copies` says where the report repeats the passage word for
    word; never in another report, and every occurrence on one line (eval/pooling.py's rules)."""
    from eval.pooling import phrase_problems

    problems = [(q.id, r.phrase, p) for _, q, r in _all_relevant() for p in phrase_problems(r.phrase, r.file, r.copies)]
    assert problems == []


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason=f"no seed reports in {SHARED}; set KB_SHARED_DIR")
def test_the_evaluation_corpus_holds_every_document_a_set_names(capsys):
    from eval import corpus

    assert corpus.main() == 0
    printed = [Path(line) for line in capsys.readouterr().out.split("\n") if line]
    assert printed == corpus.ingest_paths() and all(p.exists() for p in printed)
    # corpus/ holds the five seed reports the sets name, under other names: the same bytes
    contents = sorted(p.read_bytes() for p in (REPO / "corpus").glob("*.txt"))
    assert contents == sorted(p.read_bytes() for p in corpus.reports() if p.parent.name == "seeds")
    named = {r.file for _, _, r in _all_relevant()}
    assert named == {p.name for p in corpus.sources()}, "a set names a file outside eval/corpus.py, or one no set uses"


def test_the_evaluation_corpus_says_where_it_looked_when_the_shared_folder_is_missing(tmp_path, monkeypatch, capsys):
    from eval import corpus

    monkeypatch.setenv("KB_SHARED_DIR", str(tmp_path))
    assert corpus.main() == 1
    assert "KB_SHARED_DIR" in capsys.readouterr().err


def test_training_and_pooling_refuse_an_index_without_the_evaluation_corpus(fake_index, monkeypatch):
    from eval import corpus

    monkeypatch.setenv("KB_DATA_DIR", str(fake_index.config.data_dir))
    monkeypatch.setenv("KB_MODEL", fake_index.config.model)
    with pytest.raises(SystemExit, match=r"lacks documents the query sets are judged on \(000_f95ae1448ac3ea46.txt, "):
        corpus.open_index()
