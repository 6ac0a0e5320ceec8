"""Pooled judging: the passages the search methods put in their top 10 that no judged phrase
names, graded by assessors who cannot see which method returned them, merged into the sets.

    KB_DATA_DIR=/tmp/evalidx python -m eval.pooling pool DIR [--assessors 7]
    python -m eval.pooling check DIR       # each DIR/results_N.json against DIR/batch_N.json
    python -m eval.pooling merge DIR       # the graded passages into eval/*.jsonl (by: pool)

`pool` needs an index of the evaluation corpus (`kb ingest $(python -m eval.corpus)`) and
leaves out passages already graded for the query: eval/pooled.jsonl records every grade given,
0 too (the query and a hash of the passage's words), and `merge` adds to it. Each assessor gets
eval/ASSESSING.md and one batch_N.json, and writes results_N.json:
{"<item>": {"grade": 0-3, "phrase": "..."}} (`"unphraseable": true` for a passage the report
repeats word for word). How the sets were pooled so far: eval/README.md.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import unicodedata
from functools import cache
from pathlib import Path

from eval import corpus
from eval.corpus import set_queries
from kb.evaluation import EvalQuery, judge, normalise

REPO = Path(__file__).resolve().parents[1]
GRADED = REPO / "eval" / "pooled.jsonl"
SETS = corpus.SETS
MODES = ("hybrid", "dense", "lexical")
#: Characters a cleaning step may alter, so no phrase holds them (eval/README.md).
RISKY = frozenset('*\\|¹²³⁴⁵⁶⁷⁸⁹⁰”“"[]<>·►•_#')


@cache
def sources() -> dict[str, str]:
    """The documents of the evaluation corpus (eval/corpus.py) by file name, NFC: the reports as
    they are, the transfer set's PDFs as the index reads them (their phrases are copied from that)."""
    from ingest.readers import read_document

    texts = {p.name: p.read_text(encoding="utf-8") if p.suffix != ".pdf" else read_document(p).text
             for p in corpus.sources()}
    return {name: unicodedata.normalize("NFC", text) for name, text in texts.items()}


def phrase_problems(phrase: str, file: str, copies: int = 1) -> list[str]:
    """What keeps a phrase from naming a passage: it must occur `copies` times in its file, on
    one line each time, and in no other report (the rules tests/kb/test_eval_sets.py checks)."""
    texts = sources()
    if file not in texts:
        return [f"unknown file {file}"]
    wanted = normalise(phrase)
    problems = []
    count = normalise(texts[file]).count(wanted)
    if count != copies:
        problems.append(f"occurs {count} times in {file}, not {copies}")
    if any(wanted in normalise(text) for name, text in texts.items() if name != file):
        problems.append("also occurs in another report")
    on_one_line = r"[ \t\u00a0]+".join(map(re.escape, wanted.split(" ")))
    if len(re.findall(on_one_line, texts[file])) != count:
        problems.append("spans a line break")
    return problems


def passage_key(text: str) -> str:
    """A passage named by its words, so the record outlives chunk ids (same chunking, same key)."""
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:16]


def graded(path: Path = GRADED) -> set[tuple[str, str]]:
    """(query id, passage key) of every passage an assessor has graded for a query."""
    if not path.exists():
        return set()
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {(row["qid"], row["passage"]) for row in rows}


def _grams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).casefold())
    return set(zip(*(words[i:] for i in range(4)), strict=False))


@cache
def _source_grams() -> dict[str, set[tuple[str, ...]]]:
    return {name: _grams(text) for name, text in sources().items()}


def source_of(passage: str) -> str:
    """The file a passage of the index was read from: the one sharing most of its runs of four
    words (any chunking, and markup a reader removed, will do)."""
    grams = _grams(passage)
    shared = {name: len(grams & known) for name, known in _source_grams().items()}
    best = max(shared, key=shared.get)
    if not shared[best]:
        raise ValueError(f"no report holds the passage {passage[:60]!r}")
    return best


def _file_of(passage: str) -> str:
    """The passage's report, or "" for one too short to tell (a bare heading: no phrase to name)."""
    try:
        return source_of(passage)
    except ValueError:
        return ""


def pool(run, queries: list[EvalQuery], seen: set[tuple[str, str]], assessors: int,
         seed: int = 7) -> list[list[dict]]:
    """Batches of unjudged passages not `seen` (query id, passage key), one per assessor, queries
    kept whole, passages in random order. `run(query, mode)` returns hits with `chunk_id`,
    `kommun`, `title`, `section` and `text`."""
    per_query = []
    for q in queries:
        found: dict[str, object] = {}
        for mode in MODES:
            for hit in run(q.query, mode):
                if judge(hit.text, q) == 0 and (q.id, passage_key(hit.text)) not in seen:
                    found.setdefault(hit.chunk_id, hit)
        if found:
            per_query.append((q, list(found.values())))
    rng = random.Random(seed)
    batches: list[list[dict]] = [[] for _ in range(assessors)]
    load = [0] * assessors
    for q, hits in sorted(per_query, key=lambda item: -len(item[1])):
        rng.shuffle(hits)
        i = load.index(min(load))
        load[i] += len(hits)
        batches[i].append({
            "qid": q.id, "query": q.query, "kind": q.kind,
            "already_judged": [{"phrase": r.phrase, "grade": r.grade} for r in q.relevant],
            "passages": [{"item": f"{q.id}#{hit.chunk_id}", "chunk_id": hit.chunk_id, "kommun": hit.kommun,
                          "report": hit.title, "section": hit.section, "file": _file_of(hit.text),
                          "text": hit.text} for hit in hits]})
    return [b for b in batches if b]


