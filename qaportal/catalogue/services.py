"""The catalogue's rules: drafts, publication, versions, retirement, history and diffs.

No Flask request here: callers pass a SQLAlchemy session and an :class:`Actor`; every
change is written to the audit trail in the caller's transaction (the caller commits).

Lifecycle of a specification's versions::

    draft ──publish (Annex I complete)──> published ──(next version published)──> superseded
      │                                       │
      └──────────────── retire ───────────────┴──> retired

Editing a published specification starts a new draft (number + 1) copied from it; the
published version stays public, unchanged, until the new draft is published.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.orm.exc import StaleDataError

from qaportal.audit.services import Actor, record
from qaportal.catalogue import search
from qaportal.catalogue.completeness import CompletenessReport, check_completeness
from qaportal.catalogue.labels import AWARDING_BODY_LABELS, CHOICE_LABELS, FIELD_LABELS
from qaportal.catalogue.models import (
    Integration,
    LearningOutcome,
    ParticipationForm,
    QfEheaCycle,
    Specification,
    SpecificationVersion,
    Supervision,
    VersionStatus,
)
from qaportal.catalogue.nqf import nqf_problem
from qaportal.catalogue.validation import (
    LONG_TEXT_MAX,
    MAX_AWARDING_BODIES,
    MAX_OUTCOMES,
    MEDIUM_TEXT_MAX,
    OUTCOME_MAX,
    SHORT_TEXT_MAX,
    TITLE_MAX,
    canonical_esco_uri,
    canonical_language,
    canonical_vat_id,
    country_of,
    country_problem,
    ects_problem,
    eqf_problem,
    esco_problem,
    hours_problem,
    isced_problem,
    language_problem,
    max_duration_problem,
    region_problem,
    subdivision_problem,
    text_language_problem,
    url_problem,
    vat_id_problem,
)
from qaportal.db import utcnow
from qaportal.orgs.models import Organisation
from qaportal.web.cache import public_content_changed

# ----- the data of a version ----------------------------------------------------------------


@dataclass
class OutcomeData:
    statement: str
    esco_uri: str | None = None


@dataclass
class SpecificationData:
    """Everything a provider fixes in a version (the Annex I elements before issuing)."""

    title: str = ""
    issuer_regions: list[str] = field(default_factory=list)
    # keys: AWARDING_BODY_KEYS; a key is absent when its value was not entered
    awarding_bodies: list[dict[str, str]] = field(default_factory=list)
    outcomes: list[OutcomeData] = field(default_factory=list)
    ects: Decimal | None = None
    hours: int | None = None
    eqf_level: int | None = None
    nqf_level: int | None = None
    max_duration_weeks: int | None = None
    level_not_applicable: bool = False
    qf_ehea_cycle: QfEheaCycle | None = None
    assessment_type: str = ""
    participation_form: ParticipationForm | None = None
    participation_detail: str | None = None
    quality_assurance: str = ""
    prerequisites: str | None = None
    supervision: Supervision | None = None
    grading_scheme: str | None = None
    integration: Integration | None = None
    stackable_towards: str | None = None
    further_information: str | None = None
    languages: list[str] = field(default_factory=list)
    # ISO 639-1 of the language the texts are written in (not one of instruction, necessarily)
    text_language: str = "en"
    isced_f: str | None = None
    price_note: str | None = None

    @classmethod
    def from_version(cls, version: SpecificationVersion) -> SpecificationData:
        values = {name: getattr(version, name) for name in SCALAR_FIELDS}
        values["issuer_regions"] = list(version.issuer_regions or [])
        values["awarding_bodies"] = [dict(b) for b in version.awarding_bodies or []]
        values["languages"] = list(version.languages or [])
        return cls(
            **values,
            outcomes=[OutcomeData(o.statement, o.esco_uri) for o in version.outcomes],
        )

    def normalised(self) -> SpecificationData:
        """Trimmed strings, empty optionals as None, empty outcome/body rows dropped."""

        def clean(value: str | None) -> str | None:
            value = (value or "").strip()
            return value or None

        data = SpecificationData(**{k: getattr(self, k) for k in self.__dataclass_fields__})
        data.title = (self.title or "").strip()
        data.assessment_type = (self.assessment_type or "").strip()
        data.quality_assurance = (self.quality_assurance or "").strip()
        for name in OPTIONAL_TEXT_FIELDS:
            setattr(data, name, clean(getattr(self, name)))
        data.issuer_regions = [c.strip().upper() for c in self.issuer_regions if c.strip()]
        data.text_language = (self.text_language or "").strip().lower()
        data.languages = list(
            dict.fromkeys(canonical_language(c) for c in self.languages if c.strip())
        )
        bodies = [
            {k: v for k in AWARDING_BODY_KEYS if (v := clean(b.get(k)))}
            for b in self.awarding_bodies
        ]
        for body in bodies:
            for key in ("country", "region"):
                if key in body:
                    body[key] = body[key].upper()
            if "vat_id" in body:
                body["vat_id"] = canonical_vat_id(body["vat_id"])
        data.awarding_bodies = [b for b in bodies if b]
        data.outcomes = [
            OutcomeData(o.statement.strip(), _esco(clean(o.esco_uri)))
            for o in self.outcomes
            if (o.statement or "").strip() or clean(o.esco_uri)
        ]
        data.level_not_applicable = bool(self.level_not_applicable)
        for name, enum_cls in ENUM_FIELDS.items():
            value = getattr(self, name)
            if value in (None, ""):
                setattr(data, name, None)
            elif value in _ENUM_VALUES[name]:
                setattr(data, name, enum_cls(value))
        return data


def _esco(uri: str | None) -> str | None:
    return canonical_esco_uri(uri) if uri else None


SCALAR_FIELDS = (
    "title",
    "ects",
    "hours",
    "eqf_level",
    "nqf_level",
    "max_duration_weeks",
    "level_not_applicable",
    "qf_ehea_cycle",
    "assessment_type",
    "participation_form",
    "participation_detail",
    "quality_assurance",
    "prerequisites",
    "supervision",
    "grading_scheme",
    "integration",
    "stackable_towards",
    "further_information",
    "isced_f",
    "price_note",
    "text_language",
)
# An awarding body as SpecificationVersion.awarding_bodies stores it (issue 12 contract).
AWARDING_BODY_KEYS = ("name", "url", "legal_id", "vat_id", "country", "region", "address")
_AWARDING_BODY_LIMITS = {
    "name": SHORT_TEXT_MAX,
    "legal_id": 80,
    "vat_id": 40,
    "address": SHORT_TEXT_MAX,
}
LIST_FIELDS = ("issuer_regions", "awarding_bodies", "languages")
ENUM_FIELDS: dict[str, type] = {
    "qf_ehea_cycle": QfEheaCycle,
    "participation_form": ParticipationForm,
    "supervision": Supervision,
    "integration": Integration,
}
# Built once: a CSV import asks about every row's choices.
_ENUM_VALUES = {name: frozenset(m.value for m in cls) for name, cls in ENUM_FIELDS.items()}
OPTIONAL_TEXT_FIELDS = (
    "participation_detail",
    "prerequisites",
    "grading_scheme",
    "stackable_towards",
    "further_information",
    "isced_f",
    "price_note",
)
# The order fields are shown in (diffs, conflict pages).
DISPLAY_ORDER = (
    "title",
    "issuer_regions",
    "awarding_bodies",
    "ects",
    "hours",
    "eqf_level",
    "qf_ehea_cycle",
    "level_not_applicable",
    "nqf_level",
    "max_duration_weeks",
    "assessment_type",
    "participation_form",
    "participation_detail",
    "quality_assurance",
    "prerequisites",
    "supervision",
    "grading_scheme",
    "integration",
    "stackable_towards",
    "further_information",
    "languages",
    "text_language",
    "isced_f",
    "price_note",
)

_TEXT_LIMITS = {
    "title": TITLE_MAX,
    "assessment_type": MEDIUM_TEXT_MAX,
    "quality_assurance": MEDIUM_TEXT_MAX,
    "participation_detail": SHORT_TEXT_MAX,
    "prerequisites": MEDIUM_TEXT_MAX,
    "grading_scheme": MEDIUM_TEXT_MAX,
    "stackable_towards": SHORT_TEXT_MAX,
    "further_information": LONG_TEXT_MAX,
    "price_note": MEDIUM_TEXT_MAX,
}


# ----- errors ------------------------------------------------------------------------------


class CatalogueError(Exception):
    pass


class NotEditable(CatalogueError):
    """The version is not a draft, or the specification is retired."""


class InvalidSpecification(CatalogueError):
    """Values no version may hold (the forms catch them first; imports rely on this)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items()))
        self.problems = problems


