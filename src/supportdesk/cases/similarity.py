"""How alike two requests read: normalised word sets compared with a weighted Jaccard.

Pure Python, no database: `cases.duplicates` scores the candidates the search index finds,
and bench/duplicates.py tunes the threshold on a labelled set.

Normalisation is deliberately light: lower case, thousands separators dropped ("120,000"),
English and help-desk filler words removed, a few suffixes stripped and every word cut to its
first five letters, so "approve", "approval" and "approved" count as one word. Words with a
digit (PO and invoice numbers, amounts, dates) weigh more: they name the thing asked about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(r"[a-z0-9]+")
THOUSANDS = re.compile(r"(?<=\d)[,\s](?=\d{3}\b)")
STEM_LENGTH = 5
DIGIT_WEIGHT = 2.0
SUFFIXES = ("ing", "ed", "es", "ly", "s")

_STOPWORDS = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either
    else even ever few for from further get gets getting got had has have having he her here
    hers him his how however i if in into is it its itself just let like may me might more
    most much must my myself need needs needed no nor not now of off on once only or other
    our ours out over own per please same see she should since so some still such than that
    the their them then there these they this those though through to too under until up upon
    us very via was we were what when where which while who whom why will with within without
    would yet you your yours
    hi hello hey thanks thank thx regards cheers team folks guys asap help helping request
    requesting requested ask asking question issue issues case support kindly quick quickly
    urgent today tomorrow soon someone anyone something anything able want wanted wants know
    look looking take make sure one two new
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def stem(word: str) -> str:
    if any(ch.isdigit() for ch in word):
        return word
    for suffix in SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:STEM_LENGTH]


def words(text: str) -> list[str]:
    """The content words of `text`, in order, before stemming (for a full-text query)."""
    text = THOUSANDS.sub("", text.lower())
    return [w for w in WORD.findall(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def terms(text: str, *, ignore: Iterable[str] = ()) -> frozenset[str]:
    """The set of stemmed content words, less the stems of `ignore` (e.g. the record's name,
    which every case on the record shares)."""
    ignored = {stem(w) for w in words(" ".join(ignore))}
    return frozenset(s for w in words(text) if (s := stem(w)) not in ignored)


def _weight(term: str) -> float:
    return DIGIT_WEIGHT if any(ch.isdigit() for ch in term) else 1.0


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Weighted Jaccard of two term sets, 0 (nothing shared) to 1 (the same words)."""
    if not a or not b:
        return 0.0
    shared = sum(_weight(t) for t in a & b)
    return shared / sum(_weight(t) for t in a | b)
