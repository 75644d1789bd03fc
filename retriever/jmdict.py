"""Japanese <-> English word lookups in JMdict, read from the jamdict-data package's SQLite file.

The file is opened read-only and queried per word through its indexes (Kanji.text, Kana.text,
SenseGloss.text), so nothing is loaded up front and a lookup costs well under a millisecond;
answers are cached. Only the first senses of an entry are used, and only common entries
(JMdict's priority marks: ichi1, news1, spec1, gai1, ...) unless a word has a single entry or
an English phrase of several words is matched exactly: later senses and rare entries are
where a dictionary's translations go astray.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

_SENSES = 2  # senses of an entry whose glosses count as translations
_GLOSS_WORDS = 2  # longer glosses are explanations, not translations
_PARENS = re.compile(r"\([^)]*\)")
_FREQUENCY = re.compile(r"nf(\d\d)")

_ENGLISH_OF = """
select h.idseq, h.pri, s.ID, g.text from (
    select k.idseq, exists(select 1 from KJP p where p.kid = k.ID) as pri
    from Kanji k where k.text = :w
    union all
    select k.idseq, exists(select 1 from KNP p where p.kid = k.ID) from Kana k where k.text = :w
) h join Sense s on s.idseq = h.idseq join SenseGloss g on g.sid = s.ID
order by h.idseq, s.ID
"""
_JAPANESE_OF = """
select s.idseq,
    (select count(*) from Sense f where f.idseq = s.idseq and f.ID < s.ID) as sense_rank,
    (select group_concat(p.text) from Kanji k join KJP p on p.kid = k.ID
        where k.idseq = s.idseq) as kanji_pri,
    (select group_concat(p.text) from Kana k join KNP p on p.kid = k.ID
        where k.idseq = s.idseq) as kana_pri,
    (select k.text from Kanji k where k.idseq = s.idseq
        and exists(select 1 from KJP p where p.kid = k.ID) order by k.ID limit 1) as kanji,
    (select k.text from Kanji k where k.idseq = s.idseq order by k.ID limit 1) as any_kanji,
    (select k.text from Kana k where k.idseq = s.idseq order by k.ID limit 1) as kana
from SenseGloss g join Sense s on s.ID = g.sid where g.text in (:w, :to_w)
"""


class JmdictDictionary:
    """Translations of single words (and short English phrases) both ways; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no JMdict database at {self.path}")
        self._db = sqlite3.connect(
            f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        self._lock = threading.Lock()
        self._db.execute("select 1 from SenseGloss limit 1")  # fail fast on a foreign file
        self.english = lru_cache(maxsize=65536)(self._english)
        self.japanese = lru_cache(maxsize=65536)(self._japanese)

    @classmethod
    def installed(cls) -> JmdictDictionary | None:
        """The dictionary of the installed jamdict-data package, or None when it is absent."""
        spec = importlib.util.find_spec("jamdict_data")
        if spec is None or spec.origin is None:
            return None
        path = Path(spec.origin).parent / "jamdict.db"
        return cls(path) if path.is_file() else None

    def _english(self, headword: str) -> tuple[str, ...]:
        """English glosses of a Japanese word (written in kanji or kana), commonest first."""
        with self._lock:
            rows = self._db.execute(_ENGLISH_OF, {"w": headword}).fetchall()
        entries: dict[int, tuple[bool, list[list[str]]]] = {}
        for idseq, pri, sense_id, gloss in rows:
            common, senses = entries.setdefault(idseq, (False, []))
            if not senses or senses[-1][0] != sense_id:
                senses.append([sense_id])
            senses[-1].append(gloss)
            entries[idseq] = (common or bool(pri), senses)
        chosen = [s for common, s in entries.values() if common]
        if not chosen and len(entries) == 1:
            chosen = [s for _, s in entries.values()]
        out: dict[str, None] = {}
        for senses in chosen:
            for sense in senses[:_SENSES]:
                for gloss in sense[1:]:
                    if short := _short_gloss(gloss):
                        out[short] = None
        return tuple(out)

    def _japanese(self, english: str) -> tuple[str, ...]:
        """Japanese words whose first senses translate ``english`` (a word or a short phrase,
        verbs as "insert" for "to insert"), commonest first."""
        english = english.lower()
        with self._lock:
            rows = self._db.execute(
                _JAPANESE_OF, {"w": english, "to_w": "to " + english}
            ).fetchall()
        ranked: dict[str, tuple[int, int]] = {}
        phrase = " " in english
        for _, sense_rank, kanji_pri, kana_pri, kanji, any_kanji, kana in rows:
            if sense_rank >= _SENSES:
                continue
            priority = ",".join(p for p in (kanji_pri, kana_pri) if p)
            if not priority and not phrase:
                continue
            word = kanji or any_kanji or kana
            found = _FREQUENCY.search(priority)
            # gai1 marks a common loanword: manuals write "ファイル", not "綴じ込み".
            frequency = 0 if "gai1" in priority else int(found.group(1)) if found else 25
            rank = (sense_rank, frequency)
            ranked[word] = min(ranked.get(word, rank), rank)
        return tuple(sorted(ranked, key=lambda w: ranked[w]))


def _short_gloss(gloss: str) -> str:
    """The gloss without notes in parentheses or a leading "to "; "" when it is longer than
    a translation ("counter for rows", "(in Indian philosophy) means by which ...")."""
    text = _PARENS.sub(" ", gloss).lower().split()
    if text[:1] == ["to"]:
        text = text[1:]
    return " ".join(text) if 0 < len(text) <= _GLOSS_WORDS else ""
