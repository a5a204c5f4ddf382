"""Pseudonyms: the only way the database knows a person.

HMAC-SHA256 keyed with a secret that lives outside the database. Phone numbers come from a
small space, so an unkeyed hash could be reversed by trying every number; a keyed one
cannot without the key (ENISA, "Pseudonymisation techniques", §3.3).
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(secret_key: str, channel: str, address: str) -> str:
    """The stable pseudonymous id for ``address`` on ``channel`` (64 hex characters)."""
    message = f"{channel}:{address.strip()}".encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """A keyed hash for other identifiers we must match but should not keep (provider ids)."""
    message = f"{purpose}:{value}".encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def log_tag(pseudonym_value: str) -> str:
    """What logs may carry: enough to follow one conversation, too little to link elsewhere."""
    return pseudonym_value[:8]
