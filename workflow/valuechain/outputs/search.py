"""Finding products by what people type: words in any order, singular or plural, British or American spelling and
common synonyms of the HS names (a "tyre" is one of the "New pneumatic tires of rubber", "vehicle parts" are
the "Parts of motor vehicles", a "chip" an "Electronic integrated circuit").

The explorer's page searches by the same rules: it receives :data:`SYNONYMS` with its data and applies
:func:`word_stem` as written in ``workflow/explorer/explorer.js`` (``stem``); ``tests/test_explorer.py`` checks
both give the same matches."""

from __future__ import annotations

import re

import pandas as pd

#: A word people type -> words of the HS names that mean the same (stems, see :func:`word_stem`).
SYNONYMS: dict[str, list[str]] = {
    "tyre": ["tire"], "tire": ["tyre"], "car": ["automobile", "vehicle"], "automobile": ["car"],
    "auto": ["car", "vehicle"], "truck": ["lorry", "goods vehicle"], "lorry": ["truck"], "chip": ["integrated circuit"],
    "semiconductor": ["integrated circuit", "diode", "transistor"], "phone": ["telephone"], "mobile": ["telephone"],
    "cellphone": ["telephone"], "smartphone": ["telephone"], "laptop": ["computer"], "pc": ["computer"],
    "lcd": ["liquid crystal"], "screen": ["monitor", "display"], "steel": ["iron"], "oil": ["petroleum"],
    "petrol": ["petroleum"], "gasoline": ["petroleum"], "crude": ["petroleum oils, crude"], "plastic": ["polymer"],
    "aluminium": ["aluminum"], "aluminum": ["aluminium"], "medicine": ["medicament"], "drug": ["medicament"],
    "pharmaceutical": ["medicament"], "fertiliser": ["fertilizer"], "fertilizer": ["fertiliser"], "ore": ["ores"],
    "engine": ["engine", "motor"], "plane": ["aircraft", "aeroplane"], "airplane": ["aircraft", "aeroplane"],
    "soy": ["soya", "soybean"], "corn": ["maize"], "maize": ["corn"], "clothes": ["apparel", "garment"],
    "shoe": ["footwear"], "wood": ["wood", "lumber"], "lumber": ["wood"], "timber": ["wood"],
}

_WORD = re.compile(r"[a-z0-9]+")


def word_stem(word: str) -> str:
    """A word lowercased without its plural ending: "tyres" -> "tyre", "boxes" -> "box", "glasses" -> "glass",
    "batteries" -> "battery"; words of three letters or fewer, and those ending in "ss" or "us", stay."""
    w = word.lower()
    if len(w) <= 3 or w.endswith(("ss", "us")):
        return w
    if w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith(("xes", "ches", "shes", "sses")):
        return w[:-2]
    return w[:-1] if w.endswith("s") else w


def words(text: str) -> list[str]:
    """The stems of the words of ``text``."""
    return [word_stem(w) for w in _WORD.findall(text.lower())]


#: Words left out of a name's length when ranking matches.
STOPWORDS = frozenset({"of", "and", "or", "the", "for", "in", "a", "an", "to", "with", "not", "other", "than"})


def _phrase_at(phrase: list[str], name: list[str]) -> int:
    """0 when the stems of ``phrase`` are not in ``name`` side by side and in order; 2 when they are as whole
    words, 1 when the last one only begins a word of the name ("car" in "carbon")."""
    n, best = len(phrase), 0
    for i in range(len(name) - n + 1):
        if name[i:i + n - 1] == phrase[:-1] and name[i + n - 1].startswith(phrase[-1]):
            best = max(best, 2 if name[i + n - 1] == phrase[-1] else 1)
    return best


def find_products(query: str, names: pd.Series) -> pd.DataFrame:
    """The products whose names match every word of ``query`` in any order (a word matches a word of the name
    it is or begins, or the words of one of its :data:`SYNONYMS` in order), ranked: the name that is the query
    first (score 3), then by the share of the query's words matched whole plus the share of the name's words
    (but :data:`STOPWORDS`) the query covers, then by HS code. ``names``: HS code -> name. Columns ``hs, name,
    score``."""
    asked = words(query)
    if not asked:
        return pd.DataFrame({"hs": pd.Series(dtype=str), "name": pd.Series(dtype=str), "score": pd.Series(dtype=float)})
    alternatives = [[[w], *[words(s) for s in SYNONYMS.get(w, [])]] for w in asked]
    rows = []
    for hs, name in names.items():
        stems = words(str(name))
        matched = [max(_phrase_at(alt, stems) for alt in alts) for alts in alternatives]
        if min(matched) == 0:
            continue
        content = max(sum(w not in STOPWORDS for w in stems), 1)
        score = 3.0 if stems == asked else sum(m == 2 for m in matched) / len(asked) + min(len(asked) / content, 1) / 2
        rows.append((str(hs), str(name), score))
    found = pd.DataFrame(rows, columns=["hs", "name", "score"])
    return found.sort_values(["score", "hs"], ascending=[False, True], kind="stable").reset_index(drop=True)
