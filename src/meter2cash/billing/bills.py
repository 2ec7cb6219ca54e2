"""From priced rows to accounts' bills: components, the power-factor adjustment, totals. Pure.

An account's energy is priced as one main row, plus a row for each part priced at another tariff
(定量定比 a fixed kWh or share at another category; a sub-meter priced on this bill at its own
tariff, 套扣). Its lines come from every row; lines of a component carry the component's code
prefix (``split.energy``, ``sub1.energy.peak`` …).

Power-factor adjustment (力调电费, 〔83〕水电财字第215号, domain-rules §2.4): when the main
tariff applies it and the account has a standard (0.90 / 0.85 / 0.80), cos φ comes from the main
meter's kWh and kvarh plus losses, rounded half-up to 2 decimals; the table's percentage applies
to the basic + energy (+ loss) lines of the whole bill — and to the funds when the tariff's
``pf_includes_funds`` says so — and is rounded to the fen once. The total is the sum of the
rounded lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from meter2cash.billing.fixed_point import PRICE, Ints, TooPrecise, decimal_of, mul, zeros
from meter2cash.billing.power_factor import (
    PowerFactorTable,
    adjustment_percent,
    percent_text,
    power_factor_hundredths,
)
from meter2cash.billing.pricing import LineBlock, PricedRows, RuleTexts, price_rows, price_text, qty_text
from meter2cash.billing.tariff import Tariff
from meter2cash.billing.usage import UsageCase, UsageColumns, columns_of
from meter2cash.platform.money import round_fen

KIND_ORDER = {"basic": 0, "energy": 1, "allowance": 2, "loss": 3, "pf": 4, "fund": 5}
_PF_BASE_KINDS = ("basic", "energy", "allowance", "loss")


@dataclass(frozen=True, slots=True)
class BillLine:
    code: str
    label: str
    quantity: Decimal
    unit: str
    unit_price: str
    amount: Decimal
    rule: str
    tariff_version: str

    def as_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "label": self.label,
            "quantity": str(round_fen(self.quantity)) if self.unit == "元" else qty_text(self.quantity),
            "unit": self.unit,
            "unit_price": self.unit_price,
            "amount": str(self.amount),
            "rule": self.rule,
            "tariff_version": self.tariff_version,
        }


@dataclass(frozen=True, slots=True)
class Bill:
    lines: tuple[BillLine, ...]
    total: Decimal
    power_factor: Decimal | None
    pf_adjustment_percent: Decimal | None

    def as_json(self) -> dict[str, object]:
        return {
            "lines": [line.as_json() for line in self.lines],
            "power_factor": None if self.power_factor is None else str(self.power_factor),
            "pf_adjustment_percent": (
                None if self.pf_adjustment_percent is None else percent_text(self.pf_adjustment_percent)
            ),
            "total": str(self.total),
        }


@dataclass(frozen=True)
class PricingJob:
    """Rows to price for ``accounts`` accounts: each row belongs to one account (``owners``) and
    is priced with ``tariffs[tariff_keys[row]]``; ``main_rows[a]`` is account a's main row."""

    accounts: int
    usage: UsageColumns
    tariff_keys: npt.NDArray[np.object_]
    owners: npt.NDArray[np.intp]
    prefixes: npt.NDArray[np.object_]  # "" for the main row, else a code prefix such as "split"
    prefix_labels: npt.NDArray[np.object_]
    main_rows: npt.NDArray[np.intp]


