"""Settings from the environment (prefix ``M2C_``), validated at start.

- ``M2C_DATA_DIR``: the data directory, default ``./var`` under the working directory. It holds
  the SQLite database, the demo's files and generated documents.
- ``M2C_DATABASE_URL``: any SQLAlchemy URL; default ``sqlite:///<data dir>/meter2cash.db``.
  ``postgresql://user@host/db`` uses psycopg 3.
- ``M2C_USER``: the staff user a CLI command runs as, when ``--as`` is not given.
- ``M2C_LANG``: ``zh_CN`` (default) or ``en``.
- ``M2C_CJK_FONT``: the CJK font file (.otf/.ttf/.ttc) embedded in bill PDFs; default: the first of
  the usual Noto Sans CJK locations that exists (Debian ``fonts-noto-cjk``).
- ``M2C_BUREAU_NAME``: the supply bureau named on bill documents.
- ``M2C_PAYMENT_INSTRUCTIONS``: the payment instructions printed on bill documents, one paragraph
  a line (a literal ``\\n`` also breaks a line); default: a generic text.
- ``M2C_SMTP_HOST``, ``M2C_SMTP_PORT`` (default 25), ``M2C_SMTP_FROM``: the mail server that
  sends e-mail notices, and their sender address; e-mail is off unless host and sender are set.
- ``M2C_SMS_URL``, ``M2C_SMS_TOKEN``: the SMS gateway's HTTP endpoint (JSON POST) and its bearer
  token; SMS is off unless the URL is set.
- ``M2C_OUTBOX_MAX_ATTEMPTS``: a message whose sending failed this many times (default 5) is
  marked failed and no longer retried.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="M2C_", extra="ignore")

    data_dir: Path = Field(default=Path("var"))
    database_url: str | None = None
    user: str | None = None
    lang: Literal["zh_CN", "en"] = "zh_CN"
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    cjk_font: Path | None = None
    bureau_name: str = "示例供电公司"
    payment_instructions: str | None = None
    secret_key: str | None = None  # signs web session cookies; made once in data_dir when unset
    cookie_secure: bool = False  # send the session cookie over HTTPS only (set behind TLS)
    session_hours: int = Field(default=8, ge=1, le=24 * 30)
    collection_policy: Path | None = None  # the collection policy YAML; the shipped one when unset
    late_fee_policy: Path | None = None  # the late-fee policy YAML; the shipped one when unset
    dunning_policy: Path | None = None  # the dunning and disconnection policy YAML; shipped when unset
    smtp_host: str | None = None  # e-mail notices (message outbox); off when unset
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str | None = None
    sms_url: str | None = None  # the SMS gateway's HTTP endpoint; off when unset
    sms_token: str | None = None
    outbox_max_attempts: int = Field(default=5, ge=1, le=100)

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("M2C_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator(
        "cjk_font", "payment_instructions", "smtp_host", "smtp_from", "sms_url", "sms_token", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{self.data_dir.resolve() / 'meter2cash.db'}"


def load_settings() -> Settings:
    return Settings()
