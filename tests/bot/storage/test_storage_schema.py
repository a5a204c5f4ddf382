"""The schema, on SQLite and on PostgreSQL: migrations, constraints, encryption at rest."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.identity import keyed_hash, pseudonym
from bot.storage.base import utcnow
from bot.storage.crypto import Cipher, KeysMissing, new_key
from bot.storage.db import Database
from bot.storage.models import InboundReceipt, Person


def test_migrations_create_the_conversation_tables(database_url: str) -> None:
    database = Database(database_url)
    tables = set(inspect(database.engine).get_table_names())
    database.dispose()
    assert {"people", "inbound_receipts", "alembic_version"} <= tables


def test_the_migrations_build_exactly_what_every_model_describes(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.storage.registry import metadata

    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        database.dispose()
    assert differences == []


def test_people_hold_state_but_no_address_and_no_text(database_url: str) -> None:
    database = Database(database_url)
    columns = {c["name"] for c in inspect(database.engine).get_columns("people")}
    database.dispose()
    assert columns == {
        "pseudonym", "channel", "language", "language_chosen", "jurisdiction", "region",
        "welcomed", "opted_out", "blocked", "pending_step", "pending_data", "menu", "consents",
        "first_seen", "last_seen",
    }


def test_a_person_round_trips_with_utc_times(database_url: str) -> None:
    database = Database(database_url)
    who = pseudonym("k" * 40, "sms", "+27820001111")
    with database.session() as session:
        session.add(Person(pseudonym=who, channel="sms", jurisdiction="za", language="zu",
                           menu=["intent:rights_arrest"], pending_data={}, consents={}))
    with database.session() as session:
        person = session.get(Person, who)
        assert person is not None
        assert person.language == "zu" and person.menu == ["intent:rights_arrest"]
        assert person.first_seen.tzinfo is not None
        assert not person.opted_out and not person.welcomed
    database.dispose()


def test_the_same_provider_message_can_be_claimed_once(database_url: str) -> None:
    database = Database(database_url)
    digest = keyed_hash("k" * 40, "inbound", "SM0123")
    with database.session() as session:
        session.add(InboundReceipt(channel="sms", external_hash=digest, received_at=utcnow()))
    with pytest.raises(IntegrityError):
        with database.session() as session:
            session.add(InboundReceipt(channel="sms", external_hash=digest, received_at=utcnow()))
    with database.session() as session:
        # The same id on another channel is another message.
        session.add(InboundReceipt(channel="telegram", external_hash=digest, received_at=utcnow()))
    with database.session() as session:
        assert len(session.scalars(select(InboundReceipt)).all()) == 2
    database.dispose()


def test_pseudonyms_are_keyed_and_channel_scoped() -> None:
    a = pseudonym("k" * 40, "sms", "+27820001111")
    assert a == pseudonym("k" * 40, "sms", " +27820001111 ")
    assert a != pseudonym("other-key" * 5, "sms", "+27820001111")
    assert a != pseudonym("k" * 40, "telegram", "+27820001111")
    assert "27820001111" not in a and len(a) == 64


def test_encryption_rotates_to_the_new_key() -> None:
    old, new = new_key(), new_key()
    token = Cipher([old]).encrypt("summary: taken to the cells")
    both = Cipher([new, old])
    assert both.decrypt(token) == "summary: taken to the cells"
    rotated = both.rotate(token)
    assert Cipher([new]).decrypt(rotated) == "summary: taken to the cells"
    with pytest.raises(KeysMissing):
        Cipher([old]).decrypt(rotated)


def test_without_keys_nothing_is_kept_in_the_clear() -> None:
    with pytest.raises(KeysMissing):
        Cipher([]).encrypt("anything")


def test_database_errors_do_not_echo_bound_values(database_url: str) -> None:
    # SQLAlchemy would list every bound value; PostgreSQL's own DETAIL may still name the
    # key, which is why the JSON log formatter logs exception types and frames only.
    database = Database(database_url)
    who = pseudonym("k" * 40, "sms", "+27820002222")
    with database.session() as session:
        session.add(Person(pseudonym=who, channel="sms", jurisdiction="za", menu=[],
                           pending_data={}, consents={}))
    with pytest.raises(IntegrityError) as error:
        with database.session() as session:
            session.add(Person(pseudonym=who, channel="sms", jurisdiction="za", menu=[],
                               pending_data={}, consents={}))
    database.dispose()
    message = str(error.value)
    assert "[parameters:" not in message
    assert "hidden due to hide_parameters" in message
