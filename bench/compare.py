"""The first `GET /api/compare` of a server process: finding vectors read from the catalog, where
ingest stores them, against embedded on first use, as an index ingested before they were stored
must (its `finding_vectors` table empty). Both on the evaluation corpus with the default model, each
variant in a fresh process (model loaded and warmed by one search first), two rounds alternating,
best of each. Writes the "compare" section of docs/benchmarks.md.

    python -m bench.compare
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import table, write_section

TOPIC = "uppföljning av försörjningsstöd"


def measure(data_dir: Path) -> dict:
    """In this process: open the index, warm it with a search, time two compare requests."""
    from kb.config import Config
    from kb.index import Index
    from web import create_app

    config = Config.from_env({**os.environ, "KB_DATA_DIR": str(data_dir)})
    index = Index.open(config)
    client = create_app({"TESTING": True}, config=config, index=index).test_client()
    client.get("/api/search", query_string={"q": "samverkan med Arbetsförmedlingen"})
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        response = client.get("/api/compare", query_string={"q": TOPIC})
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
    findings = len(index.catalog.findings())
    index.close()
    return {"first": times[0], "second": times[1], "findings": findings}


def main() -> None:
    from bench.realdata import eval_corpus
    from ingest.pipeline import Pipeline
    from kb.config import Config
    from kb.index import Index

    with tempfile.TemporaryDirectory() as tmp:
        stored = Path(tmp) / "stored"
        config = Config.from_env({**os.environ, "KB_DATA_DIR": str(stored)})
        index = Index.open(config)
        summary = Pipeline(index).run([eval_corpus(Path(tmp) / "corpus")])
        assert not summary.failed, [(o.path, o.message) for o in summary.failed]
        index.close()
        before = Path(tmp) / "before"
        shutil.copytree(stored, before)
        with sqlite3.connect(before / "catalog.sqlite3") as db:
            db.execute("DELETE FROM finding_vectors")
        runs: dict[str, list[dict]] = {"stored": [], "before": []}
        for _ in range(2):
            for name, folder in (("stored", stored), ("before", before)):
                print(f"[compare] {name} ...", file=sys.stderr, flush=True)
                out = subprocess.run([sys.executable, "-m", "bench.compare", "--measure", str(folder)],
                                     check=True, capture_output=True, text=True).stdout
                runs[name].append(json.loads(out.strip().splitlines()[-1]))
    best = {name: {key: min(r[key] for r in rs) for key in ("first", "second")} | {"findings": rs[0]["findings"]}
            for name, rs in runs.items()}
    labels = {"stored": "finding vectors read from the catalog (stored at ingest)",
              "before": "embedded on first use (an index ingested before they were stored)"}
    rows = [[labels[name], f"{b['first'] * 1000:.0f}", f"{b['second'] * 1000:.0f}",
             f"{b['first'] / best['stored']['first']:.2f}×"] for name, b in best.items()]
    write_section("compare", f"`GET /api/compare?q={TOPIC}` on the evaluation corpus ({best['stored']['findings']} "
                  f"findings), backend `{Config.from_env().model_backend}`; a fresh process per variant and round, "
                  "the model warmed by one search first; best of 2 rounds.\n\n"
                  + table(["finding vectors", "first request, ms", "second request, ms", "first against stored"],
                          rows))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]))))
    else:
        main()
