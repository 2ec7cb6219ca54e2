"""Generate the whole demo bureau in memory from its spec: the archive, the register history,
the planted faults and the payment profiles. Pure (no database, files or clock): the same spec
gives the same bureau.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from meter2cash.demo import archive_rows, steps
from meter2cash.demo.customers import CARD, CATEGORIES, LI, SMART
from meter2cash.demo.fault_kinds import KINDS
from meter2cash.demo.payments import PaymentProfile, payment_profiles
from meter2cash.demo.planted import PlantedFault, planted_faults
from meter2cash.demo.population import Bureau, build_bureau
from meter2cash.demo.simulation import Simulation, simulate
from meter2cash.demo.spec import DemoSpec
from meter2cash.demo.streams import stream

ARCHIVE_KINDS = (steps.ROUTE_BOOKS, steps.AREAS, steps.ACCOUNTS, steps.ENERGY_SPLITS)  # the import order


@dataclass(frozen=True, slots=True)
class DemoBureau:
    spec: DemoSpec
    bureau: Bureau
    sim: Simulation
    profiles: list[PaymentProfile]
    faults: list[PlantedFault]
    rows: dict[str, list[archive_rows.Row]]  # archive import rows by kind

    def counts(self) -> dict[str, object]:
        """What the bureau holds, for the summary and the manifest."""
        accounts, meters = self.bureau.accounts, self.sim.meters
        by_category = Counter(CATEGORIES[int(c)] for c in accounts.category)
        days = self.sim.calendar.days
        return {
            "accounts": len(accounts),
            "accounts_by_category": {c: by_category.get(c, 0) for c in CATEGORIES},
            "areas": len(self.bureau.areas),
            "feeders": sum(1 for a in self.bureau.areas if a.feeder),
            "route_books": len(self.bureau.books),
            "customer_meters": len(meters),
            "supply_meters": len(self.bureau.areas),
            "card_meters": int((accounts.payment == CARD).sum()),
            "smart_prepaid": int((accounts.payment == SMART).sum()),
            "tou_meters": int(meters.tou.sum()),
            "kvarh_meters": int((accounts.category == LI).sum()),
            "history_first_day": days[0].isoformat(),
            "history_last_day": days[-1].isoformat(),
            "history_days": len(days),
            "register_rows": int(self.sim.valid().sum()),
            "faults": {kind: sum(1 for f in self.faults if f.kind == kind) for kind in KINDS},
        }


def generate(spec: DemoSpec) -> DemoBureau:
    bureau = build_bureau(spec)
    sim = simulate(spec, bureau)
    profiles = payment_profiles(stream(spec.seed, "payments"), spec, bureau.accounts)
    faults = planted_faults(stream(spec.seed, "faults"), bureau, sim, profiles)
    rows = {
        "route-books": archive_rows.route_book_rows(bureau),
        "areas": archive_rows.area_rows(bureau),
        "accounts": archive_rows.account_rows(spec, bureau, sim),
        "energy-splits": archive_rows.energy_split_rows(spec, bureau),
    }
    return DemoBureau(spec=spec, bureau=bureau, sim=sim, profiles=profiles, faults=faults, rows=rows)