class IncompleteSpecification(CatalogueError):
    """Publication refused: mandatory Annex I elements are missing."""

    def __init__(self, report: CompletenessReport) -> None:
        super().__init__(", ".join(e.key for e in report.missing))
        self.report = report


class InUse(CatalogueError):
    """Something else (a case's scope, a feedback campaign) refers to the specification."""


class EditConflict(CatalogueError):
    """Someone saved the draft since the form was loaded (optimistic locking).

    Carries both sides: ``mine`` (what this user submitted) and ``theirs`` (what is saved
    now), and the lock version to submit to overwrite deliberately.
    """

    def __init__(
        self, version: SpecificationVersion, mine: SpecificationData, theirs: SpecificationData
    ) -> None:
        super().__init__(f"version {version.id} was changed by someone else")
        self.version = version
        self.mine = mine
        self.theirs = theirs
        self.current_lock_version = version.lock_version
        self.differences = diff_data(theirs, mine)


# ----- validation --------------------------------------------------------------------------


def validate_data(
    data: SpecificationData, provider_country: str | None = None
) -> dict[str, list[str]]:
    """Problems per field (empty when every value is possible). Completeness is separate.

    ``provider_country`` (ISO 3166-1 alpha-2) chooses the framework an NQF level belongs
    to; without it an NQF level is refused rather than stored unchecked.
    """
    problems: dict[str, list[str]] = {}

    def add(name: str, message: str | None) -> None:
        if message:
            problems.setdefault(name, []).append(message)

    from flask_babel import gettext as _

    for name, limit in _TEXT_LIMITS.items():
        value = getattr(data, name)
        if value and len(value) > limit:
            add(name, _("At most %(max)d characters.", max=limit))
    for code in data.issuer_regions:
        add("issuer_regions", region_problem(code))
    for code in data.languages:
        add("languages", language_problem(code))
    add("text_language", text_language_problem(data.text_language))
    add("ects", ects_problem(data.ects))
    add("hours", hours_problem(data.hours))
    add("eqf_level", eqf_problem(data.eqf_level))
    add("nqf_level", nqf_problem(provider_country, data.nqf_level))
    add("max_duration_weeks", max_duration_problem(data.max_duration_weeks))
    add("isced_f", isced_problem(data.isced_f))
    if len(data.outcomes) > MAX_OUTCOMES:
        add("outcomes", _("At most %(max)d learning outcomes.", max=MAX_OUTCOMES))
    for number, outcome in enumerate(data.outcomes, start=1):
        if len(outcome.statement) > OUTCOME_MAX:
            add(
                "outcomes",
                _("Outcome %(n)d: at most %(max)d characters.", n=number, max=OUTCOME_MAX),
            )
        if outcome.esco_uri and esco_problem(outcome.esco_uri):
            add("outcomes", _("Outcome %(n)d: ", n=number) + (esco_problem(outcome.esco_uri) or ""))
        if outcome.esco_uri and not outcome.statement:
            add("outcomes", _("Outcome %(n)d: an ESCO link needs a statement.", n=number))
    if len(data.awarding_bodies) > MAX_AWARDING_BODIES:
        add("awarding_bodies", _("At most %(max)d awarding bodies.", max=MAX_AWARDING_BODIES))
    for number, body in enumerate(data.awarding_bodies, start=1):
        for problem in awarding_body_problems(body):
            add("awarding_bodies", _("Awarding body %(n)d: ", n=number) + problem)
    for name, values in _ENUM_VALUES.items():
        value = getattr(data, name)
        if value is not None and value not in values:
            add(name, _("Not a valid choice."))
    return problems


