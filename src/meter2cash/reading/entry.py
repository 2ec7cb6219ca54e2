"""Readings entered by hand (手工录入), one or several, with an optional photo of the register.

Each call is one batch: checked by the same rules as every other reading, stored with its
exceptions, audited. A photo is copied into ``<data dir>/photos/`` under its SHA-256, so the same
photo sent twice is stored once.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.reading.intake import IncomingReading, IntakeReport, record_readings
from meter2cash.reading.model import ReadingBatch

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic"}


def keep_photo(ctx: AppContext, *, photo: Path) -> str:
    """Copy a photo into the data directory; return its path relative to it."""
    if not photo.is_file():
        raise InputRefused(_("Photo not found: {path}").format(path=photo))
    if photo.suffix.lower() not in PHOTO_SUFFIXES:
        raise InputRefused(_("A photo must be a JPEG, PNG, WebP or HEIC file: {path}").format(path=photo))
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    relative = Path("photos") / f"{digest}{photo.suffix.lower()}"
    target = ctx.settings.data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(photo, target)
    return str(relative)


def enter_readings(
    ctx: AppContext,
    *,
    actor: str,
    readings: Sequence[IncomingReading],
    photo: Path | None = None,
    note: str = "manual entry",
) -> IntakeReport:
    """Check and store readings typed in by a reader or clerk."""
    if not readings:
        raise InputRefused(_("No readings given."))
    photo_path = keep_photo(ctx, photo=photo) if photo is not None else None
    with use_case(ctx, actor=actor, action=Action.READING_ENTER) as (session, who):
        now = ctx.clock.now()
        batch = ReadingBatch(
            kind="manual",
            sha256=None,
            name=note,
            rows=len(readings),
            created_by=who.username,
            created_at=now.isoformat(),
        )
        session.add(batch)
        session.flush()
        prepared = [
            replace(
                r,
                source=r.source if r.source != "handheld" else "manual",
                photo_path=r.photo_path or photo_path,
            )
            for r in readings
        ]
        report = record_readings(session, at=now, actor=who.username, batch=batch, incoming=prepared)
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="reading.enter",
            object_type="reading_batch",
            object_id=str(batch.id),
            after={
                "readings": [
                    {
                        "meter_no": r.meter_no,
                        "read_at": r.read_at,
                        "total": str(r.total),
                        "tou": {k: str(v) for k, v in r.tou.items()},
                    }
                    for r in prepared
                ],
                "photo": photo_path,
                "stored": report.stored,
                "exceptions": report.exceptions,
            },
            reason=note,
        )
    return report
