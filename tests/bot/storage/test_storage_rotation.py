"""`haki keys rotate`: every encrypted value of every feature moves to the new key."""

from __future__ import annotations

from sqlalchemy import select

from bot.peers.models import PeerEducator
from bot.peers.registry import add_educator
from bot.storage.crypto import Cipher, rotate_all
from bot.storage.db import Database
from tests.conftest import TEST_FERNET_KEY


def test_rotation_covers_peer_educator_names_on_both_databases(database_url: str) -> None:
    from bot.storage.crypto import new_key

    database = Database(database_url)
    with database.session() as session:
        add_educator(session, Cipher([TEST_FERNET_KEY]), name="Thandi", organisation="Sisonke",
                     region="gauteng", language="zu", languages=("en", "zu", "af"))
    fresh = new_key()
    with database.session() as session:
        assert rotate_all(session, Cipher([fresh, TEST_FERNET_KEY])) >= 1
    with database.session() as session:
        educator = session.scalars(select(PeerEducator)).one()
        assert Cipher([fresh]).decrypt(educator.name_encrypted) == "Thandi"
    database.dispose()
