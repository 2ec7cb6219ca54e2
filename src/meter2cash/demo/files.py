"""Writing the demo's files: CSV (UTF-8, ``\\n`` line ends, header row of English keys) and the
JSON manifest. Each file is written to a temporary name and renamed, so a crash never leaves a
half-written file behind, and the bytes depend only on the content (no timestamps).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

DEMO_DIR = "demo"
MANIFEST = "manifest.json"
DATA_FILES = (
    "route-books.csv",
    "areas.csv",
    "accounts.csv",
    "energy-splits.csv",
    "daily_registers.parquet",
    "area_supply_registers.parquet",
    "monthly_demand.parquet",
    "planted_faults.csv",
    "payment_profiles.csv",
    MANIFEST,
)


def demo_dir(data_dir: Path) -> Path:
    return data_dir / DEMO_DIR


def _replace(path: Path, content: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    partial.replace(path)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in columns})
    _replace(path, buffer.getvalue().encode("utf-8"))


def write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    _replace(path, text.encode("utf-8"))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
