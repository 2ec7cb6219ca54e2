from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from meter2cash.interfaces.cli.common import EXIT_ERROR
from meter2cash.interfaces.cli.main import app
from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.reading.gateway_sim import Fault, FaultKind, GatewaySimulator, running_in_thread
from meter2cash.reading.register_source import DictRegisterSource, MeterRegisters

CLOCK = datetime(2026, 3, 1, 8, 30, 15, tzinfo=BJ)
METERS = {
    "000000000001": MeterRegisters(
        total=Decimal("100.00"),
        sharp=Decimal("10.00"),
        peak=Decimal("20.00"),
        flat=Decimal("30.00"),
        valley=Decimal("40.00"),
        reactive=Decimal("-5.25"),
        max_demand_kw=Decimal("3.1400"),
        max_demand_at=datetime(2026, 2, 3, 10, 15, tzinfo=BJ),
        clock=CLOCK,
    ),
    "000000000002": MeterRegisters(total=Decimal("0.00"), clock=CLOCK),
    "000000000003": MeterRegisters(total=Decimal("1.00")),
}
runner = CliRunner()


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewaySimulator]:
    sim = GatewaySimulator(DictRegisterSource(METERS), faults={"000000000003": Fault(FaultKind.DEAD)})
    with running_in_thread(sim):
        yield sim


def probe(gateway: GatewaySimulator, *args: str, lang: str = "en") -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["read", "probe", "--host", gateway.host, "--port", str(gateway.port), "--timeout", "0.1", *args],
        env={"M2C_LANG": lang, "COLUMNS": "200"},
    )
    return result.exit_code, result.output


class TestProbeJson:
    def test_the_json_has_exactly_the_public_shape(self, gateway: GatewaySimulator) -> None:
        code, output = probe(gateway, "--address", "1", "--json")
        assert code == 0, output
        assert json.loads(output) == {
            "address": "000000000001",
            "energy": {
                "total": "100.00",
                "sharp": "10.00",
                "peak": "20.00",
                "flat": "30.00",
                "valley": "40.00",
            },
            "reactive": "-5.25",
            "max_demand_kw": "3.1400",
            "clock": "2026-03-01T08:30:15",
        }

    def test_items_the_meter_lacks_are_null(self, gateway: GatewaySimulator) -> None:
        code, output = probe(gateway, "--address", "000000000002", "--json")
        assert code == 0, output
        printed = json.loads(output)
        assert printed["energy"] == {
            "total": "0.00",
            "sharp": None,
            "peak": None,
            "flat": None,
            "valley": None,
        }
        assert (printed["reactive"], printed["max_demand_kw"]) == (None, None)

    def test_a_tariff_order_from_the_archive_is_applied(self, gateway: GatewaySimulator) -> None:
        code, output = probe(gateway, "--address", "1", "--tariff-order", "peak,valley", "--json")
        assert code == 0, output
        assert json.loads(output)["energy"] == {
            "total": "100.00",
            "sharp": None,
            "peak": "10.00",
            "flat": None,
            "valley": "20.00",
        }


class TestProbeTable:
    def test_the_table_shows_the_registers_in_chinese_by_default(self, gateway: GatewaySimulator) -> None:
        code, output = probe(gateway, "--address", "1", lang="zh_CN")
        assert code == 0, output
        assert "100.00" in output and "2026-03-01 08:30:15" in output
        assert "正向有功总电能" in output and "费率1：尖" in output and "费率4：谷" in output


class TestProbeFailures:
    def test_a_dead_meter_exits_with_code_one_and_says_why(self, gateway: GatewaySimulator) -> None:
        code, output = probe(gateway, "--address", "3", "--attempts", "2", "--json")
        assert code == EXIT_ERROR == 1
        printed = json.loads(output)
        assert (printed["error"], printed["kind"]) == ("comm_failure", "timeout")
        assert [a["attempt_no"] for a in printed["attempts"]] == [1, 2]

    def test_an_unreachable_gateway_is_explained_in_chinese_by_default(self) -> None:
        arguments = ["read", "probe", "--host", "127.0.0.1", "--port", "1", "--address", "1"]
        result = runner.invoke(app, arguments, env={"M2C_LANG": "zh_CN"})
        assert result.exit_code == EXIT_ERROR
        assert "抄读失败" in result.output and "无法连接通信网关" in result.output

    def test_an_unreachable_gateway_gives_a_clear_message_and_no_traceback(self) -> None:
        result = runner.invoke(
            app,
            ["read", "probe", "--host", "127.0.0.1", "--port", "1", "--address", "1"],
            env={"M2C_LANG": "en"},
        )
        assert result.exit_code == EXIT_ERROR
        assert "gateway unreachable" in result.output
        assert "Traceback" not in result.output

    def test_an_address_that_is_not_dlt645_is_a_usage_error(self, gateway: GatewaySimulator) -> None:
        code, output = probe(gateway, "--address", "12-34")
        assert code == 2
        assert "DL/T 645" in output
