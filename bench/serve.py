"""Cold start and memory: `kb serve` and `kb ingest` as real subprocesses.

Cold start is the time from starting `kb serve` to its first `/healthz` answer and to its first
`/api/search` answer. Memory is the server's resident set after its first answer and after 100
searches, then its peak (VmHWM) once a report has been uploaded through the admin API (ingested in
the server) and the server has rebuilt its BM25 matrix in the background, and the peak of `kb ingest`
over the 12 real reports (getrusage of the child). The server runs on a copy of the index, so the
upload leaves the benchmark's index as it was. Each backend and size runs one after another in one
run. Writes the "memory" and "coldstart" sections of docs/benchmarks.md.

    python -m bench.serve [backend ...] [size ...]   # default: onnx-int8 and torch, 100000 chunks
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from bench.report import table, write_section
from bench.rss import rss_mb
from bench.scale_corpus import WORK

ROOT = Path(__file__).resolve().parents[1]
KB = [sys.executable, "-c", "import sys; from kbcli.main import cli; sys.exit(cli(prog_name='kb'))"]


ADMIN_TOKEN = "bench-" + os.urandom(8).hex()
#: A small real PDF that none of the scale indexes holds: the upload that makes the matrix stale.
UPLOAD = Path("data/pdf-edge-cases/pdflatex-4-pages.pdf")


def _env(data_dir: Path, backend: str, rerank: bool = True) -> dict:
    return {**os.environ, "KB_DATA_DIR": str(data_dir), "KB_MODEL_BACKEND": backend, "PYTHONPATH": str(ROOT),
            "KB_ADMIN_TOKEN": ADMIN_TOKEN, "KB_RERANK": "1" if rerank else "0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def _upload(base: str, path: Path) -> dict:
    """POST a file to the admin API as multipart/form-data; the job's JSON."""
    boundary = "bench" + os.urandom(8).hex()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(base + "/api/admin/reports", data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {ADMIN_TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _upload_and_rebuild(base: str, pid: int) -> tuple[float, float]:
    """Upload a report, wait for its job, then search until the server's BM25 matrix is current
    again; (peak RSS MB when the job was done, seconds from then to a current matrix)."""
    from bench.realdata import shared_dir

    job = _upload(base, shared_dir() / UPLOAD)
    while not job["done"]:
        time.sleep(0.2)
        job = json.loads(_get(base + job["url"]))
    assert job["status"] in ("added", "updated"), job
    peak_after_job = rss_mb(pid)[1]
    t0 = time.perf_counter()
    while True:
        _get(base + "/api/search?q=" + quote("intern kontroll"))  # a stale matrix starts a rebuild
        if json.loads(_get(base + "/healthz"))["lexical_matrix"]:
            return peak_after_job, time.perf_counter() - t0
        time.sleep(0.2)


def serve(index_dir: Path, backend: str, rerank: bool = True, full: bool = True) -> dict:
    """Start `kb serve` on a copy of the index, time the first answers, run 100 searches, read its
    memory, upload a report and wait for the rebuilt matrix, read its peak memory, stop it
    (`full=False`: stop after the first answer)."""
    from bench.query import queries

    work = Path(tempfile.mkdtemp(prefix="kb-serve-"))
    data_dir = work / "index"
    shutil.copytree(index_dir, data_dir)
    os.sync()  # the copy written out before the clock starts
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen([*KB, "serve", "--port", str(port)], env=_env(data_dir, backend, rerank),
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                _get(base + "/healthz")
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("kb serve stopped") from None
                time.sleep(0.05)
        health = time.perf_counter() - t0
        _get(base + "/api/search?q=" + quote("intern kontroll av försörjningsstöd"))
        first = time.perf_counter() - t0
        after_first = rss_mb(proc.pid)[0]
        if not full:
            return {"health": health, "first": first, "rss_first": after_first}
        for q in queries():
            _get(base + "/api/search?q=" + quote(q))
        current, _ = rss_mb(proc.pid)
        peak_job, rebuild = _upload_and_rebuild(base, proc.pid)
        _, peak = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    return {"health": health, "first": first, "rss_first": after_first, "rss": current, "peak": peak,
            "peak_job": peak_job, "rebuild": rebuild}


def ingest_peak(backend: str) -> tuple[float, float]:
    """(seconds, peak RSS MB) of `kb ingest` over the 12 real reports into a fresh index."""
    from bench.scale_corpus import real_files

    files = real_files()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.Popen([*KB, "ingest", "--quiet", *map(str, files)], env=_env(Path(tmp), backend),
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise RuntimeError(f"kb ingest failed ({proc.returncode})")
        return time.perf_counter() - t0, usage.ru_maxrss / 1024


def _reranker_cost(index_dir: Path, backend: str, rounds: int = 3) -> str:
    """Starts without and with the learned reranker (KB_RERANK), alternating, so both meet the same
    page cache: the start-up and memory the reranker costs (reading the model into numpy arrays;
    before 2026-12-03 evening, loading LightGBM, which imported scikit-learn)."""
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for n in range(rounds):
        for rerank in (False, True):
            print(f"[serve] KB_RERANK={int(rerank)}, round {n + 1} ...", file=sys.stderr, flush=True)
            runs[rerank].append(serve(index_dir, backend, rerank=rerank, full=False))
    first = {r: statistics.median(x["first"] for x in runs[r]) for r in runs}
    rss = {r: statistics.median(x["rss_first"] for x in runs[r]) for r in runs}
    return (f"The learned reranker's share ({backend}, {index_dir.name}, {rounds} starts each, alternating, "
            f"medians): first answer after {first[True]:.1f} s with it and {first[False]:.1f} s without "
            f"(`KB_RERANK=0`), {first[True] / first[False]:.2f}×; resident memory after the first answer "
            f"{rss[True]:.0f} MB against {rss[False]:.0f} MB.")


def main(backends: list[str], sizes: list[str]) -> None:
    cold, memory = [], []
    for backend in backends:
        for size in sizes:
            print(f"[serve] {backend} {size} ...", file=sys.stderr, flush=True)
            r = serve(WORK / f"index-{size}", backend)
            chunks = "corpus (312)" if size == "corpus" else f"{int(size):,}"
            cold.append([backend, chunks, f"{r['health']:.1f}", f"{r['first']:.1f}"])
            memory.append([f"`kb serve`, {backend}", chunks, f"{r['rss_first']:.0f}", f"{r['rss']:.0f}",
                           f"{r['peak_job']:.0f}", f"{r['peak']:.0f} ({r['rebuild']:.1f} s after the job)"])
        if backend != backends[0]:
            continue  # one ingest, and one reranker comparison: they take minutes on 2 cores
        reranker = _reranker_cost(WORK / f"index-{sizes[-1]}", backend)
        print(f"[serve] ingest {backend} ...", file=sys.stderr, flush=True)
        seconds, peak = ingest_peak(backend)
        memory.append([f"`kb ingest` of the 12 real reports, {backend}", "–", "–", "–", "–", f"{peak:.0f}"])
    write_section("coldstart", "From starting `kb serve` (a subprocess on a free port) to its first answers; "
                  "the model and the index are already on disk (converted, exported).\n\n"
                  + table(["backend", "chunks", "to /healthz s", "to first /api/search s"], cold)
                  + "\n\n" + reranker)
    write_section("memory", "Resident memory (MB) from /proc/<pid>/status; `kb ingest` from getrusage of the "
                  "child. `kb serve` after its first answer and after 100 more searches; its peak is taken after "
                  f"uploading `{UPLOAD.name}` through the admin API (ingested in the server) and searching until "
                  "the server had rebuilt its BM25 matrix in the background.\n\n"
                  + table(["process", "chunks", "RSS after first answer", "RSS after 100 searches",
                           "peak RSS after the upload's job", "peak RSS after the matrix rebuild"], memory))


if __name__ == "__main__":
    args = sys.argv[1:]
    main([a for a in args if not a[0].isdigit() and a != "corpus"] or ["onnx-int8", "torch"],
         [a for a in args if a[0].isdigit() or a == "corpus"] or ["100000"])
