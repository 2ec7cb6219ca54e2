"""Roles and what each may do (pure). The CLI, the API and the web pages all ask `allowed`.

Roles follow the bureau's posts: 抄表员 meter reader, 核算员 billing clerk, 审核员 reviewer,
收费员 cashier, 稽查员 inspector, 管理人员 manager, 系统管理员 admin. Segregation of duties
(the person who calculates a bill does not approve it) is enforced by the services on top of
these grants.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    METER_READER = "meter_reader"
    BILLING_CLERK = "billing_clerk"
    REVIEWER = "reviewer"
    CASHIER = "cashier"
    INSPECTOR = "inspector"
    MANAGER = "manager"
    ADMIN = "admin"


ROLE_NAMES_ZH: dict[Role, str] = {
    Role.METER_READER: "抄表员",
    Role.BILLING_CLERK: "核算员",
    Role.REVIEWER: "审核员",
    Role.CASHIER: "收费员",
    Role.INSPECTOR: "稽查员",
    Role.MANAGER: "管理人员",
    Role.ADMIN: "系统管理员",
}


class Action(StrEnum):
    ARCHIVE_READ = "archive.read"
    ARCHIVE_IMPORT = "archive.import"
    ARCHIVE_EDIT = "archive.edit"
    METER_INSTALL = "meter.install"
    TARIFF_ASSIGN = "tariff.assign"
    USER_MANAGE = "user.manage"
    AUDIT_READ = "audit.read"
    DEMO_BUILD = "demo.build"
    READING_PLAN = "reading.plan"
    READING_ENTER = "reading.enter"
    READING_COLLECT = "reading.collect"
    READING_RESOLVE = "reading.resolve"
    READING_APPROVE_EDIT = "reading.approve_edit"
    READING_CLOSE = "reading.close"
    READING_OPENING = "reading.opening"
    TARIFF_LOAD = "tariff.load"
    BILL_RUN = "bill.run"
    BILL_READ = "bill.read"
    BILL_REVIEW = "bill.review"
    BILL_ISSUE = "bill.issue"
    BILL_DOCUMENT = "bill.document"
    CORRECTION_PROPOSE = "correction.propose"
    CORRECTION_APPROVE = "correction.approve"
    PORTAL_ENROL = "portal.enrol"  # give a customer a one-time portal activation code
    LEDGER_READ = "ledger.read"  # balances, statements, arrears, collection KPIs
    LEDGER_POST = "ledger.post"  # post issued bills to the ledger, accrue late fees
    PAYMENT_TAKE = "payment.take"  # 收费: counter, bank files, 代收 API
    PAYMENT_REVERSE_REQUEST = "payment.reverse_request"  # 冲正 request
    PAYMENT_REVERSE_APPROVE = "payment.reverse_approve"  # supervisor approves a 冲正
    LATE_FEE_WAIVE_REQUEST = "late_fee.waive_request"
    LATE_FEE_WAIVE_APPROVE = "late_fee.waive_approve"
    WRITE_OFF_REQUEST = "write_off.request"  # 坏账核销
    WRITE_OFF_APPROVE = "write_off.approve"
    COLLECTION_CLOSE = "collection.close"  # close a collection month
    BANK_FILE = "bank.file"  # export debit files, import results and statements
    RECONCILE_RESOLVE = "reconcile.resolve"  # resolve a reconciliation difference
    DUNNING_RUN = "dunning.run"  # 催费: run the dunning policy, send the outbox
    DISCONNECT_PROPOSE = "disconnect.propose"  # 停电: propose, send notices
    DISCONNECT_APPROVE = "disconnect.approve"  # supervisor approves a disconnection
    DISCONNECT_EXECUTE = "disconnect.execute"  # trip / close a meter, field work orders
    PREPAID_VEND = "prepaid.vend"  # IC card vend (售电)
    PREPAID_RUN = "prepaid.run"  # 费控: daily balance estimate, alerts, trips


_ALL_STAFF = frozenset(Role)
_SUPERVISORS = frozenset({Role.MANAGER, Role.ADMIN})  # 主管: approve reversals, waivers, write-offs, cuts

GRANTS: dict[Action, frozenset[Role]] = {
    Action.ARCHIVE_READ: _ALL_STAFF,
    Action.ARCHIVE_IMPORT: frozenset({Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.ARCHIVE_EDIT: frozenset({Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.METER_INSTALL: frozenset({Role.METER_READER, Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.TARIFF_ASSIGN: frozenset({Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.USER_MANAGE: frozenset({Role.ADMIN}),
    Action.AUDIT_READ: frozenset({Role.REVIEWER, Role.INSPECTOR, Role.MANAGER, Role.ADMIN}),
    Action.DEMO_BUILD: frozenset({Role.ADMIN}),
    Action.READING_PLAN: frozenset({Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.READING_ENTER: frozenset({Role.METER_READER, Role.BILLING_CLERK, Role.ADMIN}),
    Action.READING_COLLECT: frozenset({Role.METER_READER, Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.READING_RESOLVE: frozenset({Role.METER_READER, Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.READING_APPROVE_EDIT: frozenset({Role.REVIEWER, Role.MANAGER, Role.ADMIN}),
    Action.READING_CLOSE: frozenset({Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.READING_OPENING: frozenset({Role.MANAGER, Role.ADMIN}),
    Action.TARIFF_LOAD: frozenset({Role.MANAGER, Role.ADMIN}),
    Action.BILL_RUN: frozenset({Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.BILL_READ: _ALL_STAFF,
    Action.BILL_REVIEW: frozenset({Role.REVIEWER, Role.MANAGER, Role.ADMIN}),
    Action.BILL_ISSUE: frozenset({Role.BILLING_CLERK, Role.REVIEWER, Role.MANAGER, Role.ADMIN}),
    Action.BILL_DOCUMENT: _ALL_STAFF,
    Action.CORRECTION_PROPOSE: frozenset({Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.CORRECTION_APPROVE: frozenset({Role.REVIEWER, Role.MANAGER, Role.ADMIN}),
    Action.PORTAL_ENROL: frozenset({Role.BILLING_CLERK, Role.CASHIER, Role.MANAGER, Role.ADMIN}),
    Action.LEDGER_READ: _ALL_STAFF,
    Action.LEDGER_POST: frozenset({Role.BILLING_CLERK, Role.CASHIER, Role.MANAGER, Role.ADMIN}),
    Action.PAYMENT_TAKE: frozenset({Role.CASHIER, Role.MANAGER, Role.ADMIN}),
    Action.PAYMENT_REVERSE_REQUEST: frozenset({Role.CASHIER, Role.MANAGER, Role.ADMIN}),
    Action.PAYMENT_REVERSE_APPROVE: _SUPERVISORS,
    Action.LATE_FEE_WAIVE_REQUEST: frozenset({Role.CASHIER, Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.LATE_FEE_WAIVE_APPROVE: _SUPERVISORS,
    Action.WRITE_OFF_REQUEST: frozenset({Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.WRITE_OFF_APPROVE: _SUPERVISORS,
    Action.COLLECTION_CLOSE: _SUPERVISORS,
    Action.BANK_FILE: frozenset({Role.CASHIER, Role.BILLING_CLERK, Role.MANAGER, Role.ADMIN}),
    Action.RECONCILE_RESOLVE: _SUPERVISORS,
    Action.DUNNING_RUN: frozenset({Role.BILLING_CLERK, Role.CASHIER, Role.MANAGER, Role.ADMIN}),
    Action.DISCONNECT_PROPOSE: frozenset({Role.BILLING_CLERK, Role.CASHIER, Role.MANAGER, Role.ADMIN}),
    Action.DISCONNECT_APPROVE: _SUPERVISORS,
    Action.DISCONNECT_EXECUTE: frozenset({Role.METER_READER, Role.INSPECTOR, Role.MANAGER, Role.ADMIN}),
    Action.PREPAID_VEND: frozenset({Role.CASHIER, Role.MANAGER, Role.ADMIN}),
    Action.PREPAID_RUN: frozenset({Role.BILLING_CLERK, Role.CASHIER, Role.MANAGER, Role.ADMIN}),
}


def allowed(*, roles: frozenset[Role] | set[Role], action: Action) -> bool:
    return bool(GRANTS[action] & set(roles))


def roles_allowed(action: Action) -> frozenset[Role]:
    return GRANTS[action]
