"""The demo bureau's files in ``<data_dir>/demo/`` (documented in docs/demo.md):

- ``route-books.csv``, ``areas.csv``, ``accounts.csv``, ``energy-splits.csv``: the archive, valid
  archive import files;
- ``daily_registers.parquet``, ``area_supply_registers.parquet``, ``monthly_demand.parquet``;
- ``planted_faults.csv``, ``payment_profiles.csv``;
- ``manifest.json``: the spec and the summary; written last, so its presence means the files are
  complete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from meter2cash.demo import history
from meter2cash.demo.files import DATA_FILES, MANIFEST, write_csv, write_json
from meter2cash.demo.generate import ARCHIVE_KINDS, DemoBureau
from meter2cash.demo.planted import FAULT_COLUMNS
from meter2cash.registry.archive_columns import COLUMNS_BY_KIND

PROFILE_COLUMNS = ("account_no", "profile", "delay_days", "unpaid_percent")
WRITE_STEPS = 5


def write_files(
    demo: DemoBureau, directory: Path, *, advance: Callable[[], None] = lambda: None
) -> list[Path]:
    """Write every file except the manifest; ``advance`` is called after each of WRITE_STEPS."""
    directory.mkdir(parents=True, exist_ok=True)
    for kind in ARCHIVE_KINDS:
        columns = [c.key for c in COLUMNS_BY_KIND[kind]]
        write_csv(directory / f"{kind}.csv", columns, demo.rows[kind])
    advance()
    history.write_parquet(
        history.daily_registers(demo.bureau, demo.sim), directory / "daily_registers.parquet"
    )
    advance()
    history.write_parquet(
        history.supply_registers(demo.bureau, demo.sim), directory / "area_supply_registers.parquet"
    )
    history.write_parquet(history.monthly_demand(demo.sim), directory / "monthly_demand.parquet")
    advance()
    write_csv(directory / "planted_faults.csv", FAULT_COLUMNS, (f.as_row() for f in demo.faults))
    advance()
    profiles = ({k: str(v) for k, v in asdict(p).items()} for p in demo.profiles)
    write_csv(directory / "payment_profiles.csv", PROFILE_COLUMNS, profiles)
    advance()
    return [directory / name for name in DATA_FILES if name != MANIFEST]


def write_manifest(demo: DemoBureau, directory: Path, summary: dict[str, object]) -> Path:
    path = directory / MANIFEST
    write_json(path, {"identity": demo.spec.identity(), "summary": summary})
    return path
