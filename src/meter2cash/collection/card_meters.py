"""Card meters (IC卡表): vend records (售电记录) and their reconciliation against what the meter
reports. Pure: records in, problems and exceptions out; the day of the check is passed in.

**Vends.** A card meter accepts a card only if the card's purchase count (购电次数) is its own
count + 1, so the counts of a meter's vends run 1, 2, 3 … without gaps. `vend_problems` checks a
new vend against the meter's earlier ones: the count is the last one + 1, and 1 for the first
purchase (首次购电), which alone may carry an opening kWh (预置电量, energy preset in the meter that
the first purchase accounts for) and an opening fee (money charged with it and not loaded); a
count already used is a duplicate; the card is the one the meter's last vend used; a vend does not
precede the last one and sells something. Problems come back as values; `check_vend` refuses.

**Reconciliation** (`reconcile`), against the meter's latest report (a handheld read, or the data
a card brings back, 回写): a vend whose count is above the meter's count has not been inserted
yet — it is *pending*, not an error. The vends up to the meter's count are *loaded*: what the
meter should show as bought is their kWh (or 元 for a meter that counts money) plus the opening
kWh. Exceptions for revenue protection (稽查), each with its numbers:

- ``meter_purchase_exceeds_vends`` — the meter claims more purchases (count or quantity) than were
  sold, beyond the tolerance: a forged or copied card (伪造卡/复制卡).
- ``meter_purchase_below_vends`` — the meter shows less than was sold and loaded: a card written
  wrong, or a customer not credited.
- ``used_more_than_bought`` — the meter has used more than was bought and loaded, beyond the
  tolerance.
- ``stopped_buying_while_running`` — no vend for ``stopped_buying_days`` while the meter's usage
  grew by more than ``running_kwh`` (``running_amount``) since the last vend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from meter2cash.collection.prepaid_policy import CardMeterRules
from meter2cash.platform.clock import business_date
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.money import round_fen

ZERO = Decimal(0)


def N_(message: str) -> str:
    """Mark an English message id for the catalog without translating it here."""
    return message


class BadCardRecord(ValueError):
    """A vend or meter report whose fields are not well formed (named in the message)."""


class CardUnit(StrEnum):
    KWH = "kwh"  # 电量型: the card carries kWh
    YUAN = "yuan"  # 金额型: the card carries money


def _decimal(value: object, what: str, *, fen: bool = False, signed: bool = False) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise BadCardRecord(f"{what} must be a Decimal, got {value!r}")
    if (value < 0 and not signed) or (fen and round_fen(value) != value):
        raise BadCardRecord(f"{what} must be {'' if signed else 'zero or more, '}in whole fen: {value}")


@dataclass(frozen=True, slots=True)
class VendRecord:
    """One sale written to a card: ``amount`` 元 credited for energy, ``kwh`` written to the card,
    at ``vended_at`` (timezone-aware); the first purchase may carry ``opening_kwh``/``opening_fee``."""

    card_no: str
    meter_no: str
    purchase_count: int
    amount: Decimal
    kwh: Decimal
    vended_at: datetime
    opening_kwh: Decimal = ZERO
    opening_fee: Decimal = ZERO

    def __post_init__(self) -> None:
        if not self.card_no.strip() or not self.meter_no.strip():
            raise BadCardRecord("a vend needs a card number and a meter number")
        if isinstance(self.purchase_count, bool) or not isinstance(self.purchase_count, int):
            raise BadCardRecord(f"the purchase count must be a whole number: {self.purchase_count!r}")
        if self.purchase_count < 1:
            raise BadCardRecord(f"the purchase count starts at 1: {self.purchase_count}")
        _decimal(self.amount, "amount", fen=True)
        _decimal(self.kwh, "kwh")
        _decimal(self.opening_kwh, "opening_kwh")
        _decimal(self.opening_fee, "opening_fee", fen=True)
        if self.vended_at.tzinfo is None:
            raise BadCardRecord("vended_at must be timezone-aware")

    def loaded(self, unit: CardUnit) -> Decimal:
        """What this vend puts on the meter, in the meter's unit (the opening kWh included)."""
        return self.kwh + self.opening_kwh if unit is CardUnit.KWH else self.amount


