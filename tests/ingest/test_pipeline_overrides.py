"""Through `kb ingest`: what it prints per file, written metadata beating extraction (sidecar, folder
reports.toml, front matter), the same content under two names, removing reports, and the corpus's
chunks clean and typed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.ingest.pipeline_helpers import SWEDISH_REPORT, assert_consistent, by_source, kb, open_index, reports


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "rapporter"
    path.mkdir()
    (path / "orsa.txt").write_text(SWEDISH_REPORT, encoding="utf-8")
    return path


def test_ingest_prints_what_it_extracted(folder, tmp_path):
    result = kb(tmp_path / "index", "ingest", str(folder))
    assert result.exit_code == 0, result.output
    assert "-> orsa: 'Granskning av försörjningsstöd', Orsa, ?, PwC, granskningsrapport" in result.output
    assert "granskat: socialnämnden · datum: ?" in result.output
    assert "added=1 updated=0 unchanged=0 duplicate=0 failed=0" in result.output


def test_the_summary_says_one_in_the_singular(tmp_path):
    """One file of each outcome, from the real corpus: Swedish singulars, the machine part unchanged."""
    folder = tmp_path / "rapporter"
    folder.mkdir()
    for name in ("mellerud-2024-arbetsmarknadsverksamheten.txt", "odeshog-2019-forsorjningsstod.txt"):
        shutil.copy(CORPUS / name, folder / name)
    assert kb(tmp_path / "index", "ingest", str(folder)).exit_code == 0
    shutil.copy(CORPUS / "ale-2015-arbetsmarknadsenhet-forsorjningsstod.txt", folder / "ale.txt")
    shutil.copy(CORPUS / "odeshog-2019-forsorjningsstod.txt", folder / "odeshog-kopia.txt")
    with (folder / "mellerud-2024-arbetsmarknadsverksamheten.txt").open("a", encoding="utf-8") as file:
        file.write("\nBilaga: rapporten kompletterades.\n")
    (folder / "tom.txt").write_bytes(b"")
    result = kb(tmp_path / "index", "ingest", "--quiet", str(folder))
    assert result.exit_code == 1
    assert ("Klart: 1 tillagd, 1 uppdaterad, 1 oförändrad, 1 dubblett, 1 misslyckad "
            "(added=1 updated=1 unchanged=1 duplicate=1 failed=1)") in result.output


def test_sidecar_overrides_extraction(folder, tmp_path):
    (folder / "orsa.txt.toml").write_text('id = "orsa-2020"\ntitle = "Egen titel"\nyear = 2020\n'
                                          'date = "2020-05-04"\nfirm = "KPMG"\n', encoding="utf-8")
    kb(tmp_path / "index", "ingest", str(folder))
    row = reports(tmp_path / "index")["orsa-2020"]
    assert (row["title"], row["year"], row["date"], row["firm"], row["kommun"]) == (
        "Egen titel", 2020, "2020-05-04", "KPMG", "Orsa")


def test_folder_table_overrides_and_sidecar_beats_it(folder, tmp_path):
    (folder / "reports.toml").write_text('[[report]]\nfile = "orsa.txt"\nid = "orsa-x"\nkommun = "Mora"\n'
                                         'doc_type = "missiv"\naudited_body = "Kommunstyrelsen"\n',
                                         encoding="utf-8")
    kb(tmp_path / "index", "ingest", str(folder))
    row = reports(tmp_path / "index")["orsa-x"]
    assert (row["kommun"], row["doc_type"], row["audited_body"]) == ("Mora", "missiv", "Kommunstyrelsen")
    (folder / "orsa.txt.toml").write_text('kommun = "Älvdalen"\n', encoding="utf-8")
    result = kb(tmp_path / "index", "ingest", str(folder))
    assert "updated=1" in result.output  # a changed override is a change
    assert reports(tmp_path / "index")["orsa-x"]["kommun"] == "Älvdalen"


def test_bad_metadata_file_is_named(folder, tmp_path):
    (folder / "reports.toml").write_text('[[report]]\nfile = "orsa.txt"\nkommune = "Mora"\n', encoding="utf-8")
    result = kb(tmp_path / "index", "ingest", str(folder))
    assert result.exit_code == 1 and "okända metadatafält kommune" in result.output


def test_front_matter_overrides_extraction(folder, tmp_path):
    (folder / "ale.md").write_text('---\ntitle: "Uppföljning av hemtjänsten"\nkommun: Ale\nyear: 2022\n'
                                   "firm: Ernst & Young AB\n---\n\n" + SWEDISH_REPORT, encoding="utf-8")
    kb(tmp_path / "index", "ingest", str(folder / "ale.md"))
    row = by_source(tmp_path / "index")["ale.md"]
    assert (row["title"], row["kommun"], row["year"], row["firm"]) == ("Uppföljning av hemtjänsten", "Ale", 2022, "EY")


def test_a_markdown_reports_first_heading_is_its_title(folder, tmp_path, shared):
    """The `# heading` an author marked titles a Markdown report, as the same line does in a .txt;
    a first heading that names a section ('# Sammanfattning') does not."""
    (folder / "nobom.md").write_text("# " + SWEDISH_REPORT, encoding="utf-8")
    kungsbacka = (shared / "data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md").read_text()
    body = kungsbacka[kungsbacka.index("<!-- sida 193 -->"):]
    (folder / "h1.md").write_text("# Nätfiske som test – granskningsrapport 2023\n\n" + body, encoding="utf-8")
    (folder / "sektion.md").write_text(body.replace("Sammanfattning", "# Sammanfattning", 1), encoding="utf-8")
    (folder / "original.md").write_text(kungsbacka, encoding="utf-8")
    assert kb(tmp_path / "index", "ingest", str(folder)).exit_code == 0
    titles = {name: row["title"] for name, row in by_source(tmp_path / "index").items()}
    assert titles["nobom.md"] == "Granskning av försörjningsstöd" == titles["orsa.txt"]
    assert titles["h1.md"] == "Nätfiske som test – granskningsrapport 2023"
    assert titles["sektion.md"] not in ("Sammanfattning", "# Sammanfattning")
    assert titles["original.md"] == "Informationssäkerhet i praktiken"  # no heading: the cover line, as before


def test_same_content_under_two_names_is_one_report_with_aliases(folder, tmp_path):
    shutil.copy(folder / "orsa.txt", folder / "orsa-kopia.txt")
    (folder / "sub").mkdir()
    shutil.copy(folder / "orsa.txt", folder / "sub" / "orsa.txt")  # same name in another folder, too
    data_dir = tmp_path / "index"
    result = kb(data_dir, "ingest", str(folder))
    assert "added=1 updated=0 unchanged=0 duplicate=2 failed=0" in result.output
    (row,) = reports(data_dir).values()
    names = [row["source"], *row["aliases"]]
    assert sorted(Path(n).relative_to(folder).as_posix() for n in names) == [
        "orsa-kopia.txt", "orsa.txt", "sub/orsa.txt"]
    again = kb(data_dir, "ingest", str(folder))
    assert "added=0 updated=0 unchanged=1 duplicate=2 failed=0" in again.output
    assert list(reports(data_dir).values()) == [row]
    assert_consistent(data_dir).close()


def test_same_name_in_two_folders_gets_two_ids(folder, tmp_path):
    (folder / "sub").mkdir()
    (folder / "sub" / "orsa.txt").write_text(SWEDISH_REPORT.replace("Orsa", "Mora"), encoding="utf-8")
    kb(tmp_path / "index", "ingest", str(folder))
    assert sorted(reports(tmp_path / "index")) == ["orsa", "orsa-sub"]


def test_remove_deletes_catalog_lexical_and_vectors(folder, tmp_path):
    (folder / "ale.md").write_text("# Granskning av hemtjänsten\n\nNämnden bör följa upp hemtjänsten.\n",
                                   encoding="utf-8")
    data_dir = tmp_path / "index"
    kb(data_dir, "ingest", str(folder))
    result = kb(data_dir, "remove", "orsa")
    assert result.exit_code == 0 and "Borttagen: orsa" in result.output
    index = assert_consistent(data_dir)
    assert [r.id for r in index.catalog.reports()] == ["ale"] and index.catalog.findings() == [
        f for f in index.catalog.findings() if f[1].id == "ale"]
    assert index.lexical._current_matrix() is not None  # rebuilt without Orsa, not left stale
    assert index.lexical.search("Orsa", 5) == []
    index.close()
    missing = kb(data_dir, "remove", "finns-inte")
    assert missing.exit_code == 1 and "'finns-inte' finns inte i indexet" in missing.output
    assert "Traceback" not in missing.output


def test_prune_removes_reports_whose_file_is_gone(folder, tmp_path, shared):
    shutil.copy(shared / "data" / "pdf-edge-cases" / "pdflatex-4-pages.pdf", folder / "latex.pdf")
    data_dir = tmp_path / "index"
    kb(data_dir, "ingest", str(folder))
    originals = list((data_dir / "originals").iterdir())
    assert len(originals) == 1
    (folder / "latex.pdf").unlink()
    result = kb(data_dir, "ingest", "--prune", str(folder))
    assert "BORT latex" in result.output and "removed=1" in result.output
    assert list(reports(data_dir)) == ["orsa"] and not originals[0].exists()
    index = assert_consistent(data_dir)
    assert index.lexical._current_matrix() is not None
    index.close()


def test_prune_keeps_a_report_another_of_its_files_still_holds(folder, tmp_path):
    shutil.copy(folder / "orsa.txt", folder / "orsa-kopia.txt")  # read first: the source, orsa.txt an alias
    data_dir = tmp_path / "index"
    assert "duplicate=1" in kb(data_dir, "ingest", str(folder)).output
    [row] = reports(data_dir).values()
    assert Path(row["source"]).name == "orsa-kopia.txt"
    (folder / "orsa-kopia.txt").unlink()
    result = kb(data_dir, "ingest", "--prune", str(folder))
    assert f"FLYTT {row['id']}" in result.output and "removed=0" in result.output
    index = assert_consistent(data_dir)
    [report] = index.catalog.reports()
    assert Path(report.source) == folder / "orsa.txt" and report.aliases == ()  # the gone name dropped
    index.close()
    (folder / "orsa.txt").unlink()
    result = kb(data_dir, "ingest", "--prune", str(folder))
    assert f"BORT {row['id']}" in result.output and "removed=1" in result.output and reports(data_dir) == {}


@pytest.fixture(scope="module")
def corpus_chunks(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("corpus") / "index"
    assert kb(data_dir, "ingest", str(CORPUS)).exit_code == 0
    index = open_index(data_dir)
    yield {r.id: index.catalog.chunks_of(r.id) for r in index.catalog.reports()}
    index.close()


def test_corpus_chunks_carry_no_export_leftovers(corpus_chunks):
    for chunks in corpus_chunks.values():
        for chunk in chunks:
            assert "[bookmark" not in chunk.text and "footnoteRef" not in chunk.text and "[footnote" not in chunk.text


def test_corpus_chunks_carry_section_path_and_type(corpus_chunks):
    mellerud = corpus_chunks["mellerud-2024-arbetsmarknadsverksamheten"]
    recommendations = [c for c in mellerud if c.section == "Rekommendationer"]
    assert recommendations and {c.section_type for c in recommendations} == {"rekommendation"}
    judged = [c for c in mellerud if c.section == "Bedömning"]
    assert len(judged) >= 3 and {c.section_type for c in judged} == {"bedomning"}
    assert all(len(c.section_path) == 3 for c in judged)  # Granskningsresultat › topic › Bedömning
    odeshog = corpus_chunks["odeshog-2019-forsorjningsstod"]
    assert {c.section_type for c in odeshog if c.section.startswith("Revisionsrapport:")} == {"sammanfattning"}
    for chunks in corpus_chunks.values():
        typed = [c for c in chunks if c.section_type != "ovrigt"]
        assert len(typed) >= 0.7 * len(chunks)


def test_corpus_metadata_file_agrees_with_extraction():
    """corpus/reports.toml states every report's metadata; extraction alone finds the same facts."""
    import tomllib

    from ingest.metadata import extract_metadata
    from ingest.readers import read_document

    written = tomllib.loads((CORPUS / "reports.toml").read_text(encoding="utf-8"))["report"]
    assert len(written) == 5
    for entry in written:
        assert {"id", "kommun", "year", "firm", "title", "doc_type"} <= set(entry)
        document = read_document(CORPUS / entry["file"])
        meta = extract_metadata(document.text, file_name=entry["file"], file_metadata=document.metadata)
        assert (meta.kommun, meta.year, meta.firm, meta.doc_type) == (
            entry["kommun"], entry["year"], entry["firm"], entry["doc_type"]), entry["file"]
        assert meta.audited_body.casefold() == entry["audited_body"].casefold()


