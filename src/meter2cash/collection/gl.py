"""The general-ledger accounts (总账科目) of the receivables ledger, and the sign convention. Pure.

Every ledger line is a signed amount: a debit (借) is positive, a credit (贷) negative, so the lines
of a transaction sum to zero. Asset accounts (receivables, cash, clearing) carry debit balances;
revenue, income and the customers' prepayments (a liability) carry credit balances.

======================  =====================  ==============================================
code                    科目                    holds
======================  =====================  ==============================================
receivable              应收电费               what issued bills ask, per customer account and bill
late_fee_receivable     应收违约金             late payment penalties charged, per account and bill
prepayment              预收电费               money paid ahead or paid over (a liability)
revenue:<class>         电费收入               the bills' amounts, by customer class
late_fee_income         违约金收入             the penalties charged
write_off               坏账核销               receivables written off as bad debt
cash                    库存现金               counter cash (坐收现金)
pos_clearing            POS待清算              counter card payments awaiting the acquirer
bank_clearing:<bank>    银行存款-待清算         bank withholding (代扣) settlements, per bank
agent_clearing:<agent>  代收待清算              third-party collection (代收) settlements, per agent
gateway_clearing:<gw>   网上缴费待清算          portal payments, per payment gateway
======================  =====================  ==============================================
"""

from __future__ import annotations

from enum import StrEnum

RECEIVABLE = "receivable"
LATE_FEE_RECEIVABLE = "late_fee_receivable"
PREPAYMENT = "prepayment"
LATE_FEE_INCOME = "late_fee_income"
WRITE_OFF = "write_off"
CASH = "cash"
POS_CLEARING = "pos_clearing"


class Channel(StrEnum):
    """How a payment arrived (缴费渠道)."""

    COUNTER = "counter"  # 坐收: cash or POS at the counter, with a receipt
    BANK_WITHHOLDING = "bank_withholding"  # 代扣: the bank debits the customer's account
    AGENT = "agent"  # 代收: a third party (bank branch, post office, app) collects
    PORTAL = "portal"  # the customer portal through a payment gateway


class Method(StrEnum):
    CASH = "cash"
    POS = "pos"
    DEBIT = "debit"
    TRANSFER = "transfer"
    ONLINE = "online"


CHANNEL_NAMES_ZH: dict[Channel, str] = {
    Channel.COUNTER: "坐收",
    Channel.BANK_WITHHOLDING: "银行代扣",
    Channel.AGENT: "代收",
    Channel.PORTAL: "网上缴费",
}


def revenue(category: str) -> str:
    """The revenue account of a customer class (电费收入-<class>)."""
    return f"revenue:{category}"


def clearing(*, channel: Channel, method: Method, source: str) -> str:
    """Where a payment's money sits until it is settled: the till, the POS acquirer, the bank,
    the agent or the gateway it came through."""
    if channel is Channel.COUNTER:
        return CASH if method is Method.CASH else POS_CLEARING
    if channel is Channel.BANK_WITHHOLDING:
        return f"bank_clearing:{source}"
    if channel is Channel.AGENT:
        return f"agent_clearing:{source}"
    return f"gateway_clearing:{source}"
