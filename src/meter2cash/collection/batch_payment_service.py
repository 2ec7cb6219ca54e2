"""The batch payment use case: `import_payment_batch` posts a bank's withholding result or an agent's
settlement file (`batch_payments.post_payment_batch`) as a named user holding ``payment.take``,
in one unit of work, with the collection and late-fee policies in force."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from meter2cash.collection import gl
from meter2cash.collection.batch_payments import BatchPayment, BatchReport, Progress, post_payment_batch
from meter2cash.collection.policies import collection_policy, late_fee_policy
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.permissions import Action


def import_payment_batch(
    ctx: AppContext,
    *,
    actor: str | None,
    batch: str,
    channel: gl.Channel,
    method: gl.Method,
    source: str,
    rows: Sequence[BatchPayment],
    progress: Progress | None = None,
) -> BatchReport:
    """Post a batch as ``actor`` (who must hold ``payment.take``) in one unit of work with the
    policies in force. If a concurrent import of the same references commits first, the batch
    is run once more and finds them as replays (or conflicts)."""
    now = ctx.clock.now()
    for attempt in range(2):
        try:
            with use_case(ctx, actor=actor, action=Action.PAYMENT_TAKE) as (session, who):
                report = post_payment_batch(
                    session,
                    batch=batch,
                    channel=channel,
                    method=method,
                    source=source,
                    rows=rows,
                    policy=collection_policy(ctx.settings),
                    late_fee_policy=late_fee_policy(ctx.settings),
                    at=now,
                    today=business_date(now),
                    actor=who.username,
                    progress=progress,
                )
                started = time.perf_counter()
            report.timed("commit", started)  # the unit of work's and PostgreSQL's balance checks
            return report
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")
