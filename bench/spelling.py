"""The speller (kb/spelling.py) at growing vocabularies: building it, and correcting a word.

The scale indexes of bench/scale_corpus.py are made of the real reports' sentences, so their
vocabulary stays that of the 12 real reports however many chunks they hold. A corpus of thousands
of reports has a far larger one, mostly compounds. So the vocabularies here are the real words of
the evaluation corpus plus compounds of two of its words (seeded), up to 300,000 words, with
passage counts drawn from a Zipf law. Queries: the 26 misspelled or unaccented words of the
evaluation sets that the speller corrects, and 26 real words it must leave alone. Build: best of
3; correction: every word 5 times, per-word p50 / p95. Writes the "spelling" section of
docs/benchmarks.md.

    python -m bench.spelling
"""

from __future__ import annotations

import random
import re
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from bench.report import percentile, table, write_section

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10_000, 100_000, 300_000)
TYPOS = ("forsorjningsstod", "arbetslosa", "stegforflyttning", "utvecklingsomrade", "oppenvarden", "losenord",
         "malgrupp", "atgarder", "forsörjningstöd", "arbetsförmedligen", "rekomendationer", "kontinuitesplan",
         "resurcentrum", "arbetsmarknadsåtgärer", "socialnämden", "gothbergs", "forebyggande", "inflode",
         "socialtjansten", "overlamnas", "samordningsförbudets", "raportera", "ekonomist", "sokta",
         "genomförandplan", "arbetspalnens")
KNOWN = ("försörjningsstöd", "arbetsmarknadsenheten", "socialnämnden", "rekommendationer", "samverkan",
         "kontrollmål", "uppföljning", "handlingsplan", "ungdomar", "arbetsförmedlingen", "kommunstyrelsen",
         "riktlinjer", "insatser", "bedömning", "granskningen", "informationssäkerhet", "lösenord",
         "medarbetare", "utbildning", "phishing", "landningssidan", "resurscentrum", "delårsrapport",
         "ekonomiskt", "bistånd", "målgrupp")


def corpus_words() -> Counter:
    counts: Counter[str] = Counter()
    shared = Path(__import__("os").environ.get("KB_SHARED_DIR") or ROOT.parent / "shared")
    files = [*sorted((shared / "seeds").glob("*.txt")), *sorted((shared / "data/real/audits").glob("*.md"))]
    for f in files:
        for paragraph in re.split(r"\n\s*\n", f.read_text(encoding="utf-8")):
            counts.update({w.casefold() for w in re.findall(r"[^\W\d_]+", paragraph) if len(w) > 2})
    return counts


def vocabulary(size: int, real: Counter, seed: int = 7) -> dict[str, int]:
    """The real words, then two-word compounds of them (a real linking s half of the time)."""
    rng = random.Random(seed)
    words = dict(real)
    parts = sorted(w for w in real if len(w) >= 4)  # sorted: set order differs between processes
    while len(words) < size:
        a, b = rng.choice(parts), rng.choice(parts)
        words.setdefault(a + ("s" if rng.random() < 0.5 else "") + b, max(2, int(rng.paretovariate(1.2))))
    return words


def measure(size: int, real: Counter, expected: dict[str, str | None]) -> dict:
    from kb.analysis import term
    from kb.places import load_places
    from kb.spelling import Speller

    counts = vocabulary(size, real)
    terms = {term(w) for w in counts}
    places = [name for names in load_places() for name in names]
    builds = []
    for _ in range(3):
        t0 = time.perf_counter()
        speller = Speller(counts, known_term=lambda w: term(w) in terms, protected=places)
        builds.append(time.perf_counter() - t0)
    tracemalloc.start()
    Speller(counts, known_term=lambda w: term(w) in terms, protected=places)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    typo_ms, known_ms, corrected = [], [], 0
    for _ in range(5):
        for word in TYPOS:
            t0 = time.perf_counter()
            corrected += speller.correct_word(word) == expected[word]
            typo_ms.append((time.perf_counter() - t0) * 1000)
        for word in KNOWN:
            t0 = time.perf_counter()
            speller.correct_word(word)
            known_ms.append((time.perf_counter() - t0) * 1000)
    return {"size": len(counts), "build": min(builds), "peak_mb": peak / 2**20, "typo": typo_ms, "known": known_ms,
            "corrected": corrected // 5}


def main() -> None:
    from kb.analysis import term
    from kb.places import load_places
    from kb.spelling import Speller

    real = corpus_words()
    terms = {term(w) for w in real}
    alone = Speller(dict(real), known_term=lambda w: term(w) in terms,
                    protected=[name for names in load_places() for name in names])
    expected = {word: alone.correct_word(word) for word in TYPOS}
    rows = []
    for size in SIZES:
        r = measure(size, real, expected)
        rows.append([f"{r['size']:,}", f"{r['build'] * 1000:.0f} ms", f"{r['peak_mb']:.0f} MB",
                     f"{percentile(r['typo'], 50):.2f} / {percentile(r['typo'], 95):.2f}",
                     f"{percentile(r['known'], 50):.3f} / {percentile(r['known'], 95):.3f}",
                     f"{r['corrected']} of {len(TYPOS)}"])
        print(rows[-1], flush=True)
    body = (
        "The speller (`kb/spelling.py`) is built on a search's first use after the vocabulary changed"
        " (an ingest), and corrects only words the index does not know. Vocabularies: the evaluation"
        " corpus's real words plus seeded two-word compounds of them (`bench/spelling.py`).\n\n"
        + table(["vocabulary (words)", "build", "build memory (peak)", "misspelled word, ms p50 / p95",
                 "known word, ms p50 / p95", "as in the corpus alone"], rows)
        + "\n\nA known word costs a dictionary lookup; an unknown one an edit-distance scan of the words"
          " of its first letter within two letters of its length (rapidfuzz, C++). "
          "Last column: how many of the 26 get the correction they get against the evaluation corpus's"
          " own words; in a larger vocabulary another word may lie as close."
    )
    write_section("spelling", body)


if __name__ == "__main__":
    main()
