"""Line vectors: pieces of real chunks, their storage beside the chunks, and their use in fusion."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.removal import remove_report
from kb import lines
from kb.chunking import chunk_document
from kb.models import Document
from kb.search import Searcher
from tests.conftest import CORPUS, ingest_folder


def _real_chunks(name: str = "mellerud"):
    """The chunks of one real report from corpus/, cut as the pipeline cuts them."""
    from ingest.structure import find_sections

    path = next(p for p in sorted(CORPUS.glob("*.txt")) if name in p.name)
    text = path.read_text(encoding="utf-8")
    return chunk_document(name, Document(text, "txt"), find_sections(text, markdown=False))


def test_pieces_cover_a_real_report_in_short_runs_of_its_own_text():
    chunks = _real_chunks()
    for chunk in chunks:
        spans = lines.piece_spans(chunk.text)
        assert [a for a, _ in spans] == sorted(a for a, _ in spans)
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))  # no overlap
        for piece in lines.pieces(chunk.text):
            assert len(piece) >= lines.MIN_KEPT_CHARS and "\n" not in piece
            assert piece in " ".join(chunk.text.split())
        # all text is in some piece; only scraps under MIN_KEPT_CHARS (a lone short line) are left out
        left = list(chunk.text)
        for a, b in spans:
            left[a:b] = "\n" * (b - a)
        assert all(len(rest.strip()) < lines.MIN_KEPT_CHARS for rest in "".join(left).split("\n"))
    all_pieces = [p for c in chunks for p in lines.pieces(c.text)]
    assert len(all_pieces) > 2 * len(chunks)  # finer than the chunks, which is the point
    # a window is at most MAX_PIECE_CHARS or one sentence, plus a short line merged on either side
    for piece in all_pieces:
        longest = max(map(len, lines._SENTENCE_END.split(piece)))
        assert len(piece) <= max(lines.MAX_PIECE_CHARS, longest) + 2 * lines.MIN_PIECE_CHARS


def test_a_heading_joins_the_paragraph_it_heads():
    text = "Extern samverkan\n\nI kommunen har såväl extern som intern samverkan en grund i sekretesslättnad."
    assert lines.pieces(text) == [" ".join(text.split())]


def test_a_long_paragraph_is_cut_at_sentence_ends():
    sentence = "Nämnden har inte säkerställt en tillräcklig uppföljning av verksamhetens mål. "
    spans = lines.piece_spans(sentence * 6)
    assert len(spans) == 3
    assert all((sentence * 6)[a:b].endswith("mål.") for a, b in spans)


def test_blobs_keep_vectors_to_float16_precision():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    back = lines.from_blob(lines.to_blob(vectors), 384)
    assert back.shape == (5, 384) and np.abs(back - vectors).max() < 1e-3


def test_best_similarity_is_the_best_piece_and_ignores_foreign_blobs():
    eye = np.eye(4, dtype=np.float32)
    query = np.array([0.0, 0.6, 0.8, 0.0], dtype=np.float32)
    best = lines.best_similarity(query, {"a": lines.to_blob(eye[:2]), "b": lines.to_blob(eye[2:]),
                                         "other-model": lines.to_blob(np.ones((1, 3)))})
    assert best == pytest.approx({"a": 0.6, "b": 0.8}, abs=1e-3)


def _line_rows(index) -> dict[str, bytes]:
    return {row[0]: row[1] for row in index.catalog.conn.execute("SELECT chunk_id, vectors FROM line_vectors")}


def test_ingest_stores_each_chunks_pieces_and_removal_drops_them(fake_index, corpus_copy):
    ingest_folder(fake_index, corpus_copy)
    catalog, dim = fake_index.catalog, fake_index.embedder.dim
    rows = _line_rows(fake_index)
    assert set(rows) <= catalog.chunk_ids()
    for report in catalog.reports():
        for chunk in catalog.chunks_of(report.id):
            expected = lines.pieces(chunk.text)
            if not expected:
                assert chunk.id not in rows
                continue
            stored = lines.from_blob(rows[chunk.id], dim)
            want = fake_index.embedder.embed_passages(expected)
            assert np.abs(stored - want).max() < 1e-2  # the same pieces, in order
    gone = catalog.reports()[0]
    gone_ids = catalog.chunk_ids_of(gone.id)
    assert gone_ids & set(rows)
    remove_report(fake_index, gone.id)
    assert set(_line_rows(fake_index)) == set(rows) - gone_ids


def test_an_index_without_line_vectors_ranks_as_before(fake_index, corpus_copy):
    """An index built before line vectors: same ranking as fusion without them, no error."""
    ingest_folder(fake_index, corpus_copy)
    searcher = Searcher(fake_index)
    query = "uppföljning av försörjningsstöd"
    vector = fake_index.embedder.embed_query(query)
    dense = fake_index.vectors.query(vector, 50)
    lexical = fake_index.lexical.search(query, 50)
    with_lines = searcher._fuse(query, dense, lexical, vector)
    with fake_index.catalog.transaction() as db:
        db.execute("DELETE FROM line_vectors")
    assert searcher._fuse(query, dense, lexical, vector) == searcher._fuse(query, dense, lexical)
    assert searcher.search(query, k=10).hits
    assert [c for c, _ in with_lines] != [c for c, _ in searcher._fuse(query, dense, lexical)]


def test_real_model_finds_the_piece_a_query_paraphrases(corpus_index):
    """With e5, a query made of one piece's words scores that piece highest within its chunk,
    so the stored rows belong to the right chunk, in the right order."""
    catalog, embedder = corpus_index.catalog, corpus_index.embedder
    checked = 0
    for report in catalog.reports():
        for chunk in catalog.chunks_of(report.id):
            found = lines.pieces(chunk.text)
            if len(found) < 4:
                continue
            blob = catalog.line_vectors([chunk.id])[chunk.id]
            rows = lines.from_blob(blob, embedder.dim)
            assert rows.shape[0] == len(found)
            target = len(found) // 2
            sims = rows @ embedder.embed_query(found[target])
            assert int(np.argmax(sims)) == target
            checked += 1
            break
    assert checked >= 3


def test_an_index_from_before_line_vectors_is_re_embedded_by_the_next_ingest(fake_index, corpus_copy, monkeypatch):
    """The pipeline version is in every report's fingerprint: an index written by the previous
    version (no line vectors) is re-ingested as "updated" and gains them."""
    import ingest.pipeline as pipeline

    with monkeypatch.context() as old:
        old.setattr(pipeline, "PIPELINE_VERSION", "1")
        old.setattr(pipeline, "pieces", lambda text: [])  # as before line vectors: none written
        first = ingest_folder(fake_index, corpus_copy)
    assert {o.status for o in first.outcomes} == {"added"} and _line_rows(fake_index) == {}
    again = ingest_folder(fake_index, corpus_copy)
    assert {o.status for o in again.outcomes} == {"updated"}
    rows = _line_rows(fake_index)
    assert rows and set(rows) <= fake_index.catalog.chunk_ids()
    assert {o.status for o in ingest_folder(fake_index, corpus_copy).outcomes} == {"unchanged"}
