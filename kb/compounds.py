"""Swedish decompounding against a vocabulary, so "arbetsmarknad" meets "Arbetsmarknadsenheten".

Snowball does not split compounds. A word is split into the fewest known parts (each at least
four letters, or a listed short word), with the linking morphemes s, e, a, u, o, es between them;
parts are split again the same way. The last part carries the inflection and is stemmed alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from kb.analysis import STOPWORDS, fold_diacritics, stem, term

#: Weights of a word's extra terms relative to the word itself (1.0), used on the query side.
SUBCOMPOUND_WEIGHT = 0.5
PART_WEIGHT = 0.3

LINKERS = ("", "s", "e", "a", "u", "o", "es")
MIN_PART = 4
#: Three-letter words common as compound parts in audit Swedish ("målgrupp", "heltid").
SHORT_PARTS = frozenset({"mål", "lag", "råd", "tid", "län", "vår", "bud", "ram", "väg", "syn"})
#: Derivational endings that are never parts on their own: "bedöm|ning", "verksam|het".
NOT_PARTS = frozenset(
    str.split(
        """ning ningar ningen ande ende else elser skap tion tioner ering eringar erna arna orna ades
    ella elle ligt lighet ighet isk iska iskt ares aren ingen ering ions dels lsen ssen"""
    )
)

#: Inflection endings Snowball leaves on ("förbundet", "vägarna" by way of "väg").
INFLECTIONS = ("et", "ets", "en", "ens", "n", "t", "na", "ar", "arna", "er", "erna", "or", "orna", "s")
#: What a later part may not begin with (linker included): these continue a derived word,
#: as in "rapport|ering", "simuler|ingar", "analy|sera", "plan|erings".
SUFFIX_STARTS = ("ering", "era", "ning", "het", "else", "ande", "ende", "lig", "isk", "ing", "sera", "tion")

#: Common words of Swedish public administration and audit reports; the corpus adds its own.
BASE_VOCABULARY = frozenset(
    str.split(
    """
    arbete arbeta arbets marknad enhet enheten stöd försörjning försörjningsstöd samverkan form
    former formell intern internt extern externt kontroll styrning ledning uppföljning analys
    kommun kommunen region regionen landsting stat staten statlig nämnd nämnden styrelse
    kommunstyrelse kommunfullmäktige fullmäktige social socialnämnd socialtjänst socialtjänstlag
    lag lagen lagstiftning förordning föreskrift riktlinje riktlinjer rutin rutiner mål målgrupp
    grupp plan planering handling handlingsplan budget ekonomi ekonomisk bistånd ansvar fördelning
    roll organisation verksamhet verksam chef enhetschef förvaltning förvaltningschef person
    personal individ familj omsorg familjeomsorg vård äldre äldreomsorg skola utbildning vuxen
    vuxenutbildning ungdom barn unga arbetslös arbetslöshet arbetsförmedling arbetsgivare
    anställning anställningsstöd insats insatser åtgärd åtgärder projekt process processer resultat
    effekt kvalitet kvalitetssystem system information informations säkerhet informationssäkerhet
    dataskydd skydd incident hantering incidenthantering kontinuitet risk riskanalys riskbedömning
    kontroller granskning revision revisor revisorer rapport revisionsrapport fråga frågor
    rekommendation bedömning iakttagelse svar yttrande beslut protokoll paragraf delegation
    upphandling avtal leverantör inköp kostnad kostnader intäkt ersättning bidrag tjänst tjänster
    medarbetare utbildningar kompetens rekrytering samordning samordnare samordningsförbund förbund
    försäkring försäkringskassa kassa myndighet myndigheter medborgare brukare klient klienter
    handläggare handläggning ärende ärenden utredning dokumentation journal statistik nyckeltal
    indikator uppdrag direktiv reglemente policy strategi vision program område områden
    verksamhetsplan årsredovisning delårsrapport bokslut redovisning återrapportering rapportering
    praktik praktikplats praktikplatser sysselsättning jobb arbetsträning träning rehabilitering
    hälsa sjukvård funktionsnedsättning funktionshinder boende bostad hem hemtjänst integration
    nyanlända språk etablering flykting mottagande ekonomiskt försörjning behov bistånds lokal
    lokaler fastighet fastigheter investering investeringar drift underhåll teknik miljö bygg
    plan planer detaljplan översiktsplan trafik vatten avfall räddningstjänst kultur fritid
    idrott turism näringsliv företag företagare styrdokument dokument kartläggning översyn
    tillsyn internkontroll internkontrollplan kontrollplan uppföljningsrapport avvikelse
    avvikelser klagomål synpunkter mätning enkät intervju intervjuer stickprov test testning
    phishing nätfiske lösenord konto användare dator datorer nätverk server molntjänst
    """
    )
)


class Decompounder:
    """Splits Swedish compounds into known parts; precision first, so unknown parts never split."""

    def __init__(self, vocabulary: Iterable[str], min_part: int = MIN_PART) -> None:
        self.min_part = min_part
        self._known: set[str] = set()
        self.add(vocabulary)

    def add(self, words: Iterable[str]) -> None:
        """Grow the vocabulary (the index adds each report's words as it is ingested)."""
        for w in words:
            w = w.casefold()
            if len(w) >= 3 and w.isalpha() and w not in STOPWORDS:
                self._known.add(w)
                self._known.add(stem(w))
        self._segments.cache_clear()

    def __contains__(self, word: str) -> bool:
        return word.casefold() in self._known

    def _part_ok(self, part: str) -> bool:
        """A non-final part: long enough, known, and not a derivational ending."""
        return (
            (len(part) >= self.min_part or part in SHORT_PARTS)
            and part not in NOT_PARTS
            and part in self._known
        )

    def _last_ok(self, part: str) -> bool:
        """The final part may be inflected: known as it stands, or by a stem that is long enough."""
        if part in NOT_PARTS or not (len(part) >= self.min_part or part in SHORT_PARTS):
            return False
        if part in self._known:
            return True
        for root in {stem(part), *(part[: -len(e)] for e in INFLECTIONS if part.endswith(e))}:
            if root in self._known and (len(root) >= self.min_part or root in SHORT_PARTS):
                return True
        return False

    @lru_cache(maxsize=100_000)  # noqa: B019 - one decompounder per index, cleared on add()
    def _segments(self, word: str) -> tuple[tuple[str, str], ...] | None:
        """Fewest-part split of `word` as (part, linker) pairs, or None if it is not a compound."""
        n = len(word)
        best: dict[int, tuple[tuple[int, int], tuple[tuple[str, str], ...]] | None] = {}

        def solve(i: int) -> tuple[tuple[int, int], tuple[tuple[str, str], ...]] | None:
            if i in best:
                return best[i]
            options = []
            if i > 0 and self._last_ok(word[i:]):
                options.append(((1, -(n - i)), ((word[i:], ""),)))
            for j in range(i + min(3, self.min_part), n - 2):
                part = word[i:j]
                if not self._part_ok(part):
                    continue
                if word.startswith(SUFFIX_STARTS, j):
                    continue
                for link in LINKERS:
                    k = j + len(link)
                    if k < n and word.startswith(link, j) and not word.startswith(SUFFIX_STARTS, k):
                        rest = solve(k)
                        if rest is not None:
                            (count, neg_min), segs = rest
                            options.append(((count + 1, max(neg_min, -len(part))), ((part, link), *segs)))
            best[i] = min(options, default=None)
            return best[i]

        found = solve(0)
        return None if found is None else found[1]

    def atoms(self, word: str) -> list[tuple[str, str]]:
        """Recursive split into atomic (part, linker) pairs; [(word, "")] when not a compound."""
        segs = self._segments(word.casefold())
        if segs is None:
            return [(word.casefold(), "")]
        out: list[tuple[str, str]] = []
        for part, link in segs:
            sub = self.atoms(part)
            out.extend(sub[:-1])
            out.append((sub[-1][0], link))
        return out

    def split(self, word: str) -> list[str]:
        """The parts' index terms ("arbetsmarknadsenheten" -> arbet, marknad, enhet)."""
        return [_span_term(self.atoms(word), i, i + 1) for i in range(len(self.atoms(word)))]

    def weighted_terms(self, word: str) -> list[tuple[str, float]]:
        """Whole word (1.0), inner compounds such as "arbetsmarknad" (0.5), parts (0.3)."""
        word = word.casefold()
        out = {term(word): 1.0}
        atoms = self.atoms(word)
        n = len(atoms)
        if n < 2:
            return list(out.items())
        out.setdefault(_span_term(atoms, 0, n), 1.0)
        for size in range(n - 1, 0, -1):
            weight = SUBCOMPOUND_WEIGHT if size > 1 else PART_WEIGHT
            for i in range(n - size + 1):
                out.setdefault(_span_term(atoms, i, i + size), weight)
        return list(out.items())

    def terms(self, word: str) -> list[str]:
        """The index terms of one word: itself, its inner compounds and its parts."""
        return [t for t, _ in self.weighted_terms(word)]


def _span_term(atoms: list[tuple[str, str]], i: int, j: int) -> str:
    """Term of parts i..j-1: earlier parts as written (with linkers), the last one stemmed."""
    head = "".join(part + link for part, link in atoms[i : j - 1])
    return fold_diacritics(head + stem(atoms[j - 1][0]))
