"""Schemas of the reading (抄表) API: tasks, the exception queue and its decisions, four-eyes
edits, billing determinants and the reading KPIs. Registers and energies are decimal strings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from meter2cash.interfaces.web.api.schemas_common import DecimalText, Reason
from meter2cash.platform.i18n import gettext as _


class TaskReadingOut(BaseModel):
    id: int
    read_on: str
    source: str
    quality: str
    status: str
    total: str


class TaskOut(BaseModel):
    id: int
    period: str
    route_book: str
    account_no: str | None
    meter_no: str
    due_on: str
    window_closes_on: str
    state: str
    attempts: int
    reading: TaskReadingOut | None


class ExceptionOut(BaseModel):
    """One entry of the exception queue, as ``m2c read exceptions --json`` prints it."""

    id: int
    route_book: str
    period: str
    meter_no: str
    code: str
    severity: str
    reason: str
    state: str
    opened_on: str
    reading_id: int | None
    reading_total: str | None
    pending_edit_id: int | None


class ExceptionStateOut(BaseModel):
    exception_id: int
    state: str
    resolution: str | None


Register = DecimalText | SkipJsonSchema[None]  # optional, but null is not in the schema


class RegisterValues(BaseModel):
    """Corrected register values; give at least one. Decimal strings, at most 4 decimals; a
    register left out keeps its value."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    total: Register = None
    sharp: Register = None
    peak: Register = None
    flat: Register = None
    valley: Register = None
    reactive: Register = None
    max_demand_kw: Register = None

    @field_validator("*", mode="before")
    @classmethod
    def not_null(cls, value: object) -> object:
        if value is None:  # leave a register out to keep it; null is not a value
            raise ValueError(_("A register is a decimal string, not null."))
        return value

    @model_validator(mode="after")
    def at_least_one(self) -> RegisterValues:
        if not self.given():
            raise ValueError(_("Give at least one corrected register, e.g. total."))
        return self

    def given(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: RegisterValues
    reason: Reason


class EditOut(BaseModel):
    """``pending`` waits for a second person; ``approved`` applied at once (nothing billed changed)."""

    edit_id: int
    exception_id: int | None
    state: str
    changes_energy: bool
    proposed_by: str
    decided_by: str | None


class DeterminantOut(BaseModel):
    """One billing determinant (计费电量), as ``m2c read determinants --json`` prints it."""

    account_no: str
    period: str
    start_on: str
    end_on: str
    days: int
    kwh_total: str
    kwh_sharp: str | None
    kwh_peak: str | None
    kwh_flat: str | None
    kwh_valley: str | None
    kvarh: str | None
    max_demand_kw: str | None
    quality: str


class ReadingCountsOut(BaseModel):
    obtained: int
    estimated: int
    missing: int
    readings: int
    actual_readings: int
    collection_tried: int
    collection_first_try: int
    corrected: int


class ReadingKpisOut(BaseModel):
    """``m2c read kpis --json``: rates are percentage strings with two decimals, null without a
    denominator."""

    period: str
    planned: int
    reading_rate_pct: str | None
    actual_read_rate_pct: str | None
    first_try_success_pct: str | None
    error_rate_pct: str | None
    counts: ReadingCountsOut
    exceptions_by_code: dict[str, int]
    exceptions_by_state: dict[str, int]
    open_exceptions_by_age_days: dict[str, int] = Field(default_factory=dict)
