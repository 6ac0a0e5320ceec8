"""Bounded load test on loopback: `kb serve` (waitress, real model, corpus indexed) driven by
concurrent clients with queries from eval/dev.jsonl, on the embedded store and on a Chroma server.

    python bench/load.py --clients 32 --duration 60 --store both

Prints throughput, latency percentiles and errors per store, as JSON and as a Markdown table.
Bounded: at most --duration seconds and --max-requests requests per store, only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.chroma_server import ChromaServer  # noqa: E402
from tests.kb_process import KbServer, kb_env, run_kb  # noqa: E402

HOST = "127.0.0.1"


def queries() -> list[str]:
    with open(REPO / "eval" / "dev.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["query"] for line in f if line.strip()]


def request_mix(rng: random.Random, qs: list[str], report_ids: list[str]) -> str:
    """A realistic mix: mostly API searches, some result pages, some report pages."""
    roll = rng.random()
    q = rng.choice(qs)
    if roll < 0.6:
        return "/api/search?" + urlencode({"q": q, "k": 10})
    if roll < 0.85:
        return "/?" + urlencode({"q": q})
    if roll < 0.95:
        return f"/reports/{rng.choice(report_ids)}"
    return "/api/reports"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, status: int, error: str | None = None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if error:
                self.errors.append(error)


def client(port: int, seed: int, deadline: float, budget: threading.Semaphore, tally: Tally,
           qs: list[str], report_ids: list[str]) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    while time.monotonic() < deadline and budget.acquire(blocking=False):
        path = request_mix(rng, qs, report_ids)
        started = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status = response.status
            tally.add(time.perf_counter() - started, status, None if status == 200 else f"{status} {path}")
        except (OSError, http.client.HTTPException) as exc:
            tally.add(time.perf_counter() - started, 0, f"{type(exc).__name__} {path}")
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def drive(server: KbServer, clients: int, duration: float, max_requests: int) -> dict:
    qs = queries()
    report_ids = [r["id"] for r in server.get("/api/reports")[1]["reports"]]
    for q in qs[:5]:  # warm the model and the caches
        server.get("/api/search?" + urlencode({"q": q}))
    tally, budget = Tally(), threading.Semaphore(max_requests)
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(server.port, i, started + duration, budget, tally,
                                                     qs, report_ids)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ms = [s * 1000 for s in tally.latencies]
    return {
        "clients": clients, "duration_s": round(elapsed, 1), "requests": len(ms),
        "throughput_rps": round(len(ms) / elapsed, 1),
        "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1), "mean_ms": round(statistics.fmean(ms), 1),
        "errors": len(tally.errors), "statuses": tally.statuses, "first_errors": tally.errors[:5],
    }


def run_store(store: str, work: Path, args) -> dict:
    """Index the corpus (real model) into a fresh data dir, serve it, drive it."""
    chroma = ChromaServer(work / "chroma-server").start() if store == "server" else None
    try:
        env = kb_env(work / "data", model=args.model, chroma_url=chroma.url if chroma else None)
        done = run_kb("ingest", "--quiet", str(REPO / "corpus"), env=env, timeout=3600)
        if done.returncode != 0:
            raise SystemExit(f"kb ingest failed: {done.stderr[-2000:]}")
        with KbServer(env, work / "serve.log", threads=args.threads) as server:
            health = server.get("/healthz")[1]
            result = drive(server, args.clients, args.duration, args.max_requests)
        result.update(store=store, chunks=health["chunks"], model=health["model"], threads=args.threads)
        return result
    finally:
        if chroma:
            chroma.stop()


def machine() -> str:
    import os

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    mem = next(int(line.split()[1]) // 1024 // 1024 for line in meminfo if line.startswith("MemTotal"))
    return f"{os.cpu_count()} CPU ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60, help="seconds per store")
    parser.add_argument("--max-requests", type=int, default=100_000, help="upper bound per store")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--store", choices=["embedded", "server", "both"], default="both")
    parser.add_argument("--model", default="multilingual-e5-small")
    args = parser.parse_args()
    if not 1 <= args.clients <= 256 or not 0 < args.duration <= 600:
        parser.error("clients must be 1-256 and duration 0-600 s")
    stores = ["embedded", "server"] if args.store == "both" else [args.store]
    results = []
    with tempfile.TemporaryDirectory(prefix="kb-load-") as tmp:
        for store in stores:
            results.append(run_store(store, Path(tmp) / store, args))
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    print(f"\n{time.strftime('%Y-%m-%d')}, {machine()}\n")
    print("| store | clients | duration s | requests | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['store']} | {r['clients']} | {r['duration_s']} | {r['requests']} | {r['throughput_rps']} "
              f"| {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} |")


if __name__ == "__main__":
    main()
