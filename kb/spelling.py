"""Did-you-mean for queries: words the index has never seen, corrected against its own vocabulary.

Two slips are common in what auditors type, and both cost the model more than the lexical side:

- Swedish typed without å, ä and ö ("forsorjningsstod"). The lexical side folds diacritics and
  matches anyway, but the model reads the folded word as other tokens; the word the corpus uses
  is put back ("försörjningsstöd").
- Typos ("genomförandplan", "arbetspalnens"): one edit in a word of 6 to 8 letters, two in a
  longer one (a swap of two neighbouring letters counts as one edit), to a word with the same
  first letter that at least two passages use (one could be a typo in a report); among the
  closest, the one used in the most passages.

A typo is corrected only when the index holds no word with its stem and the thesaurus has no rule
for it, so an inflection of a known word ("lämnar"), a word only one passage uses and an English
word of the glossary ("internal control") stay as typed, and only from 6 letters. No word
under 4 letters, no stopword, no kommun or region name (Lidköping is no typo for Linköping) and
no word of an English query is touched. The corrected query is what both sides search; the
search page says so and offers the query as typed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from kb.analysis import fold_diacritics, is_stopword, looks_english

#: Words shorter than this are left alone: too many real words lie one edit apart.
MIN_CORRECTED = 6
#: Words of this length and longer may be two edits from their correction.
TWO_EDITS_FROM = 9

_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Spelling:
    """A query as typed and as searched, with each word that was changed."""

    typed: str
    searched: str
    changes: tuple[tuple[str, str], ...] = ()


def changes_json(changes: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    """The changed words as the API and `kb search --json` give them."""
    return [{"typed": typed, "corrected": fixed} for typed, fixed in changes]


class Speller:
    """Corrects query words against a vocabulary of {word: passages using it}."""

    def __init__(self, counts: Mapping[str, int], *, known_term: Callable[[str], bool] = lambda word: False,
                 protected: Iterable[str] = ()) -> None:
        # The most used word wins a folded form ("mal" is "mål" in audit text, not "mal").
        by_fold: dict[str, str] = {}
        for word, _ in sorted(counts.items(), key=lambda item: (item[1], item[0])):
            by_fold[fold_diacritics(word)] = word
        # Candidates by first letter and length: a slip rarely hits the first letter (Lucene's
        # fuzzy queries make the same bet), and an edit changes the length by one at most.
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for folded in by_fold:
            buckets[folded[:1], len(folded)].append(folded)
        self._counts = dict(counts)
        self._by_fold = by_fold
        self._buckets = dict(buckets)
        self._known_term = known_term
        self._protected = frozenset(fold_diacritics(w.casefold()) for name in protected for w in _LETTERS.findall(name))

    def correct(self, query: str) -> Spelling:
        """The query with every word the corpus does not know replaced by its correction."""
        if looks_english(query):
            return Spelling(query, query)
        changes: list[tuple[str, str]] = []

        def replace(match: re.Match) -> str:
            typed = match.group()
            fixed = self.correct_word(typed)
            if fixed is None:
                return typed
            fixed = fixed[:1].upper() + fixed[1:] if typed[:1].isupper() else fixed
            changes.append((typed, fixed))
            return fixed

        searched = _LETTERS.sub(replace, query)
        return Spelling(query, searched, tuple(changes))

    def correct_word(self, word: str) -> str | None:
        """The corpus word meant by `word`, or None to keep it as typed."""
        lower = word.casefold()
        folded = fold_diacritics(lower)
        if lower in self._counts or len(lower) < 4 or is_stopword(lower) or folded in self._protected:
            return None
        restored = self._by_fold.get(folded)
        if restored is not None and folded == lower:
            return restored  # typed without diacritics
        if len(lower) < MIN_CORRECTED or self._known_term(lower):
            return None
        edits = 1 if len(folded) < TWO_EDITS_FROM else 2
        first, size = folded[:1], len(folded)
        choices = [w for n in range(size - edits, size + edits + 1) for w in self._buckets.get((first, n), ())]
        found = process.extract(folded, choices, scorer=OSA.distance, score_cutoff=edits, limit=None)
        if not found:
            return None
        closest = min(distance for _, distance, _ in found)
        words = [self._by_fold[choice] for choice, distance, _ in found if distance == closest]
        return max(words, key=lambda w: (self._counts[w], w))