def result_problems(batch: list[dict], results: dict) -> list[str]:
    """Every missing grade and every phrase that breaks a rule, as '<item>: <problem>' lines."""
    problems = []
    for q in batch:
        taken = {normalise(r["phrase"]) for r in q["already_judged"]}
        for p in q["passages"]:
            r = results.get(p["item"])
            if r is None or r.get("grade") not in (0, 1, 2, 3):
                problems.append(f"{p['item']}: needs a grade 0-3")
                continue
            if r["grade"] == 0 or r.get("unphraseable"):
                continue
            phrase = normalise(r.get("phrase") or "")
            found = phrase_problems(phrase, p["file"], int(r.get("copies", 1)))
            if phrase not in normalise(p["text"]):
                found.append("not in the passage text")
            if not 30 <= len(phrase) <= 120:
                found.append(f"{len(phrase)} characters, not 30-120")
            if RISKY & set(phrase):
                found.append(f"holds {''.join(sorted(RISKY & set(phrase)))}")
            if phrase in taken:
                found.append("already a phrase of this query")
            taken.add(phrase)
            problems += [f"{p['item']}: {x}" for x in found]
    return problems


def merge(batches: list[list[dict]], results: dict, rows: list[dict]) -> int:
    """Add each graded passage's phrase to its query (by: pool), once; returns how many were added."""
    by_id = {row["id"]: row for row in rows}
    added = 0
    for batch in batches:
        for q in batch:
            row = by_id.get(q["qid"])
            for p in q["passages"] if row else ():
                r = results.get(p["item"], {})
                if r.get("grade", 0) < 1 or r.get("unphraseable") or not r.get("phrase"):
                    continue
                if any(normalise(x["phrase"]) == normalise(r["phrase"]) for x in row["relevant"]):
                    continue
                entry = {"phrase": r["phrase"], "grade": r["grade"], "file": p["file"], "by": "pool"}
                if int(r.get("copies", 1)) != 1:
                    entry["copies"] = int(r["copies"])
                row["relevant"].append(entry)
                added += 1
    return added


def record(batches: list[list[dict]], results: dict, path: Path = GRADED) -> int:
    """Append every grade given in these batches to the record of graded passages, once."""
    known = graded(path)
    rows = []
    for q in (q for b in batches for q in b):
        for p in q["passages"]:
            key = (q["qid"], passage_key(p["text"]))
            if p["item"] in results and key not in known:
                known.add(key)
                rows.append({"qid": key[0], "passage": key[1], "grade": results[p["item"]]["grade"]})
    with path.open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(row) + "\n" for row in rows)
    return len(rows)


def read_rounds(folder: Path) -> tuple[list[list[dict]], dict]:
    """Every batch_N.json in a folder, and every grade its results_N.json files hold."""
    batches = [json.loads(f.read_text(encoding="utf-8")) for f in sorted(folder.glob("batch_*.json"))]
    results: dict = {}
    for f in sorted(folder.glob("results_*.json")):
        results.update(json.loads(f.read_text(encoding="utf-8")))
    return batches, results


def main(argv: list[str]) -> int:
    command, folder = argv[0], Path(argv[1])
    if command == "pool":
        from kb.search import Searcher

        assessors = int(argv[argv.index("--assessors") + 1]) if "--assessors" in argv else 7
        earlier, _ = read_rounds(folder) if folder.is_dir() else ([], {})
        seen = graded() | {(q["qid"], passage_key(p["text"])) for b in earlier for q in b for p in q["passages"]}
        searcher = Searcher(corpus.open_index())
        queries = set_queries()
        batches = pool(lambda text, mode: searcher.search(text, 10, mode=mode).hits, queries, seen, assessors)
        folder.mkdir(parents=True, exist_ok=True)
        first = len(earlier) + 1
        for n, batch in enumerate(batches, start=first):
            (folder / f"batch_{n}.json").write_text(json.dumps(batch, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{sum(len(q['passages']) for b in batches for q in b)} passages in {len(batches)} batches "
              f"(batch_{first}.json …)")
        return 0
    batches, results = read_rounds(folder)
    if command == "check":
        problems = [x for b in batches for x in result_problems(b, results)]
        print("\n".join(problems) or f"{len(results)} grades, no problems")
        return 1 if problems else 0
    if command == "merge":
        added = 0
        for name in SETS:
            path = REPO / "eval" / f"{name}.jsonl"
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            added += merge(batches, results, rows)
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{added} passages added; {record(batches, results)} grades recorded in {GRADED.name}")
        return 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
