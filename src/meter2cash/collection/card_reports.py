"""Card meters' reports and their reconciliation against the vends (docs/prepaid.md "Services";
../shared/docs/domain-rules.md §3).

- `import_meter_reports` stores what card meters report (handheld read or card write-back, 回写)
  from a CSV file (`prepaid_files`), refused whole on a bad row or an unknown meter. A report
  already stored with the same values is unchanged; with other values it is refused.
- `reconcile_cards` reconciles every card-prepaid account's vends against its meter's reports up
  to ``as_of`` with `card_meters.reconcile` and the policy's tolerances, and opens one
  ``prepaid_exception`` per anomaly (meter, kind, report) for revenue protection (稽查): running it
  again opens nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.collection.card_meters import CardUnit, MeterReport, VendRecord, reconcile
from meter2cash.collection.prepaid_archive import installed_meter
from meter2cash.collection.prepaid_files import REPORT_COLUMNS, REPORT_PARSERS, read_rows, text_of
from meter2cash.collection.prepaid_model import CardMeterReport, CardVend, PrepaidException
from meter2cash.collection.prepaid_policy import PrepaidPolicy, bundled_prepaid_policy
from meter2cash.collection.prepaid_wording import bilingual
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.registry.model import Account, Meter

REPORT_FIELDS = ("unit", "purchase_count", "cumulative_purchase", "remaining", "cumulative_used")


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    added: int
    unchanged: int

    def as_json(self) -> dict[str, int]:
        return {"rows": self.rows, "added": self.added, "unchanged": self.unchanged}


def import_meter_reports(ctx: AppContext, *, actor: str | None, path: Path) -> ImportResult:
    """Store the reports of a CSV file, or refuse it whole naming every problem."""
    rows = read_rows(
        text=text_of(path), columns=REPORT_COLUMNS, parsers=REPORT_PARSERS, key=("meter_no", "reported_on")
    )
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.PREPAID_RUN) as (session, who):
        meters = _meters(session, {r["meter_no"] for r in rows})
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
                select(CardMeterReport).where(
                    CardMeterReport.meter_id == meter_id, CardMeterReport.reported_on == row["reported_on"]
                )
            )
            if stored is None:
                session.add(
                    CardMeterReport(
                        meter_id=meter_id,
                        reported_on=row["reported_on"],
                        **{k: row[k] for k in REPORT_FIELDS},
                        imported_by=who.username,
                        imported_at=now,
                    )
                )
                added += 1
            elif all(getattr(stored, k) == row[k] for k in REPORT_FIELDS):
                unchanged += 1
            else:
                problems.append(
                    Problem(
                        reason=_("A different report of this meter and day is already stored"), row=row["row"]
                    )
                )
        if problems:
            raise InputRefused(_("The file is refused: nothing was imported"), problems)
        result = ImportResult(rows=len(rows), added=added, unchanged=unchanged)
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="prepaid.card_reports",
            object_type="card_meter_report",
            object_id=path.name,
            after=result.as_json(),
        )
        return result


@dataclass
class ReconcileResult:
    as_of: date
    accounts: int = 0
    opened: list[dict[str, Any]] = field(default_factory=list)
    already_open: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "accounts": self.accounts,
            "opened": self.opened,
            "already_open": self.already_open,
        }


def reconcile_cards(
    ctx: AppContext, *, actor: str | None, as_of: date | None = None, policy: PrepaidPolicy | None = None
) -> ReconcileResult:
    """Reconcile every card-prepaid account with reports (module rule); returns what was opened."""
    rules = (policy or bundled_prepaid_policy()).card_meters
    now = ctx.clock.now()
    day = as_of or business_date(now)
    result = ReconcileResult(as_of=day)
    with use_case(ctx, actor=actor, action=Action.PREPAID_RUN) as (session, who):
        accounts = session.scalars(
            select(Account).where(Account.payment_mode == "card_prepaid").order_by(Account.account_no)
        ).all()
        for account in accounts:
            meter = installed_meter(session, account_id=account.id, on=day)
            if meter is None:
                continue
            reports = _reports(session, meter_id=meter.meter_id, meter_no=meter.meter_no, as_of=day)
            if not reports:
                continue
            result.accounts += 1
            vends = vend_records(session, meter_id=meter.meter_id, meter_no=meter.meter_no)
            checked = reconcile(vends=vends, reports=reports, as_of=day, rules=rules)
            for found in checked.exceptions:
                exists = session.scalar(
                    select(PrepaidException.id).where(
                        PrepaidException.meter_id == meter.meter_id,
                        PrepaidException.kind == found.kind.value,
                        PrepaidException.reported_on == found.reported_on,
                    )
                )
                if exists is not None:
                    result.already_open += 1
                    continue
                row = PrepaidException(
                    account_id=account.id,
                    meter_id=meter.meter_id,
                    card_no=found.card_no,
                    kind=found.kind.value,
                    reported_on=found.reported_on,
                    details=json.dumps({k: str(v) for k, v in found.numbers.items()}, sort_keys=True),
                    reason=bilingual(found)[:600],
                    state="open",
                    opened_by=who.username,
                    opened_at=now,
                )
                session.add(row)
                session.flush()
                result.opened.append(
                    exception_json(row, account_no=account.account_no, meter_no=meter.meter_no)
                )
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="prepaid.card_reconcile",
            object_type="prepaid_exception",
            object_id=day.isoformat(),
            after={"accounts": result.accounts, "opened": [e["id"] for e in result.opened]},
        )
    return result


def prepaid_exceptions(
    ctx: AppContext, *, actor: str | None, state: str | None = "open"
) -> list[dict[str, Any]]:
    """The revenue-protection exceptions (open ones by default; ``state=None`` for all), oldest first."""
    with use_case(ctx, actor=actor, action=Action.PREPAID_RUN) as (session, _who):
        query = (
            select(PrepaidException, Account.account_no, Meter.meter_no)
            .join(Account, Account.id == PrepaidException.account_id)
            .join(Meter, Meter.id == PrepaidException.meter_id)
            .order_by(PrepaidException.id)
        )
        if state is not None:
            query = query.where(PrepaidException.state == state)
        return [exception_json(row, account_no=a, meter_no=m) for row, a, m in session.execute(query)]


def exception_json(row: PrepaidException, *, account_no: str, meter_no: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "account_no": account_no,
        "meter_no": meter_no,
        "card_no": row.card_no,
        "kind": row.kind,
        "reported_on": row.reported_on.isoformat(),
        "numbers": json.loads(row.details),
        "reason": row.reason,
        "state": row.state,
    }


def vend_records(session: Session, *, meter_id: int, meter_no: str) -> list[VendRecord]:
    """The meter's vends as the pure rules see them."""
    return [
        VendRecord(
            card_no=v.card_no,
            meter_no=meter_no,
            purchase_count=v.purchase_count,
            amount=v.amount,
            kwh=v.kwh,
            vended_at=aware(v.vended_at),
            opening_kwh=v.opening_kwh,
        )
        for v in session.scalars(select(CardVend).where(CardVend.meter_id == meter_id))
    ]


def aware(moment: datetime) -> datetime:
    """A stored instant (SQLite gives it back without its zone: it was written in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _reports(session: Session, *, meter_id: int, meter_no: str, as_of: date) -> list[MeterReport]:
    rows = session.scalars(
        select(CardMeterReport).where(
            CardMeterReport.meter_id == meter_id, CardMeterReport.reported_on <= as_of
        )
    )
    return [
        MeterReport(
            meter_no=meter_no,
            reported_on=r.reported_on,
            unit=CardUnit(r.unit),
            purchase_count=r.purchase_count,
            cumulative_purchase=r.cumulative_purchase,
            remaining=r.remaining,
            cumulative_used=r.cumulative_used,
        )
        for r in rows
    ]


def _meters(session: Session, numbers: set[str]) -> dict[str, int]:
    rows = session.execute(select(Meter.meter_no, Meter.id).where(Meter.meter_no.in_(sorted(numbers))))
    return {number: meter_id for number, meter_id in rows}
