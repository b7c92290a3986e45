"""Search folding: one spelling per word, so ``BJÖRK`` finds ``Björk`` and ``album`` ``Ålbum``.

SQL's ``LIKE``/``lower()`` fold only ASCII on SQLite, and accents not at all anywhere, so the
library stores every track's searchable text already folded (the ``track.search`` column,
schema version 2) and a query is folded the same way before it is compared. Changing the
rules here means a new migration that refills the column, or old rows stop matching.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Letters that carry no combining mark in NFKD yet are read as a plain Latin letter.
_PLAIN_LETTERS = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)
SEARCH_FIELDS = ("title", "artist", "album", "path")
"""The tags (and the path) a query's words are looked for in, as SPEC §7 says."""
_FIELD_SEPARATOR = "\n"  # never inside a query word (words split on whitespace): no match spans two


# The combining diacritical-mark blocks: accents on Latin, Greek and Cyrillic letters. Marks
# elsewhere (kana voicing, Indic viramas) change the letter itself, so they stay.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """``text`` case- and accent-free: NFKD, diacritics dropped, recomposed, casefolded."""
    if text.isascii():
        return text.lower()  # the same result, 20× sooner: most paths and many tags
    bare = _ACCENTS.sub("", unicodedata.normalize("NFKD", text.casefold()))
    return unicodedata.normalize("NFKC", bare).casefold().translate(_PLAIN_LETTERS)


def search_text(values: Iterable[str | None]) -> str:
    """The folded ``track.search`` value of one track's ``SEARCH_FIELDS`` values."""
    return fold(_FIELD_SEPARATOR.join(value for value in values if value))  # \n folds to itself


def query_words(query: str) -> list[str]:
    """The folded words of a search box's text; a track matches when it holds every one."""
    return fold(query).split()
