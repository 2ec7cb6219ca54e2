"""The reminder contact rules (pure): SMS needs a mainland mobile number, e-mail an address;
a letter and no reminder need no contact; an unknown channel is refused."""

from __future__ import annotations

import pytest

from meter2cash.platform.errors import InputRefused
from meter2cash.registry.portal_access import check_reminder


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13912345678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("86-139-1234-5678", "13912345678"),
    ],
)
def test_a_mobile_number_is_stored_as_its_eleven_digits(typed: str, stored: str) -> None:
    assert check_reminder(channel="sms", contact=typed) == stored


@pytest.mark.parametrize("typed", ["", "12912345678", "1391234567", "139123456789", "010-12345678", "abc"])
def test_what_is_not_a_mobile_number_is_refused(typed: str) -> None:
    with pytest.raises(InputRefused) as refused:
        check_reminder(channel="sms", contact=typed)
    assert refused.value.problems[0].column == "contact"


def test_an_email_address_is_kept_and_a_malformed_one_refused() -> None:
    assert check_reminder(channel="email", contact=" kehu@example.cn ") == "kehu@example.cn"
    for typed in ("kehu@", "kehu@example", "ke hu@example.cn", "@example.cn", "a" * 200 + "@example.cn"):
        with pytest.raises(InputRefused):
            check_reminder(channel="email", contact=typed)


def test_a_letter_or_no_reminder_needs_no_contact_and_an_unknown_channel_is_refused() -> None:
    assert check_reminder(channel="letter", contact="anything") is None
    assert check_reminder(channel="none", contact=None) is None
    with pytest.raises(InputRefused):
        check_reminder(channel="fax", contact="010-1234")
