"""Validation of meter readings (抄表 VEE): small pure checks, each with a stable code, a
severity and thresholds from :class:`VeePolicy`; :func:`check_readings` runs them all."""

from meter2cash.reading.vee.codes import QualityFlag, Severity, VeeCode
from meter2cash.reading.vee.engine import CheckResult, ReadingVerdict, check_readings
from meter2cash.reading.vee.findings import Finding
from meter2cash.reading.vee.policy import DEFAULT_POLICY, VeePolicy
from meter2cash.reading.vee.readings import MeterFacts, MeterReading, MeterStatus, ReadingSet, ReadingSource
from meter2cash.reading.vee.register import RegisterSpec

__all__ = [
    "DEFAULT_POLICY",
    "CheckResult",
    "Finding",
    "MeterFacts",
    "MeterReading",
    "MeterStatus",
    "QualityFlag",
    "ReadingSet",
    "ReadingSource",
    "ReadingVerdict",
    "RegisterSpec",
    "Severity",
    "VeeCode",
    "VeePolicy",
    "check_readings",
]
