"""Running `kb` as a user does (click's runner, a temp index, the hashing model) and checking the index."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner, Result

from kb.config import Config
from kb.index import Index
from kbcli.main import cli

#: What a message a user sees may not contain.
DEVELOPER_WORDS = ("Traceback", "Error:", "Exception", "errno", "File \"")


def kb(data_dir: Path, *args: str, **env: str | None) -> Result:
    """`kb ARGS` against the index in data_dir, with the fast hashing embedder."""
    base = {"KB_DATA_DIR": str(data_dir), "KB_MODEL": "hashing-256", "KB_OCR": None, "KB_MAX_FILE_MB": None,
            "KB_CACHE_DIR": str(Config.from_env().cache_dir)}
    return CliRunner().invoke(cli, list(args), env={**base, **env}, catch_exceptions=False)


def reports(data_dir: Path) -> dict[str, dict]:
    """`kb reports --json`, keyed by report id."""
    result = kb(data_dir, "reports", "--json")
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.stdout)}


def by_source(data_dir: Path) -> dict[str, dict]:
    """`kb reports --json`, keyed by the file name each report was read from."""
    return {Path(row["source"]).name: row for row in reports(data_dir).values()}


def open_index(data_dir: Path) -> Index:
    return Index.open(Config(data_dir=data_dir, model="hashing-256"))


def assert_consistent(data_dir: Path) -> Index:
    """The README's consistency rule: Chroma ids == catalog chunk ids == lexical ids."""
    index = open_index(data_dir)
    catalog_ids = index.catalog.chunk_ids()
    assert index.vectors.ids() == catalog_ids
    assert index.lexical.chunk_ids() == catalog_ids
    return index


def failures(output: str) -> dict[str, str]:
    """File name -> message for every `FEL` line `kb ingest` printed."""
    found = {}
    for line in output.splitlines():
        if "FEL  " in line:
            path, _, message = line.split("FEL  ", 1)[1].partition(": ")
            found[Path(path).name] = message
    return found


def pdf_pages(source: Path, pages: list[int], *, password: str | None = None) -> bytes:
    """A new PDF of some (0-based) pages of another, optionally encrypted with a user password."""
    import pypdf

    reader = pypdf.PdfReader(source)
    writer = pypdf.PdfWriter()
    for number in pages:
        writer.add_page(reader.pages[number])
    if password is not None:
        writer.encrypt(user_password=password, owner_password="ägare", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


SWEDISH_REPORT = (
    "Granskning av försörjningsstöd\n\n"
    "Revisorerna i Orsa kommun har gett PwC i uppdrag att granska om socialnämnden säkerställer en "
    "ändamålsenlig handläggning av ekonomiskt bistånd.\n\n"
    "Rekommendationer\n\n"
    "Åtgärder behövs: nämnden bör följa upp att planerna för återgång i arbete upprättas.\n"
)
