"""Records made in conversations carry their violation, from the situation the words describe
or else from the intent; records made in the sandbox are kept apart and never counted."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversation import Conversation
from bot.escalation.models import AnonymousReport
from bot.messages import Channel
from tests.conftest import Person


def option_number(person: Person, key: str) -> str:
    menus = [reply for reply in person.last if reply.options]
    return str([option.key for option in menus[-1].options].index(key) + 1)


def record_anonymously(services, address: str, text: str) -> AnonymousReport:  # type: ignore[no-untyped-def]
    person = Person(Conversation(services), Channel.SMS, address)
    person.says(text)
    person.says(option_number(person, "esc:anon"))
    person.says(option_number(person, "esc:region:limpopo"))
    assert "Recorded anonymously" in person.reply_text
    with services.db.session() as session:
        return session.scalars(select(AnonymousReport).order_by(AnonymousReport.id.desc())).first()


def test_an_anonymous_record_of_police_violence_counts_as_physical_violence(services) -> None:  # type: ignore[no-untyped-def]
    report = record_anonymously(services, "+27821110001", "police are beating me now help")
    assert (report.violation, report.region, report.is_test) == ("physical_violence", "limpopo", False)
    assert report.perpetrator == "not_recorded"


def test_sexual_violence_by_police_counts_as_sexual_violence_not_other_violence(services) -> None:  # type: ignore[no-untyped-def]
    report = record_anonymously(services, "+27821110002",
                                "the policeman forced himself on me in the van just now")
    assert report.violation == "sexual_violence"


def test_sex_demanded_by_police_counts_as_extortion(services) -> None:  # type: ignore[no-untyped-def]
    report = record_anonymously(services, "+27821110003",
                                "the cop says sex or he locks me up, he is waiting in the car now")
    assert report.violation == "extortion"


def test_a_record_made_in_the_web_sandbox_is_a_test_record(services) -> None:  # type: ignore[no-untyped-def]
    report = record_anonymously(services, "sandbox-3f9a", "they are arresting me now")
    assert report.is_test is True
    assert report.violation == "arbitrary_detention"