@dataclass(frozen=True, slots=True)
class MeterReport:
    """What the meter says on ``reported_on``, in its ``unit``: purchases accepted, cumulative
    purchase (累计购电), remaining (剩余, negative when an emergency credit is in use) and cumulative
    use (累计用电)."""

    meter_no: str
    reported_on: date
    unit: CardUnit
    purchase_count: int
    cumulative_purchase: Decimal
    remaining: Decimal
    cumulative_used: Decimal

    def __post_init__(self) -> None:
        if isinstance(self.purchase_count, bool) or not isinstance(self.purchase_count, int):
            raise BadCardRecord(f"the purchase count must be a whole number: {self.purchase_count!r}")
        if self.purchase_count < 0:
            raise BadCardRecord(f"the purchase count must be zero or more: {self.purchase_count}")
        _decimal(self.cumulative_purchase, "cumulative_purchase")
        _decimal(self.remaining, "remaining", signed=True)
        _decimal(self.cumulative_used, "cumulative_used")


# ---------------------------------------------------------------- vends


class VendProblemKind(StrEnum):
    DUPLICATE = "duplicate"
    OUT_OF_SEQUENCE = "out_of_sequence"
    OPENING_NOT_FIRST = "opening_not_first"
    OTHER_CARD = "other_card"
    BEFORE_PREVIOUS = "before_previous"
    NOTHING_SOLD = "nothing_sold"


VEND_TEMPLATES: Mapping[VendProblemKind, str] = MappingProxyType(
    {
        VendProblemKind.DUPLICATE: N_("Purchase {count} of meter {meter} is already recorded"),
        VendProblemKind.OUT_OF_SEQUENCE: N_(
            "Purchase count {count} of meter {meter} is out of sequence: the next one is {expected}"
        ),
        VendProblemKind.OPENING_NOT_FIRST: N_(
            "Only the first purchase may carry an opening kWh or fee (this is purchase {count})"
        ),
        VendProblemKind.OTHER_CARD: N_("Meter {meter} takes card {expected}, not card {card}"),
        VendProblemKind.BEFORE_PREVIOUS: N_(
            "The vend at {vended_at} precedes the previous one at {previous}"
        ),
        VendProblemKind.NOTHING_SOLD: N_("The vend sells nothing: amount and kWh are both 0"),
    }
)


@dataclass(frozen=True, slots=True)
class VendProblem:
    kind: VendProblemKind
    params: Mapping[str, str]

    @property
    def template(self) -> str:
        return VEND_TEMPLATES[self.kind]


class VendRefused(InputRefused):
    """The vend was refused; ``vend_problems`` lists why (English text; translate the templates)."""

    def __init__(self, problems: Sequence[VendProblem]) -> None:
        self.vend_problems = tuple(problems)
        listed = [Problem(reason=p.template.format(**p.params), column=p.kind.value) for p in problems]
        super().__init__("售电记录有误 The vend is refused", listed)


def vend_problems(*, vend: VendRecord, previous: Sequence[VendRecord]) -> tuple[VendProblem, ...]:
    """Every problem of ``vend`` against the meter's earlier vends ``previous`` (module rule)."""
    others = [v for v in previous if v.meter_no != vend.meter_no]
    if others:
        raise BadCardRecord(f"the earlier vends must be meter {vend.meter_no}'s, not {others[0].meter_no}'s")
    found: list[VendProblem] = []

    def add(kind: VendProblemKind, **params: object) -> None:
        found.append(VendProblem(kind=kind, params={k: str(v) for k, v in params.items()}))

    ids = {"count": vend.purchase_count, "meter": vend.meter_no}
    last = max(previous, key=lambda v: v.purchase_count, default=None)
    expected = 1 if last is None else last.purchase_count + 1
    if any(v.purchase_count == vend.purchase_count for v in previous):
        add(VendProblemKind.DUPLICATE, **ids)
    elif vend.purchase_count != expected:
        add(VendProblemKind.OUT_OF_SEQUENCE, expected=expected, **ids)
    if (vend.opening_kwh or vend.opening_fee) and vend.purchase_count != 1:
        add(VendProblemKind.OPENING_NOT_FIRST, **ids)
    if last is not None and last.card_no != vend.card_no:
        add(VendProblemKind.OTHER_CARD, card=vend.card_no, expected=last.card_no, meter=vend.meter_no)
    latest = max((v.vended_at for v in previous), default=None)
    if latest is not None and vend.vended_at < latest:
        add(
            VendProblemKind.BEFORE_PREVIOUS, vended_at=vend.vended_at.isoformat(), previous=latest.isoformat()
        )
    if not vend.amount and not vend.kwh and not vend.opening_kwh:
        add(VendProblemKind.NOTHING_SOLD)
    return tuple(found)


