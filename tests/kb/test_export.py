"""Markdown and CSV export of passages with citations and permalinks, and `kb search --format`."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from click.testing import CliRunner

from kb.export import citation, to_csv, to_markdown
from kb.models import Hit
from tests.conftest import CORPUS

HIT = Hit(rank=1, score=0.5, chunk_id="abc", report_id="r1", title="Granskning av x", kommun="Ale",
          year=2015, firm="KPMG", section="3.1 Bedömning", page=7, start=0, end=10,
          text="Vi bedömer att\n\nnämnden, \"delvis\", har styrt.", url="/reports/r1?passage=abc#abc",
          section_type="bedomning", doc_type="granskningsrapport")


def _rows(text: str) -> list[list[str]]:
    """The export as Swedish Excel reads it: UTF-8 with a BOM, semicolons between cells."""
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_citation_names_kommun_title_firm_year_section_page():
    assert citation(HIT) == "Ale, ”Granskning av x”, KPMG, 2015, avsnitt ”3.1 Bedömning”, s. 7"


def test_markdown_quotes_each_passage_with_citation_and_permalink():
    md = to_markdown([HIT, HIT], base_url="https://kb.example/", missing=1)
    assert md.startswith("# Underlag\n")
    assert "## 1. Ale: Granskning av x" in md and "## 2. Ale" in md
    assert "> Vi bedömer att\n>\n> nämnden" in md
    assert "<https://kb.example/reports/r1?passage=abc#abc>" in md
    assert "1 stycken finns inte längre" in md


def test_csv_has_a_header_and_one_row_a_passage():
    rows = _rows(to_csv([HIT]))
    assert rows[0][:3] == ["nr", "kommun", "titel"]
    assert rows[1][1:8] == ["Ale", "Granskning av x", "KPMG", "2015", "3.1 Bedömning", "7", "Bedömning"]
    assert rows[1][8] == 'Vi bedömer att nämnden, "delvis", har styrt.'


@pytest.mark.slow
@pytest.mark.parametrize("fmt, marker", [("md", "# Sökning: långtidsarbetslösa"), ("csv", "nr;kommun")])
def test_kb_search_format(corpus_index, fmt, marker):
    from kbcli.main import cli

    cfg = corpus_index.config
    env = {"KB_DATA_DIR": str(cfg.data_dir), "KB_CACHE_DIR": str(cfg.cache_dir), "KB_MODEL": cfg.model}
    result = CliRunner().invoke(cli, ["search", "långtidsarbetslösa", "-k", "3", "--format", fmt], env=env)
    assert result.exit_code == 0, result.output
    assert marker in result.output and result.output.count("/reports/") >= 3


@pytest.mark.slow
def test_kb_search_writes_permalinks_in_full_under_the_sites_address(corpus_index):
    """--base-url, or KB_SITE_URL, for links that open from a working paper; without, paths on the site."""
    from kbcli.main import cli

    cfg = corpus_index.config
    env = {"KB_DATA_DIR": str(cfg.data_dir), "KB_CACHE_DIR": str(cfg.cache_dir), "KB_MODEL": cfg.model}
    site = "https://granskning.example.se/arkiv"
    args = ["search", "långtidsarbetslösa", "-k", "3"]
    md = CliRunner().invoke(cli, [*args, "--format", "md", "--base-url", site + "/"], env=env)
    assert md.exit_code == 0, md.output
    assert md.output.count(f"<{site}/reports/") == 3
    header, *rows = _rows(CliRunner().invoke(cli, [*args, "--format", "csv"], env={**env, "KB_SITE_URL": site}).output)
    assert len(rows) == 3 and all(r[header.index("permalänk")].startswith(f"{site}/reports/") for r in rows)
    text = CliRunner().invoke(cli, args, env={**env, "KB_SITE_URL": site}).output
    assert text.count(f"  {site}/reports/") == 3
    assert CliRunner().invoke(cli, args, env=env).output.count("  /reports/") == 3


@pytest.mark.parametrize("url", ["granskning.example.se", "http://host:port", "https://x.se/?a=1"])
def test_kb_search_refuses_a_base_url_that_is_no_web_address(url):
    from kbcli.main import cli

    result = CliRunner().invoke(cli, ["search", "kontroll", "--base-url", url])
    assert result.exit_code == 2 and "--base-url" in result.output and "https://värd" in result.output
    assert "Traceback" not in result.output


def test_kb_search_format_md_refuses_stdin():
    from kbcli.main import cli

    result = CliRunner().invoke(cli, ["search", "--stdin", "--format", "md"], input="x\n")
    assert result.exit_code == 2 and "--format" in result.output


def test_a_passage_over_several_pdf_pages_is_cited_with_its_page_range(shared):
    from ingest.readers import read_document
    from ingest.structure import find_sections
    from kb.chunking import chunk_document
    from kb.models import Report, ReportMeta
    from kb.search import cite

    document = read_document(shared / "data/real/pdfs/Simrishamn_Bokslut_2025.pdf", max_bytes=10**8, ocr=False)
    chunks = chunk_document("simrishamn", document, find_sections(document.text, markdown=False))
    chunk = next(c for c in chunks if c.text.startswith("Övrig information\n\nInga rättstvister"))
    report = Report(id="simrishamn", meta=ReportMeta("Bokslut 2025", kommun="Simrishamn", year=2025),
                    source="Simrishamn_Bokslut_2025.pdf", sha256="x", format="pdf")
    hit = cite(chunk, report)
    assert (hit.to_dict()["page"], hit.to_dict()["page_end"]) == (18, 21)
    assert citation(hit).endswith(", s. 18–21")
    assert _rows(to_csv([hit]))[1][6] == "18–21"


def test_a_csv_cell_a_spreadsheet_would_read_as_a_formula_is_text():
    """Ale's report lists target groups as "- Är eller har varit sjukskrivna …": opened in Excel,
    a cell starting with "-" (or "=", "+", "@") is a formula, #NAME? at best."""
    text = (CORPUS / "ale-2015-arbetsmarknadsenhet-forsorjningsstod.txt").read_text(encoding="utf-8")
    item = next(line for line in text.splitlines() if line.startswith("- Är eller har varit sjukskrivna"))
    hit = replace(HIT, text=item, section="=HYPERLINK(\"http://x\")", title="+1")
    row = _rows(to_csv([hit]))[1]
    assert row[8] == "'" + item and row[5] == "'=HYPERLINK(\"http://x\")" and row[2] == "'+1"
    assert _rows(to_csv([HIT]))[1][8].startswith("Vi bedömer")


def test_a_markdown_table_passage_exports_as_text_a_person_reads(shared):
    """Kungsbacka's question table came out as '[Tabell 216-1](handlingar.tabeller/216-1.csv) | Har
    Kungsbacka …': the link's syntax and the table's pipes in the CSV and Markdown underlag."""
    from ingest.readers import read_document

    path = shared / "data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md"
    text = read_document(path, max_bytes=10**8, ocr=False).text
    start = text.index("[Tabell 216-1](handlingar.tabeller/216-1.csv)")
    hit = replace(HIT, text=text[start:text.index("\n| ---", start) + 40])
    cell = _rows(to_csv([hit]))[1][8]
    assert cell.startswith("Tabell 216-1 Har Kungsbacka kommun en incidenthanteringsprocess som aktiveras")
    assert "? – Nej. Vår bedömning är det inte finns en" in cell
    assert not [piece for piece in ("|", "](", "---", "<br") if piece in cell]
    md = to_markdown([hit])
    assert "> Tabell 216-1\n>\n> Har Kungsbacka kommun en incidenthanteringsprocess" in md
    assert "|" not in md.split("## 1.")[1].split("Källa:")[0] and "](handlingar" not in md
