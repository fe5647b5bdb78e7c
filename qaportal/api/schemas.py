"""The API's answers and query strings as pydantic models: the single source of both the
validation (every answer is built as one of these models before it is sent, every query
string is parsed by one) and the OpenAPI document (:mod:`qaportal.api.openapi`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from qaportal.catalogue.models import (
    Integration,
    ParticipationForm,
    QfEheaCycle,
    Supervision,
)
from qaportal.decisions.models import EqaStatus, Outcome
from qaportal.orgs.models import ProviderType

# The widest id a database column holds: larger ids cannot exist (qaportal.web.bounds).
MAX_ID = 2**31 - 1
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Country = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")]


class Answer(BaseModel):
    """Answers are closed: a field the schema does not list cannot slip out."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoQuery(BaseModel):
    """A single object's address takes no parameters: any is refused."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """Query strings are closed too: an unknown filter is a 400, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")
    cursor: str | None = Field(
        None,
        max_length=200,
        description="Opaque: the `next` link of the previous page carries it.",
    )


# ----- errors ------------------------------------------------------------------------------


class ErrorDetail(Answer):
    code: str = Field(
        description=(
            "unknown_parameter, invalid_parameter, repeated_parameter, invalid_cursor, "
            "invalid_header or not_found"
        )
    )
    message: str


class ErrorBody(Answer):
    error: ErrorDetail


# ----- specifications ----------------------------------------------------------------------


class SpecificationQuery(Query):
    """The public catalogue page's filters, under the same names."""

    q: str | None = Field(None, max_length=200, description="Words of titles and outcomes.")
    country: Country | None = None
    eqf: int | None = Field(None, ge=1, le=8, description="EQF level.")
    ects_min: float | None = Field(None, ge=0, le=999, allow_inf_nan=False)
    ects_max: float | None = Field(None, ge=0, le=999, allow_inf_nan=False)
    form: ParticipationForm | None = Field(None, description="Form of participation.")
    language: str | None = Field(
        None, pattern=r"^[a-z]{2,3}$", description="Language of instruction (ISO 639)."
    )
    provider_type: ProviderType | None = None
    accreditation: Literal["accredited", "not_accredited"] | None = None
    provider: Id | None = Field(None, description="Only this provider's specifications.")


class ProviderRef(Answer):
    id: int
    name: str
    country: str | None
    provider_type: ProviderType | None


class SpecificationSummary(Answer):
    id: str = Field(description="The specification's stable public identifier.")
    title: str
    provider: ProviderRef
    eqf_level: int | None
    ects: float | None
    hours: int | None
    participation_form: ParticipationForm | None
    countries: list[str]
    languages: list[str]
    accreditation: str = Field(description="accredited or not_accredited")
    published_at: dt.datetime
    url: str = Field(description="The API address of the specification.")
    html_url: str = Field(description="The public catalogue page.")


class AwardingBody(Answer):
    name: str
    url: str | None = None


class LearningOutcome(Answer):
    statement: str
    esco_uri: str | None


class SpecificationDetail(SpecificationSummary):
    version: int
    regions: list[str] = Field(description="Issuer countries and regions (ISO 3166-1/-2).")
    awarding_bodies: list[AwardingBody]
    level_not_applicable: bool
    qf_ehea_cycle: QfEheaCycle | None
    assessment_type: str
    participation_detail: str | None
    quality_assurance: str
    prerequisites: str | None
    supervision: Supervision | None
    grading_scheme: str | None
    integration: Integration | None
    stackable_towards: str | None
    further_information: str | None
    text_language: str
    isced_f: str | None
    price_note: str | None
    learning_outcomes: list[LearningOutcome]
    accredited_under: str | None = Field(
        description="The published decision the micro-credential is offered under (API URL)."
    )
    elm_url: str
    ob3_url: str


class SpecificationPage(Answer):
    items: list[SpecificationSummary]
    next: str | None = Field(description="The next page, absent on the last one.")


# ----- the register ------------------------------------------------------------------------


class RegisterQuery(Query):
    """The public register page's filters, under the same names."""

    q: str | None = Field(None, max_length=200, description="Words of names, titles, summary.")
    country: Country | None = None
    provider_type: ProviderType | None = None
    decision: Outcome | None = Field(None, description="The decision (DEQAR vocabulary).")
    framework: str | None = Field(
        None, pattern=r"^[A-Za-z0-9._-]{1,40}$", description="Framework code, e.g. ESG."
    )
    validity: Literal["valid", "expiring", "expired"] | None = None
    months: int = Field(6, ge=1, le=60, description="Window of `expiring`, in months.")


class Condition(Answer):
    id: int
    text: str
    due_on: dt.date
    status: str = Field(description="The follow-up state of the condition.")


class Report(Answer):
    id: int = Field(description="The report document's id.")
    version: int
    decision_id: int
    case_reference: str
    provider_id: int
    provider_name: str
    locale: str
    sha256: str
    size: int = Field(description="Bytes.")
    published_at: dt.datetime
    verification_url: str | None = Field(description="The public verification page.")
    download_url: str = Field(description="The PDF; stays the same when a report is re-issued.")


class Decision(Answer):
    id: int
    case_reference: str
    provider_id: int
    provider_name: str
    country: str | None
    provider_type: ProviderType | None
    agency_id: int
    agency_name: str
    outcome: Outcome
    status: EqaStatus
    decided_on: dt.date
    valid_from: dt.date | None
    valid_until: dt.date | None
    validity: str = Field(description="valid, expired or none (not a positive decision)")
    framework_code: str | None
    framework_name: str | None
    summary: str
    conditions: list[Condition]
    report: Report | None
    specification_ids: list[int]
    published_at: dt.datetime
    url: str = Field(description="The API address of the decision.")
    html_url: str = Field(description="The public register page (a stable URL).")


class Provider(Answer):
    id: int
    name: str
    country: str | None
    provider_type: ProviderType | None
    website: str | None
    accredited: bool
    current_decision_id: int | None
    decisions: list[Decision] = Field(description="Published decisions, newest first.")
    url: str = Field(description="The API address of the provider.")
    html_url: str = Field(description="The provider's public register page.")


class DecisionPage(Answer):
    items: list[Decision]
    next: str | None


class ProviderPage(Answer):
    items: list[Provider]
    next: str | None


class ReportPage(Answer):
    items: list[Report] = Field(
        description="A page may hold fewer rows than `limit`; only `next` says there is more."
    )
    next: str | None
