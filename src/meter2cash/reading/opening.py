"""Opening readings (期初示数) at go-live.

When a bureau moves onto Meter2Cash, each meter's last reading from the old system becomes the
baseline the first period is measured from. These readings were already billed by the old
system, so they are loaded as they are — not checked as new readings (they have nothing before
them to be checked against) — with quality ``actual``, source ``import`` and the batch's
fingerprint. A meter that already has readings here cannot get an opening reading (that would
rewrite history), and the whole load is refused. Only a manager or an administrator may load
them, and the load is audited.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import exact
from meter2cash.platform.permissions import Action
from meter2cash.reading.intake import IncomingReading, install_on
from meter2cash.reading.model import MeterReading, ReadingBatch
from meter2cash.registry.codes import TOU_NAMES
from meter2cash.registry.model import Meter


def load_opening_readings(
    ctx: AppContext, *, actor: str, readings: Sequence[IncomingReading], source_name: str
) -> int:
    """Store go-live baselines; returns how many were stored (0 when this batch was loaded before)."""
    digest = hashlib.sha256(
        json.dumps(
            [
                [
                    r.meter_no,
                    r.read_at.isoformat(),
                    str(r.total),
                    {k: str(v) for k, v in sorted(r.tou.items())},
                ]
                for r in readings
            ],
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    with use_case(ctx, actor=actor, action=Action.READING_OPENING) as (session, who):
        if (
            session.scalar(
                select(ReadingBatch.id).where(ReadingBatch.kind == "opening", ReadingBatch.sha256 == digest)
            )
            is not None
        ):
            return 0
        meters = {m.meter_no: m for m in session.scalars(select(Meter))}
        read_already = set(session.scalars(select(MeterReading.meter_id).distinct()))
        problems: list[Problem] = []
        rows = []
        seen: set[str] = set()
        for number, reading in enumerate(readings, start=1):
            meter = meters.get(reading.meter_no)
            if meter is None:
                problems.append(Problem(_("unknown meter number"), number, "meter_no", reading.meter_no))
                continue
            if reading.meter_no in seen:
                problems.append(Problem(_("the meter appears twice"), number, "meter_no", reading.meter_no))
            seen.add(reading.meter_no)
            if meter.id in read_already:
                problems.append(
                    Problem(
                        _("the meter already has readings; an opening reading would rewrite them"),
                        number,
                        "meter_no",
                        reading.meter_no,
                    )
                )
            install = install_on(session, meter_id=meter.id, day=reading.read_at.date())
            if install is None:
                problems.append(
                    Problem(
                        _("meter not installed on that day"),
                        number,
                        "read_at",
                        reading.read_at.date().isoformat(),
                    )
                )
                continue
            rows.append((reading, meter, install))
        if problems:
            raise InputRefused(_("Opening readings refused; nothing was loaded."), problems)
        now = ctx.clock.now()
        batch = ReadingBatch(
            kind="opening",
            sha256=digest,
            name=source_name,
            rows=len(rows),
            created_by=who.username,
            created_at=now.isoformat(),
        )
        session.add(batch)
        session.flush()
        session.add_all(
            MeterReading(
                meter_id=meter.id,
                service_point_id=install.service_point_id,
                read_on=reading.read_at.date(),
                read_at=_aware(reading.read_at).isoformat(),
                source="import",
                quality="actual",
                status="valid",
                total=exact(reading.total),
                batch_id=batch.id,
                entered_by=who.username,
                reactive=None if reading.reactive in (None, "") else exact(reading.reactive),
                **{
                    n: (exact(reading.tou[n]) if reading.tou.get(n) not in (None, "") else None)
                    for n in TOU_NAMES
                },
            )
            for reading, meter, install in rows
        )
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="reading.opening",
            object_type="reading_batch",
            object_id=str(batch.id),
            after={"source": source_name, "readings": len(rows), "sha256": digest},
        )
        return len(rows)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=BUSINESS_TZ) if moment.tzinfo is None else moment
