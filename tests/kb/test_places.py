"""Which kommuner and regioner a query names (kb.places.named_places)."""

from __future__ import annotations

import pytest

from kb.places import load_places, named_places


@pytest.mark.parametrize(("query", "named"), [
    ("samverkan i Ödeshög", {"Ödeshög"}),
    ("Melleruds socialnämnd", {"Mellerud"}),  # genitive
    ("atgarder Stromsund", {"Strömsund"}),  # typed without å/ä/ö
    ("Upplands Väsby kommun", {"Upplands Väsby"}),  # a name of two words
    ("Region Skåne och Skånes kommuner", {"Region Skåne"}),
    ("Stockholm", {"Stockholm", "Region Stockholm"}),  # both the kommun and the region
    ("Orsa och Ale jämförda", {"Orsa", "Ale"}),
    ("vara med i mark och lund", set()),  # words that are also names count only capitalised
    ("Alex", set()),
    ("IT-säkerhet", set()),
])
def test_named_places(query, named):
    assert named_places(query) == named


def test_every_listed_place_is_found_by_its_own_name():
    kommuner, regioner = load_places()
    for name in kommuner + regioner:
        assert name in named_places(f"granskning i {name}"), name
