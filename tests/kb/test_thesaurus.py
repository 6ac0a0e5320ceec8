"""The thesaurus file parses, is big enough, and expands the abbreviations auditors use."""

import pytest

from kb.analysis import phrase_terms, term
from kb.thesaurus import EXPANSION_WEIGHT, expand, load, parse, size


def added(query: str) -> dict[str, float]:
    return dict(expand(phrase_terms(query)))


def test_shipped_thesaurus_size():
    assert size() >= 80
    assert all(e.match and e.add for e in load())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("FK", "Försäkringskassan"),
        ("Försäkringskassans", "FK"),
        ("Af", "Arbetsförmedlingen"),
        ("KS", "kommunstyrelsen"),
        ("KF", "kommunfullmäktige"),
        ("SN", "socialnämnden"),
        ("AME", "arbetsmarknadsenheten"),
        ("IFO", "familjeomsorg"),
        ("SoL", "socialtjänstlagen"),
        ("KL", "kommunallagen"),
        ("LOU", "upphandling"),
        ("ekonomiskt bistånd", "försörjningsstöd"),
        ("intern kontroll", "internkontroll"),
        ("internal control", "internkontroll"),
        ("procurement", "upphandling"),
        ("follow-up", "uppföljning"),
        ("unemployment", "arbetslöshet"),
        ("collaboration", "samverkan"),
        ("social assistance", "försörjningsstöd"),
        ("information security", "informationssäkerhet"),
        ("phishing", "nätfiske"),
    ],
)
def test_expands(query, expected):
    assert term(expected.split()[-1].casefold()) in added(query)


def test_expansions_weigh_less_than_typed_words():
    weights = added("LSS")
    assert weights and all(0 < w < EXPANSION_WEIGHT for w in weights.values())
    assert added("FK")[term("försäkringskassan")] == EXPANSION_WEIGHT


def test_english_rules_are_one_way():
    assert "internal" not in added("internkontroll")


def test_no_expansion_for_unrelated_words():
    assert added("kommunen revisorer") == {}


def test_parse_rejects_malformed_lines():
    with pytest.raises(ValueError, match="line 2"):
        parse(["# comment", "= only-two-columns"])


def test_parse_equivalence_and_one_way():
    rules = parse(["=\tA | B\tC", ">\tx\ty"])
    assert rules[0].match == rules[0].add
    assert rules[1].match == (("x",),) and rules[1].add == (("y",),)
