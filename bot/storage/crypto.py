"""Encryption at rest for the little we must keep (consented case summaries, call-back
addresses). Fernet keys come from settings; the first encrypts, all decrypt, so keys can be
rotated by putting a new key first and running `haki keys rotate`."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

#: Every column holding a Fernet token is named ``*_encrypted``; rotation relies on it.
ENCRYPTED_SUFFIX = "_encrypted"


class KeysMissing(RuntimeError):
    pass


class Cipher:
    def __init__(self, keys: Sequence[str]) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys]) if keys else None

    @property
    def available(self) -> bool:
        return self._fernet is not None

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise KeysMissing("HAKI_ENCRYPTION_KEYS is not set: nothing can be kept encrypted")
        return self._fernet

    def encrypt(self, plaintext: str) -> str:
        return self._require().encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._require().decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise KeysMissing("no configured key decrypts this value (was a key removed?)") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt under the primary key (keeps Fernet's timestamp)."""
        return self._require().rotate(token.encode("ascii")).decode("ascii")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def rotate_all(session: Session, cipher: Cipher) -> int:
    """Re-encrypt every ``*_encrypted`` value of every model under the primary key.

    Found by naming convention, so a feature that adds an encrypted column is covered
    without touching this function. Returns how many values were re-encrypted.
    """
    from bot.storage.base import Base
    from bot.storage.registry import metadata  # noqa: F401 - loads every feature's models

    count = 0
    for mapper in Base.registry.mappers:
        columns = [c.key for c in mapper.column_attrs if c.key.endswith(ENCRYPTED_SUFFIX)]
        if not columns:
            continue
        for row in session.scalars(select(mapper.class_)).all():
            for column in columns:
                token = getattr(row, column)
                if token:
                    setattr(row, column, cipher.rotate(token))
                    count += 1
    return count
