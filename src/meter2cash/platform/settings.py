"""Settings from the environment (prefix ``M2C_``), validated at start.

- ``M2C_DATA_DIR``: the data directory, default ``./var`` under the working directory. It holds
  the SQLite database, the demo's files and generated documents.
- ``M2C_DATABASE_URL``: any SQLAlchemy URL; default ``sqlite:///<data dir>/meter2cash.db``.
  ``postgresql://user@host/db`` uses psycopg 3.
- ``M2C_USER``: the staff user a CLI command runs as, when ``--as`` is not given.
- ``M2C_LANG``: ``zh_CN`` (default) or ``en``.
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

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("M2C_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{self.data_dir.resolve() / 'meter2cash.db'}"


def load_settings() -> Settings:
    return Settings()
