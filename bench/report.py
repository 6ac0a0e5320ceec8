"""docs/benchmarks.md as sections that each bench script regenerates between its own markers."""

from __future__ import annotations

import os
import platform
import re
import statistics
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
SECTIONS = ("ingest", "query", "model", "batch", "hnsw", "memory", "coldstart", "load", "compare", "spelling")
TITLES = {"ingest": "Ingest", "query": "Query latency", "model": "Model execution",
          "batch": "Passage batch size",
          "hnsw": "Vector index accuracy", "memory": "Memory", "coldstart": "Cold start", "load": "Load",
          "compare": "Comparing reports", "spelling": "Spelling correction"}
HEADER = """# Benchmarks

Every figure below was measured by a script in `bench/`, which rewrites only its own section
(between `<!-- bench:NAME -->` markers). The machine is small and noisy (2 cores), so each
section compares its alternatives side by side in one run; read ratios, not absolute numbers.
"""


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Replace section `name` of the benchmarks file with `body`, creating the file if needed."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else empty_document()
    block = _block(name, f"{body.strip()}\n\n_{machine()}_")
    pattern = re.compile(re.escape(f"<!-- bench:{name} -->") + ".*?" + re.escape(f"<!-- /bench:{name} -->"), re.S)
    found = pattern.search(text)
    text = pattern.sub(lambda _: block, text) if found else text.rstrip() + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def _block(name: str, body: str) -> str:
    return f"<!-- bench:{name} -->\n## {TITLES[name]}\n\n{body}\n<!-- /bench:{name} -->"


def empty_document() -> str:
    """The file with every section in order, each waiting for its script."""
    return HEADER + "".join("\n" + _block(n, "_Not measured yet._") + "\n" for n in SECTIONS)


def machine() -> str:
    """One line naming what the figures were measured on."""
    import torch

    return (f"Measured {__import__('datetime').date.today()} on {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, torch {torch.__version__}.")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank on the sorted values, interpolated)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
