"""How each demo account pays (缴费习惯). Pure.

Profiles: ``on_time`` (pays by the due date), ``late`` (pays, typically ``delay_days`` after the
due date, so late-payment penalties 电费违约金 accrue), ``chronic_non_payer`` (leaves
``unpaid_percent`` of its bills unpaid until dunned, the rest very late). Late and chronic
profiles are drawn among postpaid accounts only: prepaid accounts pay before they use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from meter2cash.demo.customers import POSTPAID, Accounts
from meter2cash.demo.spec import DemoSpec

ON_TIME, LATE, CHRONIC = "on_time", "late", "chronic_non_payer"


@dataclass(frozen=True, slots=True)
class PaymentProfile:
    account_no: str
    profile: str
    delay_days: int
    unpaid_percent: int


def payment_profiles(rng: np.random.Generator, spec: DemoSpec, accounts: Accounts) -> list[PaymentProfile]:
    n = len(accounts)
    postpaid = np.flatnonzero(accounts.payment == POSTPAID)
    n_chronic = min(len(postpaid), max(1, round(n * spec.mix.chronic_non_payer)))
    n_late = min(len(postpaid) - n_chronic, max(1, round(n * spec.mix.late_payer)))
    chosen = rng.choice(postpaid, size=n_chronic + n_late, replace=False)
    profile = np.full(n, 0, dtype=np.int8)
    profile[chosen[:n_chronic]] = 2
    profile[chosen[n_chronic:]] = 1
    late_delay = np.minimum(60, 3 + rng.geometric(1 / 12, n))
    chronic_delay = rng.integers(60, 181, n)
    unpaid = rng.integers(40, 101, n)
    result = []
    for i in range(n):
        if profile[i] == 0:
            result.append(PaymentProfile(accounts.account_no[i], ON_TIME, 0, 0))
        elif profile[i] == 1:
            result.append(PaymentProfile(accounts.account_no[i], LATE, int(late_delay[i]), 0))
        else:
            result.append(
                PaymentProfile(accounts.account_no[i], CHRONIC, int(chronic_delay[i]), int(unpaid[i]))
            )
    return result