def awarding_body_problems(body: dict[str, str]) -> list[str]:
    """What is wrong with one (normalised) awarding body row."""
    from flask_babel import gettext as _

    problems: list[str | None] = []
    for key, limit in _AWARDING_BODY_LIMITS.items():
        if len(body.get(key) or "") > limit:
            problems.append(
                _("%(field)s: at most %(max)d characters.", field=_body_label(key), max=limit)
            )
    problems.append(url_problem(body.get("url")))
    problems.append(vat_id_problem(body.get("vat_id")))
    country, region = body.get("country"), body.get("region")
    problems.append(country_problem(country))
    problems.append(subdivision_problem(region))
    if region and country and "-" in region and country_of(region) != country:
        problems.append(
            _("The region %(region)s is not in %(country)s.", region=region, country=country)
        )
    if not body.get("name"):
        problems.append(_("The awarding body needs a name."))
    return [p for p in problems if p]


def _body_label(key: str) -> str:
    return str(AWARDING_BODY_LABELS[key])


# ----- reading -----------------------------------------------------------------------------


def load_specification(
    session: Session, spec_id: int, provider_id: int | None = None
) -> Specification | None:
    """A specification with its provider, versions and their outcomes (three statements)."""
    stmt = (
        select(Specification)
        .where(Specification.id == spec_id)
        .options(
            selectinload(Specification.provider),
            selectinload(Specification.versions).selectinload(SpecificationVersion.outcomes),
        )
    )
    if provider_id is not None:
        stmt = stmt.where(Specification.provider_id == provider_id)
    return session.execute(stmt).scalar_one_or_none()


