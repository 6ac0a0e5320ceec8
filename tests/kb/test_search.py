"""Search mechanics on real reports with the fast hashing embedder: filters, dedup, similar."""

from __future__ import annotations

import pytest

from kb.errors import BadQuery, NotFound
from kb.search import Filters, Searcher
from tests.conftest import ingest_folder


@pytest.fixture
def searcher(fake_index, corpus_copy):
    ingest_folder(fake_index, corpus_copy)
    return Searcher(fake_index)


@pytest.mark.parametrize("filters", [
    Filters(kommun=("Mellerud",)),
    Filters(kommun=("Ale", "Ödeshög")),
    Filters(firm=("KPMG",)),
    Filters(year_from=2016),
    Filters(year_to=2015, year_from=2014),
    Filters(doc_type=("protokollsutdrag",)),
    Filters(audited_body=("Socialnämnden",)),
])
def test_every_hit_honours_every_filter(searcher, filters):
    result = searcher.search("samverkan arbetsmarknad", k=20, filters=filters)
    assert result.hits
    for hit in result.hits:
        report = searcher.index.catalog.report(hit.report_id)
        chunk = searcher.index.catalog.chunks_by_id([hit.chunk_id])[hit.chunk_id]
        assert filters.matches(chunk, report)


def test_a_filter_nothing_matches_gives_no_hits(searcher):
    assert searcher.search("samverkan", filters=Filters(kommun=("Kiruna",))).hits == []


def test_a_kommun_filter_ignores_case_and_diacritics(searcher):
    """People type 'mellerud' and 'Odeshog'; the index says Mellerud and Ödeshög."""
    for typed, spelled in (("mellerud", "Mellerud"), ("Odeshog", "Ödeshög"), ("ALE", "Ale")):
        result = searcher.search("samverkan arbetsmarknad", k=10, filters=Filters(kommun=(typed,)))
        expected = searcher.search("samverkan arbetsmarknad", k=10, filters=Filters(kommun=(spelled,)))
        assert result.hits and [h.chunk_id for h in result.hits] == [h.chunk_id for h in expected.hits]
        assert {h.kommun for h in result.hits} == {spelled}
        source = result.hits[0].chunk_id
        similar = searcher.similar(source, filters=Filters(kommun=(typed,)), same_report=True)
        assert {h.kommun for h in similar.hits} == {spelled}
    catalog = searcher.index.catalog
    assert catalog.findings(["mellerud"]) == catalog.findings(["Mellerud"]) != []
    assert catalog.kommun_names(["strömsund", "Kiruna"]) == ("Strömsund", "Kiruna")


def test_a_table_of_contents_is_never_a_hit(searcher):
    """Three of the shipped reports open with one; it names every subject, so it matched every
    query ("bedömning" found it first), and it answers none. A table of figures is no contents."""
    from kb.chunking import is_table_of_contents

    catalog = searcher.index.catalog
    chunks = [c for r in catalog.reports() for c in catalog.chunks_of(r.id)]
    contents = {c.report_id for c in chunks if is_table_of_contents(c.text)}
    assert contents == {"ale-2015-arbetsmarknadsenhet-forsorjningsstod", "mellerud-2024-arbetsmarknadsverksamheten",
                        "odeshog-2019-forsorjningsstod"}
    assert all(c.section.startswith("Innehåll") for c in chunks if is_table_of_contents(c.text))
    table = next(c for c in chunks if "Annan ersättning\t20\t4" in c.text)  # Mellerud's outcomes, by year
    assert not is_table_of_contents(table.text)
    for query in ("bedömning", "sammanfattning inledning bakgrund syfte revisionskriterier", "avgränsning"):
        assert not any(is_table_of_contents(h.text) for h in searcher.search(query, k=20).hits)


def test_facets_count_the_candidates(searcher):
    facets = searcher.search("försörjningsstöd", k=10).facets
    assert set(facets) >= {"kommun", "year", "firm", "section_type", "doc_type", "audited_body"}
    assert facets["kommun"] and all(n > 0 for n in facets["kommun"].values())
    bodies = {r.meta.audited_body for r in searcher.index.catalog.reports()} - {None}
    assert facets["audited_body"] and set(facets["audited_body"]) <= bodies


