"""The planted meter replacements (换表) written into the archive through the registry service:
the old meter removed with its final readings the day before, the new one installed that day.
A replacement already in the archive is skipped, so applying them again changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from meter2cash.demo import steps
from meter2cash.demo.archive_rows import service_point_code
from meter2cash.demo.generate import DemoBureau
from meter2cash.demo.registers import reading_text
from meter2cash.demo.steps import Progress
from meter2cash.platform.context import AppContext
from meter2cash.registry.codes import TOU_NAMES
from meter2cash.registry.model import Meter
from meter2cash.registry.registers import RegisterSet
from meter2cash.registry.service import replace_meter


def _registers(demo: DemoBureau, row: int, day: int, *, start: bool) -> RegisterSet:
    sim = demo.sim
    total = sim.meters.install_total[row] if start else sim.total[row, day]
    tou: dict[str, object] = {}
    if sim.meters.tou[row]:
        values = sim.meters.install_tou[row] if start else sim.tou[row, day]
        tou = {name: reading_text(int(v)) for name, v in zip(TOU_NAMES, values, strict=True)}
    return RegisterSet.of(reading_text(int(total)), **tou)


def apply_replacements(ctx: AppContext, demo: DemoBureau, *, actor: str, progress: Progress) -> int:
    """换表 in the archive: the old meter removed with its final readings, the new one installed
    the same day. A replacement already in the archive is skipped."""
    plan, meters, accounts = demo.sim.plan, demo.sim.meters, demo.bureau.accounts
    n = len(accounts)
    new_numbers = meters.meter_no[n:]
    with ctx.sessions() as session:
        done = set(session.scalars(select(Meter.meter_no).where(Meter.meter_no.in_(new_numbers))))
    progress.start(steps.REPLACEMENTS, len(plan.replacement))
    applied = 0
    for j, (a, day) in enumerate(zip(plan.replacement, plan.replacement_day, strict=True)):
        new = n + j
        if meters.meter_no[new] not in done:
            replace_meter(
                ctx,
                actor=actor,
                service_point=service_point_code(accounts.account_no[a]),
                on=demo.sim.calendar.days[int(day)],
                old_final=_registers(demo, int(a), int(day) - 1, start=False),
                new_meter_no=meters.meter_no[new],
                new_address=meters.address[new],
                new_start=_registers(demo, new, int(day), start=True),
                ct_ratio=Decimal(int(accounts.ct_ratio[a])),
                pt_ratio=Decimal(int(accounts.pt_ratio[a])),
                reason="demo: planted meter replacement (换表)",
            )
            applied += 1
        progress.update(steps.REPLACEMENTS, j + 1)
    return applied
