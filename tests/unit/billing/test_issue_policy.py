"""Issue (发行) rules: bill numbers, due dates by class, the on-time deadline."""

from __future__ import annotations

from datetime import date

import pytest

from meter2cash.billing.issue_policy import BadIssuePolicy, IssuePolicy, bill_number, due_date, issued_on_time

ISSUED = date(2026, 10, 20)


def test_a_bill_number_is_the_year_and_its_place_in_the_year() -> None:
    assert bill_number(year=2026, seq=1) == "2026-000001"
    assert bill_number(year=2026, seq=1234567) == "2026-1234567"
    with pytest.raises(ValueError):
        bill_number(year=2026, seq=0)


@pytest.mark.parametrize(
    ("category", "due"),
    [
        ("residential", date(2026, 11, 4)),  # 15 days
        ("general", date(2026, 10, 30)),  # 10 days
        ("large_industry", date(2026, 10, 30)),
        ("agriculture", date(2026, 10, 30)),
    ],
)
def test_the_due_date_follows_the_class_payment_terms(category: str, due: date) -> None:
    assert due_date(issued_on=ISSUED, category=category) == due


def test_payment_terms_are_configurable() -> None:
    policy = IssuePolicy(payment_days={"large_industry": 5}, default_payment_days=20)
    assert due_date(issued_on=ISSUED, category="large_industry", policy=policy) == date(2026, 10, 25)
    assert due_date(issued_on=ISSUED, category="residential", policy=policy) == date(2026, 11, 9)


@pytest.mark.parametrize(
    ("issued", "on_time"),
    [(date(2026, 10, 22), True), (date(2026, 10, 21), True), (date(2026, 10, 23), False)],
)
def test_a_bill_is_on_time_up_to_seven_days_after_the_reading_day(issued: date, on_time: bool) -> None:
    assert issued_on_time(issued_on=issued, reading_day=date(2026, 10, 15)) is on_time


@pytest.mark.parametrize(
    "changes",
    [{"default_payment_days": -1}, {"payment_days": {"general": -2}}, {"on_time_days_after_reading": -1}],
)
def test_a_policy_out_of_range_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(BadIssuePolicy):
        IssuePolicy(**changes)  # type: ignore[arg-type]
