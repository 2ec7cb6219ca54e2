from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from meter2cash.platform.settings import Settings


class TestSettingsFromTheEnvironment:
    def test_the_default_database_is_sqlite_in_the_data_directory(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.delenv("M2C_DATABASE_URL", raising=False)
        monkeypatch.setenv("M2C_DATA_DIR", str(tmp_path))
        assert Settings().resolved_database_url() == f"sqlite:///{tmp_path / 'meter2cash.db'}"

    def test_a_postgresql_url_uses_psycopg(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("M2C_DATABASE_URL", "postgresql://m2c@db/m2c")
        assert Settings().resolved_database_url() == "postgresql+psycopg://m2c@db/m2c"

    def test_an_unsupported_database_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("M2C_DATABASE_URL", "mysql://x/y")
        with pytest.raises(ValidationError, match="M2C_DATABASE_URL"):
            Settings()

    def test_an_unknown_language_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("M2C_LANG", "fr")
        with pytest.raises(ValidationError):
            Settings()
