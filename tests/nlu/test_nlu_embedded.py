"""The embedded backend on messages it never saw: intents, thresholds, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from nlu import INTENTS, NluService, Parse
from nlu.intents import OUT_OF_SCOPE

# (message, saved language, expected intent). None of these is in the training data:
# tests/nlu/test_nlu_data.py-style checks keep it that way for the held-out file, and
# these were written separately, as people text.
UNSEEN = [
    ("hey, hw do i get bail 4 my bf", "en", "rights_bail"),
    ("can da cops keep me in the cells from friday till tuesday", "en", "rights_48_hours"),
    ("i got no cash for an attorney, what now", "en", "rights_lawyer"),
    ("my bestie is scared they'll take her arvs if she gets locked up", "en", "rights_medication_custody"),
    ("is a male officer allowed to search my trans sister", "en", "rights_search"),
    ("the cop at the corner says R200 or we go to the van every night", "en", "police_bribe"),
    ("the metro cops stamped on our syringes again", "en", "needles_confiscated"),
    ("they said my condoms prove im working, can they use that", "en", "condoms_evidence"),
    ("is it against the law to pay someone for sex", "en", "sex_work_law"),
    ("how much dagga can a person have at home legally", "en", "drug_law"),
    ("where do i lay a complaint about a cop who insulted me", "en", "report_police"),
    ("is there a paralegal i can talk to about my case in durban", "en", "find_legal_help"),
    ("where's a clinic that gives prep to sex workers", "en", "find_health_service"),
    ("what does the harm reduction letter actually do", "en", "nsp_letter"),
    ("pls stop sending me these sms", "en", "stop"),
    ("erase all the stuff you have on me", "en", "delete_data"),
    ("can i chat with a real human please", "en", "talk_to_person"),
    ("who won the rugby last night", "en", "out_of_scope"),
    ("ngicela ungitshele ukuthi ibheyili isebenza kanjani", "zu", "rights_bail"),
    ("amaphoyisa athathe ama-condom ethu izolo", "zu", "condoms_evidence"),
    ("ngidinga ummeli wamahhala ngoba anginamali", "zu", "rights_lawyer"),
    ("ngiyabonga kakhulu sisi", "zu", "thanks"),
    ("die gattas het ons kondome gevat", "af", "condoms_evidence"),
    ("hoe lank kan hulle my in die selle hou voor hof", "af", "rights_48_hours"),
    ("ek soek n gratis prokureur", "af", "rights_lawyer"),
    ("baie dankie vir jou hulp", "af", "thanks"),
]

URGENT_UNSEEN = [
    ("the cops just threw me in the van", "en", "urgent_arrested_now"),
    ("police r beating my friend outside the club", "en", "urgent_violence"),
    ("my friend is in the cells and she's fitting, they do nothing", "en", "urgent_medical_custody"),
    ("amaphoyisa angiboshile manje ngisemaseli", "zu", "urgent_arrested_now"),
    ("die boere slaan my nou", "af", "urgent_violence"),
]


@pytest.mark.parametrize(("text", "hint", "intent"), UNSEEN + URGENT_UNSEEN)
def test_unseen_messages(nlu_service: NluService, text: str, hint: str, intent: str) -> None:
    parse = nlu_service.parse(text, hint)
    assert parse.intent == intent, parse.ranking[:3]


def test_parse_shape(nlu_service: NluService) -> None:
    parse = nlu_service.parse("how does bail work", "en")
    assert isinstance(parse, Parse)
    assert parse.intent in INTENTS
    assert 0.0 <= parse.confidence <= 1.0
    assert parse.ranking[0][0] == parse.intent
    assert all(a[1] >= b[1] for a, b in zip(parse.ranking, parse.ranking[1:]))
    assert parse.backend == "embedded" and parse.fallback is False
    assert parse.language == "en"
    with pytest.raises(AttributeError):
        parse.intent = "greet"  # type: ignore[misc]


def test_below_threshold_is_out_of_scope_but_keeps_the_ranking(nlu_service: NluService) -> None:
    strict = NluService(nlu_service.model, nlu_service.languages, threshold=1.0)
    parse = strict.parse("how does bail work", "en")
    assert parse.intent == OUT_OF_SCOPE
    assert parse.ranking[0][0] == "rights_bail"
    assert parse.urgent is False


def test_unsure_urgent_message_keeps_an_urgent_intent(nlu_service: NluService) -> None:
    # An "I don't understand" reply to someone being beaten is the worst outcome.
    strict = NluService(nlu_service.model, nlu_service.languages, threshold=1.0)
    parse = strict.parse("police are beating me", "en")
    assert parse.urgent
    assert parse.intent == "urgent_violence"


BAD_INPUT = [
    "",
    "   ",
    "😀😀😀🙏",
    "🚓🚓🚓",
    "x" * 5000,
    ("help me the police " * 300),
    "\x00\x01\x02\xff\xfe binary \x1b[31m",
    "ниндзя 忍者 忍者 ninja العربية",
    "1234567890",
    "?!?!?!",
    "a",
    "\ud800 lone surrogate",
    "http://example.com/?q=' OR 1=1 --",
]


@pytest.mark.parametrize("text", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_bad_input_returns_a_valid_parse(nlu_service: NluService, text: str) -> None:
    parse = nlu_service.parse(text, "zu")
    assert parse.intent in INTENTS
    assert parse.language in ("en", "zu", "af")
    assert 0.0 <= parse.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "😀😀😀🙏", "1234567890", "\x00\x01\x02"])
def test_nothing_to_read_is_out_of_scope(nlu_service: NluService, text: str) -> None:
    parse = nlu_service.parse(text)
    assert parse.intent == OUT_OF_SCOPE and not parse.urgent


def test_non_text_input_does_not_raise(nlu_service: NluService) -> None:
    assert nlu_service.parse(b"ngiboshiwe", "zu").intent == "urgent_arrested_now"  # type: ignore[arg-type]
    assert nlu_service.parse(None).intent == OUT_OF_SCOPE  # type: ignore[arg-type]


def test_long_message_still_urgent_when_danger_is_at_the_end(nlu_service: NluService) -> None:
    text = "sorry for the long message, " * 150 + "anyway the police are beating me right now"
    assert nlu_service.parse(text, "en").urgent


def test_fast_scorer_equals_the_sklearn_pipeline(nlu_service: NluService) -> None:
    model = nlu_service.model
    for text in ["ngiboshiwe", "die cops het my naalde gevat", "where can i get prep", "zzz", "x" * 700]:
        features = model.features(text)
        expected = model.pipeline.predict_proba([features])[0]
        fast = dict(model.rank(text))
        got = np.array([fast[c] for c in model.classes])
        assert np.allclose(got, expected, atol=1e-6)


# --- Issue 14: other legal problems get the out-of-scope answer, not a police topic. ---

@pytest.mark.parametrize(
    "text",
    [
        "i need to divorce my wife but i have no money at all",
        "my refugee status paper is expired, can home affairs fine me",
        "the landlord cut off our water to make us leave",
        "how do i claim my late fathers pension",
    ],
)
def test_other_legal_problems_are_out_of_scope(nlu_service: NluService, text: str) -> None:
    parse = nlu_service.parse(text, "en")
    assert parse.intent == "out_of_scope" and not parse.urgent, parse


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("the rubber burst with a client last night, i need the hiv pills", "find_health_service"),
        ("are the cops allowed to read the sms on my phone", "rights_search"),
        ("if i give the officer money am i guilty of bribery too", "police_bribe"),
        ("im afraid the police will punish me for reporting them", "report_police"),
    ],
)
def test_topics_the_issue_extends_reach_existing_intents(nlu_service: NluService, text: str, intent: str) -> None:
    assert nlu_service.parse(text, "en").intent == intent
