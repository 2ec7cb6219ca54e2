"""The ``m2c read check --json`` output document, built from a check result. Pure.

The reasons are filled in by ``explain`` (the edge passes the translating one), so this module
stays free of translation catalogs. The shape is the public contract documented in docs/vee.md.
"""

from __future__ import annotations

from collections.abc import Callable

from meter2cash.reading.vee.codes import NEM12_LETTER
from meter2cash.reading.vee.engine import CheckResult, ReadingVerdict
from meter2cash.reading.vee.findings import Finding

Explain = Callable[[Finding], str]


def result_document(result: CheckResult, *, explain: Explain) -> dict[str, object]:
    readings = [_reading(verdict, explain) for verdict in result.readings]
    return {
        "meter_no": result.meter_no,
        "readings": readings,
        "meter_findings": [_finding(f, explain) for f in result.meter_findings],
        "summary": {
            "readings": len(result.readings),
            "billable": sum(1 for v in result.readings if v.billable),
            "with_findings": sum(1 for v in result.readings if v.findings),
            "by_severity": result.count_by_severity(),
            "by_code": result.count_by_code(),
        },
    }


def _reading(verdict: ReadingVerdict, explain: Explain) -> dict[str, object]:
    return {
        "index": verdict.index,
        "read_at": verdict.read_at.isoformat(),
        "quality": verdict.quality.value,
        "nem12_quality": NEM12_LETTER[verdict.quality],
        "advance": None if verdict.advance is None else str(verdict.advance),
        "consumption_kwh": None if verdict.consumption_kwh is None else str(verdict.consumption_kwh),
        "billable": verdict.billable,
        "findings": [_finding(f, explain) for f in verdict.findings],
    }


def _finding(item: Finding, explain: Explain) -> dict[str, object]:
    return {
        "code": item.code.value,
        "severity": item.severity.value,
        "reason": explain(item),
        "params": dict(item.params),
    }