@dataclass(frozen=True)
class PricedAccounts:
    """Per account: the reason it could not be priced ("" when priced), its total in fen, its
    power factor, and its lines as columns sorted by account and line order."""

    errors: npt.NDArray[np.object_]
    totals: Ints
    power_factors: list[Decimal | None]
    pf_percents: list[Decimal | None]
    line_owner: npt.NDArray[np.intp]
    line_block: npt.NDArray[np.intp]
    line_position: npt.NDArray[np.intp]
    blocks: list[tuple[LineBlock, str]]  # block, tariff version ("" = the row's own tariff)
    line_amount: Ints
    _row_prefix: npt.NDArray[np.object_]
    _row_prefix_label: npt.NDArray[np.object_]
    _row_of_batch: list[npt.NDArray[np.intp]]
    _row_version: npt.NDArray[np.object_]

    def lines_of(self, account: int) -> list[BillLine]:
        start, stop = np.searchsorted(self.line_owner, [account, account + 1])
        return [self.line(i) for i in range(start, stop)]

    def line(self, index: int) -> BillLine:
        block_index = int(self.line_block[index])
        block, version = self.blocks[block_index]
        position = int(self.line_position[index])
        row = int(self._row_of_batch[block_index][block.rows[position]])
        prefix = self._row_prefix[row]
        code = f"{prefix}.{block.code}" if prefix else block.code
        label = f"{self._row_prefix_label[row]}{block.label}"
        return BillLine(
            code=code,
            label=label,
            quantity=decimal_of(block.quantity[position], scale=block.quantity_scale),
            unit=block.unit,
            unit_price=_unit_price(block, int(block.price[position]), int(block.price_den[position])),
            amount=decimal_of(block.amount[position], scale=100),
            rule=block.rules[position],
            tariff_version=version or str(self._row_version[row]),
        )

    def storage_rows(
        self, *, quantity_scale: int
    ) -> list[tuple[int, str, str, int, str, str, int, str, str]]:
        """Every line, in line order, as (account, code, label, quantity in 1/quantity_scale,
        unit, unit price text, amount in fen, rule, tariff version): what a bill run stores.
        The same values as `line`, made block by block so a million accounts take seconds."""
        made: list[tuple[list[str], list[str], list[int], list[str], list[int], list[str], list[str]]] = []
        for index, (block, version) in enumerate(self.blocks):
            rows = self._row_of_batch[index][block.rows]
            prefixes = self._row_prefix[rows].tolist()
            labels = self._row_prefix_label[rows].tolist()
            codes = [f"{p}.{block.code}" if p else block.code for p in prefixes]
            texts = [f"{label}{block.label}" for label in labels]
            quantities = _rescale(block.quantity, block.quantity_scale, quantity_scale)
            prices: dict[tuple[int, int], str] = {}
            shown = [
                prices.get(key) or prices.setdefault(key, _unit_price(block, *key))
                for key in zip(block.price.tolist(), block.price_den.tolist(), strict=True)
            ]
            rules = block.rules.texts() if isinstance(block.rules, RuleTexts) else list(block.rules)
            versions = [version] * len(rows) if version else [str(v) for v in self._row_version[rows]]
            made.append((codes, texts, quantities, shown, block.amount.tolist(), rules, versions))
        out: list[tuple[int, str, str, int, str, str, int, str, str]] = []
        units = [block.unit for block, _version in self.blocks]
        for owner, b, k in zip(
            self.line_owner.tolist(), self.line_block.tolist(), self.line_position.tolist(), strict=True
        ):
            codes, texts, quantities, shown, amounts, rules, versions = made[b]
            out.append(
                (
                    owner,
                    codes[k],
                    texts[k],
                    quantities[k],
                    units[b],
                    shown[k],
                    amounts[k],
                    rules[k],
                    versions[k],
                )
            )
        return out

    def bill(self, account: int) -> Bill:
        return Bill(
            lines=tuple(self.lines_of(account)),
            total=decimal_of(self.totals[account], scale=100),
            power_factor=self.power_factors[account],
            pf_adjustment_percent=self.pf_percents[account],
        )