@pytest.mark.parametrize("command", [["remove"], ["ingest"]])
def test_commands_have_help(command, tmp_path):
    result = kb(tmp_path / "index", *command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output
    assert "--prune" in result.output or command == ["remove"]


@pytest.mark.parametrize("bad_id", ["../etc", "a/b", "<script>", "Stora Bokstäver", ""])
def test_an_unusable_id_in_the_metadata_file_is_refused(tmp_path, bad_id):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "rapport.txt").write_text("Revisionsrapport\n\nVi rekommenderar att nämnden ser över rutinerna.\n",
                                        encoding="utf-8")
    (folder / "reports.toml").write_text(f'[[report]]\nfile = "rapport.txt"\nid = "{bad_id}"\n', encoding="utf-8")
    result = kb(tmp_path / "index", "ingest", str(folder))
    assert result.exit_code == 1 and "Ogiltigt id" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("written", "message"), [
    ("---\nyear: tjugo\n---\n", "fältet year ('tjugo') är inget årtal"),
    ("---\nyear: 1800\n---\n", "mellan 1900 och 2100"),
    ("---\ndate: 12 mars 2024\n---\n", "fältet date ('12 mars 2024') är inget datum"),
    ("---\ndoc_type: revisionsrapport\n---\n", "ange en av granskningsrapport, missiv"),
])
def test_written_metadata_a_catalog_cannot_keep_fails_that_file_alone(folder, tmp_path, written, message):
    """A Markdown file whose front matter has a year in words (or a sidecar's year = "tjugo") stopped the
    whole ingest with a traceback; it fails alone, named, and the rest of the folder goes in."""
    (folder / "a-fel.md").write_text(written + SWEDISH_REPORT, encoding="utf-8")
    result = kb(tmp_path / "index", "ingest", str(folder))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "a-fel.md, metadata överst i filen: fältet " in result.output and message in result.output
    assert set(by_source(tmp_path / "index")) == {"orsa.txt"}


