"""A second, independent assessor for passages the sets already grade: how often two people agree
on a grade, and whether the order search gives its top 10 is further from the judgments than a
second person's order is.

    KB_DATA_DIR=/tmp/evalidx python -m eval.agreement sample DIR [--queries 30] [--assessors 2]
    python -m eval.agreement check DIR N     # results_N.json grades every item of batch_N.json
    python -m eval.agreement score DIR
    python -m eval.agreement record DIR      # the grades into eval/second_assessor.jsonl
    python -m eval.agreement score eval/second_assessor.jsonl

`sample` draws queries from both sets (seeded) and writes, per assessor, `batch_N.json`: each
query with the hybrid top 10 in random order, no grade and no phrase shown. The grades the sets
give those passages (the first assessor, A: `kb.evaluation.judge`, 0 where nothing matched; every
top-10 passage has been graded, eval/README.md) and the ranks search gave them go to `key.json`,
which an assessor never reads. The assessor (B) follows eval/REGRADING.md and writes
`results_N.json`: `{"<item>": {"grade": 0-3}}`. `score` prints how A and B agree (exact, within
one grade, Cohen's kappa with quadratic weights, and on relevant or not) and, within each query's
top 10, nDCG@10 of three orders judged by either assessor: search's, A's and B's. `record` keeps
the grades in `eval/second_assessor.jsonl` (passages named by a hash of their words, as
eval/pooled.jsonl does), from which `score` gives the same figures without the folder.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from statistics import fmean

import numpy as np

from eval.pooling import passage_key, read_rounds, set_queries
from kb.evaluation import EvalQuery, judge, ndcg_at_k

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "eval" / "second_assessor.jsonl"
GRADES = (0, 1, 2, 3)


def sample(run, queries: Sequence[EvalQuery], n: int, assessors: int, seed: int = 11) -> tuple[list[list[dict]], dict]:
    """Batches of `n` queries drawn at random, split among `assessors`, and the key: for each item
    its query, A's grade and search's rank. `run(query)` gives the ranked hits."""
    rng = random.Random(seed)
    drawn = rng.sample(list(queries), n)
    batches: list[list[dict]] = [[] for _ in range(assessors)]
    key: dict[str, dict] = {}
    for i, q in enumerate(drawn):
        passages = []
        for rank, hit in enumerate(run(q.query)):
            item = f"{q.id}#{hit.chunk_id}"
            key[item] = {"qid": q.id, "rank": rank, "grade": judge(hit.text, q)}
            passages.append({"item": item, "kommun": hit.kommun, "report": hit.title,
                             "section": hit.section, "text": hit.text})
        rng.shuffle(passages)
        batches[i % assessors].append({"qid": q.id, "query": q.query, "kind": q.kind, "passages": passages})
    return batches, key


def kappa(first: Sequence[int], second: Sequence[int], weighted: bool = True) -> float:
    """Cohen's kappa of two graders over the same items; quadratic weights by default, so
    grading 3 against 2 counts as a smaller disagreement than 3 against 0."""
    levels = sorted(set(first) | set(second))
    if len(levels) < 2:
        return 1.0
    index = {g: i for i, g in enumerate(levels)}
    observed = np.zeros((len(levels), len(levels)))
    for a, b in zip(first, second, strict=True):
        observed[index[a], index[b]] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    i, j = np.indices(observed.shape)
    weights = ((i - j) / (len(levels) - 1)) ** 2 if weighted else (i != j).astype(float)
    return float(1 - (weights * observed).sum() / (weights * expected).sum())


def order_ndcg(order: Sequence[str], grades: dict[str, int]) -> float:
    """nDCG of one order of a query's top 10, judged by one assessor's grades of the same
    passages (the ideal is that assessor's own order of them)."""
    return ndcg_at_k([grades[i] for i in order], list(grades.values()))


def scores(key: dict[str, dict], results: dict[str, dict]) -> dict[str, float]:
    """Agreement and the within-top-10 nDCG of each order under each assessor, over the items
    both graded."""
    items = [i for i in key if i in results]
    a = [key[i]["grade"] for i in items]
    b = [int(results[i]["grade"]) for i in items]
    found: dict[str, float] = {
        "passages": len(items), "queries": len({key[i]["qid"] for i in items}),
        "exact": fmean(x == y for x, y in zip(a, b, strict=True)),
        "within one": fmean(abs(x - y) <= 1 for x, y in zip(a, b, strict=True)),
        "kappa (quadratic)": kappa(a, b),
        "kappa (relevant or not)": kappa([x > 0 for x in a], [y > 0 for y in b], weighted=False),
    }
    by_query: dict[str, list[str]] = {}
    for i in sorted(items, key=lambda i: key[i]["rank"]):
        by_query.setdefault(key[i]["qid"], []).append(i)
    runs: dict[str, list[float]] = {}
    for ranked in by_query.values():
        first = {i: key[i]["grade"] for i in ranked}
        second = {i: int(results[i]["grade"]) for i in ranked}
        orders = {  # ties keep search's order, so an assessor's order differs from search only where grades do
            "search": ranked,
            "A": sorted(ranked, key=lambda i: -first[i]),
            "B": sorted(ranked, key=lambda i: -second[i]),
        }
        for judge_name, grades in (("A", first), ("B", second)):
            if not any(grades.values()):
                continue  # nothing relevant to that assessor: no order is better than another
            for name, order in orders.items():
                runs.setdefault(f"nDCG@10 of {name}'s order judged by {judge_name}", []).append(
                    order_ndcg(order, grades))
    found.update({name: fmean(values) for name, values in runs.items()})
    return found


def confusion(key: dict[str, dict], results: dict[str, dict]) -> str:
    """A's grades as rows, B's as columns."""
    counts = np.zeros((len(GRADES), len(GRADES)), dtype=int)
    for item, r in results.items():
        if item in key:
            counts[key[item]["grade"], int(r["grade"])] += 1
    lines = ["A \\ B " + "".join(f"{g:>6}" for g in GRADES)]
    lines += [f"{g:>5} " + "".join(f"{c:>6}" for c in row) for g, row in zip(GRADES, counts, strict=True)]
    return "\n".join(lines)


def problems(batches: list[list[dict]], results: dict) -> list[str]:
    return [f"{p['item']}: needs a grade 0-3" for b in batches for q in b for p in q["passages"]
            if (results.get(p["item"]) or {}).get("grade") not in GRADES]


def record_rows(batches: list[list[dict]], key: dict[str, dict], results: dict[str, dict]) -> list[dict]:
    """One row per graded passage: query, passage (hash of its words), search's rank then, and
    both assessors' grades."""
    return [{"qid": q["qid"], "passage": passage_key(p["text"]), "rank": key[p["item"]]["rank"],
             "first": key[p["item"]]["grade"], "second": int(results[p["item"]]["grade"])}
            for b in batches for q in b for p in q["passages"]]


def from_record(path: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """The key and results `scores` takes, read back from a record."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    key = {f"{r['qid']}#{r['passage']}": {"qid": r["qid"], "rank": r["rank"], "grade": r["first"]} for r in rows}
    results = {f"{r['qid']}#{r['passage']}": {"grade": r["second"]} for r in rows}
    return key, results


def _print_scores(key: dict[str, dict], results: dict[str, dict]) -> None:
    for name, value in scores(key, results).items():
        print(f"{name:<40} {value:.3f}" if isinstance(value, float) else f"{name:<40} {value}")
    print(confusion(key, results))


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("sample", "check", "score", "record"):
        raise SystemExit(__doc__)
    command, folder = argv[0], Path(argv[1])
    if command == "score" and folder.is_file():
        _print_scores(*from_record(folder))
        return 0
    if command == "check":
        n = argv[2]
        batch = json.loads((folder / f"batch_{n}.json").read_text(encoding="utf-8"))
        result_file = folder / f"results_{n}.json"
        results = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else {}
        missing = problems([batch], results)
        print("\n".join(missing) or f"{len(results)} grades, none missing")
        return 1 if missing else 0
    if command == "sample":
        from eval.corpus import open_index
        from kb.search import Searcher

        def option(name: str, default: int) -> int:
            return int(argv[argv.index(name) + 1]) if name in argv else default

        searcher = Searcher(open_index())
        batches, key = sample(lambda text: searcher.search(text, 10).hits, set_queries(),
                              option("--queries", 30), option("--assessors", 2))
        folder.mkdir(parents=True, exist_ok=True)
        for n, batch in enumerate(batches, start=1):
            (folder / f"batch_{n}.json").write_text(json.dumps(batch, ensure_ascii=False, indent=1), encoding="utf-8")
        (folder / "key.json").write_text(json.dumps(key, indent=1), encoding="utf-8")
        print(f"{len(key)} passages of {sum(map(len, batches))} queries in {len(batches)} batches")
        return 0
    batches, results = read_rounds(folder)
    missing = problems(batches, results)
    if missing:
        print("\n".join(missing))
        return 1
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    if command == "record":
        rows = record_rows(batches, key, results)
        RECORD.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} passages recorded in {RECORD.relative_to(REPO)}")
        return 0
    _print_scores(key, results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