def price_job(
    *, job: PricingJob, tariffs: Mapping[str, Tariff], pf_tables: Mapping[str, PowerFactorTable]
) -> PricedAccounts:
    """Price every row with its tariff, add the power-factor adjustment, total each account."""
    errors = np.empty(job.accounts, dtype=object)
    errors[:] = ""
    batches: list[tuple[PricedRows, npt.NDArray[np.intp]]] = []
    keys = job.tariff_keys
    for key in sorted(set(keys.tolist())):
        rows = np.flatnonzero(keys == key)
        tariff = tariffs.get(key)
        if tariff is None:
            _blame(errors, job.owners[rows], f"没有电价{key}")
            continue
        priced = price_rows(tariff=tariff, usage=job.usage.take(rows))
        failed = priced.errors != ""
        for owner, reason in zip(job.owners[rows][failed], priced.errors[failed], strict=True):
            if errors[owner] == "":
                errors[owner] = reason
        batches.append((priced, rows))

    blocks: list[tuple[LineBlock, str]] = []
    row_of_batch: list[npt.NDArray[np.intp]] = []
    owner_parts: list[npt.NDArray[np.intp]] = []
    amount_parts: list[Ints] = []
    in_pf_base: list[npt.NDArray[np.bool_]] = []
    for priced, rows in batches:
        includes_funds = priced.tariff.rules.pf_includes_funds
        for block in priced.blocks:
            blocks.append((block, priced.tariff.version))
            row_of_batch.append(rows)
            owner_parts.append(job.owners[rows[block.rows]])
            amount_parts.append(block.amount)
            counts = block.kind in _PF_BASE_KINDS or (includes_funds and block.kind == "fund")
            in_pf_base.append(np.full(len(block.rows), counts, dtype=bool))
    line_owner = np.concatenate(owner_parts) if owner_parts else np.zeros(0, dtype=np.intp)
    line_amount = _concatenate(amount_parts)
    base_mask = np.concatenate(in_pf_base) if in_pf_base else np.zeros(0, dtype=bool)
    pf_base = _sum_by_owner(line_owner[base_mask], line_amount[base_mask], job.accounts)

    power_factors, percents, pf_block = _power_factor(job, pf_tables, batches, pf_base, errors)
    if pf_block is not None:
        blocks.append((pf_block, ""))
        row_of_batch.append(job.main_rows)
        pf_owners = job.owners[job.main_rows[pf_block.rows]]
        line_owner = np.concatenate([line_owner, pf_owners])
        line_amount = _concatenate([line_amount, pf_block.amount])

    line_block = (
        np.concatenate([np.full(len(b.rows), i, dtype=np.intp) for i, (b, _version) in enumerate(blocks)])
        if blocks
        else np.zeros(0, dtype=np.intp)
    )
    line_position = (
        np.concatenate([np.arange(len(b.rows), dtype=np.intp) for b, _version in blocks])
        if blocks
        else np.zeros(0, dtype=np.intp)
    )
    # Order: by account; the main row's lines before a component's; by kind; by block.
    kind_rank = np.array([KIND_ORDER[b.kind] for b, _version in blocks], dtype=np.intp)
    is_component = np.array([bool(p) for p in job.prefixes], dtype=np.intp)
    line_row = (
        np.concatenate([row_of_batch[i][blocks[i][0].rows] for i in range(len(blocks))])
        if blocks
        else np.zeros(0, dtype=np.intp)
    )
    sort_key = (line_owner.astype(np.int64) * 2 + is_component[line_row]) * 16 + kind_rank[line_block]
    order = np.lexsort((line_block, sort_key))
    line_owner, line_block, line_position, line_amount = (
        line_owner[order],
        line_block[order],
        line_position[order],
        line_amount[order],
    )
    totals = _sum_by_owner(line_owner, line_amount, job.accounts, sorted_owners=True)
    return PricedAccounts(
        errors=errors,
        totals=totals,
        power_factors=power_factors,
        pf_percents=percents,
        line_owner=line_owner,
        line_block=line_block,
        line_position=line_position,
        blocks=blocks,
        line_amount=line_amount,
        _row_prefix=job.prefixes,
        _row_prefix_label=job.prefix_labels,
        _row_of_batch=row_of_batch,
        _row_version=job.tariff_keys,
    )


@dataclass(frozen=True, slots=True)
class Component:
    """A part of an account's energy priced at another tariff on the same bill (定量定比, or a
    sub-meter priced at its own tariff, 套扣); its lines' codes start with ``prefix``."""

    prefix: str
    label: str
    tariff: Tariff
    case: UsageCase


def price_case(
    *,
    tariff: Tariff,
    case: UsageCase,
    components: Sequence[Component] = (),
    pf_tables: Mapping[str, PowerFactorTable],
) -> tuple[Bill | None, str]:
    """One account's bill (a quote, a correction, a test): the bill, or None and the reason."""
    cases = [case, *(c.case for c in components)]
    tariffs = {tariff.version: tariff, **{c.tariff.version: c.tariff for c in components}}
    job = PricingJob(
        accounts=1,
        usage=columns_of(cases),
        tariff_keys=_objects([tariff.version, *(c.tariff.version for c in components)]),
        owners=np.zeros(len(cases), dtype=np.intp),
        prefixes=_objects(["", *(c.prefix for c in components)]),
        prefix_labels=_objects(["", *(c.label for c in components)]),
        main_rows=np.zeros(1, dtype=np.intp),
    )
    priced = price_job(job=job, tariffs=tariffs, pf_tables=pf_tables)
    if priced.errors[0]:
        return None, str(priced.errors[0])
    return priced.bill(0), ""


def _objects(values: Sequence[object]) -> npt.NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _unit_price(block: LineBlock, price: int, den: int) -> str:
    """A line's unit price as shown: the tariff's price (a prorated line shows the unprorated
    one), or the percentage of a power-factor line."""
    value = Decimal(block.shown_price if block.shown_price is not None else price) / PRICE
    if block.shown_price is None and den != 1:
        value = Decimal(price) / Decimal(den) / PRICE
    return f"{percent_text(value)}%" if block.unit == "元" else price_text(value)