def check_vend(*, vend: VendRecord, previous: Sequence[VendRecord]) -> VendRecord:
    """The vend, or `VendRefused` with every problem."""
    problems = vend_problems(vend=vend, previous=previous)
    if problems:
        raise VendRefused(problems)
    return vend


# ---------------------------------------------------------------- reconciliation


class CardExceptionKind(StrEnum):
    METER_PURCHASE_EXCEEDS_VENDS = "meter_purchase_exceeds_vends"
    METER_PURCHASE_BELOW_VENDS = "meter_purchase_below_vends"
    USED_MORE_THAN_BOUGHT = "used_more_than_bought"
    STOPPED_BUYING_WHILE_RUNNING = "stopped_buying_while_running"


_K, _Y = CardUnit.KWH, CardUnit.YUAN
EXCEPTION_TEMPLATES: Mapping[tuple[CardExceptionKind, CardUnit], str] = MappingProxyType(
    {
        (CardExceptionKind.METER_PURCHASE_EXCEEDS_VENDS, _K): N_(
            "Meter {meter} reports {meter_count} purchases totalling {meter_purchase} kWh, but "
            "{sold_count} were sold totalling {sold} kWh: possible forged or copied card"
        ),
        (CardExceptionKind.METER_PURCHASE_EXCEEDS_VENDS, _Y): N_(
            "Meter {meter} reports {meter_count} purchases totalling {meter_purchase} yuan, but "
            "{sold_count} were sold totalling {sold} yuan: possible forged or copied card"
        ),
        (CardExceptionKind.METER_PURCHASE_BELOW_VENDS, _K): N_(
            "Meter {meter} reports purchases totalling {meter_purchase} kWh, but the {loaded_count} "
            "loaded vends total {sold} kWh: the meter was not credited in full"
        ),
        (CardExceptionKind.METER_PURCHASE_BELOW_VENDS, _Y): N_(
            "Meter {meter} reports purchases totalling {meter_purchase} yuan, but the {loaded_count} "
            "loaded vends total {sold} yuan: the meter was not credited in full"
        ),
        (CardExceptionKind.USED_MORE_THAN_BOUGHT, _K): N_(
            "Meter {meter} has used {used} kWh, {excess} kWh more than the {bought} kWh bought and loaded"
        ),
        (CardExceptionKind.USED_MORE_THAN_BOUGHT, _Y): N_(
            "Meter {meter} has used {used} yuan, {excess} yuan more than the {bought} yuan bought and loaded"
        ),
        (CardExceptionKind.STOPPED_BUYING_WHILE_RUNNING, _K): N_(
            "No purchase on meter {meter} for {days} days (last on {last_vend}), yet its usage grew "
            "by {growth} kWh (remaining {remaining} kWh)"
        ),
        (CardExceptionKind.STOPPED_BUYING_WHILE_RUNNING, _Y): N_(
            "No purchase on meter {meter} for {days} days (last on {last_vend}), yet its usage grew "
            "by {growth} yuan (remaining {remaining} yuan)"
        ),
    }
)


@dataclass(frozen=True, slots=True)
class CardException:
    """One anomaly for revenue protection: its kind, the meter and card, the report it rests on,
    ``numbers`` (for the models) and ``params`` (the same as text, for the message)."""

    kind: CardExceptionKind
    meter_no: str
    card_no: str
    reported_on: date
    unit: CardUnit
    numbers: Mapping[str, Decimal]
    params: Mapping[str, str]

    @property
    def template(self) -> str:
        return EXCEPTION_TEMPLATES[(self.kind, self.unit)]


@dataclass(frozen=True, slots=True)
class CardReconciliation:
    """The latest report, the vends it has loaded and those still pending (sold, not yet inserted),
    what the loaded vends put on the meter, and the exceptions."""

    report: MeterReport
    loaded: tuple[VendRecord, ...]
    pending: tuple[VendRecord, ...]
    bought: Decimal
    exceptions: tuple[CardException, ...]


