"""The BM25 matrix answers exactly as FTS5 does, and only while it reflects the index."""

import json
import sqlite3
from pathlib import Path

import pytest

import kb.lexical as lexical
from kb import bm25_matrix
from kb.lexical import MATRIX_FILE, LexicalIndex
from tests.kb.test_lexical import SEEDS, needs_seeds, seed_chunks

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [json.loads(line)["query"] for name in ("dev", "heldout")
           for line in (ROOT / f"eval/{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
FILTERS = [{}, {"year_from": 2016}, {"year_to": 2016}, {"year_from": 2016, "year_to": 2017},
           {"firm": ["PwC"]}, {"firm": ["KPMG"]}, {"section_type": ["ovrigt"], "doc_type": ["granskningsrapport"]}]


def fields(kommun: str, year: int | None) -> dict:
    return {"kommun": kommun, "year": year, "firm": "PwC", "section_type": "ovrigt", "doc_type": "granskningsrapport"}


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    """The five seed reports, paragraph by paragraph, one of them without a year."""
    path = tmp_path_factory.mktemp("bm25") / "kb.sqlite"
    index = LexicalIndex(path)
    for n, seed in enumerate(SEEDS):
        chunks = seed_chunks(seed, 2015 + n)
        if n == len(SEEDS) - 1:
            chunks = [(cid, text, fields(f["kommun"], None)) for cid, text, f in chunks]
        index.upsert(seed.stem, chunks)
    index.close()
    return path


def fts_and_matrix(path: Path) -> tuple[LexicalIndex, LexicalIndex]:
    (path.parent / MATRIX_FILE).unlink(missing_ok=True)
    fts = LexicalIndex(path)
    fts.use_matrix = False
    built = LexicalIndex(path)
    assert built.build_matrix() is not None
    return fts, built


@needs_seeds
@pytest.mark.parametrize("common_min", [2000, 50])  # 50: the common-term rule is active too
def test_matrix_ranks_exactly_as_fts5(seeded_file, monkeypatch, common_min):
    monkeypatch.setattr(lexical, "COMMON_TERM_MIN_CHUNKS", common_min)
    fts, built = fts_and_matrix(seeded_file)
    compared = 0
    for query in QUERIES:
        for flt in FILTERS:
            want, got = fts.search(query, 20, flt), built.search(query, 20, flt)
            assert [c for c, _ in got] == [c for c, _ in want], (query, flt)
            assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-9)
            compared += bool(want)
    assert compared > len(QUERIES) * 3  # the filters leave most queries something to rank


def test_length_norm_counts_tokens_as_fts5_does(tmp_path):
    """NFKC turns "1½" into "11⁄2": one term to our analyzer, two tokens to FTS5's unicode61.
    BM25's length norm must count FTS5's tokens, or every score of such a chunk drifts."""
    path = tmp_path / "kb.sqlite"
    index = LexicalIndex(path)
    index.upsert("r1", [("r1:a", "Kostnaden ökade med 1½ miljon kronor.", fields("Ale", 2020)),
                        ("r1:b", "Kostnaden för försörjningsstöd ökade.", fields("Ale", 2020))])
    fts, built = fts_and_matrix(path)
    want, got = fts.search("kostnaden ökade", 5), built.search("kostnaden ökade", 5)
    assert [c for c, _ in got] == [c for c, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-12)


@needs_seeds
def test_saved_matrix_is_loaded_by_the_next_process(seeded_file):
    _, built = fts_and_matrix(seeded_file)
    reopened = LexicalIndex(seeded_file)
    assert reopened._current_matrix() is not None
    assert reopened.search("försörjningsstöd", 10) == built.search("försörjningsstöd", 10)


def test_a_change_makes_the_matrix_stale_until_rebuilt(tmp_path):
    index = LexicalIndex(tmp_path / "kb.sqlite")
    index.upsert("r1", [("r1:a", "Samverkan med Arbetsförmedlingen.", fields("Ale", 2020))])
    assert index.ensure_matrix()
    index.upsert("r2", [("r2:a", "Samverkan med Försäkringskassan.", fields("Orsa", 2021))])
    assert index._current_matrix() is None  # never answers from a matrix missing r2
    assert {c for c, _ in index.search("samverkan", 5)} == {"r1:a", "r2:a"}
    other = LexicalIndex(tmp_path / "kb.sqlite")  # another process's view: the saved file is old
    assert other._current_matrix() is None
    assert index.ensure_matrix() and index._current_matrix() is not None
    index.delete_report("r1")
    assert [c for c, _ in index.search("samverkan", 5)] == ["r2:a"]


def test_a_matrix_of_another_index_or_a_broken_file_is_ignored(tmp_path):
    first, second = tmp_path / "a" / "kb.sqlite", tmp_path / "b" / "kb.sqlite"
    for path, text in ((first, "Budgetuppföljning"), (second, "Internkontroll")):
        index = LexicalIndex(path)
        index.upsert("r1", [("r1:a", f"{text} i nämnden.", fields("Ale", 2020))])
        index.ensure_matrix()
        index.close()
    (second.parent / MATRIX_FILE).write_bytes((first.parent / MATRIX_FILE).read_bytes())  # same generation
    assert LexicalIndex(second)._current_matrix() is None
    (second.parent / MATRIX_FILE).write_bytes(b"PK\x03\x04 not really a zip file")
    reopened = LexicalIndex(second)
    assert reopened._current_matrix() is None
    assert [c for c, _ in reopened.search("internkontroll", 5)] == ["r1:a"]


def test_server_builds_a_stale_matrix_in_the_background(tmp_path):
    index = LexicalIndex(tmp_path / "kb.sqlite")
    index.build_in_background = True
    index.upsert("r1", [("r1:a", "Delegationsordningen följs inte.", fields("Ale", 2020))])
    assert [c for c, _ in index.search("delegationsordning", 5)] == ["r1:a"]  # FTS5 answers meanwhile
    index._building.join(timeout=60)
    assert index._current_matrix() is not None and (tmp_path / MATRIX_FILE).exists()
    assert [c for c, _ in index.search("delegationsordning", 5)] == ["r1:a"]


def test_an_unsaveable_matrix_is_still_used(tmp_path, monkeypatch):
    def refuse(self, path):
        raise OSError(28, "No space left on device")

    index = LexicalIndex(tmp_path / "kb.sqlite")
    index.upsert("r1", [("r1:a", "Attestordningen.", fields("Ale", 2020))])
    monkeypatch.setattr(bm25_matrix.Bm25Matrix, "save", refuse)
    assert index.ensure_matrix() and not (tmp_path / MATRIX_FILE).exists()
    assert [c for c, _ in index.search("attestordning", 5)] == ["r1:a"]


def test_in_memory_index_answers_from_fts5():
    conn = sqlite3.connect(":memory:")
    index = LexicalIndex.from_connection(conn)
    index.upsert("r1", [("r1:a", "Riskanalys saknas.", fields("Ale", 2020))])
    assert not index.ensure_matrix()
    assert [c for c, _ in index.search("riskanalys", 5)] == ["r1:a"]


def test_a_server_takes_the_matrix_another_process_saved(tmp_path, monkeypatch):
    """After `kb ingest` in another process has saved a current matrix, the server loads it."""
    server = LexicalIndex(tmp_path / "kb.sqlite")
    server.build_in_background = True
    ingest = LexicalIndex(tmp_path / "kb.sqlite")
    ingest.upsert("r1", [("r1:a", "Budgetuppföljningen brister.", fields("Ale", 2020))])
    assert ingest.ensure_matrix()

    def no_build(self):
        raise AssertionError("the server built a matrix that was saved already")

    monkeypatch.setattr(LexicalIndex, "build_matrix", no_build)
    assert [c for c, _ in server.search("budgetuppföljning", 5)] == ["r1:a"]
    server._building.join(timeout=60)
    assert server.matrix_current
