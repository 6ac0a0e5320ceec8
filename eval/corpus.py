"""The evaluation corpus: the documents the query sets were written from.

    KB_DATA_DIR=/tmp/evalidx kb ingest $(python -m eval.corpus)

The six audit reports (dev and heldout) and the transfer set's four municipal documents, which
no part of search was built from (eval/README.md). `kb eval`, `python -m eval.train_ranker` and
`python -m eval.pooling pool` expect an index of all ten. Five of the reports are indexed from
corpus/, where the seed files sit under readable names with the metadata of corpus/reports.toml;
the sets name the files of the shared folder (`sources()`), whose text is the same.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kb.evaluation import QUERY_SETS

REPO = Path(__file__).resolve().parents[1]
SETS = QUERY_SETS
#: The five seed reports and Kungsbacka's, as the shared folder holds them.
REPORTS = ("seeds/000_f95ae1448ac3ea46.txt", "seeds/001_2685321bc90dd1eb.txt", "seeds/002_b584caaa1296d239.txt",
           "seeds/003_38332d4cff676a59.txt", "seeds/004_cdb858477220864e.txt",
           "data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md")
#: A nämnd's annual report and three climate plans: the transfer set's documents.
TRANSFER = ("data/real/pdfs/Simrishamn_Bokslut_2025.pdf", "data/real/pdfs/Vansbro_Energi_och_klimatplan.pdf",
            "data/real/pdfs/Olofstrom_Handlingsplan_for_klimat_och_energi.pdf",
            "data/real/pdfs/Haparanda_klimatstrategi_2020_2050.pdf")


def shared_dir() -> Path:
    return Path(os.environ.get("KB_SHARED_DIR") or REPO.parent / "shared")


def reports() -> list[Path]:
    return [shared_dir() / name for name in REPORTS]


def sources() -> list[Path]:
    """The files the sets' `file` fields name, reports first."""
    return [shared_dir() / name for name in REPORTS + TRANSFER]


def ingest_paths() -> list[Path]:
    """What to index: corpus/ (the five seed reports and their metadata) and the other five files."""
    return [REPO / "corpus", *(shared_dir() / name for name in REPORTS[5:] + TRANSFER)]


def set_queries():
    """The queries of every set, dev first."""
    from kb.evaluation import load_queries

    return [q for name in SETS for q in load_queries(REPO / "eval" / f"{name}.jsonl")]


def open_index():
    """The index of KB_DATA_DIR, refused when it lacks a document the sets are judged on: training,
    pooling or sampling on another index would quietly work from other candidates."""
    from kb.config import Config
    from kb.evaluation import unindexed_files
    from kb.index import Index

    config = Config.from_env()
    index = Index.open(config)
    if missing := unindexed_files(index.catalog, set_queries()):
        index.close()
        raise SystemExit(f"the index in {config.data_dir} lacks documents the query sets are judged on "
                         f"({', '.join(missing)}): index the evaluation corpus, kb ingest $(python -m eval.corpus)")
    return index


def main() -> int:
    missing = [str(p) for p in sources() if not p.is_file()]
    if missing:
        print("not found (set KB_SHARED_DIR to the shared folder): " + ", ".join(missing), file=sys.stderr)
        return 1
    print("\n".join(str(p) for p in ingest_paths()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
