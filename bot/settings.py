"""Typed settings, read once from the environment (``HAKI_*``) and an optional ``.env``.

Every value is checked at start-up. A missing or malformed value stops the process with
one line naming the variable and what it expects, so an operator never has to read a
traceback to find a typo in a deployment file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nlu.language_table import supported_codes

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Languages we can answer in, from content/common/languages.yml (adding one is data only).
SUPPORTED_LANGUAGES = supported_codes()


class SettingsError(RuntimeError):
    """A configuration value is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """Everything the service can be told from outside. See ``.env.example`` for each one."""

    model_config = SettingsConfigDict(
        env_prefix="HAKI_",
        # The project's own .env first, then one in the working folder (which wins).
        env_file=(str(PROJECT_ROOT / ".env"), ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # --- identity and secrets -------------------------------------------------------
    secret_key: str = Field(
        min_length=32,
        description="Key for the HMAC that turns phone numbers and chat ids into pseudonyms.",
    )
    encryption_keys: str = Field(
        default="",
        description="Comma-separated Fernet keys for data kept at rest; the first encrypts.",
    )
    environment: Literal["development", "test", "production"] = "development"

    # --- storage -------------------------------------------------------------------------
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'haki.db'}"
    var_dir: Path = PROJECT_ROOT / "var"
    store_message_bodies: bool = False

    # --- conversation ------------------------------------------------------------------
    default_language: str = "en"
    languages: str = ",".join(SUPPORTED_LANGUAGES)
    jurisdiction: str = "za"
    content_dir: Path = PROJECT_ROOT / "content"
    locales_dir: Path = PROJECT_ROOT / "locales"

    # --- NLU -------------------------------------------------------------------------------
    nlu_backend: Literal["embedded", "rasa"] = "embedded"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = Field(default=1.5, gt=0, le=30)
    nlu_threshold: float = Field(default=0.45, ge=0, le=1)

    # --- channels --------------------------------------------------------------------------
    public_url: str = "http://127.0.0.1:8080"
    sandbox: bool = False
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_number: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    telegram_token: str = ""
    telegram_secret: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_username: str = ""
    #: The SMS number as printed on posters and share messages ("31555", "082 555 0100");
    #: empty = twilio_number.
    sms_number_display: str = ""
    max_request_bytes: int = Field(default=64 * 1024, ge=1024)

    # --- rate limiting, queue, escalation ---------------------------------------------
    redis_url: str = ""
    rate_limit_messages: int = Field(default=20, ge=1)
    rate_limit_window_seconds: int = Field(default=60, ge=1)
    queue: Literal["inprocess", "celery"] = "inprocess"
    ack_minutes: int = Field(default=10, ge=1)
    sweep_seconds: int = Field(default=60, ge=1)
    #: A worker holds a notification it is sending this long; after that it is re-sent.
    delivery_lease_seconds: int = Field(default=60, ge=2)

    # --- the console (/console/, console/) --------------------------------------------
    #: Serve the console for responders and coordinators (HAKI_CONSOLE=1; make run sets it).
    console: bool = False
    #: Before the ACK deadline, remind the assigned responder this many minutes ahead
    #: (organisations can set their own: `haki console org`).
    remind_before_minutes: int = Field(default=3, ge=0)
    console_invite_hours: int = Field(default=48, ge=1, le=24 * 14)
    console_session_minutes: int = Field(default=480, ge=5, le=24 * 60)
    #: Failed sign-ins allowed per username and per client address in 15 minutes.
    console_login_attempts: int = Field(default=5, ge=1)
    #: Secure cookies need HTTPS; only a developer's plain-HTTP machine turns this off.
    console_secure_cookies: bool = True

    # --- operations --------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False

    @field_validator("secret_key")
    @classmethod
    def _secret_not_placeholder(cls, value: str) -> str:
        if "change-me" in value:
            raise ValueError("replace the placeholder with a random value (make run writes one)")
        return value

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: str) -> str:
        codes = [code.strip() for code in value.split(",") if code.strip()]
        if not codes:
            raise ValueError("list at least one language code, e.g. en,zu,af")
        for code in codes:
            if not 2 <= len(code) <= 3 or not code.isalpha() or not code.islower():
                raise ValueError(f"'{code}' is not a two-letter ISO 639-1 code (or 639-2 where none exists)")
            if code not in SUPPORTED_LANGUAGES:
                raise ValueError(f"'{code}' is not in content/common/languages.yml ({','.join(SUPPORTED_LANGUAGES)})")
        return ",".join(codes)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("use sqlite:///path or postgresql+psycopg://user@host/db")
        if value.startswith("postgresql:"):
            # psycopg 3 is the driver we install; SQLAlchemy's bare default is psycopg2.
            value = "postgresql+psycopg:" + value[len("postgresql:") :]
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        from cryptography.fernet import Fernet

        for key in [k.strip() for k in value.split(",") if k.strip()]:
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise ValueError(
                    "each key must be a Fernet key (32 url-safe base64 bytes); "
                    "generate one with `haki keys new`"
                ) from None
        return value

    @property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(self.languages.split(","))

    @property
    def fernet_keys(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.encryption_keys.split(",") if k.strip())


def _explain(error: ValidationError) -> str:
    """Turn pydantic's report into one line per variable, naming it as the operator sets it."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "?"
        variable = f"HAKI_{field.upper()}"
        if problem["type"] == "missing":
            lines.append(f"{variable} is not set: {Settings.model_fields[field].description or 'required'}")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{variable} is invalid: {message}")
    return "; ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read and check the settings; raise SettingsError with a one-line explanation."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_explain(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests pass their own Settings objects instead)."""
    return load_settings()