def reconcile(
    *, vends: Sequence[VendRecord], reports: Sequence[MeterReport], as_of: date, rules: CardMeterRules
) -> CardReconciliation:
    """Reconcile one meter's vends against its reports as of ``as_of`` (module rule); the latest
    report is checked, the earlier ones show how its usage grew."""
    if not reports:
        raise BadCardRecord("reconciling needs at least one meter report")
    meter = reports[0].meter_no
    if any(r.meter_no != meter for r in reports) or any(v.meter_no != meter for v in vends):
        raise BadCardRecord(f"every vend and report must be meter {meter}'s")
    if len({r.unit for r in reports}) != 1 or len({r.reported_on for r in reports}) != len(reports):
        raise BadCardRecord("the reports must share one unit and one report per day")
    history = sorted(reports, key=lambda r: r.reported_on)
    report = history[-1]
    if report.reported_on > as_of:
        raise BadCardRecord(f"a report of {report.reported_on} is after the day of the check {as_of}")
    unit = report.unit
    tolerance = rules.kwh_tolerance if unit is CardUnit.KWH else rules.amount_tolerance
    ordered = sorted(vends, key=lambda v: v.purchase_count)
    loaded = tuple(v for v in ordered if v.purchase_count <= report.purchase_count)
    pending = tuple(v for v in ordered if v.purchase_count > report.purchase_count)
    bought = sum((v.loaded(unit) for v in loaded), ZERO)
    card = ordered[-1].card_no if ordered else ""
    found: list[CardException] = []

    def add(kind: CardExceptionKind, numbers: Mapping[str, Decimal], **texts: str) -> None:
        params = {"meter": meter, **{k: str(v) for k, v in numbers.items()}, **texts}
        found.append(
            CardException(
                kind, meter, card, report.reported_on, unit, MappingProxyType(dict(numbers)), params
            )
        )

    purchase = report.cumulative_purchase
    sold_count = ordered[-1].purchase_count if ordered else 0
    if report.purchase_count > sold_count or purchase > bought + tolerance:
        numbers = {
            "meter_count": Decimal(report.purchase_count),
            "meter_purchase": purchase,
            "sold_count": Decimal(sold_count),
            "sold": sum((v.loaded(unit) for v in ordered), ZERO),
        }
        add(CardExceptionKind.METER_PURCHASE_EXCEEDS_VENDS, numbers)
    elif purchase < bought - tolerance:
        numbers = {"meter_purchase": purchase, "loaded_count": Decimal(len(loaded)), "sold": bought}
        add(CardExceptionKind.METER_PURCHASE_BELOW_VENDS, numbers)
    if report.cumulative_used > bought + tolerance:
        numbers = {
            "used": report.cumulative_used,
            "bought": bought,
            "excess": report.cumulative_used - bought,
        }
        add(CardExceptionKind.USED_MORE_THAN_BOUGHT, numbers)
    stopped = _stopped_buying(ordered, history, as_of, rules, unit)
    if stopped is not None:
        numbers, last_vend = stopped
        add(CardExceptionKind.STOPPED_BUYING_WHILE_RUNNING, numbers, last_vend=last_vend)
    return CardReconciliation(
        report=report, loaded=loaded, pending=pending, bought=bought, exceptions=tuple(found)
    )


def _stopped_buying(
    vends: Sequence[VendRecord],
    history: Sequence[MeterReport],
    as_of: date,
    rules: CardMeterRules,
    unit: CardUnit,
) -> tuple[dict[str, Decimal], str] | None:
    """No vend for ``stopped_buying_days`` while the usage grew since the last vend: the growth is
    measured from the newest report on or before the last vend's day (else the oldest one after)."""
    if not vends:
        return None  # never bought: `used_more_than_bought` speaks for any use
    last_vend = max(business_date(v.vended_at) for v in vends)
    days = (as_of - last_vend).days
    if days < rules.stopped_buying_days:
        return None
    before = [r for r in history if r.reported_on <= last_vend]
    then = before[-1] if before else history[0]
    now = history[-1]
    growth = now.cumulative_used - then.cumulative_used
    running = rules.running_kwh if unit is CardUnit.KWH else rules.running_amount
    if then is now or growth <= running:
        return None
    numbers = {
        "days": Decimal(days),
        "used_then": then.cumulative_used,
        "used_now": now.cumulative_used,
        "growth": growth,
        "remaining": now.remaining,
    }
    return numbers, last_vend.isoformat()
