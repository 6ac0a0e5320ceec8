"""Real report text for the benchmarks: the shipped corpus plus the shared reports."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """../shared beside the repository, or beside its worktree folder (KB_SHARED_DIR overrides)."""
    if os.environ.get("KB_SHARED_DIR"):
        return Path(os.environ["KB_SHARED_DIR"])
    return next((p for p in (REPO.parent / "shared", REPO.parents[1] / "shared") if p.is_dir()),
                REPO.parent / "shared")


def eval_corpus(target: Path) -> Path:
    """The 6-report evaluation corpus (corpus/*.txt and Kungsbacka's report) copied into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted((REPO / "corpus").iterdir()):
        shutil.copy(path, target / path.name)
    kungsbacka = shared_dir() / "data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md"
    shutil.copy(kungsbacka, target / kungsbacka.name)
    return target


def real_pdfs() -> list[Path]:
    """The real PDFs in the shared folder (more paragraphs of real Swedish public-sector text)."""
    return sorted((shared_dir() / "data/real/pdfs").glob("*.pdf"))
