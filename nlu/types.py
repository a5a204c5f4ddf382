"""The one value the NLU hands to the rest of the bot."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Parse:
    """What a message most likely means.

    ``ranking`` holds (intent, confidence) pairs, best first, even when ``intent`` was
    lowered to ``out_of_scope`` by the confidence threshold, so callers can still offer
    "did you mean ...?" menus. ``urgent`` is a flag on this one message: a non-urgent
    intent can be urgent when the safety lexicon matches ("no ARVs in the cells now").
    ``backend`` names what actually produced the intent ("embedded" or "rasa");
    ``fallback`` is True when the rasa backend was configured but the embedded model
    answered because Rasa was slow or down.

    Urgency is decided apart from the topic (``nlu/urgency.py``): "they said if you want
    to work you must give us sex" is ``police_bribe`` *and* urgent; a question about a
    past arrest is never given an ``urgent_*`` intent.
    """

    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...]
    urgent: bool
    language: str
    backend: str
    fallback: bool
    #: the urgency classifier's probability after the tense adjustments (nlu/urgency.py)
    urgency_score: float = 0.0
    #: which branch of the urgency rule decided (past, extortion, lexicon, custody,
    #: score, intent, none): for the report and for debugging, never shown to people
    urgency_reason: str = ""
