"""Smart-prepaid meters' daily frozen readings (日冻结示数), imported from the collection system's
CSV file (``meter_no,frozen_on,total``; `prepaid_files`). The file is refused whole on a bad row,
an unknown meter or a reading already stored with another value; one stored with the same value
is unchanged, so re-importing a file changes nothing. The readings feed `prepaid_run`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from meter2cash.collection.card_reports import ImportResult
from meter2cash.collection.prepaid_files import READING_COLUMNS, READING_PARSERS, read_rows, text_of
from meter2cash.collection.prepaid_model import PrepaidFrozenReading
from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.registry.model import Meter


def import_frozen_readings(ctx: AppContext, *, actor: str | None, path: Path) -> ImportResult:
    """Store the readings of a CSV file, or refuse it whole naming every problem."""
    rows = read_rows(
        text=text_of(path), columns=READING_COLUMNS, parsers=READING_PARSERS, key=("meter_no", "frozen_on")
    )
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.PREPAID_RUN) as (session, who):
        numbers = sorted({r["meter_no"] for r in rows})
        rows_found = session.execute(select(Meter.meter_no, Meter.id).where(Meter.meter_no.in_(numbers)))
        meters = {number: meter_id for number, meter_id in rows_found}
        problems: list[Problem] = []
        added = unchanged = 0
        for row in rows:
            meter_id = meters.get(row["meter_no"])
            if meter_id is None:
                problems.append(
                    Problem(
                        reason=_("Unknown meter"), row=row["row"], column="meter_no", value=row["meter_no"]
                    )
                )
                continue
            stored = session.scalar(
                select(PrepaidFrozenReading).where(
                    PrepaidFrozenReading.meter_id == meter_id,
                    PrepaidFrozenReading.frozen_on == row["frozen_on"],
                )
            )
            if stored is None:
                session.add(
                    PrepaidFrozenReading(
                        meter_id=meter_id,
                        frozen_on=row["frozen_on"],
                        total=row["total"],
                        imported_by=who.username,
                        imported_at=now,
                    )
                )
                added += 1
            elif stored.total == row["total"]:
                unchanged += 1
            else:
                problems.append(
                    Problem(
                        reason=_("A different reading of this meter and day is already stored"),
                        row=row["row"],
                        column="total",
                        value=str(row["total"]),
                    )
                )
        if problems:
            raise InputRefused(_("The file is refused: nothing was imported"), problems)
        result = ImportResult(rows=len(rows), added=added, unchanged=unchanged)
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="prepaid.frozen_readings",
            object_type="prepaid_frozen_reading",
            object_id=path.name,
            after=result.as_json(),
        )
        return result
