"""The learned reranker: LambdaMART (LightGBM) over the signals hybrid search already has.

Fusion (`kb.search`) scores each candidate by a hand-tuned sum of four signals; what it leaves
is the order among relevant passages. A small gradient-boosted ranker, trained on the graded
judgments of `eval/dev.jsonl` by `python -m eval.train_ranker`, reorders the candidates from the
same signals plus what a passage is (section type, length) and how its report fares
among the candidates. It sees no word of the query or passage, only these numbers, so it carries
no vocabulary of the six evaluation reports. Kept because the held-out set says so
(docs/retrieval.md); `eval/heldout.jsonl` is never trained on.

The model is `kb/data/ranker.txt`, LightGBM's own text format, evaluated here with numpy
(`Trees`); `kb/data/ranker.json` records what it was trained on. Features are built in one
place, here, for search and training alike.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.models import SECTION_TYPES, Chunk

MODEL_PATH = Path(__file__).parent / "data" / "ranker.txt"
INFO_PATH = MODEL_PATH.with_suffix(".json")
#: Retriever ranks are capped here, and a candidate one retriever did not return gets it: the
#: ranker was trained on 50 candidates a side, and larger k must not move features beyond that.
RANK_CAP = 60
FEATURES = (
    "fused", "fused_rank", "dense", "lexical", "coverage", "lines", "dense_rank", "lexical_rank",
    "dense_found", "lexical_found", "log_length", "question", "query_words",
    "report_best", "report_count", *(f"section_{t}" for t in SECTION_TYPES),
)


@dataclass(frozen=True)
class Signals:
    """What fusion knows of each candidate, aligned with `ids` (`kb.search.Searcher._signals`):
    each relative to the best candidate, so queries compare."""

    ids: list[str]
    dense: np.ndarray  # cosine minus the best candidate's (the dense list's lowest if not found)
    lexical: np.ndarray  # BM25 over the best candidate's, 0 if not found
    coverage: np.ndarray  # share of the query's weighted terms the passage holds
    lines: np.ndarray  # best piece cosine minus the best candidate's best piece
    fused: np.ndarray  # the hand-tuned fused score
    dense_rank: np.ndarray  # position in the dense list, RANK_CAP if absent
    lexical_rank: np.ndarray


def features(query: str, signals: Signals, chunks: dict[str, Chunk]) -> np.ndarray:
    """One row of FEATURES per candidate (a candidate missing from `chunks` gets zeros for what
    its text would give)."""
    n = len(signals.ids)
    fused = signals.fused - (signals.fused.max() if n else 0.0)
    order = np.argsort(-fused, kind="stable")
    fused_rank = np.empty(n)
    fused_rank[order] = np.arange(n)
    texts = [chunks[c].text if c in chunks else "" for c in signals.ids]
    reports = [chunks[c].report_id if c in chunks else c for c in signals.ids]
    report_best: dict[str, float] = defaultdict(lambda: -np.inf)
    report_count: dict[str, int] = defaultdict(int)
    for report, score in zip(reports, fused, strict=True):
        report_best[report] = max(report_best[report], score)
        report_count[report] += 1
    section = np.zeros((n, len(SECTION_TYPES)))
    for i, cid in enumerate(signals.ids):
        if cid in chunks and chunks[cid].section_type in SECTION_TYPES:
            section[i, SECTION_TYPES.index(chunks[cid].section_type)] = 1.0
    columns = [
        fused, np.log1p(fused_rank), signals.dense, signals.lexical, signals.coverage, signals.lines,
        np.log1p(signals.dense_rank), np.log1p(signals.lexical_rank),
        (signals.dense_rank < RANK_CAP).astype(float), (signals.lexical_rank < RANK_CAP).astype(float),
        np.log([max(len(t), 1) for t in texts]),
        np.full(n, float(query.rstrip().endswith("?"))), np.full(n, float(len(query.split()))),
        [report_best[r] for r in reports], [float(report_count[r]) for r in reports],
    ]
    return np.column_stack([np.asarray(c, dtype=float) for c in columns] + [section]) if n else \
        np.zeros((0, len(FEATURES)))


def ranks(ranked: Sequence[tuple[str, float]], ids: Sequence[str]) -> np.ndarray:
    """Each id's position in a retriever's list, capped at RANK_CAP (and RANK_CAP if absent)."""
    position = {cid: i for i, (cid, _) in enumerate(ranked)}
    return np.array([min(position.get(cid, RANK_CAP), RANK_CAP) for cid in ids], dtype=float)


class Trees:
    """A LightGBM model (its text format) evaluated with numpy, so a serving process never imports
    LightGBM, whose import pulls in scikit-learn (bench/serve.py measured 0.6 s and 82 MB more per
    started server with it; docs/benchmarks.md). Training still uses LightGBM; a test checks that
    predictions equal its own.

    Every tree's nodes go into flat arrays, a leaf being a node that leads to itself, so all rows
    walk all trees at once for as many steps as the deepest tree has levels. The rule at a node is
    LightGBM's numerical decision (`Tree::NumericalDecision`): a value that is missing by the
    node's missing type (zero or NaN) goes the default way; otherwise left when value <= threshold,
    NaN counting as 0 where NaN is not the missing type. Categorical splits and linear trees, which
    the ranker does not use, are refused."""

    def __init__(self, text: str) -> None:
        header, *blocks = text.split("\nTree=")
        self.text = text
        self.feature_names = tuple(_fields(header).get("feature_names", "").split())
        feature: list[int] = []
        threshold: list[float] = []
        decision: list[int] = []
        left: list[int] = []
        right: list[int] = []
        value: list[float] = []
        roots: list[int] = []
        self.depth = 0
        for block in blocks:
            tree = _fields(block.split("\nend of trees")[0])
            if int(tree.get("num_cat", 0)) or int(tree.get("is_linear", 0)):
                raise ValueError("the model has categorical splits or linear trees, which kb.rerank cannot evaluate")
            leaves = [float(v) for v in tree["leaf_value"].split()]
            inner, base = len(leaves) - 1, len(feature)
            roots.append(base)
            if inner:
                children = [[int(c) for c in tree[side].split()] for side in ("left_child", "right_child")]

                def node(child: int, base: int = base, inner: int = inner) -> int:
                    return base + child if child >= 0 else base + inner + ~child  # ~child: the leaf's number

                feature += map(int, tree["split_feature"].split())
                threshold += map(float, tree["threshold"].split())
                decision += map(int, tree["decision_type"].split())
                left += map(node, children[0])
                right += map(node, children[1])
                value += [0.0] * inner
                self.depth = max(self.depth, _depth(children, 0))
            for i, leaf in enumerate(leaves):
                me = base + inner + i
                feature.append(0)
                threshold.append(np.inf)
                decision.append(0)
                left.append(me)
                right.append(me)
                value.append(leaf)
        self._feature = np.array(feature, dtype=np.intp)
        self._threshold = np.array(threshold, dtype=float)
        decisions = np.array(decision, dtype=np.int64)
        self._default_left = (decisions & _DEFAULT_LEFT) > 0
        self._missing = (decisions >> 2) & 3
        self._left = np.array(left, dtype=np.intp)
        self._right = np.array(right, dtype=np.intp)
        self._value = np.array(value, dtype=float)
        self._roots = np.array(roots, dtype=np.intp)

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """The model's raw score for each row: the sum of its leaves, tree after tree."""
        rows = np.asarray(rows, dtype=float)
        if not len(rows) or not len(self._roots):
            return np.zeros(len(rows))
        node = np.tile(self._roots, (len(rows), 1))
        row = np.arange(len(rows))[:, None]
        for _ in range(self.depth):
            x = rows[row, self._feature[node]]
            missing = self._missing[node]
            x = np.where(np.isnan(x) & (missing != _MISSING_NAN), 0.0, x)
            default = ((missing == _MISSING_ZERO) & (np.abs(x) <= _ZERO)) | ((missing == _MISSING_NAN) & np.isnan(x))
            go_left = np.where(default, self._default_left[node], x <= self._threshold[node])
            node = np.where(go_left, self._left[node], self._right[node])
        return self._value[node].cumsum(axis=1)[:, -1]  # summed in tree order, as LightGBM does


