"""The speller, against the vocabulary of real reports: what it corrects and what it leaves alone."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.analysis import term
from kb.places import load_places
from kb.spelling import Speller
from tests.conftest import CORPUS, ingest_folder


@pytest.fixture(scope="module")
def speller() -> Speller:
    """Words of the five shipped reports, counted per paragraph as the index counts them per passage."""
    counts: Counter[str] = Counter()
    for path in sorted(CORPUS.glob("*.txt")):
        for paragraph in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            counts.update({w.casefold() for w in re.findall(r"[^\W\d_]+", paragraph)})
    vocabulary = {w: n for w, n in counts.items() if n >= 2}
    terms = {term(w) for w in vocabulary}
    return Speller(vocabulary, known_term=lambda word: term(word) in terms,
                   protected=[name for names in load_places() for name in names])


@pytest.mark.parametrize("typed, meant", [
    ("forsorjningsstod", "försörjningsstöd"),  # typed without å/ä/ö
    ("atgarder", "åtgärder"),
    ("genomförandplan", "genomförandeplan"),  # a letter left out
    ("arbetsförmedligen", "arbetsförmedlingen"),
    ("rekomendationer", "rekommendationer"),
    ("arbetspalnen", "arbetsplanen"),  # two letters swapped: one edit
    ("samordningsförbudets", "samordningsförbundets"),
])
def test_corrects_words_the_reports_do_not_use(speller, typed, meant):
    assert speller.correct_word(typed) == meant


@pytest.mark.parametrize("typed", [
    "försörjningsstöd",  # in the reports
    "lämnar",  # not in them, but an inflection of a word that is ("lämna")
    "plan", "stöd",  # short: too many real words lie one edit apart
    "Lidköping", "Linköping",  # place names are never typos of each other
    "xyzzyqwerty",  # nothing near
])
def test_leaves_known_short_and_unknowable_words_alone(speller, typed):
    assert speller.correct_word(typed) is None


def test_a_query_keeps_its_other_words_case_and_punctuation(speller):
    spelling = speller.correct("Rekomendationer från 2019: forsorjningsstod?")
    assert spelling.searched == "Rekommendationer från 2019: försörjningsstöd?"
    assert spelling.changes == (("Rekomendationer", "Rekommendationer"), ("forsorjningsstod", "försörjningsstöd"))
    assert spelling.typed == "Rekomendationer från 2019: forsorjningsstod?"


def test_english_queries_are_not_corrected_into_swedish(speller):
    query = "outcome goals and indicators for labour market measures"
    assert speller.correct(query).searched == query
    assert speller.correct(query).changes == ()


def test_search_corrects_by_default_and_not_when_asked(fake_index, corpus_copy):
    from kb.search import Searcher

    ingest_folder(fake_index, corpus_copy)
    searcher = Searcher(fake_index)
    result = searcher.search("genomförandplan forsorjningsstod", k=5)
    assert result.searched == "genomförandeplan försörjningsstöd"
    assert result.query == "genomförandplan forsorjningsstod"
    assert result.corrections == (("genomförandplan", "genomförandeplan"), ("forsorjningsstod", "försörjningsstöd"))
    assert "genomförandeplan" in " ".join(h.text for h in result.hits)
    exact = searcher.search("genomförandplan forsorjningsstod", k=5, spell=False)
    assert exact.searched == exact.query and exact.corrections == ()
    plain = searcher.search("försörjningsstöd", k=5)
    assert plain.searched == "försörjningsstöd" and plain.corrections == ()


def test_a_word_of_the_thesaurus_is_no_typo(fake_index, corpus_copy):
    """"internal control" has no English function word to show it is English, and "internal" is one
    letter from the reports' "interna": the glossary's rule for it must still apply."""
    from kb.search import Searcher

    ingest_folder(fake_index, corpus_copy)
    assert fake_index.lexical.spell("internal control").changes == ()
    result = Searcher(fake_index).search("internal control", k=5)
    assert result.searched == "internal control" and result.corrections == ()
    assert {term("intern"), term("kontroll")} <= {t for t, _ in fake_index.lexical.query_terms(result.searched)}
    assert fake_index.lexical.spell("intern kontrol").searched == "intern kontroll"  # Swedish typos still


def test_the_speller_learns_words_an_ingest_adds(fake_index, corpus_copy, shared):
    """A word only Kungsbacka's report uses is a typo until that report is indexed."""
    ingest_folder(fake_index, corpus_copy)
    assert fake_index.lexical.spell("landnigssidan").changes == ()
    ingest_folder(fake_index, shared / "data/real/audits")
    assert fake_index.lexical.spell("landnigssidan").searched == "landningssidan"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_only_words_change_never_what_lies_between_them(speller, text):
    spelling = speller.correct(text)
    assert re.sub(r"[^\W\d_]+", "", spelling.searched) == re.sub(r"[^\W\d_]+", "", text)
    assert (spelling.searched == text) == (not spelling.changes)
