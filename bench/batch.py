"""Passage batch size: speed and memory of the default backend at each size, each in a fresh process.

The model's activations grow with batch size × tokens², and ONNX Runtime's memory arena keeps what
it once needed, so a large batch of long passages costs a server hundreds of MB for as long as it
lives (`kb serve` embeds uploads). Each size embeds every chunk text of the 6-report evaluation
corpus and the pieces (kb/lines.py) of those chunks, as `kb ingest` does; sizes run in turn,
twice, best time of the two, with the resident-memory growth over the model's own. Writes the
"batch" section of docs/benchmarks.md.

    python -m bench.batch [size ...]       # default: 4 8 16 32
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import table, write_section

SIZES = (4, 8, 16, 32)


def measure(size: int, texts_file: Path) -> dict:
    """In this process: load the default embedder with `size`, embed the texts, time and memory."""
    import time

    from bench.rss import rss_mb
    from kb.config import Config
    from kb.embedding import SentenceTransformerEmbedder, ensure_default_model

    config = Config.from_env()
    embedder = SentenceTransformerEmbedder(str(ensure_default_model(config.cache_dir)), "bench",
                                           backend=config.model_backend, batch_size=size)
    embedder.embed_query("uppvärmning")
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    before = rss_mb(os.getpid())[0]
    t0 = time.perf_counter()
    embedder.embed_passages(texts)
    seconds = time.perf_counter() - t0
    now, peak = rss_mb(os.getpid())
    return {"seconds": seconds, "grown": now - before, "peak_grown": peak - before, "texts": len(texts)}


def texts(workdir: Path) -> list[str]:
    """Every chunk text of the evaluation corpus as embedded, and every piece of those chunks."""
    from bench.model import corpus_passages
    from kb.lines import pieces

    embedded, shown = corpus_passages(workdir)
    return embedded + [p for text in shown for p in pieces(text)]


def main(sizes: list[int]) -> None:
    from kb.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts(Path(tmp))), encoding="utf-8")
        results: dict[int, list[dict]] = {size: [] for size in sizes}
        for _ in range(2):
            for size in sizes:
                print(f"[batch] {size} ...", file=sys.stderr, flush=True)
                out = subprocess.run([sys.executable, "-m", "bench.batch", "--measure", str(size), str(texts_file)],
                                     check=True, capture_output=True, text=True).stdout
                results[size].append(json.loads(out.strip().splitlines()[-1]))
    best = {size: min(runs, key=lambda r: r["seconds"]) for size, runs in results.items()}
    reference = best[16] if 16 in best else best[sizes[0]]
    rows = [[str(size), f"{r['seconds']:.1f}", f"{r['texts'] / r['seconds']:.1f}",
             f"{reference['seconds'] / r['seconds']:.2f}×", f"{r['grown']:.0f}", f"{r['peak_grown']:.0f}"]
            for size, r in best.items()]
    n = reference["texts"]
    write_section("batch", f"{n:,} texts (the evaluation corpus's chunks as embedded and their pieces), backend "
                  f"`{Config.from_env().model_backend}`, one fresh process per size and round, best of 2 rounds.\n\n"
                  + table(["batch size", "seconds", "texts/s", "speed against 16", "RSS grown, MB",
                           "peak RSS grown, MB"], rows))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main([int(a) for a in sys.argv[1:]] or list(SIZES))