def load_by_public_id(session: Session, public_id: str) -> Specification | None:
    return session.execute(
        select(Specification)
        .where(Specification.public_id == public_id)
        .options(
            selectinload(Specification.provider),
            selectinload(Specification.versions).selectinload(SpecificationVersion.outcomes),
        )
    ).scalar_one_or_none()


def default_text_language(session: Session, provider: Organisation, ui_language: str) -> str:
    """What a new specification's texts are most likely written in: those of the provider's
    latest version, else its profile's language, else the visitor's UI language when it is
    an official EU language, else English."""
    latest = session.execute(
        select(SpecificationVersion.text_language)
        .join(Specification)
        .where(Specification.provider_id == provider.id)
        .order_by(SpecificationVersion.updated_at.desc(), SpecificationVersion.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    for candidate in (latest, provider.text_language, ui_language.split("_")[0].lower()):
        if candidate and text_language_problem(candidate) is None:
            return candidate
    return "en"


def draft_of(spec: Specification) -> SpecificationVersion | None:
    return next((v for v in spec.versions if v.status == VersionStatus.DRAFT), None)


def published_of(spec: Specification) -> SpecificationVersion | None:
    return next((v for v in spec.versions if v.status == VersionStatus.PUBLISHED), None)


def latest_of(spec: Specification) -> SpecificationVersion:
    return max(spec.versions, key=lambda v: v.number)


def version_number(spec: Specification, number: int) -> SpecificationVersion | None:
    return next((v for v in spec.versions if v.number == number), None)


def version_history(session: Session, spec: Specification) -> list[SpecificationVersion]:
    """Every version of ``spec``, newest first, with outcomes loaded."""
    return list(
        session.execute(
            select(SpecificationVersion)
            .where(SpecificationVersion.specification_id == spec.id)
            .options(selectinload(SpecificationVersion.outcomes))
            .order_by(SpecificationVersion.number.desc())
        ).scalars()
    )


@dataclass
class SpecificationSummary:
    id: int
    public_id: str
    title: str
    latest_number: int
    latest_status: VersionStatus
    published_number: int | None
    has_draft: bool
    retired: bool
    updated_at: Any


def newest_version_numbers(*conditions: Any) -> Any:
    """A subquery: each specification's id and the number of its newest version (among the
    versions matching ``conditions``), to join a specification to that version."""
    return (
        select(
            SpecificationVersion.specification_id,
            func.max(SpecificationVersion.number).label("number"),
        )
        .where(*conditions)
        .group_by(SpecificationVersion.specification_id)
        .subquery()
    )


def provider_specifications(session: Session, provider_id: int) -> list[SpecificationSummary]:
    """The provider's specifications for the staff list: one aggregate query plus one join."""
    agg = (
        select(
            SpecificationVersion.specification_id.label("spec_id"),
            func.max(SpecificationVersion.number).label("latest"),
            func.max(SpecificationVersion.updated_at).label("updated_at"),
        )
        .join(Specification, Specification.id == SpecificationVersion.specification_id)
        .where(Specification.provider_id == provider_id)
        .group_by(SpecificationVersion.specification_id)
        .subquery()
    )
    published = (
        select(SpecificationVersion.specification_id, SpecificationVersion.number)
        .where(SpecificationVersion.status == VersionStatus.PUBLISHED)
        .subquery()
    )
    drafts = (
        select(SpecificationVersion.specification_id)
        .where(SpecificationVersion.status == VersionStatus.DRAFT)
        .subquery()
    )
    rows = session.execute(
        select(
            Specification.id,
            Specification.public_id,
            Specification.retired_at,
            SpecificationVersion.title,
            SpecificationVersion.number,
            SpecificationVersion.status,
            agg.c.updated_at,
            published.c.number,
            drafts.c.specification_id,
        )
        .join(agg, agg.c.spec_id == Specification.id)
        .join(
            SpecificationVersion,
            (SpecificationVersion.specification_id == Specification.id)
            & (SpecificationVersion.number == agg.c.latest),
        )
        .outerjoin(published, published.c.specification_id == Specification.id)
        .outerjoin(drafts, drafts.c.specification_id == Specification.id)
        .order_by(Specification.retired_at.is_not(None), SpecificationVersion.title)
    ).all()
    return [
        SpecificationSummary(
            id=r[0],
            public_id=r[1],
            retired=r[2] is not None,
            title=r[3],
            latest_number=r[4],
            latest_status=VersionStatus(r[5]),
            updated_at=r[6],
            published_number=r[7],
            has_draft=r[8] is not None,
        )
        for r in rows
    ]


def find_by_title(session: Session, provider_id: int, title: str) -> Specification | None:
    """A provider's specification whose latest version has this title (case-insensitive)."""
    other = aliased(SpecificationVersion)
    latest = (
        select(func.max(other.number))
        .where(other.specification_id == Specification.id)
        .correlate(Specification)
        .scalar_subquery()
    )
    return session.execute(
        select(Specification)
        .join(SpecificationVersion, SpecificationVersion.specification_id == Specification.id)
        .where(
            Specification.provider_id == provider_id,
            SpecificationVersion.number == latest,
            func.lower(SpecificationVersion.title) == title.strip().lower(),
        )
        .limit(1)
    ).scalar_one_or_none()


# ----- writing -----------------------------------------------------------------------------


def _audit(
    session: Session, actor: Actor, action: str, spec: Specification, **details: Any
) -> None:
    record(
        session,
        actor,
        f"specification.{action}",
        object_type="specification",
        object_id=spec.id,
        organisation_id=spec.provider_id,
        details=details,
    )


def _apply(version: SpecificationVersion, data: SpecificationData) -> list[str]:
    """Write ``data`` into a draft; returns the names of the fields that changed."""
    before = SpecificationData.from_version(version) if version.id else None
    for name in SCALAR_FIELDS:
        setattr(version, name, getattr(data, name))
    if data.level_not_applicable:
        version.eqf_level = None
        version.qf_ehea_cycle = None
    version.issuer_regions = list(data.issuer_regions)
    version.awarding_bodies = [dict(b) for b in data.awarding_bodies]
    version.languages = list(data.languages)
    # Update outcome rows in place (position stays unique), append or drop the rest.
    existing = list(version.outcomes)
    for position, outcome in enumerate(data.outcomes):
        if position < len(existing):
            existing[position].statement = outcome.statement
            existing[position].esco_uri = outcome.esco_uri
        else:
            version.outcomes.append(
                LearningOutcome(
                    position=position, statement=outcome.statement, esco_uri=outcome.esco_uri
                )
            )
    for extra in existing[len(data.outcomes) :]:
        version.outcomes.remove(extra)
    if before is None:
        return []
    return [c.key for c in diff_data(before, SpecificationData.from_version(version)) if c.changed]


def _checked(data: SpecificationData, provider: Organisation) -> SpecificationData:
    data = data.normalised()
    problems = validate_data(data, provider.country)
    if problems:
        raise InvalidSpecification(problems)
    return data


def create_specification(
    session: Session, provider: Organisation, data: SpecificationData, actor: Actor
) -> SpecificationVersion:
    """A new specification with its first version, a draft (which may be incomplete)."""
    if not provider.is_provider:
        raise CatalogueError("only providers have a catalogue")
    data = _checked(data, provider)
    spec = Specification(provider_id=provider.id)
    version = SpecificationVersion(
        number=1, status=VersionStatus.DRAFT, created_by_id=actor.user_id
    )
    spec.versions.append(version)
    _apply(version, data)
    session.add(spec)
    session.flush()
    _audit(session, actor, "created", spec, number=1, title=version.title)
    return version


def is_blank(data: SpecificationData) -> bool:
    """True when nothing was entered beyond the text language a new form starts with."""
    cleaned = data.normalised()
    return cleaned == SpecificationData(text_language=cleaned.text_language).normalised()


def completeness_of(data: SpecificationData) -> CompletenessReport:
    """The Annex I check of data that is not stored (nothing is added to a session)."""
    version = SpecificationVersion(number=1, status=VersionStatus.DRAFT)
    _apply(version, data.normalised())
    return check_completeness(version)


def never_published(spec: Specification) -> bool:
    return spec.retired_at is None and all(v.status == VersionStatus.DRAFT for v in spec.versions)


def delete_draft(session: Session, spec: Specification, actor: Actor) -> None:
    """Delete a specification that was never published, with its draft.

    Published ones are part of the record (cases, the register, issued credentials) and are
    retired instead. A draft that a case or a campaign already names raises :class:`InUse`.
    """
    if not never_published(spec):
        raise NotEditable()
    title = latest_of(spec).title if spec.versions else ""
    spec_id, provider_id = spec.id, spec.provider_id
    try:
        with session.begin_nested():
            session.delete(spec)
            session.flush()
    except IntegrityError:
        raise InUse() from None
    record(
        session,
        actor,
        "catalogue.draft_deleted",
        object_type="specification",
        object_id=spec_id,
        organisation_id=provider_id,
        details={"title": title},
    )


def save_draft(
    session: Session,
    version: SpecificationVersion,
    data: SpecificationData,
    actor: Actor,
    *,
    expected_lock_version: int | None = None,
) -> SpecificationVersion:
    """Save a draft (incomplete is fine).

    ``expected_lock_version`` is the lock version the user's form was loaded with; when the
    draft was saved since, :class:`EditConflict` is raised and nothing is written. A race
    between two saves of the same moment ends the same way (the database refuses the stale
    UPDATE; the session is rolled back).
    """
    spec = version.specification
    if version.status != VersionStatus.DRAFT or spec.retired_at is not None:
        raise NotEditable()
    data = _checked(data, spec.provider)
    if expected_lock_version is not None and expected_lock_version != version.lock_version:
        raise EditConflict(version, data, SpecificationData.from_version(version))
    changed = _apply(version, data)
    version.updated_at = utcnow()  # always an UPDATE, so the lock version always moves on
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        fresh = load_specification(session, spec.id)
        assert fresh is not None
        current = next(v for v in fresh.versions if v.id == version.id)
        raise EditConflict(current, data, SpecificationData.from_version(current)) from None
    _audit(session, actor, "draft_saved", spec, number=version.number, changed=changed)
    return version


def publish(session: Session, version: SpecificationVersion, actor: Actor) -> SpecificationVersion:
    """Publish a draft that passes the Annex I check; the published one becomes superseded."""
    spec = version.specification
    if version.status != VersionStatus.DRAFT or spec.retired_at is not None:
        raise NotEditable()
    report = check_completeness(version)
    if not report.is_complete:
        raise IncompleteSpecification(report)
    previous = published_of(spec)
    if previous is not None:
        previous.status = VersionStatus.SUPERSEDED
        session.flush()  # one published version at a time (partial unique index)
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()
    version.published_by_id = actor.user_id
    session.flush()
    search.index_published(session, version)
    public_content_changed(session)
    _audit(
        session,
        actor,
        "published",
        spec,
        number=version.number,
        superseded=previous.number if previous else None,
        weak=[e.key for e in report.weak],
    )
    return version


def new_version(session: Session, spec: Specification, actor: Actor) -> SpecificationVersion:
    """Start editing: a new draft (number + 1) copied from the latest version.

    When a draft is already open, that draft is returned (nothing is created).
    """
    if spec.retired_at is not None:
        raise NotEditable()
    existing = draft_of(spec)
    if existing is not None:
        return existing
    source = published_of(spec) or latest_of(spec)
    data = SpecificationData.from_version(source)
    version = SpecificationVersion(
        number=latest_of(spec).number + 1,
        status=VersionStatus.DRAFT,
        created_by_id=actor.user_id,
    )
    spec.versions.append(version)
    _apply(version, data)
    session.flush()
    _audit(session, actor, "version_started", spec, number=version.number, source=source.number)
    return version


def retire(session: Session, spec: Specification, actor: Actor) -> None:
    """Withdraw a specification: it leaves the public catalogue and can no longer change."""
    if spec.retired_at is not None:
        raise NotEditable()
    retired_numbers = []
    for version in spec.versions:
        if version.status in (VersionStatus.DRAFT, VersionStatus.PUBLISHED):
            version.status = VersionStatus.RETIRED
            retired_numbers.append(version.number)
    spec.retired_at = utcnow()
    session.flush()
    search.unindex(session, spec.id)
    public_content_changed(session)
    _audit(session, actor, "retired", spec, versions=retired_numbers)


# ----- diff --------------------------------------------------------------------------------


def display_value(name: str, value: Any) -> str:
    """A field's value as text for diffs and conflict pages."""
    if value is None or value == "" or value == []:
        return ""
    if name in CHOICE_LABELS:
        labels = CHOICE_LABELS[name]
        return str(labels.get(value, value)) if value in labels else str(value)
    if name == "awarding_bodies":
        return "\n".join(_body_text(b) for b in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        from flask_babel import gettext as _

        return _("yes") if value else ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _body_text(body: dict[str, str]) -> str:
    text = f"{body.get('name', '')} <{body['url']}>" if body.get("url") else body.get("name", "")
    details = [
        f"{_body_label(key)}: {body[key]}"
        for key in ("legal_id", "vat_id", "country", "region", "address")
        if body.get(key)
    ]
    return "; ".join([text, *details]) if details else text


@dataclass
class FieldChange:
    key: str
    label: Any
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class OutcomeChange:
    kind: str  # "same", "changed", "added", "removed"
    old: OutcomeData | None
    new: OutcomeData | None


@dataclass
class VersionDiff:
    old_number: int
    new_number: int
    fields: list[FieldChange]
    outcomes: list[OutcomeChange]

    @property
    def changed_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if f.changed]

    @property
    def outcomes_changed(self) -> bool:
        return any(o.kind != "same" for o in self.outcomes)

    @property
    def has_changes(self) -> bool:
        return bool(self.changed_fields) or self.outcomes_changed


def diff_data(old: SpecificationData, new: SpecificationData) -> list[FieldChange]:
    """Field-by-field comparison; outcomes appear as one field (see :func:`diff_outcomes`)."""
    changes = [
        FieldChange(
            name,
            FIELD_LABELS[name],
            display_value(name, getattr(old, name)),
            display_value(name, getattr(new, name)),
        )
        for name in DISPLAY_ORDER
    ]
    changes.append(
        FieldChange(
            "outcomes",
            FIELD_LABELS["outcomes"],
            _outcomes_text(old.outcomes),
            _outcomes_text(new.outcomes),
        )
    )
    return changes


def _outcomes_text(outcomes: Sequence[OutcomeData]) -> str:
    return "\n".join(
        f"{i}. {o.statement}" + (f" <{o.esco_uri}>" if o.esco_uri else "")
        for i, o in enumerate(outcomes, start=1)
    )


def diff_outcomes(old: Sequence[OutcomeData], new: Sequence[OutcomeData]) -> list[OutcomeChange]:
    """Outcome by outcome, aligned like a text diff (moved rows show as removed + added)."""
    a = [(o.statement, o.esco_uri) for o in old]
    b = [(o.statement, o.esco_uri) for o in new]
    result: list[OutcomeChange] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            result += [
                OutcomeChange("same", old[i], new[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        olds, news = list(old[i1:i2]), list(new[j1:j2])
        paired = min(len(olds), len(news)) if tag == "replace" else 0
        result += [OutcomeChange("changed", olds[k], news[k]) for k in range(paired)]
        result += [OutcomeChange("removed", o, None) for o in olds[paired:]]
        result += [OutcomeChange("added", None, n) for n in news[paired:]]
    return result


def diff_versions(old: SpecificationVersion, new: SpecificationVersion) -> VersionDiff:
    a, b = SpecificationData.from_version(old), SpecificationData.from_version(new)
    fields_ = [c for c in diff_data(a, b) if c.key != "outcomes"]
    return VersionDiff(old.number, new.number, fields_, diff_outcomes(a.outcomes, b.outcomes))


def as_dict(data: SpecificationData) -> dict[str, Any]:
    return asdict(data)


def published_by_public_id(session: Session, public_id: str) -> SpecificationVersion | None:
    """The published version behind a public URL (None for drafts, retired or unknown ids).

    Two statements: the version with its specification and provider, then its outcomes.
    """
    from sqlalchemy.orm import joinedload

    return session.execute(
        select(SpecificationVersion)
        .join(Specification, Specification.id == SpecificationVersion.specification_id)
        .where(
            Specification.public_id == public_id,
            Specification.retired_at.is_(None),
            SpecificationVersion.status == VersionStatus.PUBLISHED,
        )
        .options(
            joinedload(SpecificationVersion.specification).joinedload(Specification.provider),
            selectinload(SpecificationVersion.outcomes),
        )
    ).scalar_one_or_none()