#: LightGBM's decision_type bits and kZeroThreshold (include/LightGBM/tree.h, meta.h).
_DEFAULT_LEFT, _MISSING_ZERO, _MISSING_NAN, _ZERO = 2, 1, 2, 1e-35


def _depth(children: list[list[int]], node: int) -> int:
    """Levels below an inner node, down to its deepest leaf."""
    return 1 + max(_depth(children, c) if c >= 0 else 0 for c in (children[0][node], children[1][node]))


def _fields(block: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


class Reranker:
    """A trained model; `scores` gives each candidate's score, higher first."""

    def __init__(self, model: Trees) -> None:
        if model.feature_names != FEATURES:
            raise ValueError(f"the ranker was trained on other features ({', '.join(model.feature_names)}); "
                             "retrain it: python -m eval.train_ranker")
        self.model = model

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Reranker:
        try:
            model = Trees(path.read_text(encoding="utf-8"))
        except (KeyError, ValueError, IndexError) as exc:
            raise ValueError(f"{path} is not a LightGBM model kb can read ({exc!r}); "
                             "retrain it: python -m eval.train_ranker") from exc
        return cls(model)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return self.model.predict(rows)


@lru_cache(maxsize=1)
def default_reranker() -> Reranker:
    """The shipped model, loaded once per process."""
    return Reranker.load()


def info() -> dict:
    """What the shipped model was trained on (written by eval/train_ranker.py)."""
    return json.loads(INFO_PATH.read_text(encoding="utf-8"))


def fingerprint(path: Path) -> str:
    """The SHA-256 of a query set, as `kb/data/ranker.json` records the one the model learned from."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def trained_on(path: Path) -> bool:
    """Whether the shipped model learned from this query set as it is now."""
    return fingerprint(path) == info()["sha256"]
