"""Reading a typed word as a menu choice: "kzn", "the paralegal", "yebo ngiyacela".

People in a police van do not type numbers. Every menu the core or a feature shows can be
answered by the option's number, its label (in the person's language or in English), or a
word from content: ``content/common/choices.yml`` (synonyms per option key and language)
and ``content/<jurisdiction>/areas.yml`` (province names, abbreviations, towns). Nothing
here is a word list in code.

Matching is forgiving but never guesses between two options: case, punctuation, extra
words ("im in durban", "yes please hurry") and one typo in a word of five letters or more
(two in a word of nine or more) are tolerated; a reply that fits two options equally
well matches none, and the caller asks again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from nlu.language_table import load_table

if TYPE_CHECKING:
    from bot.turn import Turn

_NOT_WORD = re.compile(r"[^0-9a-z]+")
AREA_PREFIX = "esc:region:"


def words_of(text: str) -> tuple[str, ...]:
    """Lowercase ASCII words: accents dropped, punctuation and emoji are spaces."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.replace("'", "").replace("\u2019", "")  # don't -> dont, officer's -> officers
    return tuple(_NOT_WORD.sub(" ", folded).split())


def _close(typed: str, known: str) -> bool:
    """Equal, or a small typo in a longer word (one edit from 5 letters, two from 9)."""
    if typed == known:
        return True
    if len(known) < 5 or len(typed) < 4:
        return False
    allowed = 2 if len(known) >= 9 else 1
    if abs(len(typed) - len(known)) > allowed:
        return False
    return _distance(typed, known, allowed) <= allowed


def _distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance, giving up (returning cap + 1) once it exceeds ``cap``."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]


def phrase_score(message: Sequence[str], phrase: Sequence[str]) -> int:
    """How well ``phrase`` occurs in ``message`` (both as words): 0 = not at all.

    The whole message being the phrase scores highest; the phrase inside a longer message
    scores by its length, so "no contact" beats "no" for "record it, no contact"."""
    if not phrase or not message:
        return 0
    exact = tuple(message) == tuple(phrase)
    n = len(phrase)
    for start in range(len(message) - n + 1):
        if all(_close(typed, known) for typed, known in zip(message[start:start + n], phrase)):
            return 100 + n if exact else 10 * n + (1 if message[start:start + n] == tuple(phrase) else 0)
    joined = "".join(phrase)
    if n > 1 and any(_close(word, joined) for word in message):  # "capetown", "kwazulunatal"
        return 10 * n
    return 0


def best_match(message: str, candidates: dict[str, Iterable[str]]) -> str | None:
    """The candidate key whose phrases fit ``message`` best; None when none or a tie."""
    typed = words_of(message)
    if not typed:
        return None
    scores: dict[str, int] = {}
    for key, phrases in candidates.items():
        score = max((phrase_score(typed, words_of(p)) for p in phrases), default=0)
        if score:
            scores[key] = score
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None  # "yes no", "durban or cape town": ask again rather than guess
    return ranked[0][0]


# --- what each option can be called ------------------------------------------------------
def option_phrases(turn: Turn, key: str) -> list[str]:
    """Every way to say option ``key``: its labels and content's synonyms, all languages."""
    phrases: list[str] = []
    for language_words in turn.content.choices("options").values():
        phrases.extend(language_words.get(key, ()))
    if key.startswith(AREA_PREFIX):
        phrases.extend(turn.content.areas(turn.jurisdiction).get(key[len(AREA_PREFIX):], ()))
    phrases.extend(_labels(turn, key))
    return phrases


def _labels(turn: Turn, key: str) -> list[str]:
    action, _, argument = key.partition(":")
    languages = dict.fromkeys((turn.language, "en"))
    labels: list[str] = []
    if action == "intent":
        for language in languages:
            topic = turn.content.topic(turn.jurisdiction, argument, language)
            if topic is not None:
                labels.append(topic.title)
    elif action == "lang":
        labels.append(argument)
        # The language's own name from the language table (content/common/languages.yml):
        # every language listed there has one, not only those with a language_name_ text.
        info = load_table().get(argument)
        labels.append(info.own if info else argument)
    elif key.startswith(AREA_PREFIX) and argument != "region:unknown":
        for language in languages:
            labels.append(turn.content.text(f"region_{key[len(AREA_PREFIX):]}", language, turn.jurisdiction))
    return labels


def match_option(turn: Turn, keys: Sequence[str]) -> str | None:
    """The option of ``keys`` that the person's typed words name, if exactly one does."""
    if not turn.clean_text or not keys:
        return None
    return best_match(turn.clean_text, {key: option_phrases(turn, key) for key in keys})


def yes_or_no_words(turn: Turn) -> bool | None:
    """True/False when the typed words say yes or no (any language), else None."""
    found = match_option(turn, ["answer:yes", "answer:no"])
    return None if found is None else found == "answer:yes"


# --- what a message is about ---------------------------------------------------------------
def _phrases(turn: Turn, section: str, name: str) -> list[str]:
    return [p for words in turn.content.choices(section).values() for p in words.get(name, ())]


def mentions(turn: Turn, section: str, name: str) -> bool:
    typed = words_of(turn.clean_text)
    return any(phrase_score(typed, words_of(p)) for p in _phrases(turn, section, name))


#: Most specific first: sexual violence must never get the generic arrest text.
SITUATIONS = ("sexual_violence", "medical", "extortion", "held_48h", "phone_taken")


def situation(turn: Turn) -> str | None:
    """The danger a message describes (content's `situations:` words), most specific first."""
    for name in SITUATIONS:
        if mentions(turn, "situations", name):
            return name
    return None


def is_acknowledgement(turn: Turn) -> bool:
    """"ok", "thanks", "sharp", an emoji: nothing to answer but a short reply."""
    typed = words_of(turn.clean_text)
    if not typed:
        return bool(turn.clean_text.strip())  # emoji or punctuation only
    return any(tuple(typed) == words_of(p) for p in _phrases(turn, "phrases", "ack"))


def refers_back(turn: Turn) -> bool:
    """A short message pointing at the last answer ("what about my friend")."""
    typed = words_of(turn.clean_text)
    return 0 < len(typed) <= 10 and mentions(turn, "phrases", "refer")


def partner_violence(turn: Turn) -> bool:
    """A partner or client hurting the person, with no word about police."""
    return (mentions(turn, "phrases", "partner") and mentions(turn, "phrases", "hurt")
            and not mentions(turn, "phrases", "police"))
