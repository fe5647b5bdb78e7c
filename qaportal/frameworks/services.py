"""Loading checked definition files into immutable, versioned snapshots, and finding them.

Loading a file whose canonical content hash matches an existing version of its framework
changes nothing; a changed file creates the next version with its ``Criterion`` rows. Nothing
ever updates an existing version (the models refuse it), so a case that started on version 1
keeps exactly what it started with.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from qaportal.audit.services import Actor, record
from qaportal.frameworks.carry import carry_translations
from qaportal.frameworks.loader import (
    CheckedFile,
    FormError,
    all_errors,
    check_paths,
)
from qaportal.frameworks.models import Criterion, Framework, FrameworkKind, FrameworkVersion
from qaportal.orgs.models import Organisation, OrgKind
from qaportal.paths import FORMS_DIR

SOURCE_FILE_MAX = 300


class FormsInvalid(Exception):
    """Definition files have errors; nothing was loaded."""

    def __init__(self, errors: Sequence[FormError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class LoadResult:
    code: str
    kind: str
    owner_agency_id: int | None
    framework_id: int
    version_id: int
    number: int
    created: bool  # False: the file matched an existing version
    criteria: int
    source_file: str
    carried: int = 0  # older versions that gained this one's translations


def _source_label(checked: CheckedFile) -> str:
    """``forms/<name>`` for shipped files, else the absolute path."""
    path = checked.path.resolve()
    try:
        label = "forms/" + path.relative_to(FORMS_DIR.resolve()).as_posix()
    except ValueError:
        label = str(path)
    return label[-SOURCE_FILE_MAX:]


def resolve_owner_agency(session: Session, reference: str | int) -> Organisation | None:
    """The agency named by ``owner_agency``: its id, or its exact legal name."""
    query = select(Organisation).where(Organisation.kind == OrgKind.AGENCY)
    if isinstance(reference, int) or (isinstance(reference, str) and reference.isdigit()):
        found = session.scalars(query.where(Organisation.id == int(reference))).first()
        if found is not None or isinstance(reference, int):
            return found
    return session.scalars(query.where(Organisation.legal_name == str(reference))).first()


def find_framework(
    session: Session, code: str, owner_agency_id: int | None = None
) -> Framework | None:
    """A shipped framework (``owner_agency_id`` None) or an agency's own, by code."""
    owner = (
        Framework.owner_agency_id.is_(None)
        if owner_agency_id is None
        else Framework.owner_agency_id == owner_agency_id
    )
    return session.scalars(select(Framework).where(Framework.code == code, owner)).first()


def latest_version(session: Session, framework: Framework | int) -> FrameworkVersion | None:
    """The highest-numbered version: the one a new case starts on."""
    framework_id = framework if isinstance(framework, int) else framework.id
    return session.scalars(
        select(FrameworkVersion)
        .where(FrameworkVersion.framework_id == framework_id)
        .order_by(FrameworkVersion.number.desc())
        .limit(1)
    ).first()


def frameworks_for_agency(
    session: Session, agency_id: int | None, *, kind: FrameworkKind | None = None
) -> list[Framework]:
    """The shipped frameworks and, for an agency, its own ones, ordered by code."""
    query = select(Framework).where(
        or_(Framework.owner_agency_id.is_(None), Framework.owner_agency_id == agency_id)
        if agency_id is not None
        else Framework.owner_agency_id.is_(None)
    )
    if kind is not None:
        query = query.where(Framework.kind == kind)
    return list(session.scalars(query.order_by(Framework.code, Framework.id)))


