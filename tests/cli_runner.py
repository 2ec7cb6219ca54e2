"""Run the real ``m2c`` executable against a test database, as a clerk would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from meter2cash.platform.context import AppContext

M2C = Path(sys.executable).parent / "m2c"


def m2c_env(ctx: AppContext, *, user: str | None = None, lang: str = "zh_CN") -> dict[str, str]:
    """The environment of an ``m2c`` process on the test database (no M2C_* from outside)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("M2C_")}
    env["M2C_DATA_DIR"] = str(ctx.settings.data_dir)
    env["M2C_DATABASE_URL"] = str(ctx.settings.database_url)
    env["M2C_LANG"] = lang
    env["COLUMNS"] = "200"
    if user:
        env["M2C_USER"] = user
    return env


def run_m2c(
    ctx: AppContext, *args: str, user: str | None = None, input_text: str | None = None, lang: str = "zh_CN"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(M2C), *args],
        env=m2c_env(ctx, user=user, lang=lang),
        capture_output=True,
        text=True,
        input=input_text,
        timeout=300,
        check=False,
    )
