"""The lexical index on paragraphs of the real seed reports: recall through analysis, updates."""

import os
import re
import sqlite3
from pathlib import Path

import pytest

from kb.errors import BadQuery
from kb.lexical import LexicalIndex

SHARED = Path(os.environ.get("KB_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
needs_seeds = pytest.mark.skipif(not SEEDS, reason=f"no seed reports under {SHARED}")


def paragraphs(path: Path) -> list[str]:
    """Paragraphs long enough to be passages."""
    return [p.strip() for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")) if len(p.strip()) > 40]


def seed_chunks(path: Path, year: int) -> list[tuple[str, str, dict]]:
    fields = {"kommun": path.stem[:3], "year": year, "firm": "PwC", "section_type": "ovrigt",
              "doc_type": "granskningsrapport"}
    return [(f"{path.stem}:{i}", p, fields) for i, p in enumerate(paragraphs(path))]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    index = LexicalIndex(tmp_path_factory.mktemp("lex") / "kb.sqlite")
    texts = {}
    for n, path in enumerate(SEEDS):
        chunks = seed_chunks(path, 2015 + n)
        index.upsert(path.stem, chunks)
        texts.update({cid: text for cid, text, _ in chunks})
    yield index, texts
    index.close()


@pytest.fixture
def index(tmp_path):
    idx = LexicalIndex(tmp_path / "kb.sqlite")
    yield idx
    idx.close()


def f(text: str, **fields) -> dict:
    return {"kommun": "Orsa", "year": 2020, "firm": "PwC", "section_type": "ovrigt",
            "doc_type": "granskningsrapport", **fields} | {"_": text}


@needs_seeds
@pytest.mark.parametrize(
    ("query", "pattern"),
    [
        ("arbetsmarknad", r"Arbetsmarknadsenhet"),  # whole word never typed as such
        ("forsorjningsstod", r"[Ff]örsörjningsstöd"),
        ("FK", r"Försäkringskassan"),
        ("internal control", r"[Ii]ntern kontroll|[Ii]nternkontroll"),
        ("samverkan", r"[Ss]amverkansformer|[Ss]amverkan"),
        ("social assistance", r"[Ff]örsörjningsstöd|ekonomiskt bistånd"),
    ],
)
def test_seed_queries_find_matching_paragraphs(seeded, query, pattern):
    index, texts = seeded
    hits = index.search(query, 30)
    assert hits, query
    assert any(re.search(pattern, texts[cid]) for cid, _ in hits)


@needs_seeds
def test_scores_are_sorted_and_positive(seeded):
    hits = seeded[0].search("ekonomiskt bistånd arbetsmarknadsenheten", 20)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


@needs_seeds
@pytest.mark.parametrize(
    "query",
    ['"AND OR NEAR(', "*", "NOT", 'a" OR "b', "kommun*", "^start", "col:umn", "(((", "", "   ",
     "'; DROP TABLE lex_chunks; --", "\x00", "ö" * 5000],
)
def test_hostile_queries_never_raise(seeded, query):
    assert isinstance(seeded[0].search(query, 5), list)


@needs_seeds
def test_filters_restrict_results(seeded):
    index, _ = seeded
    first = SEEDS[0].stem
    hits = index.search("samverkan", 50, {"kommun": [first[:3]]})
    assert hits and all(cid.startswith(first) for cid, _ in hits)
    assert index.search("samverkan", 50, {"year_from": 2099}) == []
    in_2016 = index.search("samverkan", 50, {"year_from": 2016, "year_to": 2016})
    assert all(cid.startswith(SEEDS[1].stem) for cid, _ in in_2016)
    assert index.search("samverkan", 5, {"firm": ["KPMG"]}) == []


def test_unknown_filter_is_a_user_error(index):
    with pytest.raises(BadQuery):
        index.search("samverkan", 5, {"colour": ["red"]})
    with pytest.raises(BadQuery):
        index.search("samverkan", 5, {"year_from": "tjugohundra"})


def test_upsert_replaces_all_chunks_of_a_report(index):
    index.upsert("r1", [("r1:a", "Försörjningsstöd betalas ut.", f("")), ("r1:b", "Samverkan brister.", f(""))])
    index.upsert("r1", [("r1:c", "Internkontroll saknas.", f(""))])
    assert index.chunk_ids() == {"r1:c"}
    assert index.search("försörjningsstöd", 5) == []
    assert [c for c, _ in index.search("intern kontroll", 5)] == ["r1:c"]


def test_delete_removes_only_that_report(index):
    index.upsert("r1", [("r1:a", "Arbetsmarknadsenheten", f(""))])
    index.upsert("r2", [("r2:a", "Arbetsmarknadsenheten", f(""))])
    index.delete_report("r1")
    index.delete_report("does-not-exist")
    assert index.chunk_ids() == {"r2:a"}
    assert [c for c, _ in index.search("arbetsmarknad", 5)] == ["r2:a"]


def test_k_limits_and_zero(index):
    index.upsert("r1", [(f"r1:{i}", "Samverkan med Arbetsförmedlingen.", f("")) for i in range(5)])
    assert len(index.search("samverkan", 3)) == 3
    assert index.search("samverkan", 0) == []


def test_persists_and_concurrent_reader_sees_writes(tmp_path):
    path = tmp_path / "kb.sqlite"
    writer, reader = LexicalIndex(path), LexicalIndex(path)
    writer.upsert("r1", [("r1:a", "Kommunstyrelsen beslutade.", f(""))])
    assert [c for c, _ in reader.search("KS", 5)] == ["r1:a"]
    writer.close()
    reader.close()
    reopened = LexicalIndex(path)
    assert reopened.chunk_ids() == {"r1:a"}
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()


def test_from_connection_shares_the_catalog_file(tmp_path):
    conn = sqlite3.connect(tmp_path / "kb.sqlite")
    conn.execute("CREATE TABLE reports (id TEXT PRIMARY KEY)")
    index = LexicalIndex.from_connection(conn)
    index.upsert("r1", [("r1:a", "Socialnämnden följer upp.", f(""))])
    index.close()  # does not close a borrowed connection
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "reports" in tables and {"lex_chunks", "lex_vocab"} <= tables
    assert all(t == "reports" or t.startswith("lex_") for t in tables)


def test_corpus_vocabulary_lets_new_compounds_split(index):
    text = "Resurscentrum är en verksamhet. Resurscentrum samarbetar."
    index.upsert("r1", [("r1:a", text, f("")), ("r1:b", "Resurscentrum igen.", f(""))])
    index.upsert("r2", [("r2:a", "Resurscentrumenheten har fått nya lokaler.", f(""))])
    assert "r2:a" in {c for c, _ in index.search("resurscentrum", 5)}


def test_terms_in_most_chunks_of_a_large_index_are_not_matched(tmp_path, monkeypatch):
    """'kommun' stands in every chunk's context line; at scale it would make FTS5 score everything."""
    import kb.lexical as lexical

    monkeypatch.setattr(lexical, "COMMON_TERM_MIN_CHUNKS", 10)
    index = lexical.LexicalIndex(tmp_path / "lex.sqlite3")
    fields = {"kommun": "Ale", "year": 2015, "firm": "KPMG", "section_type": "ovrigt", "doc_type": "granskningsrapport"}
    rows = [(f"c{i}", f"Ale kommun. Stycke {i} om budget.", fields) for i in range(20)]
    rows.append(("s", "Ale kommun. Samverkan med Arbetsförmedlingen.", fields))
    index.upsert("r", rows)
    assert [c for c, _ in index.search("samverkan kommun", 50)] == ["s"]
    assert len(index.search("kommun", 50)) == 21  # a query of common words alone still matches
    monkeypatch.setattr(lexical, "COMMON_TERM_MIN_CHUNKS", 10_000)
    assert len(index.search("samverkan kommun", 50)) == 21


def test_a_query_is_analysed_again_when_the_vocabulary_grows(index):
    """Query analysis is remembered per query, but only for the vocabulary it was made with:
    once a report teaches the index "resurscentrum", the same query splits the compound."""
    index.upsert("r0", [("r0:a", "Enheten har fått nya lokaler.", f(""))])
    assert index.search("resurscentrumenheten", 5) == []
    text = "Resurscentrum är en verksamhet. Resurscentrum samarbetar."
    index.upsert("r1", [("r1:a", text, f("")), ("r1:b", "Resurscentrum igen.", f(""))])
    assert "r1:a" in {c for c, _ in index.search("resurscentrumenheten", 5)}