@pytest.mark.parametrize(("sidecar", "message"), [
    ('year = "tjugo"\n', "fältet year ('tjugo') är inget årtal"),
    ("year = true\n", "fältet year (True) är inget årtal"),
    ('date = "2024-02-30"\n', "är inget datum"),
])
def test_a_sidecar_value_the_catalog_cannot_keep_is_named(folder, tmp_path, sidecar, message):
    (folder / "orsa.txt.toml").write_text(sidecar, encoding="utf-8")
    shutil.copy(CORPUS / "ale-2015-arbetsmarknadsenhet-forsorjningsstod.txt", folder / "ale.txt")
    result = kb(tmp_path / "index", "ingest", str(folder))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "orsa.txt.toml: fältet " in result.output and message in result.output
    assert set(by_source(tmp_path / "index")) == {"ale.txt"}


def test_a_toml_date_and_a_year_in_text_are_kept_as_the_catalog_keeps_them(folder, tmp_path):
    (folder / "orsa.txt.toml").write_text('date = 2020-05-04\nyear = "2020"\nfirm = 7\n', encoding="utf-8")
    assert kb(tmp_path / "index", "ingest", str(folder)).exit_code == 0
    row = by_source(tmp_path / "index")["orsa.txt"]
    assert (row["date"], row["year"], row["firm"]) == ("2020-05-04", 2020, "7")
