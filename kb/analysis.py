"""Swedish lexical analysis as small pure steps, in the spirit of Elasticsearch's Swedish chain.

Pipeline (index side): surface tokens with offsets -> NFKC -> casefold -> stopwords ->
Snowball stem -> diacritic folding -> compound parts; hyphenated groups also give the joined word.
Folding is applied to every term on both sides, so "forsorjningsstod" and "försörjningsstöd"
meet on one term and a hit is not counted twice (see `fold_diacritics`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import Stemmer

if TYPE_CHECKING:
    from kb.compounds import Decompounder

#: A word is letters/digits with combining marks and soft hyphens inside (PDF text has both).
_WORD = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f\u00ad])*")
#: Between two parts of one hyphenated word ("IT-system", "e-post").
_JOIN_HYPHEN = re.compile(r"[-\u2010\u2011]")
#: A PDF line-break hyphen ("arbets- marknads- verksamheten"): hyphen then whitespace.
_BREAK_HYPHEN = re.compile(r"[-\u2010\u2011\u00ad][ \t]*\n?[ \t]*")
#: Words after "X- " that mean a suspended compound ("individ- och familjeomsorg"), not a break.
_SUSPENDERS = frozenset({"och", "eller", "samt", "resp", "respektive", "som", "till", "med"})

#: Snowball's Swedish stopword list (snowballstem.org), unfolded.
STOPWORDS = frozenset(
    str.split(
    """
    och det att i en jag hon som han på den med var sig för så till är men ett om hade de av icke
    mig du henne då sin nu har inte hans honom skulle hennes där min man ej vid kunde något från ut
    när efter upp vi dem vara vad över än dig kan sina här ha mot alla under någon eller allt mycket
    sedan ju denna själv detta åt utan varit hur ingen mitt ni bli blev oss din dessa några deras
    blir mina samma vilken er sådan vår blivit dess inom mellan sådant varför varje vilka ditt vem
    vilket sitta sådana vart dina vars vårt våra ert era vilkas
    """
    )
)
# Domain words such as "kommun", "granskning" or "bedömning" are deliberately kept: BM25's idf
# already discounts them, and auditors search for them ("bedömning" finds the verdict passages).

_SPECIAL_FOLDS = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th"})
_STEMMER = Stemmer.Stemmer("swedish")


def normalize(text: str) -> str:
    """NFKC so ligatures, full-width digits and decomposed ö compare equal to their usual form."""
    return unicodedata.normalize("NFKC", text.replace("\u00ad", ""))


def lowercase(token: str) -> str:
    """Casefold rather than lower() so "STRASSE" and "straße" agree."""
    return token.casefold()


def fold_diacritics(token: str) -> str:
    """Strip accents (å->a, ä->a, ö->o, é->e, ü->u) so queries typed on a US keyboard match.

    Folding both sides (rather than indexing both forms) keeps one posting per word, so term
    frequencies and document lengths are not inflated; the few Swedish minimal pairs it merges
    (mål/mal, får/far) are rare in audit text and disambiguated by the other query words.
    """
    folded = token.translate(_LATIN_FOLDS)
    return folded if folded.isascii() else _fold_slowly(token)


def _fold_slowly(token: str) -> str:
    decomposed = unicodedata.normalize("NFD", token.translate(_SPECIAL_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


#: The fold of every Latin letter with a diacritic (U+00C0-U+024F), one table lookup each: a word
#: whose fold is then plain ASCII (nearly every Swedish word) skips Unicode decomposition, which
#: gives the same result letter by letter; anything else takes the slow path.
_LATIN_FOLDS = str.maketrans({chr(c): _fold_slowly(chr(c)) for c in range(0xC0, 0x250)
                              if _fold_slowly(chr(c)) != chr(c)})


#: English function words, to tell an English query from a Swedish one (`looks_english`); not
#: "for", "in", "at": Swedish typed without å, ä, ö has them too ("malgrupp for insatser").
ENGLISH_FUNCTION_WORDS = frozenset(
    str.split(
        "the of and to on with by from as is are was were be been this that these those which who "
        "what how why when where does did not no their its our an or"
    )
)


def looks_english(query: str) -> bool:
    """Whether a query is written in English: more English function words than Swedish
    stopwords ("internal control of procurement"; "kontroll av upphandling" is Swedish)."""
    words = [lowercase(w) for w, _, _ in tokenize_with_offsets(query)]
    return sum(w in ENGLISH_FUNCTION_WORDS for w in words) > sum(w in STOPWORDS for w in words)


def is_stopword(token: str) -> bool:
    """Function words carry no topic; dropping them shortens postings and sharpens BM25."""
    return token in STOPWORDS


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """Snowball Swedish stem of a casefolded, unfolded token (the stemmer knows å, ä, ö)."""
    return _STEMMER.stemWord(token)


def term(token: str) -> str:
    """The index term of one casefolded word: its stem, folded."""
    return fold_diacritics(stem(token))


def tokenize_with_offsets(text: str) -> list[tuple[str, int, int]]:
    """Surface words with [start, end) offsets into `text`, for highlighting; hyphens split.

    NFKC can turn one word into several or into none ("1½" -> "11⁄2", the Arabic presentation
    form "ﹰ" -> a space and a combining mark): the normalised text is cut into words again, each
    keeping the original span, so no term holds a space or a separator (as FTS5 would cut it)."""
    out = []
    for m in _WORD.finditer(text):
        out.extend((surface, m.start(), m.end()) for surface in _WORD.findall(normalize(m.group())))
    return out


def hyphen_groups(
    text: str, tokens: list[tuple[str, int, int]]
) -> list[tuple[str, int, int, int]]:
    """Joined words of hyphen runs ("IT-system" -> "itsystem") as (word, start, end, n_parts).

    A hyphen directly between letters joins; "arbets- marknads-" (PDF line breaks) joins too,
    unless the next word is "och"/"eller" and so on, which marks a suspended compound.
    """
    groups = []
    i = 0
    while i < len(tokens):
        j = i
        while j + 1 < len(tokens):
            gap = text[tokens[j][2] : tokens[j + 1][1]]
            nxt = tokens[j + 1][0]
            line_break = bool(_BREAK_HYPHEN.fullmatch(gap)) and nxt[:1].islower()
            if _JOIN_HYPHEN.fullmatch(gap) or (line_break and nxt not in _SUSPENDERS):
                j += 1
            else:
                break
        if j > i:
            word = "".join(t[0] for t in tokens[i : j + 1])
            groups.append((word, tokens[i][1], tokens[j][2], j - i + 1))
        i = j + 1
    return groups


def word_terms(word: str, decompounder: Decompounder | None) -> list[tuple[str, float]]:
    """Weighted terms of one casefolded word: its own term (1.0), then its compound parts."""
    if decompounder is None:
        return [(term(word), 1.0)]
    return decompounder.weighted_terms(word)


def analyze_spans(
    text: str, decompounder: Decompounder | None = None
) -> list[tuple[list[tuple[str, float]], int, int]]:
    """Each surface word or hyphen group with its weighted terms and span; the core of the rest."""
    dec = default_decompounder() if decompounder is None else decompounder
    tokens = tokenize_with_offsets(text)
    spans = []
    for surface, start, end in tokens:
        word = lowercase(surface)
        if is_stopword(word):
            continue
        spans.append((word_terms(word, dec), start, end))
    for joined, start, end, _ in hyphen_groups(text, tokens):
        spans.append((word_terms(lowercase(joined), dec), start, end))
    spans.sort(key=lambda s: (s[1], s[2]))
    return spans


def analyze(text: str, decompounder: Decompounder | None = None) -> list[str]:
    """Index-side terms of `text`, in order, duplicates kept (they are the term frequencies)."""
    return [t for terms, _, _ in analyze_spans(text, decompounder) for t, _ in terms]


def analyze_query_weighted(
    text: str, decompounder: Decompounder | None = None
) -> list[tuple[str, float]]:
    """Query terms with weights: the words typed weigh most, compound parts and synonyms less."""
    from kb.thesaurus import expand

    weights: dict[str, float] = {}
    for terms, _, _ in analyze_spans(text, decompounder):
        for t, w in terms:
            weights[t] = max(weights.get(t, 0.0), w)
    for t, w in expand(phrase_terms(text)):
        weights[t] = max(weights.get(t, 0.0), w)
    return list(weights.items())


def phrase_terms(text: str) -> list[str]:
    """Stemmed, folded words without stopwords or decompounding: how thesaurus phrases match."""
    words = (lowercase(s) for s, _, _ in tokenize_with_offsets(text))
    return [term(w) for w in words if not is_stopword(w)]


def analyze_query(text: str, decompounder: Decompounder | None = None) -> list[str]:
    """Query-side terms: the typed words, their compound parts and thesaurus expansions."""
    return [t for t, _ in analyze_query_weighted(text, decompounder)]


def match_spans(
    query: str, text: str, decompounder: Decompounder | None = None
) -> list[tuple[int, int]]:
    """Spans of `text` whose terms meet a query term, so excerpts can mark what matched."""
    wanted = {t for t, w in analyze_query_weighted(query, decompounder) if w >= 0.5}
    spans_of = _term_spans(text, decompounder)
    hits = sorted({span for t in wanted for span in spans_of.get(t, ())})
    merged: list[tuple[int, int]] = []
    for s, e in hits:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


_SPAN_CACHE_SIZE = 256  # about 20 KB each: 5 MB
_span_caches: weakref.WeakKeyDictionary[Decompounder, OrderedDict] = weakref.WeakKeyDictionary()
_span_lock = threading.Lock()


def _term_spans(text: str, decompounder: Decompounder | None) -> dict[str, tuple[tuple[int, int], ...]]:
    """Where each term of a text occurs, remembered per decompounder for the last 256 texts (a
    vocabulary the index has replaced is dropped with it): a page marks the same passages for
    query after query, and analysing the passage is most of the work."""
    dec = default_decompounder() if decompounder is None else decompounder
    with _span_lock:
        cache = _span_caches.setdefault(dec, OrderedDict())
        found = cache.get(text)
        if found is not None:
            cache.move_to_end(text)
            return found
    spans: dict[str, list[tuple[int, int]]] = {}
    for terms, start, end in analyze_spans(text, dec):
        for t, _ in terms:
            spans.setdefault(t, []).append((start, end))
    found = {t: tuple(where) for t, where in spans.items()}
    with _span_lock:
        cache[text] = found
        if len(cache) > _SPAN_CACHE_SIZE:
            cache.popitem(last=False)
    return found


@lru_cache(maxsize=1)
def default_decompounder() -> Decompounder:
    """A decompounder over the shipped Swedish word list, for callers without an index."""
    from kb.compounds import BASE_VOCABULARY, Decompounder

    return Decompounder(BASE_VOCABULARY)


def vocabulary_of(texts: Iterable[str]) -> set[str]:
    """Casefolded words of some texts, to grow a decompounder's vocabulary from a corpus."""
    return {lowercase(s) for text in texts for s, _, _ in tokenize_with_offsets(text)}
