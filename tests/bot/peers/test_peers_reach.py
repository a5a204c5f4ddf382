"""Reach figures from real conversations, on SQLite and PostgreSQL: what is counted, that
every count under 5 is hidden (None), and that no grouping gives a hidden count away."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect, select

from bot.messages import Channel
from bot.peers.models import ReachCount, ReferralAttribution
from bot.peers.stats import reach_stats, table_lines

OCTOBER = datetime(2026, 10, 5, 9, 0, tzinfo=timezone.utc)
NOVEMBER = datetime(2026, 11, 20, 18, 30, tzinfo=timezone.utc)


#: Reach is published for complete months only; "now" is after the months the tests use.
LATER = datetime(2027, 1, 15, tzinfo=timezone.utc)


def stats(services, **options):  # type: ignore[no-untyped-def]
    options.setdefault("now", LATER)
    with services.db.session() as session:
        return reach_stats(session, **options)


def one(records, **match):  # type: ignore[no-untyped-def]
    found = [r for r in records if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, records)
    return found[0]


def test_reach_per_code_organisation_region_and_month(peer_services_on, database_url, educator_on,  # type: ignore[no-untyped-def]
                                                      visitors_for):
    services = peer_services_on(database_url)
    busy = educator_on(services, organisation="Sisonke", region="gauteng")
    quiet = educator_on(services, organisation="Sisonke", region="gauteng", name="Lerato")
    far = educator_on(services, organisation="SWEAT", region="western_cape", language="af")
    visitor = visitors_for(services)

    october_people = []
    for _ in range(6):
        person = visitor(Channel.SMS)
        person.says(f"JOIN {busy}", at=OCTOBER)
        person.presses("intent:rights_search", at=OCTOBER)
        october_people.append(person)
    for _ in range(2):
        visitor(Channel.TELEGRAM).starts(quiet, at=OCTOBER)
    for person in october_people[:5]:  # five come back in November, one of them twice
        person.says("MENU", at=NOVEMBER)
    october_people[0].says("MENU", at=NOVEMBER)
    visitor(Channel.SMS).says(far, at=NOVEMBER)
    visitor(Channel.SMS).says("hi", at=NOVEMBER)  # no code: counted nowhere

    by_code = stats(services)
    assert [r["month"] for r in by_code] == ["2026-11", "2026-11", "2026-10", "2026-10"]
    busy_october = one(by_code, code=busy, month="2026-10")
    assert busy_october["topics"] == {"rights_search": 6}
    assert busy_october["returning_people"] == busy_october["escalations"] == 0
    assert one(by_code, code=busy, month="2026-11")["returning_people"] == 5
    assert one(by_code, code=quiet, month="2026-10")["new_people"] is None
    assert one(by_code, code=far, month="2026-11")["new_people"] is None

    # Sisonke's 8 new people next to its busy code's 6 would give away the quiet code's 2,
    # and so would gauteng's 8: one of each pair is hidden.
    by_organisation = stats(services, by="organisation")
    sisonke = one(by_organisation, organisation="Sisonke", month="2026-10")["new_people"]
    gauteng = one(stats(services, by="region"), region="gauteng", month="2026-10")["new_people"]
    assert busy_october["new_people"] is None or (sisonke is None and gauteng is None)
    assert {busy_october["new_people"], sisonke} <= {None, 6, 8}
    assert one(by_organisation, organisation="SWEAT", month="2026-11") == {
        "month": "2026-11", "organisation": "SWEAT", "new_people": None,
        "returning_people": 0, "topics": {}, "escalations": 0}
    by_region = stats(services, by="region", first_month="2026-11", last_month="2026-11")
    assert {r["region"] for r in by_region} == {"gauteng", "western_cape"}
    assert one(by_region, region="gauteng")["returning_people"] == 5

    lines = table_lines(by_code, "code")
    assert lines[0].split() == ["month", "code", "organisation", "region", "new", "returning",
                                "escalations", "topics"]
    assert any(busy in line and "rights_search 6" in line for line in lines)
    assert any(quiet in line and "  x  " in line for line in lines)


def test_the_month_that_is_not_over_is_not_published(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    for _ in range(6):
        visitor(Channel.SMS).says(f"JOIN {code}", at=NOVEMBER)
    assert stats(peer_services, now=datetime(2026, 11, 25, tzinfo=timezone.utc)) == []
    assert one(stats(peer_services), code=code)["new_people"] == 6


def test_no_text_and_no_pseudonym_in_the_counts(peer_services_on, database_url, educator_on,  # type: ignore[no-untyped-def]
                                                visitors_for):
    services = peer_services_on(database_url)
    code = educator_on(services)
    person = visitors_for(services)(Channel.SMS)
    person.says(f"JOIN {code}")
    person.says("the police took my needles at the taxi rank")
    columns = {column["name"] for column in inspect(services.db.engine).get_columns("reach_counts")}
    assert columns == {"code", "month", "metric", "intent", "count"}
    with services.db.session() as session:
        values = [tuple(map(str, row)) for row in session.execute(select(ReachCount.__table__))]
    assert values and not any("taxi" in v or person.address in v for row in values for v in row)


def test_months_are_validated(peer_services):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        stats(peer_services, first_month="2026-13")
    with pytest.raises(ValueError):
        stats(peer_services, by="person")  # type: ignore[arg-type]


def test_escalations_of_attributed_people_are_counted(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    # A feature that opens a case says so in turn.notes (or inserts an escalation case row).
    @peer_services.registry.command("testcase")
    def open_case(turn, argument):  # type: ignore[no-untyped-def]
        turn.notes["escalation_case"] = "K7-3QF"
        return []

    peer_services.registry.extra_command_words["TESTCASE"] = "testcase"
    referred, unreferred = visitor(Channel.SMS), visitor(Channel.SMS)
    referred.says(f"JOIN {code}")
    referred.says("TESTCASE")
    unreferred.says("hi")
    unreferred.says("TESTCASE")
    assert one(stats(peer_services), code=code)["escalations"] is None
    with peer_services.db.session() as session:
        total = session.scalar(select(ReachCount.count).where(ReachCount.metric == "escalation"))
    assert total == 1


def test_escalation_case_rows_are_counted_when_escalation_is_installed(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    models = pytest.importorskip("bot.escalation.models")
    if not inspect(peer_services.db.engine).has_table("cases"):
        pytest.skip("the escalation migration is not in this build")

    @peer_services.registry.command("testcase")
    def open_case(turn, argument):  # type: ignore[no-untyped-def]
        turn.session.add(models.Case(
            reference="T7Q3FX", pseudonym=turn.person.pseudonym, channel="sms", language="en",
            jurisdiction="za", category="arrest", region="gauteng", urgency="urgent",
            responder_kind="paralegal"))
        turn.session.flush()
        return []

    peer_services.registry.extra_command_words["TESTCASE"] = "testcase"
    referred = visitor(Channel.SMS)
    referred.says(f"JOIN {code}")
    referred.says("TESTCASE")
    with peer_services.db.session() as session:
        total = session.scalar(select(ReachCount.count).where(ReachCount.metric == "escalation"))
    assert total == 1


def test_only_one_attribution_row_per_person(peer_services, visitor, code):  # type: ignore[no-untyped-def]
    person = visitor(Channel.SMS)
    person.says(f"JOIN {code}")
    person.says(f"JOIN {code}")
    person.says(code)
    with peer_services.db.session() as session:
        assert session.query(ReferralAttribution).count() == 1
        assert session.scalar(select(ReachCount.count).where(ReachCount.metric == "new")) == 1