def _rescale(values: Ints, scale: int, target: int) -> list[int]:
    """Scaled integers re-expressed at another scale, exactly (refused if digits would be lost)."""
    if target >= scale:
        return mul(values, target // scale).tolist()  # type: ignore[no-any-return]
    factor = scale // target
    exact_values = values.astype(object)
    if np.any(exact_values % factor != 0):
        raise TooPrecise(f"a quantity has more decimals than 1/{target} keeps")
    return (exact_values // factor).tolist()  # type: ignore[no-any-return]


def _concatenate(parts: Sequence[Ints]) -> Ints:
    if not parts:
        return zeros(0)
    if all(p.dtype == np.int64 for p in parts):
        return np.concatenate(parts)
    return np.concatenate([p.astype(object) for p in parts])


def _sum_by_owner(
    owners: npt.NDArray[np.intp], amounts: Ints, accounts: int, *, sorted_owners: bool = False
) -> Ints:
    """Per account, the sum of its amounts (exact: int64 only when no sum can overflow)."""
    total = zeros(accounts)
    if len(owners) == 0:
        return total
    if not sorted_owners:
        order = np.argsort(owners, kind="stable")
        owners, amounts = owners[order], amounts[order]
    if amounts.dtype == np.int64 and int(np.abs(amounts).max()) * len(amounts) >= 2**62:
        amounts = amounts.astype(object)
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    sums = np.add.reduceat(amounts, starts)
    if sums.dtype == object:
        total = total.astype(object)
    total[owners[starts]] = sums
    return total


def _blame(errors: npt.NDArray[np.object_], owners: npt.NDArray[np.intp], reason: str) -> None:
    for owner in owners:
        if errors[owner] == "":
            errors[owner] = reason


def _power_factor(
    job: PricingJob,
    pf_tables: Mapping[str, PowerFactorTable],
    batches: Sequence[tuple[PricedRows, npt.NDArray[np.intp]]],
    pf_base: Ints,
    errors: npt.NDArray[np.object_],
) -> tuple[list[Decimal | None], list[Decimal | None], LineBlock | None]:
    """The 力调 line of every account whose main tariff applies it."""
    factors: list[Decimal | None] = [None] * job.accounts
    percents: list[Decimal | None] = [None] * job.accounts
    rows_total = len(job.usage)
    applies = np.zeros(rows_total, dtype=bool)
    kwh_of = np.empty(rows_total, dtype=object)
    kvarh_of = np.empty(rows_total, dtype=object)
    for priced, rows in batches:
        if priced.tariff.power_factor:
            applies[rows] = True
            kwh_of[rows] = priced.pf_kwh
            kvarh_of[rows] = priced.pf_kvarh
    main = job.main_rows
    usage = job.usage
    candidates = np.flatnonzero(applies[main] & (usage.pf_standard[main] != "none") & (errors == ""))
    accounts: list[int] = []
    amounts: list[int] = []
    bases: list[int] = []
    rules: list[str] = []
    percent_prices: list[int] = []
    for account in candidates.tolist():
        row = int(main[account])
        standard = str(usage.pf_standard[row])
        table = pf_tables.get(standard)
        if table is None:
            errors[account] = f"未知的力率考核标准{standard}"
            continue
        if not usage.has_kvarh[row]:
            errors[account] = "执行力调电费的用户缺少无功电量"
            continue
        kwh, kvarh = int(kwh_of[row]), int(kvarh_of[row])
        if kwh < 0 or kvarh < 0:
            errors[account] = "有功或无功电量为负，无法计算力率"
            continue
        hundredths = power_factor_hundredths(p=kwh, q=kvarh)
        if hundredths is None:
            continue
        cos = Decimal(hundredths).scaleb(-2)
        factors[account] = cos
        percent = adjustment_percent(table=table, power_factor=cos)
        percents[account] = percent
        base_fen = int(pf_base[account])
        amount = round_fen(Decimal(base_fen) / 100 * percent / 100)
        accounts.append(account)
        bases.append(base_fen)
        amounts.append(int(amount * 100))
        percent_prices.append(int(percent * PRICE))
        sign = "+" if percent > 0 else ""
        rules.append(f"力调 {standard}标准 cosφ={cos} {sign}{percent_text(percent)}%")
    if not accounts:
        return factors, percents, None
    owners = np.array(accounts, dtype=np.intp)
    block = LineBlock(
        code="pf_adjustment",
        label="力率调整电费",
        unit="元",
        rows=owners,  # positions in job.main_rows
        quantity=np.array(bases, dtype=object),
        quantity_scale=100,
        price=np.array(percent_prices, dtype=object),
        price_den=np.full(len(owners), 1, dtype=object),
        amount=np.array(amounts, dtype=object),
        rules=rules,
        kind="pf",
    )
    return factors, percents, block