def test_an_audited_body_written_in_two_cases_is_one_facet_value(searcher, shared):
    """Strömsund's is "Kommunstyrelsen" in corpus/reports.toml; Olofström's plan is read as "kommunstyrelsen"."""
    ingest_folder(searcher.index, shared / "data/real/pdfs/Olofstrom_Handlingsplan_for_klimat_och_energi.pdf")
    bodies = {r.id: r.meta.audited_body for r in searcher.index.catalog.reports()}
    assert bodies["olofstrom-handlingsplan-for-klimat-och-energi"] == "kommunstyrelsen"
    assert bodies["stromsund-2013-samverkan-langtidsarbetslosa"] == "Kommunstyrelsen"
    facet = searcher.search("kommunstyrelsen samverkan energi", k=50).facets["audited_body"]
    assert [body for body in facet if body.casefold() == "kommunstyrelsen"] == ["Kommunstyrelsen"]
    assert facet["Kommunstyrelsen"] > 0
    only = searcher.search("kommunstyrelsen samverkan energi", k=50, filters=Filters(audited_body=("Kommunstyrelsen",)))
    assert {hit.kommun for hit in only.hits} == {"Olofström", "Strömsund"}  # the filter ignores case


def test_filtering_on_an_audited_body_still_counts_the_others(searcher):
    result = searcher.search("samverkan arbetsmarknad", k=10, filters=Filters(audited_body=("Socialnämnden",)))
    assert result.hits
    assert result.facets["audited_body"].get("Socialnämnden", 0) > 0 and len(result.facets["audited_body"]) >= 2


def test_no_two_hits_overlap(searcher):
    hits = searcher.search("rekommendationer uppföljning", k=30).hits
    for i, a in enumerate(hits):
        for b in hits[i + 1 :]:
            assert a.report_id != b.report_id or a.end <= b.start or b.end <= a.start


def test_a_passage_a_report_repeats_word_for_word_is_shown_once(searcher):
    # Mellerud's report lists its recommendations twice, in the summary and at the end.
    query = "Förtydliga ansvarsfördelningen i reglementen mellan socialnämnden och kommunstyrelsen"
    hits = searcher.search(query, k=30).hits
    wordings = [(h.report_id, h.text) for h in hits]
    assert len(wordings) == len(set(wordings))
    listing = [h for h in hits if "Förtydliga ansvarsfördelningen i reglementen" in h.text]
    assert len(listing) == 1 and listing[0].kommun == "Mellerud"


def test_similar_leaves_out_the_passage_itself(searcher):
    first = searcher.search("långtidsarbetslösa", k=1).hits[0]
    similar = searcher.similar(first.chunk_id, k=5)
    assert len(similar.hits) == 5
    assert first.chunk_id not in {h.chunk_id for h in similar.hits}
    assert [h.rank for h in similar.hits] == [1, 2, 3, 4, 5]


def test_similar_passages_are_from_other_reports_unless_the_same_report_is_asked_for(searcher):
    source = searcher.index.catalog.chunks_of("odeshog-2019-forsorjningsstod")[5]
    assert {h.report_id for h in searcher.similar(source.id, k=10).hits}.isdisjoint({source.report_id})
    only_ale = searcher.similar(source.id, k=10, filters=Filters(kommun=("Ale",)))
    assert only_ale.hits and {h.kommun for h in only_ale.hits} == {"Ale"}
    assert source.report_id in {h.report_id for h in searcher.similar(source.id, k=10, same_report=True).hits}


def test_similar_to_an_unknown_passage_is_not_found(searcher):
    with pytest.raises(NotFound):
        searcher.similar("0" * 24)


@pytest.mark.parametrize("query", ["", "   ", "\x00", "x" * 1001])
def test_unsearchable_queries_are_refused(searcher, query):
    with pytest.raises(BadQuery):
        searcher.search(query)


@pytest.mark.parametrize("query", ['"AND OR NEAR(', "'; DROP TABLE chunks; --", "ÅÄÖ åäö ©®", "a" * 1000,
                                   "LSS", "2019", "K2"])
def test_hostile_queries_are_answered(searcher, query):
    searcher.search(query, k=3)


@pytest.mark.parametrize("query", ["*", '"', "...!!!", "-", "\u202e\u200b", "😀", "© ®"])
def test_a_query_without_a_word_is_refused_with_a_message(searcher, query):
    with pytest.raises(BadQuery, match="Frågan innehåller inga sökbara ord."):
        searcher.search(query, k=3)


def test_facets_beside_an_active_filter_count_the_other_values(searcher):
    """Filtering on one kommun still shows what the others would give; other facets follow the filter."""
    result = searcher.search("samverkan arbetsmarknad", k=10, filters=Filters(kommun=("Mellerud",)))
    assert {h.kommun for h in result.hits} == {"Mellerud"}
    kommuner = result.facets["kommun"]
    assert kommuner.get("Mellerud", 0) > 0 and len(kommuner) >= 3
    assert set(result.facets["firm"]) == {"PwC"}  # Mellerud's firm only: the kommun filter still applies
