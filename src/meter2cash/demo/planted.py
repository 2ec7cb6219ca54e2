"""The register of planted faults (planted_faults.csv): what was planted where, so a detector
can be scored against it. Pure.

Columns: ``kind``, ``account_no``, ``meter_no``, ``area_code``, ``day`` (the day it starts, ISO),
``until`` (exclusive end day, when it ends inside the window), ``details`` (JSON object of
strings: the true and misread values, the percentage stolen, …).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import numpy as np

from meter2cash.demo.fault_kinds import KINDS
from meter2cash.demo.faults import transpose_digits
from meter2cash.demo.payments import CHRONIC, LATE, PaymentProfile
from meter2cash.demo.population import Bureau
from meter2cash.demo.registers import reading_text
from meter2cash.demo.simulation import Simulation

FAULT_COLUMNS = ("kind", "account_no", "meter_no", "area_code", "day", "until", "details")


@dataclass(frozen=True, slots=True)
class PlantedFault:
    kind: str
    account_no: str
    meter_no: str
    area_code: str
    day: date | None
    until: date | None
    details: dict[str, str]

    def as_row(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "account_no": self.account_no,
            "meter_no": self.meter_no,
            "area_code": self.area_code,
            "day": self.day.isoformat() if self.day else "",
            "until": self.until.isoformat() if self.until else "",
            "details": json.dumps(self.details, ensure_ascii=False, sort_keys=True),
        }


def planted_faults(
    rng: np.random.Generator, bureau: Bureau, sim: Simulation, profiles: list[PaymentProfile]
) -> list[PlantedFault]:
    accounts, plan, days = bureau.accounts, sim.plan, sim.calendar.days
    meters = sim.meters
    n = len(accounts)

    def fault(kind: str, a: int, day: int | None, until: int | None = None, **details: str) -> PlantedFault:
        return PlantedFault(
            kind=kind,
            account_no=accounts.account_no[a],
            meter_no=meters.meter_no[a],
            area_code=bureau.areas[int(accounts.area[a])].code,
            day=None if day is None else days[day],
            until=None if until is None or until >= len(days) else days[until],
            details=details,
        )

    def text(row: int, day: int) -> str:
        return reading_text(int(sim.total[row, day]))

    found: list[PlantedFault] = []
    for a, day in zip(plan.misread, plan.misread_day, strict=True):
        true = text(a, int(day))
        wrong = transpose_digits(rng, true) or f"{true}0"
        found.append(fault("misread", a, int(day), None, true=true, misread=wrong, register="total"))
    for a, start, length, on in zip(
        plan.missed, plan.missed_start, plan.missed_length, plan.missed_reading_day, strict=True
    ):
        found.append(
            fault(
                "missed_reading",
                a,
                int(start),
                int(start + length),
                days=str(int(length)),
                reading_day=days[int(on)].isoformat(),
            )
        )
    for a in plan.rollover:
        wrap = int(np.argmax(np.diff(sim.total[a]) < 0)) + 1
        found.append(
            fault(
                "rollover",
                a,
                wrap,
                None,
                before=text(a, wrap - 1),
                after=text(a, wrap),
                install_reading=reading_text(int(meters.install_total[a])),
            )
        )
    for j, (a, day) in enumerate(zip(plan.replacement, plan.replacement_day, strict=True)):
        new = n + j
        found.append(
            fault(
                "meter_replacement",
                a,
                int(day),
                None,
                old_final=text(a, int(day) - 1),
                new_meter_no=meters.meter_no[new],
                new_address=meters.address[new],
                new_start=reading_text(int(meters.install_total[new])),
            )
        )
    for a, day in zip(plan.stopped, plan.stopped_day, strict=True):
        found.append(fault("stopped_meter", a, int(day), None, stuck_at=text(a, int(day) - 1)))
    for a, day, percent in zip(plan.theft, plan.theft_day, plan.theft_percent, strict=True):
        hot = "yes" if accounts.area[a] in plan.hot_areas else "no"
        found.append(fault("theft", a, int(day), None, unregistered_percent=str(int(percent)), hot_area=hot))
    index = {no: i for i, no in enumerate(accounts.account_no)}
    for p in profiles:
        if p.profile in (LATE, CHRONIC):
            kind = "late_payer" if p.profile == LATE else "chronic_non_payer"
            record = fault(
                kind,
                index[p.account_no],
                None,
                None,
                delay_days=str(p.delay_days),
                unpaid_percent=str(p.unpaid_percent),
            )
            found.append(
                PlantedFault(kind, record.account_no, "", record.area_code, None, None, record.details)
            )
    return sorted(found, key=lambda f: (KINDS.index(f.kind), f.account_no))
