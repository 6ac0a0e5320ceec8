"""A large synthetic corpus out of real paragraphs, and a measurement of ingesting it.

Paragraphs from corpus/*.txt and ../shared/data/real/audits/*.md are shuffled into made-up
reports (headings an audit report has, made-up kommun/year/firm in a reports.toml):

    python bench/synth_corpus.py /tmp/synth --reports 1500            # about 100,000 chunks
    python bench/synth_corpus.py /tmp/synth --reports 300 --measure   # ingest it, report RSS

--measure runs the real `kb ingest` (KB_MODEL=hashing-256 unless --model) into a fresh data
dir: peak RSS and time of a full run, then of a run killed (SIGKILL) at half and resumed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.kb_process import kb_argv, kb_env  # noqa: E402

FIRMS = ("PwC", "KPMG", "EY", "Deloitte", "BDO", "Grant Thornton", "Revisionskontoret")
HEADINGS = ("Sammanfattning", "Inledning", "Bakgrund", "Revisionsfrågor", "Iakttagelser",
            "Bedömning", "Rekommendationer")
TOPICS = ("intern kontroll", "försörjningsstöd", "arbetsmarknadsinsatser", "informationssäkerhet",
          "upphandling", "äldreomsorg", "skolans styrning", "investeringsprocessen", "krisberedskap")


def shared_dir() -> Path:
    return Path(os.environ.get("KB_SHARED_DIR") or REPO.parent / "shared")


def paragraphs() -> list[str]:
    """Real report paragraphs of a readable size, from the corpus and the shared audits."""
    files = sorted((REPO / "corpus").glob("*.txt")) + sorted((shared_dir() / "data/real/audits").glob("*.md"))
    found = []
    for path in files:
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            block = block.strip()
            if 80 <= len(block) <= 1500 and not block.startswith(("<!--", "|", "#")):
                found.append(block)
    return found


def kommuner() -> list[str]:
    lines = (REPO / "kb/data/kommuner.txt").read_text(encoding="utf-8").splitlines()
    return [x.strip() for x in lines if x.strip() and not x.startswith("#") and not x.startswith("Region")]


def generate(out: Path, reports: int, per_report: int, seed: int = 1) -> int:
    """Write `reports` .txt files and a reports.toml into `out`; returns the paragraph count."""
    rng = random.Random(seed)
    pool, places = paragraphs(), kommuner()
    out.mkdir(parents=True, exist_ok=True)
    table, written = [], 0
    for n in range(reports):
        kommun, year, firm, topic = rng.choice(places), rng.randint(2005, 2025), rng.choice(FIRMS), rng.choice(TOPICS)
        title = f"Granskning av {topic} i {kommun} kommun"
        lines = [title, "", f"Revisionsrapport {year}, {firm}. Rapport nummer {n} i en syntetisk samling.", ""]
        chosen = rng.sample(pool, min(per_report, len(pool)))
        step = max(1, len(chosen) // len(HEADINGS))
        for i, paragraph in enumerate(chosen):
            if i % step == 0 and i // step < len(HEADINGS):
                lines += [HEADINGS[i // step], ""]
            lines += [paragraph, ""]
        written += len(chosen)
        name = f"synt-{n:05d}-{kommun.lower().replace(' ', '-')}-{year}.txt"
        (out / name).write_text("\n".join(lines), encoding="utf-8")
        table.append(f'[[report]]\nfile = "{name}"\nid = "synt-{n:05d}"\ntitle = "{title}"\n'
                     f'kommun = "{kommun}"\nyear = {year}\nfirm = "{firm}"\ndoc_type = "granskningsrapport"\n')
    (out / "reports.toml").write_text("# Synthetic reports (bench/synth_corpus.py)\n\n" + "\n".join(table),
                                      encoding="utf-8")
    return written


def _ingest(folder: Path, env: dict, kill_after: float | None = None) -> dict:
    """One `kb ingest` run; its wall time, exit status and peak RSS (from wait4)."""
    started = time.monotonic()
    process = subprocess.Popen(kb_argv("ingest", "--quiet", str(folder)), env=env, cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if kill_after is not None:
        try:
            process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
    _, status, usage = os.wait4(process.pid, 0)
    out = process.stdout.read()
    return {"seconds": round(time.monotonic() - started, 1), "exit": os.waitstatus_to_exitcode(status),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "summary": out.strip().splitlines()[-1:]}


def _counts(data_dir: Path) -> dict:
    import sqlite3

    conn = sqlite3.connect(data_dir / "catalog.sqlite3")
    try:
        reports, chunks = conn.execute(
            "SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM chunks)").fetchone()
        lexical = conn.execute("SELECT count(*) FROM lex_chunks").fetchone()[0]
    finally:
        conn.close()
    return {"reports": reports, "chunks": chunks, "lexical": lexical}


def measure(folder: Path, model: str) -> dict:
    """A full run, then a run killed at half its time and resumed, each in a fresh data dir."""
    results: dict = {"model": model}
    with tempfile.TemporaryDirectory(prefix="kb-synth-") as tmp:
        full_dir = Path(tmp) / "full"
        results["full"] = _ingest(folder, kb_env(full_dir, model=model))
        results["full"].update(_counts(full_dir))
        results["rerun_unchanged"] = _ingest(folder, kb_env(full_dir, model=model))
        resumed_dir = Path(tmp) / "resumed"
        results["killed"] = _ingest(folder, kb_env(resumed_dir, model=model),
                                    kill_after=results["full"]["seconds"] / 2)
        results["killed"].update(_counts(resumed_dir))
        results["resumed"] = _ingest(folder, kb_env(resumed_dir, model=model))
        results["resumed"].update(_counts(resumed_dir))
    results["self_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the reports into")
    parser.add_argument("--reports", type=int, default=1500)
    parser.add_argument("--paragraphs", type=int, default=140, help="paragraphs per report")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", action="store_true", help="ingest it and measure time and peak RSS")
    parser.add_argument("--model", default="hashing-256")
    args = parser.parse_args()
    if not 1 <= args.reports <= 20_000:
        parser.error("--reports must be 1-20000")
    n = generate(args.out, args.reports, args.paragraphs, args.seed)
    print(f"{args.reports} reports, {n} paragraphs in {args.out}", file=sys.stderr)
    if args.measure:
        print(json.dumps(measure(args.out, args.model), indent=2))


if __name__ == "__main__":
    main()
