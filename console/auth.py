"""Accounts: argon2id passwords, TOTP (RFC 6238) with recovery codes, one-time invites,
and the sign-in throttle.

Libraries do the cryptography: argon2-cffi (argon2id, its default) and pyotp. What is
ours is the bookkeeping: a TOTP code is accepted once (its time step is remembered),
recovery codes are stored as SHA-256 of 80 random bits and crossed out when used, and
invitation tokens are stored only as a hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.escalation.models import (
    CONSOLE_ROLES,
    ROLE_COORDINATOR,
    ROLE_RESPONDER,
    AuditEntry,
    ConsoleAccount,
    ConsoleInvite,
    Responder,
)
from bot.storage.crypto import Cipher

#: argon2id with argon2-cffi's RFC 9106 "low memory" profile (64 MiB, 3 passes).
_hasher = PasswordHasher()
RECOVERY_CODES = 8
MIN_PASSWORD_CHARS = 12
THROTTLE_WINDOW = timedelta(minutes=15)
ISSUER = "Haki console"
#: Stands in for a missing account so a wrong username costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


class AuthError(ValueError):
    """Shown to the person signing in or enrolling, as is."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(account: ConsoleAccount | None, password: str) -> bool:
    try:
        ok = _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and account is not None and account.active


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- TOTP and recovery codes ------------------------------------------------------------------
def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def check_totp(account: ConsoleAccount, cipher: Cipher, code: str, now: datetime) -> bool:
    """A current code (±1 step for clock drift), each accepted only once."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return False
    totp = pyotp.TOTP(cipher.decrypt(account.totp_secret_encrypted))
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if candidate <= (account.totp_last_step or 0):
            continue
        if hmac.compare_digest(totp.at(candidate * totp.interval), code):
            account.totp_last_step = candidate
            return True
    return False


def new_recovery_codes() -> list[str]:
    """Eight codes like ``7KQ4-M2ZP-X9TA-B3CD`` (80 bits each), shown once."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def normal_recovery(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def use_recovery_code(account: ConsoleAccount, code: str) -> bool:
    digest = sha256(normal_recovery(code))
    remaining = list(account.recovery_hashes or [])
    if digest not in remaining:
        return False
    remaining.remove(digest)
    account.recovery_hashes = remaining
    return True


# --- invitations ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Invitation:
    token: str
    expires_at: datetime


def invite(session: Session, *, role: str, now: datetime, hours: int,
           organisation: str | None = None, responder_id: int | None = None) -> Invitation:
    if role not in CONSOLE_ROLES:
        raise AuthError(f"role must be one of {', '.join(CONSOLE_ROLES)}")
    if role == ROLE_RESPONDER:
        responder = session.get(Responder, responder_id) if responder_id else None
        if responder is None:
            raise AuthError(f"no responder #{responder_id}")
        organisation = responder.organisation
    if role == ROLE_COORDINATOR and not (organisation or "").strip():
        raise AuthError("a coordinator invitation names the organisation")
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    session.add(ConsoleInvite(token_hash=sha256(token), role=role,
                              organisation=(organisation or "").strip() or None,
                              responder_id=responder_id if role == ROLE_RESPONDER else None,
                              expires_at=expires))
    return Invitation(token, expires)


def open_invite(session: Session, token: str, now: datetime) -> ConsoleInvite:
    found = session.scalar(select(ConsoleInvite).where(ConsoleInvite.token_hash == sha256(token)))
    if found is None or found.used_at is not None or found.expires_at <= now:
        raise AuthError("This invitation link is not valid any more. Ask for a new one.")
    return found


def create_account(session: Session, cipher: Cipher, invitation: ConsoleInvite, *,
                   username: str, password: str, now: datetime) -> tuple[ConsoleAccount, str, list[str]]:
    """The account, its TOTP secret (to show once) and its recovery codes (to show once).
    The invitation is spent here; the account signs in only after confirming a TOTP code."""
    username = username.strip().lower()
    if not (3 <= len(username) <= 64) or not all(ch.isalnum() or ch in "._-" for ch in username):
        raise AuthError("Choose a username of 3 to 64 letters, digits, dots or dashes.")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AuthError(f"Choose a password of at least {MIN_PASSWORD_CHARS} characters.")
    if session.scalar(select(ConsoleAccount.id).where(ConsoleAccount.username == username)):
        raise AuthError("That username is taken.")
    secret = new_totp_secret()
    codes = new_recovery_codes()
    account = ConsoleAccount(username=username, password_hash=hash_password(password),
                             role=invitation.role, organisation=invitation.organisation,
                             responder_id=invitation.responder_id,
                             totp_secret_encrypted=cipher.encrypt(secret), totp_confirmed=False,
                             totp_last_step=0, recovery_hashes=[sha256(c) for c in codes],
                             active=True, session_version=1, created_at=now)
    session.add(account)
    invitation.used_at = now
    session.flush()
    return account, secret, codes


# --- throttle ---------------------------------------------------------------------------------
def client_tag(secret_key: str, address: str) -> str:
    """A keyed hash of the client's IP address: enough to count failures, not to find anyone."""
    return "ip:" + hmac.new(secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()[:16]


def too_many_failures(session: Session, username: str, tag: str, now: datetime, limit: int) -> bool:
    since = now - THROTTLE_WINDOW
    base = select(func.count(AuditEntry.id)).where(AuditEntry.action == "login_failed",
                                                   AuditEntry.at >= since)
    by_name = session.scalar(base.where(AuditEntry.actor == f"{username[:60]} (sign-in)")) or 0
    by_client = session.scalar(base.where(AuditEntry.detail == tag)) or 0
    return by_name >= limit or by_client >= limit
