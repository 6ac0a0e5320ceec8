"""Query-time expansion with a small thesaurus of Swedish public administration.

Expansion happens only on the query side, so the thesaurus can change without re-indexing.
Entries live in `kb/data/thesaurus.tsv`; both sides are analyzed like query words (stemmed,
folded, stopwords dropped) so "Försäkringskassans" and "forsakringskassan" both hit "FK".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kb.analysis import phrase_terms

THESAURUS_PATH = Path(__file__).parent / "data" / "thesaurus.tsv"
#: An expansion counts for less than a word the user typed; long phrases share the weight.
EXPANSION_WEIGHT = 0.6


@dataclass(frozen=True)
class Entry:
    """One rule: any phrase in `match` brings in every phrase in `add`."""

    match: tuple[tuple[str, ...], ...]
    add: tuple[tuple[str, ...], ...]
    add_text: tuple[str, ...] = ()  # the expansions as written, for the dense query


def parse(lines: Iterable[str]) -> list[Entry]:
    """Rules from TSV lines (mode, phrases, expansions); '=' rules apply both ways."""
    entries = []
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 3 or cols[0] not in ("=", ">"):
            raise ValueError(f"thesaurus line {n}: expected 'mode<TAB>phrases<TAB>expansions'")
        left = [p.strip() for p in cols[1].split("|") if p.strip()]
        right = [p.strip() for p in cols[2].split("|") if p.strip()]
        phrases = left + right if cols[0] == "=" else left
        targets = left + right if cols[0] == "=" else right
        entries.append(Entry(_phrases(phrases), _phrases(targets), tuple(targets)))
    return entries


def _phrases(texts: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Analyzed phrases, empty ones (all stopwords) dropped."""
    return tuple(t for t in (tuple(phrase_terms(x)) for x in texts) if t)


@lru_cache(maxsize=1)
def load(path: Path = THESAURUS_PATH) -> tuple[Entry, ...]:
    """The shipped thesaurus, parsed once per process."""
    return tuple(parse(path.read_text(encoding="utf-8").splitlines()))


@lru_cache(maxsize=8)
def _by_first_word(rules: tuple[Entry, ...]) -> dict[str, tuple[int, ...]]:
    """Rule positions by the first word of each of their match phrases: a query meets a handful."""
    index: dict[str, list[int]] = {}
    for n, entry in enumerate(rules):
        for phrase in entry.match:
            positions = index.setdefault(phrase[0], [])
            if not positions or positions[-1] != n:
                positions.append(n)
    return {word: tuple(ns) for word, ns in index.items()}


def _matching(words: Sequence[str], entries: Sequence[Entry] | None) -> list[Entry]:
    """The rules, in file order, with a match phrase among the query words."""
    rules = load() if entries is None else tuple(entries)
    index = _by_first_word(rules)
    candidates = sorted({n for w in set(words) for n in index.get(w, ())})
    return [rules[n] for n in candidates if any(_contains(words, p) for p in rules[n].match)]


def _contains(words: Sequence[str], phrase: tuple[str, ...]) -> bool:
    """Whether `phrase` occurs as consecutive words of the query."""
    n = len(phrase)
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))


def expand(
    words: Sequence[str], entries: Sequence[Entry] | None = None
) -> list[tuple[str, float]]:
    """(term, weight) pairs that the query words' synonyms and abbreviations add."""
    out: dict[str, float] = {}
    for entry in _matching(words, entries):
        for phrase in entry.add:
            if _contains(words, phrase):
                continue
            weight = EXPANSION_WEIGHT / len(phrase) ** 0.5
            for t in phrase:
                out[t] = max(out.get(t, 0.0), weight)
    return list(out.items())


def expansion_text(words: Sequence[str], entries: Sequence[Entry] | None = None) -> list[str]:
    """The expansions as written ("Arbetsförmedlingen" for "AF"), to add to the query the model embeds."""
    found: dict[str, None] = {}
    for entry in _matching(words, entries):
        for phrase, text in zip(entry.add, entry.add_text, strict=True):
            if not _contains(words, phrase):
                found.setdefault(text, None)
    return list(found)


@lru_cache(maxsize=1)
def known_terms() -> frozenset[str]:
    """Every term of a phrase the shipped thesaurus has a rule for: such a word is no typo, even
    when no report uses it ("internal" in "internal control" is not "interna")."""
    return frozenset(t for entry in load() for phrase in entry.match for t in phrase)


def size() -> int:
    """Number of rules, for reports and tests."""
    return len(load())
