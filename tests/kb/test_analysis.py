"""Each analysis step alone, then the pipeline, then a bounded fuzz of analyze()."""

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.analysis import (
    analyze,
    analyze_query,
    analyze_query_weighted,
    fold_diacritics,
    hyphen_groups,
    is_stopword,
    lowercase,
    match_spans,
    normalize,
    phrase_terms,
    stem,
    term,
    tokenize_with_offsets,
)
from tests.conftest import CORPUS


def test_normalize_composes_and_expands_ligatures():
    assert normalize("o\u0308versyn") == "översyn"
    assert normalize("\ufb01nns") == "finns"
    assert normalize("arbets\u00admarknad") == "arbetsmarknad"


def test_words_that_normalisation_splits_or_empties():
    """Found by the fuzz test: NFKC of "ﹰ" is a space and a combining mark, of "1½" is "11⁄2"."""
    assert tokenize_with_offsets("ﹰ") == [] and analyze("ﹰ") == [] and analyze_query("ﹰ") == []
    assert tokenize_with_offsets("kostade 1½ miljon") == [("kostade", 0, 7), ("11", 8, 10), ("2", 8, 10),
                                                          ("miljon", 11, 17)]
    assert all(t.isalnum() for t in analyze("Kostnaden ökade med 1½ miljon kronor ﹰ ⅔ ㎡."))


def test_lowercase_casefolds():
    assert lowercase("SOCIALNÄMNDEN") == "socialnämnden"
    assert lowercase("Straße") == "strasse"


def test_fold_diacritics_swedish_and_loan_letters():
    assert fold_diacritics("försörjningsstöd") == "forsorjningsstod"
    assert fold_diacritics("åtgärd") == "atgard"
    assert fold_diacritics("idé") == "ide"
    assert fold_diacritics("müller") == "muller"
    assert fold_diacritics("smørrebrød") == "smorrebrod"


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=12))
def test_the_table_fold_equals_the_unicode_fold(text):
    """The lookup table is a shortcut: it must fold every Latin letter as decomposition does."""
    from kb.analysis import _fold_slowly

    assert fold_diacritics(text) == _fold_slowly(text)


def test_stopwords_are_function_words_only():
    assert is_stopword("och") and is_stopword("för")
    assert not is_stopword("kommun") and not is_stopword("bedömning")


def test_stem_is_snowball_swedish():
    assert stem("kommunen") == "kommun"
    assert stem("rekommendationer") == "rekommendation"
    assert stem("uppföljningen") == "uppföljning"


def test_term_folds_after_stemming_so_both_spellings_meet():
    assert term("försörjningsstödet") == term("forsorjningsstodet") == "forsorjningsstod"


def test_tokenize_offsets_point_into_original_text():
    text = "Socialnämnden (SN) följer upp o\u0308versynen 2023."
    toks = tokenize_with_offsets(text)
    assert [t for t, _, _ in toks] == ["Socialnämnden", "SN", "följer", "upp", "översynen", "2023"]
    for _, s, e in toks:
        assert text[s:e].replace("\u0308", "") in {"Socialnämnden", "SN", "följer", "upp", "oversynen", "2023"}


def test_tokenize_no_words():
    assert tokenize_with_offsets("") == []
    assert tokenize_with_offsets(" -- ;; __ ") == []


def test_hyphen_join_within_word_and_across_pdf_line_breaks():
    text = "IT-system och arbets- marknads- verksamheten"
    groups = hyphen_groups(text, tokenize_with_offsets(text))
    assert [(w, n) for w, _, _, n in groups] == [("ITsystem", 2), ("arbetsmarknadsverksamheten", 3)]


def test_suspended_compound_is_not_joined():
    text = "individ- och familjeomsorgen"
    assert hyphen_groups(text, tokenize_with_offsets(text)) == []


def test_analyze_emits_parts_and_joined_form():
    terms = analyze("IT-system")
    assert {"it", "system", "itsystem"} <= set(terms)


def test_analyze_drops_stopwords_keeps_domain_words():
    assert analyze("och för kommunen") == ["kommun"]


def test_analyze_emits_compound_parts():
    terms = set(analyze("Arbetsmarknadsenheten"))
    assert term("arbetsmarknad") in terms
    assert term("enheten") in terms


def test_query_weights_typed_words_over_parts_and_synonyms():
    weights = dict(analyze_query_weighted("försörjningsstödsenheten FK"))
    assert weights["fk"] == 1.0
    assert weights[term("försörjningsstöd")] == 0.5
    assert 0 < weights[term("försäkringskassan")] < 1.0
    assert max(weights.values()) == 1.0


def test_analyze_query_folds_like_the_index():
    assert term("forsorjningsstod") in analyze_query("forsorjningsstod")


def test_phrase_terms_drop_stopwords():
    assert phrase_terms("lagen om offentlig upphandling") == [term("lagen"), term("offentlig"), term("upphandling")]


def test_match_spans_highlights_compound_containing_query_word():
    text = "Arbetsmarknadsenheten samverkar med Försäkringskassan och kommunen."
    spans = [text[s:e] for s, e in match_spans("arbetsmarknad FK", text)]
    assert spans == ["Arbetsmarknadsenheten", "Försäkringskassan"]


def test_match_spans_without_diacritics_in_query():
    text = "Försörjningsstöd betalas ut."
    assert [text[s:e] for s, e in match_spans("forsorjningsstod", text)] == ["Försörjningsstöd"]


def test_match_spans_nothing_for_hostile_query():
    assert match_spans('"AND OR NEAR( *', "Kommunen och revisorerna.") == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_analyze_never_fails_and_yields_clean_terms(text):
    for t in analyze(text) + analyze_query(text):
        assert t and t == t.casefold()
        assert " " not in t and '"' not in t
    for s, e in match_spans(text, text):
        assert 0 <= s < e <= len(text)


def test_match_spans_remembers_a_passage_per_vocabulary_and_forgets_a_replaced_one():
    import gc
    import weakref

    from kb import analysis
    from kb.compounds import BASE_VOCABULARY, Decompounder

    text = (CORPUS / "ale-2015-arbetsmarknadsenhet-forsorjningsstod.txt").read_text(encoding="utf-8")[:3000]
    first = Decompounder(BASE_VOCABULARY)
    spans = match_spans("arbetsmarknad AF", text, first)
    assert spans and match_spans("arbetsmarknad AF", text, first) == spans  # answered from memory
    assert match_spans("arbetsmarknad AF", text, Decompounder(BASE_VOCABULARY)) == spans  # same words, same marks
    assert first in analysis._span_caches
    held = weakref.ref(first)
    del first
    gc.collect()
    assert held() is None  # the memory does not keep a vocabulary the index has replaced alive


def test_english_queries_of_the_evaluation_sets_are_told_from_swedish_ones():
    from kb.analysis import looks_english
    from kb.evaluation import load_queries

    queries = [q for name in ("dev", "heldout") for q in load_queries(CORPUS.parent / "eval" / f"{name}.jsonl")]
    english = [q.query for q in queries if q.kind == "english"]
    # A hint errs towards silence: 10 of the 13 have an English function word it counts ("for" is
    # left out, as unaccented Swedish has it); none of the 97 Swedish queries is taken for English.
    assert sum(map(looks_english, english)) >= 10
    assert [q.query for q in queries if q.kind != "english" and looks_english(q.query)] == []
