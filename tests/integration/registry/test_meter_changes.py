from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from archive_factory import small_archive
from meter2cash.platform.audit import history
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.users import PermissionDenied
from meter2cash.registry.model import MeterInstall, TariffAssignment
from meter2cash.registry.registers import RegisterSet
from meter2cash.registry.service import assign_tariff, install_meter, replace_meter


class TestMeterReplacement:
    def test_replacing_a_meter_closes_the_old_install_and_opens_the_new_one(self, ctx: AppContext) -> None:
        small_archive(ctx)
        replace_meter(
            ctx,
            actor="meter_reader",
            service_point="SP0001",
            on=date(2025, 6, 10),
            old_final=RegisterSet.of("1500.25"),
            new_meter_no="M9001",
            new_address="000000009001",
            new_start=RegisterSet.of("0"),
            ct_ratio=Decimal(1),
            pt_ratio=Decimal(1),
            reason="表计故障 stopped meter",
        )
        with ctx.sessions() as session:
            installs = session.scalars(select(MeterInstall).order_by(MeterInstall.installed_on)).all()
            point_installs = [i for i in installs if i.service_point.code == "SP0001"]
            trail = history(session, object_type="service_point", object_id="SP0001")
        old, new = point_installs
        assert (old.removed_on, old.end_total) == (date(2025, 6, 10), Decimal("1500.25"))
        assert (new.installed_on, new.removed_on, new.start_total) == (date(2025, 6, 10), None, Decimal("0"))
        assert [r.action for r in trail] == ["meter.replace"]
        assert trail[0].actor == "meter_reader"

    def test_a_final_reading_below_the_install_reading_is_refused_and_nothing_changes(
        self, ctx: AppContext
    ) -> None:
        small_archive(ctx)
        with pytest.raises(InputRefused):
            replace_meter(
                ctx,
                actor="meter_reader",
                service_point="SP0001",
                on=date(2025, 6, 10),
                old_final=RegisterSet.of("99"),
                new_meter_no="M9001",
                new_address="000000009001",
                new_start=RegisterSet.of("0"),
                ct_ratio=Decimal(1),
                pt_ratio=Decimal(1),
                reason="x",
            )
        with ctx.sessions() as session:
            assert session.scalar(select(MeterInstall).where(MeterInstall.removed_on.is_not(None))) is None

    def test_a_cashier_may_not_change_meters(self, ctx: AppContext) -> None:
        small_archive(ctx)
        with pytest.raises(PermissionDenied, match=r"meter\.install"):
            replace_meter(
                ctx,
                actor="cashier",
                service_point="SP0001",
                on=date(2025, 6, 10),
                old_final=RegisterSet.of("200"),
                new_meter_no="M9001",
                new_address="000000009001",
                new_start=RegisterSet.of("0"),
                ct_ratio=Decimal(1),
                pt_ratio=Decimal(1),
                reason="x",
            )


class TestDatabaseConstraints:
    def test_a_second_install_overlapping_on_the_same_point_is_refused(self, ctx: AppContext) -> None:
        small_archive(ctx)
        with pytest.raises(InputRefused, match=r"service point|计量点"):
            install_meter(
                ctx,
                actor="billing_clerk",
                service_point="SP0001",
                meter_no="S0001",
                on=date(2025, 3, 1),
                ct_ratio=Decimal(1),
                pt_ratio=Decimal(1),
                start=RegisterSet.of("0"),
                reason="x",
            )

    def test_the_database_itself_refuses_overlapping_installs_written_directly(self, ctx: AppContext) -> None:
        small_archive(ctx)
        with pytest.raises(IntegrityError), ctx.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO meter_install (meter_id, service_point_id, installed_on, ct_ratio, pt_ratio,"
                    " multiplier, start_total) SELECT m.id, p.id, '2025-02-01', 1, 1, 1, 0"
                    " FROM meter m, service_point p WHERE m.meter_no = 'M0002' AND p.code = 'SP0001'"
                )
            )

    def test_the_database_refuses_a_zero_multiplier(self, ctx: AppContext) -> None:
        small_archive(ctx)
        with pytest.raises(IntegrityError), ctx.engine.begin() as conn:
            conn.execute(text("UPDATE meter_install SET multiplier = 0"))

    def test_the_database_refuses_overlapping_tariff_assignments(self, ctx: AppContext) -> None:
        small_archive(ctx)
        with pytest.raises(IntegrityError), ctx.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tariff_assignment (account_id, tariff_code, effective_from)"
                    " SELECT id, 'MX-GEN-1', '2025-05-01' FROM account WHERE account_no = 'A0001'"
                )
            )


class TestTariffAssignment:
    def test_a_new_tariff_ends_the_open_one_on_its_first_day(self, ctx: AppContext) -> None:
        small_archive(ctx)
        assign_tariff(
            ctx,
            actor="billing_clerk",
            account_no="A0001",
            tariff_code="MX-GEN-1",
            effective_from=date(2025, 7, 1),
            reason="改类 category change",
        )
        with ctx.sessions() as session:
            rows = session.scalars(
                select(TariffAssignment)
                .where(TariffAssignment.account_id == 1)
                .order_by(TariffAssignment.effective_from)
            ).all()
        assert [(r.tariff_code, r.effective_from, r.effective_to) for r in rows] == [
            ("MX-RES-1", date(2025, 1, 1), date(2025, 7, 1)),
            ("MX-GEN-1", date(2025, 7, 1), None),
        ]
