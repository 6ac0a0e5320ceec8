"""Each cleaner alone, on real fragments, plus bounded fuzzing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import clean


def test_normalize_unicode_spaces_ligatures_soft_hyphens() -> None:
    raw = "ﬁnansiering\u00a0och\u2009ﬂöde\r\nrevi\u00adsion man\u00ad\növrering\u200bar\x0cslut"
    assert clean.normalize_unicode(raw) == "finansiering och flöde\nrevision manövreringar\nslut"


def test_normalize_unicode_composes_swedish_letters() -> None:
    assert clean.normalize_unicode("na\u0308mnd") == "nämnd"


def test_fix_mojibake_double_encoded_utf8() -> None:
    assert clean.fix_mojibake("SocialnÃ¤mnden fÃ¶rsÃ¶rjningsstÃ¶d Ã…tgÃ¤rd") == "Socialnämnden försörjningsstöd Åtgärd"


def test_fix_mojibake_leaves_good_text_alone() -> None:
    text = "Revisionsfråga 1: Är styrningen ändamålsenlig? – Ja, ”delvis”."
    assert clean.fix_mojibake(text) == text


def test_strip_export_artifacts_bookmarks_and_footnotes() -> None:
    raw = (
        " [bookmark: _Toc412647261]Sammanfattning\n"
        "Socialnämnden[footnoteRef:1]  är granskningsobjekt. [1:  Kommunstyrelsens socialutskott har övertagit. ] \n"
    )
    out = clean.strip_export_artifacts(raw)
    assert "[" not in out
    assert out.startswith(" Sammanfattning")
    assert "Socialnämnden¹  är granskningsobjekt.\n¹ Kommunstyrelsens socialutskott har övertagit.\n" in out


def test_join_hyphenated_split_words() -> None:
    assert clean.join_hyphenated("anordnad att manövrerin-\ngen av denna") == "anordnad att manövreringen av denna"


def test_join_hyphenated_keeps_real_hyphens() -> None:
    assert clean.join_hyphenated("social-\noch arbetsmarknadsnämnden") == "social- och arbetsmarknadsnämnden"
    assert clean.join_hyphenated("nya IT-\nsystem") == "nya IT-system"
    assert clean.join_hyphenated("via e-\npost") == "via e-post"
    assert clean.join_hyphenated("åren 2020-\n2050") == "åren 2020-2050"
    assert clean.join_hyphenated("hälso- och sjukvård") == "hälso- och sjukvård"


def test_collapse_blank_lines() -> None:
    assert clean.collapse_blank_lines("\n\na  \n\n\n\nb\t\n\n") == "a\n\nb"


def test_remove_running_lines_headers_and_page_numbers() -> None:
    words = ["hissar", "portar", "ramper", "rulltrappor", "dörrar", "grindar", "lyftbord", "bommar", "skjutportar"]
    pages = [f"BFS 2011:12\nH 12\n{n}\nOm {word}.\nMer text om {word}.\nSid {n} av 9"
             for n, word in enumerate(words, 1)]
    cleaned = clean.remove_running_lines(pages)
    for word, page in zip(words, cleaned, strict=False):
        assert page.strip().split("\n") == [f"Om {word}.", f"Mer text om {word}."]


def test_remove_running_lines_keeps_body_lines_that_recur() -> None:
    pages = [f"Rubrik {n}\nAllmänt råd\nText {n} som är olika.\nslut {n}." for n in range(6)]
    cleaned = clean.remove_running_lines(pages, zone=1)
    assert all("Allmänt råd" in page for page in cleaned)


def test_is_page_number() -> None:
    assert all(clean.is_page_number(s) for s in ["12", " 3 ", "Sida 3 av 9", "SID 1 (36)", "- 4 -", "2 / 10"])
    assert not any(clean.is_page_number(s) for s in ["2023", "17 §", "1. Inledning", "Mål 11"])


def test_separate_cells() -> None:
    assert (clean.separate_cells("Status: Påbörjad    Rapportperiod: 2025-12-31")
            == "Status: Påbörjad\tRapportperiod: 2025-12-31")


def test_merge_paragraph_lines_joins_wrapped_lines_keeps_lists_and_headings() -> None:
    wrapped = (
        "Om en motordriven vägg vid öppnings- respektive stängningsrörelse går in i ett\n"
        "utrymme där en person kan få plats, ska väggen vara så anordnad att\n"
        "den stannar.\n"
        "Allmänt råd\n"
        "Följande harmoniserade standarder visar på ett sätt att uppfylla kraven\n"
        "1. SS-EN 12604 (1), Portar,\n"
        "2. SS-EN 12635 (1), Portar – Installation och användning,"
    )
    assert clean.merge_paragraph_lines(wrapped).split("\n") == [
        (
            "Om en motordriven vägg vid öppnings- respektive stängningsrörelse går in i ett utrymme där en "
            "person kan få plats, ska väggen vara så anordnad att den stannar."
        ),
        "",
        "Allmänt råd",
        "",
        "Följande harmoniserade standarder visar på ett sätt att uppfylla kraven",
        "1. SS-EN 12604 (1), Portar,",
        "2. SS-EN 12635 (1), Portar – Installation och användning,",
    ]


_TOKENS = list("aåäöeIT -\n\t\r\u00ad\u00a0ﬁÃ¤¶[]:0123456789.") + ["[footnoteRef:1]", "[1:  not] ", "[bookmark: _Toc1]"]
_TEXTS = st.lists(st.sampled_from(_TOKENS), max_size=80).map("".join)
_IDEMPOTENT = [
    clean.normalize_unicode,
    clean.strip_export_artifacts,
    clean.collapse_blank_lines,
    clean.separate_cells,
]


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_cleaners_never_crash_and_are_idempotent(text: str) -> None:
    for cleaner in _IDEMPOTENT:
        once = cleaner(text)
        assert cleaner(once) == once, cleaner.__name__
    for cleaner in (clean.fix_mojibake, clean.join_hyphenated, clean.merge_paragraph_lines):
        assert isinstance(cleaner(text), str)
    assert isinstance(clean.remove_running_lines([text, text, text, text]), list)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_cleaners_survive_any_unicode(text: str) -> None:
    out = clean.collapse_blank_lines(clean.join_hyphenated(clean.fix_mojibake(clean.normalize_unicode(text))))
    assert "\r" not in out and "\u00ad" not in out
    assert clean.normalize_unicode(clean.normalize_unicode(text)) == clean.normalize_unicode(text)
