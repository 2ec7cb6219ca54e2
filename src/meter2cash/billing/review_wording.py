"""Review finding reasons and code titles in the user's language (zh_CN first): the translating
edge of the pure review rules."""

from __future__ import annotations

from meter2cash.billing.review_codes import TITLES, ReviewCode
from meter2cash.billing.review_rules import ReviewFinding
from meter2cash.platform.i18n import gettext as _


def explain(finding: ReviewFinding) -> str:
    """The finding's reason, translated and filled in."""
    return _(finding.template).format(**finding.params)


def title(code: ReviewCode | str) -> str:
    """The code's short title, translated (the code itself when unknown)."""
    try:
        return _(TITLES[ReviewCode(code)])
    except ValueError:
        return str(code)


def describe(finding: ReviewFinding) -> str:
    """``标题：原因`` as stored with the bill and shown in the review queue."""
    return f"{title(finding.code)}：{explain(finding)}"
