"""Plain BM25 over paragraph chunks of the six seed reports: the starting point to beat.

Run from the repo root: KB_SHARED_DIR=/work/shared python -m eval.baseline_bm25
"""

from __future__ import annotations

import re
from pathlib import Path

import bm25s
import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

from eval import corpus
from kb.evaluation import (
    EvalReport,
    evaluate,
    format_table,
    load_queries,
    worst_queries,
)

REPO = Path(__file__).resolve().parents[1]

MAX_CHARS = 600


def paragraph_chunks(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """Split on blank lines and merge neighbours up to max_chars; longer paragraphs stay whole."""
    chunks: list[str] = []
    for para in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if not para:
            continue
        if chunks and len(chunks[-1]) + 2 + len(para) <= max_chars:
            chunks[-1] += "\n\n" + para
        else:
            chunks.append(para)
    return chunks


class BM25Search:
    """bm25s with the Snowball Swedish stemmer and Swedish stopwords."""

    def __init__(self, chunks: list[str]) -> None:
        self.chunks = chunks
        self.stemmer = Stemmer.Stemmer("swedish")
        self.retriever = bm25s.BM25()
        self.retriever.index(self._tokenize(chunks), show_progress=False)

    def _tokenize(self, texts: list[str]) -> bm25s.tokenization.Tokenized:
        return bm25s.tokenize(texts, stopwords=STOPWORDS_SWEDISH, stemmer=self.stemmer, show_progress=False)

    def __call__(self, query: str, k: int = 10) -> list[str]:
        ids, _scores = self.retriever.retrieve(self._tokenize([query]), k=min(k, len(self.chunks)),
                                               show_progress=False)
        return [self.chunks[i] for i in ids[0]]


def main() -> None:
    # The six reports dev and heldout were written from, as this baseline was first measured on.
    chunks = [c for f in corpus.reports() for c in paragraph_chunks(f.read_text(encoding="utf-8"))]
    search = BM25Search(chunks)
    print(f"{len(chunks)} chunks, mean {sum(map(len, chunks)) / len(chunks):.0f} chars\n")
    reports: dict[str, EvalReport] = {}
    for name in ("dev", "heldout"):
        reports[f"bm25 {name}"] = evaluate(search, load_queries(REPO / "eval" / f"{name}.jsonl"))
    print(format_table(reports))
    for name, report in reports.items():
        print(f"\n{name} by kind\n" + format_table(report.by_kind()))
        print(f"\n{name} worst queries")
        for row in worst_queries(report, n=5):
            print(f"  {row.id}  ndcg={row.ndcg:.2f}  {row.query}")


if __name__ == "__main__":
    main()
