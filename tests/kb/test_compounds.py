"""Decompounding: recall on audit compounds, and precision (no splitting of simple words)."""

import pytest

from kb.analysis import term
from kb.compounds import BASE_VOCABULARY, Decompounder


@pytest.fixture(scope="module")
def dec() -> Decompounder:
    return Decompounder(BASE_VOCABULARY)


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("arbetsmarknadsenheten", ["arbete", "marknad", "enheten"]),
        ("samverkansformer", ["samverkan", "former"]),
        ("försörjningsstödsenheten", ["försörjning", "stöd", "enheten"]),
        ("internkontroll", ["intern", "kontroll"]),
        ("socialnämndens", ["social", "nämndens"]),
        ("familjeomsorgen", ["familj", "omsorgen"]),  # linking -e-
        ("målgruppen", ["mål", "gruppen"]),  # listed short part
        ("samordningsförbundet", ["samordning", "förbundet"]),  # inflection Snowball keeps
    ],
)
def test_splits_compounds(dec, word, parts):
    assert dec.split(word) == [term(p) for p in parts]


@pytest.mark.parametrize(
    "word",
    ["revisor", "revisorerna", "kommunen", "verksamheten", "bedömning", "uppföljning",
     "kontroll", "förvaltningen", "organisationen", "personal", "information", "ekonomiskt",
     "sammanfattning", "utvärdering", "beslutet"],
)
def test_does_not_split_simple_words(dec, word):
    assert dec.split(word) == [term(word)]


def test_revisor_not_re_visor_even_when_visor_is_known():
    dec = Decompounder([*BASE_VOCABULARY, "visor", "re", "kom", "mun"])
    assert dec.split("revisor") == [term("revisor")]
    assert dec.split("kommunen") == [term("kommunen")]


def test_derivational_endings_are_not_parts():
    dec = Decompounder(["rapport", "ring", "simuler", "ingar", "analys", "rats", "plan", "rings"])
    for word in ("rapportering", "simuleringar", "analyserats", "planerings"):
        assert len(dec.split(word)) == 1, word


def test_unknown_parts_never_split(dec):
    assert dec.split("xyzqwertyenheten") == [term("xyzqwertyenheten")]


def test_vocabulary_grows_with_add():
    dec = Decompounder(["enhet"])
    assert len(dec.split("resurscentrumenheten")) == 1
    dec.add(["resurscentrum"])
    assert dec.split("resurscentrumenheten") == [term("resurscentrum"), term("enheten")]


def test_weighted_terms_whole_inner_compound_then_parts(dec):
    weights = dict(dec.weighted_terms("Arbetsmarknadsenheten"))
    assert weights[term("arbetsmarknadsenhet")] == 1.0
    assert weights[term("arbetsmarknad")] == 0.5
    assert weights[term("enhet")] == 0.3


def test_terms_of_simple_word_is_its_term(dec):
    assert dec.terms("kommunen") == ["kommun"]
