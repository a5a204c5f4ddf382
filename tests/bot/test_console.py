"""`haki ask` (the machine interface evaluations use) and `haki chat`, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bot.settings import PROJECT_ROOT

HAKI = [sys.executable, "-m", "bot"]


def run(args: list[str], stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HAKI_")}
    environment.update(env or {})
    return subprocess.run(HAKI + args, input=stdin, capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=environment, timeout=120)


def test_ask_json_prints_the_documented_object() -> None:
    result = run(["ask", "--json", "--channel", "sms"], stdin="police took my needles\n")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["text"] == "police took my needles"
    assert record["lang"] == "en"
    assert record["intent"] == "needles_confiscated"
    assert 0 <= record["confidence"] <= 1
    assert isinstance(record["urgent"], bool)
    assert "not legal advice" in record["reply"].lower()
    assert 1 <= record["sms_segments"] <= 2 and record["sms_encoding"] == "GSM-7"


def test_ask_reads_one_message_per_line_and_never_crashes() -> None:
    lines = ["hi", "", "😀", "a" * 10_000, "amaphoyisa angiboshile manje", "die polisie slaan my",
             "\x01\x02", "STOP", "DELETE", "YES", "1"]
    result = run(["ask", "--json"], stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(lines)
    assert all(record["reply"].strip() for record in records)
    by_text = {record["text"]: record for record in records}
    assert by_text["amaphoyisa angiboshile manje"]["urgent"] is True
    assert by_text["amaphoyisa angiboshile manje"]["lang"] == "zu"
    assert by_text["die polisie slaan my"]["urgent"] is True
    assert by_text["die polisie slaan my"]["lang"] == "af"


def test_ask_with_a_language_answers_in_it() -> None:
    result = run(["ask", "--json", "--lang", "zu", "how does bail work"])
    record = json.loads(result.stdout)
    assert record["lang"] == "zu" and record["intent"] == "rights_bail"


def test_ask_changes_no_stored_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "untouched.db"
    run(["ask", "hello"], env={"HAKI_DATABASE_URL": f"sqlite:///{database}"})
    assert not database.exists()


def test_chat_holds_a_conversation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"HAKI_SECRET_KEY": "c" * 40, "HAKI_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"}
    result = run(["chat", "--channel", "sms"], stdin="hi\n1\nLANG af\nSTOP\n", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("haki> ") >= 4
    assert "Traceback" not in result.stdout + result.stderr


#: One message per intent of ../shared/spec/intents.md (the spec's own examples where it has them).
ONE_PER_INTENT = {
    "rights_arrest": "what must police tell me when they arrest me",
    "rights_48_hours": "can they keep me 4 days",
    "rights_lawyer": "i have no money for a lawyer",
    "rights_medication_custody": "if i get arrested can i keep taking my ARVs",
    "rights_search": "can a man search me",
    "rights_bail": "how does bail work",
    "police_bribe": "cop wants R100",
    "nsp_letter": "what is the program letter for",
    "needles_confiscated": "cops smashed my syringes",
    "condoms_evidence": "can they take my condoms",
    "sex_work_law": "is it legal to sell sex",
    "drug_law": "jail for weed?",
    "report_police": "how to lay a complaint against a cop",
    "find_legal_help": "i need a paralegal",
    "find_health_service": "where to get clean needles",
    "urgent_arrested_now": "they are arresting me now",
    "urgent_violence": "police are beating me",
    "urgent_medical_custody": "my friend is sick in the cells",
    "greet": "hello",
    "thanks": "thank you so much",
    "goodbye": "bye",
    "menu": "what can you do",
    "change_language": "i want another language",
    "talk_to_person": "can i talk to a real person",
    "out_of_scope": "what is the weather in durban",
    "stop": "stop sending me messages",
    "delete_data": "erase everything you have about me",
    "partner_violence": "my boyfriend hits me",
}


def test_every_intent_is_covered_by_this_table() -> None:
    from nlu import INTENTS

    assert set(ONE_PER_INTENT) == set(INTENTS)


def test_ask_recognises_one_message_per_intent() -> None:
    result = run(["ask", "--json"], stdin="\n".join(ONE_PER_INTENT.values()) + "\n")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["intent"] for r in records] == list(ONE_PER_INTENT)


def test_chat_holds_a_conversation_touching_every_intent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"HAKI_SECRET_KEY": "c" * 40, "HAKI_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"}
    # Delete (confirmed with YES) and then stop come last: after them the bot forgets, then
    # (rightly) goes quiet.
    others = [text for intent, text in ONE_PER_INTENT.items() if intent not in {"stop", "delete_data"}]
    lines = [*others, ONE_PER_INTENT["delete_data"], "YES", ONE_PER_INTENT["stop"]]
    result = run(["chat"], stdin="\n".join(lines) + "\n", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.count("haki> ") >= len(ONE_PER_INTENT)
    assert "Everything we held about you is deleted" in result.stdout
    assert "You will get no more messages" in result.stdout