def load_checked(
    session: Session,
    checked: CheckedFile,
    actor: Actor,
    *,
    owner_agency: Organisation | None = None,
) -> LoadResult:
    """Store one checked file as a new version of its framework, unless a version with the
    same content hash exists. Flushes; the caller commits."""
    if not checked.ok or checked.content_hash is None:
        raise FormsInvalid(checked.errors)
    definition = checked.definition
    code: str = definition["code"]
    kind = FrameworkKind(definition["kind"])
    owner_id = owner_agency.id if owner_agency is not None else None
    source = _source_label(checked)

    framework = find_framework(session, code, owner_id)
    if framework is None:
        framework = Framework(code=code, kind=kind, owner_agency_id=owner_id)
        session.add(framework)
        session.flush()
    elif framework.kind != kind:
        message = _(
            'framework "%(code)s" is already loaded as a %(old)s, not a %(new)s',
            code=code,
            old=framework.kind.value,
            new=kind.value,
        )
        raise FormsInvalid([FormError(checked.name, checked.line_of("kind"), "kind", message)])

    existing = session.scalars(
        select(FrameworkVersion).where(
            FrameworkVersion.framework_id == framework.id,
            FrameworkVersion.content_hash == checked.content_hash,
        )
    ).first()
    if existing is not None:
        # Also for an unchanged file: an installation that loaded the translated files before
        # carrying existed catches up on its next load.
        carried = carry_to_older_versions(session, existing, actor)
        return LoadResult(
            code,
            kind.value,
            owner_id,
            framework.id,
            existing.id,
            existing.number,
            False,
            len(existing.criteria),
            existing.source_file or source,
            carried,
        )

    highest = session.scalar(
        select(func.max(FrameworkVersion.number)).where(
            FrameworkVersion.framework_id == framework.id
        )
    )
    version = FrameworkVersion(
        framework_id=framework.id,
        number=(highest or 0) + 1,
        title=definition["title"],
        edition=definition.get("edition"),
        content_hash=checked.content_hash,
        definition=definition,
        source_file=source,
    )
    criteria = _criteria_rows(definition) if kind is FrameworkKind.CRITERIA else []
    version.criteria = criteria
    session.add(version)
    session.flush()
    record(
        session,
        actor,
        "framework.version_loaded",
        object_type="framework_version",
        object_id=version.id,
        organisation_id=owner_id,
        details={
            "code": code,
            "kind": kind.value,
            "number": version.number,
            "content_hash": checked.content_hash,
            "source_file": source,
            "criteria": len(criteria),
        },
    )
    carried = carry_to_older_versions(session, version, actor)
    return LoadResult(
        code,
        kind.value,
        owner_id,
        framework.id,
        version.id,
        version.number,
        True,
        len(criteria),
        source,
        carried,
    )


def carry_to_older_versions(session: Session, version: FrameworkVersion, actor: Actor) -> int:
    """Give every older version of ``version``'s framework its translations of the texts both
    have word for word (:func:`qaportal.frameworks.carry.carry_translations`), on the version
    and on its ``Criterion`` rows; one audit event per version changed. Returns how many
    changed. Flushes; the caller commits."""
    if not version.definition.get("translations"):
        return 0
    older = session.scalars(
        select(FrameworkVersion)
        .where(
            FrameworkVersion.framework_id == version.framework_id,
            FrameworkVersion.number < version.number,
        )
        .options(selectinload(FrameworkVersion.criteria))
        .order_by(FrameworkVersion.number)
    ).all()
    changed = 0
    for old in older:
        source = version.content_hash
        carried = carry_translations(version.definition, old.definition, source=source)
        if carried is None:
            continue
        definition, criteria_codes = carried
        old.definition = definition
        by_code = {str(item["code"]): item for item in definition.get("criteria") or []}
        for row in old.criteria:
            if row.code in by_code and by_code[row.code] != row.definition:
                row.definition = copy.deepcopy(by_code[row.code])
        session.flush()
        changed += 1
        record(
            session,
            actor,
            "framework.translations_carried",
            object_type="framework_version",
            object_id=old.id,
            organisation_id=version.framework.owner_agency_id,
            details={
                "code": version.framework.code,
                "number": old.number,
                "from_number": version.number,
                "languages": sorted((definition.get("translations") or {}).keys()),
                "criteria": len(criteria_codes),
            },
        )
    return changed


def _criteria_rows(definition: dict[str, Any]) -> list[Criterion]:
    return [
        Criterion(
            code=item["code"],
            position=position,
            title=item["title"],
            required=item["required"],
            evidence_required=item["evidence_required"],
            qa_elements=list(item["qa_elements"]),
            definition=item,
            description=item["statement"],
        )
        for position, item in enumerate(definition["criteria"], start=1)
    ]


def check_forms(
    paths: Iterable[str | Path] | None = None, *, extra_dir: str | Path | None = None
) -> list[CheckedFile]:
    """Check the definition files (default: ``forms/`` and the extra directory)."""
    return check_paths(paths, extra_dir=extra_dir)


def load_forms(
    session: Session,
    actor: Actor,
    *,
    paths: Iterable[str | Path] | None = None,
    extra_dir: str | Path | None = None,
) -> list[LoadResult]:
    """Check, then load, every definition file (default: ``forms/`` and ``extra_dir``).

    All or nothing: if any file has an error, or names an agency that does not exist,
    ``FormsInvalid`` lists every error and nothing is loaded. Flushes; the caller commits.
    """
    checked = check_paths(paths, extra_dir=extra_dir)
    errors = all_errors(checked)
    owners: list[Organisation | None] = []
    for item in checked:
        owner: Organisation | None = None
        if item.ok:
            reference = item.definition.get("owner_agency")
            if reference is not None:
                owner = resolve_owner_agency(session, reference)
                if owner is None:
                    message = _('no agency with the legal name or id "%(ref)s"', ref=str(reference))
                    errors.append(
                        FormError(item.name, item.line_of("owner_agency"), "owner_agency", message)
                    )
        owners.append(owner)
    if errors:
        raise FormsInvalid(errors)
    results: list[LoadResult] = []
    for item, owner in zip(checked, owners, strict=True):
        results.append(load_checked(session, item, actor, owner_agency=owner))
    return results
