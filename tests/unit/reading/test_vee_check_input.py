from __future__ import annotations

import json
from decimal import Decimal

import pytest

from meter2cash.platform.errors import InputRefused
from meter2cash.reading.vee.check_input import check_document, parse_document
from meter2cash.reading.vee.codes import QualityFlag
from meter2cash.reading.vee.readings import MeterStatus, ReadingSource
from meter2cash.reading.vee.report import result_document
from vee_factory import local

D = Decimal


def document(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "meter": {"meter_no": "M0001", "integer_digits": 6, "decimal_digits": 2, "multiplier": "1"},
        "readings": [
            {"read_at": "2026-01-15T10:00:00", "total": "1234.56"},
            {"read_at": "2026-02-15T10:00:00", "total": D("1544.56")},
        ],
    }
    base.update(changes)
    return base


def refused(doc: object) -> InputRefused:
    with pytest.raises(InputRefused) as caught:
        parse_document(doc)
    return caught.value


class TestParsingAValidDocument:
    def test_the_meter_readings_and_defaults_are_read(self) -> None:
        data = parse_document(document()).data
        assert data.meter.meter_no == "M0001" and data.meter.status is MeterStatus.ACTIVE
        assert data.readings[1].total == D("1544.56")
        assert (
            data.readings[0].source is ReadingSource.HANDHELD
            and data.readings[0].quality is QualityFlag.ACTUAL
        )

    def test_a_customers_own_reading_is_flagged_customer_read(self) -> None:
        doc = document(readings=[{"read_at": "2026-01-15T10:00:00", "total": "1", "source": "customer"}])
        assert parse_document(doc).data.readings[0].quality is QualityFlag.CUSTOMER_READ

    def test_a_time_with_an_offset_is_turned_into_beijing_time(self) -> None:
        doc = document(readings=[{"read_at": "2026-01-15T02:00:00Z", "total": "1"}])
        assert parse_document(doc).data.readings[0].read_at == local(2026, 1, 15, 10, 0)

    def test_history_is_given_by_month_or_by_dates(self) -> None:
        doc = document(
            history=[
                {"period": "2025-12", "kwh": "310"},
                {"start": "2025-10-15", "end": "2025-11-15", "kwh": 280},
            ]
        )
        history = parse_document(doc).data.history
        assert [h.days for h in history] == [31, 31] and history[1].kwh == D(280)

    def test_policy_numbers_override_the_defaults(self) -> None:
        policy = parse_document(document(policy={"spike_high_relative": "2.5", "history_periods": 6})).policy
        assert (policy.spike_high_relative, policy.history_periods) == (D("2.5"), 6)

    def test_a_register_that_is_not_a_number_is_left_for_the_invalid_check(self) -> None:
        doc = document(readings=[{"read_at": "2026-01-15T10:00:00", "total": True}])
        result = check_document(doc)
        assert [f.code.value for f in result.findings()] == ["INVALID"]


class TestRefusingABadDocument:
    def test_every_problem_is_listed_with_where_it_is(self) -> None:
        doc = document(
            meter={"meter_no": "", "integer_digits": "6", "decimal_digits": 2, "multiplier": "0"},
            readings=[{"read_at": "15/01/2026", "total": "1"}, {"total": "2", "colour": "red"}],
        )
        columns = {p.column for p in refused(doc).problems}
        assert columns == {
            "meter.meter_no",
            "meter.integer_digits",
            "meter.multiplier",
            "readings[0].read_at",
            "readings[1].read_at",
            "readings[1].colour",
        }

    def test_an_unknown_key_names_the_keys_that_are_allowed(self) -> None:
        problem = refused(document(meter_number="M1")).problems[0]
        assert problem.column == "$.meter_number" and "readings" in problem.reason

    def test_a_document_that_is_not_an_object_is_refused(self) -> None:
        assert refused([1, 2]).problems[0].column == "$"

    def test_register_digits_the_meter_cannot_have_are_refused(self) -> None:
        doc = document(meter={"meter_no": "M1", "integer_digits": 20, "decimal_digits": 2, "multiplier": "1"})
        assert refused(doc).problems[0].column == "meter"

    def test_a_policy_number_out_of_range_is_refused(self) -> None:
        assert refused(document(policy={"rollover_max_range_fraction": "2"})).problems[0].column == "policy"

    def test_an_unknown_status_lists_the_known_ones(self) -> None:
        doc = document(
            meter={
                "meter_no": "M1",
                "integer_digits": 6,
                "decimal_digits": 2,
                "multiplier": "1",
                "status": "asleep",
            }
        )
        assert "disconnected" in refused(doc).problems[0].reason

    def test_an_invalid_previous_reading_is_refused(self) -> None:
        with pytest.raises(InputRefused, match="previous"):
            check_document(document(previous={"read_at": "2026-01-01T00:00:00", "total": "-5"}))

    def test_messages_go_through_the_translation_given(self) -> None:
        with pytest.raises(InputRefused) as caught:
            parse_document(document(readings="none"), translate=lambda m: f"<{m}>")
        assert caught.value.summary == "<the reading check file is not valid>"
        assert caught.value.problems[0].reason == "<must be a list>"


class TestTheOutputDocument:
    def test_each_reading_has_its_consumption_quality_and_findings(self) -> None:
        doc = document(
            readings=[
                {"read_at": "2026-01-15T10:00:00", "total": "1234.56"},
                {"read_at": "2026-02-15T10:00:00", "total": "1200.00"},
            ]
        )
        out = result_document(check_document(doc), explain=lambda f: f.reason)
        assert json.loads(json.dumps(out)) == out  # plain JSON values only
        second = out["readings"][1]  # type: ignore[index]
        assert second["consumption_kwh"] is None and second["nem12_quality"] == "A"
        assert [f["code"] for f in second["findings"]] == ["ROLLBACK"]
        assert out["summary"] == {
            "readings": 2,
            "billable": 1,
            "with_findings": 1,
            "by_severity": {"error": 1, "warning": 0, "info": 0},
            "by_code": {"ROLLBACK": 1},
        }
