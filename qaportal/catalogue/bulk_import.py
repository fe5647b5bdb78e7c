"""Writing a checked CSV import as a handful of multi-row INSERTs.

A catalogue of thousands of rows cannot go through :func:`services.create_specification` and
:func:`services.publish` one row at a time (a flush, a search-index update and an audit
event each, some 40-80 ms a row). The rows reaching this module have passed every check the
services make (:func:`qaportal.catalogue.csv_io.parse_catalogue_csv` runs
``services.validate_data`` and the Annex I completeness check on each), so here they are
written per table, with ``executemany`` and ``RETURNING`` where the next table needs ids:
specifications, versions, learning outcomes, then the public catalogue's entries and facets
of the rows that are published. The import's single audit event lists every specification
it created. Everything happens in the caller's transaction: the caller commits, or rolls
back and nothing is stored.

The ORM's mapper events (the immutability guard of published versions) do not fire for
these INSERTs; they guard changes to existing versions, and every row here is new.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qaportal.catalogue import search
from qaportal.catalogue.models import (
    CatalogueEntry,
    CatalogueFacet,
    LearningOutcome,
    Specification,
    SpecificationVersion,
    VersionStatus,
)
from qaportal.catalogue.services import LIST_FIELDS, SCALAR_FIELDS, SpecificationData
from qaportal.db import utcnow

if TYPE_CHECKING:
    from qaportal.audit.services import Actor
    from qaportal.orgs.models import Organisation


# Ids are read back in chunks of this many keys (an IN list per SELECT).
_SELECT_CHUNK = 1000


@dataclass
class BulkRow:
    data: SpecificationData
    publish: bool


@dataclass
class BulkResult:
    public_ids: list[str]
    published: int


def _ids(session: Session, model: Any, rows: list[dict[str, Any]], key: str) -> list[int]:
    """Insert ``rows`` and return their ids in the order of ``rows``; ``key`` names a column
    whose value is unique among the new rows of the table.

    A plain ``executemany`` and then a SELECT of the ids by ``key``, rather than INSERT …
    RETURNING: to return ids in the order of the rows, SQLAlchemy sends SQLite one INSERT per
    row (its RETURNING order is not guaranteed), and the ORM's bulk insert re-assembles its
    results in time that grows with the square of the rows."""
    if not rows:
        return []
    table = model.__table__
    connection = session.connection()
    connection.execute(insert(table), rows)
    column = table.c[key]
    keys = [row[key] for row in rows]
    ids: dict[Any, int] = {}
    for start in range(0, len(keys), _SELECT_CHUNK):
        chunk = keys[start : start + _SELECT_CHUNK]
        ids.update(
            (found_key, found_id)
            for found_id, found_key in connection.execute(
                select(table.c.id, column).where(column.in_(chunk))
            )
        )
    return [ids[k] for k in keys]


def _version_values(
    spec_id: int, data: SpecificationData, publish: bool, user_id: int | None, now: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(data, name) for name in SCALAR_FIELDS}
    for name in LIST_FIELDS:
        values[name] = [dict(v) if isinstance(v, dict) else v for v in getattr(data, name)]
    if data.level_not_applicable:  # as services._apply: no level once "not applicable"
        values["eqf_level"] = None
        values["qf_ehea_cycle"] = None
    values.update(
        specification_id=spec_id,
        number=1,
        status=VersionStatus.PUBLISHED if publish else VersionStatus.DRAFT,
        lock_version=1,
        created_at=now,
        updated_at=now,
        created_by_id=user_id,
        published_at=now if publish else None,
        published_by_id=user_id if publish else None,
    )
    return values


def insert_rows(
    session: Session, provider: Organisation, rows: Sequence[BulkRow], actor: Actor
) -> BulkResult:
    """Create one specification (version 1, a draft or published) per row."""
    now = utcnow()
    public_ids = [str(uuid.uuid4()) for _ in rows]
    spec_ids = _ids(
        session,
        Specification,
        [
            {"public_id": public_id, "provider_id": provider.id, "created_at": now}
            for public_id in public_ids
        ],
        "public_id",
    )
    version_ids = _ids(
        session,
        SpecificationVersion,
        [
            _version_values(spec_id, row.data, row.publish, actor.user_id, now)
            for spec_id, row in zip(spec_ids, rows, strict=True)
        ],
        "specification_id",  # version 1 of a new specification: one each
    )
    outcomes = [
        {
            "version_id": version_id,
            "position": position,
            "statement": outcome.statement,
            "esco_uri": outcome.esco_uri,
        }
        for version_id, row in zip(version_ids, rows, strict=True)
        for position, outcome in enumerate(row.data.outcomes)
    ]
    if outcomes:
        session.connection().execute(insert(LearningOutcome.__table__), outcomes)

    published = [
        (spec_id, version_id, public_id, row.data)
        for spec_id, version_id, public_id, row in zip(
            spec_ids, version_ids, public_ids, rows, strict=True
        )
        if row.publish
    ]
    _index_published(session, provider.id, published, now)
    return BulkResult(public_ids, len(published))


def _index_published(
    session: Session,
    provider_id: int,
    published: list[tuple[int, int, str, SpecificationData]],
    now: Any,
) -> None:
    """The catalogue entries and facets :func:`search.index_published` would write."""
    entry_ids = _ids(
        session,
        CatalogueEntry,
        [
            {
                "specification_id": spec_id,
                "version_id": version_id,
                "provider_id": provider_id,
                "public_id": public_id,
                "title": data.title,
                "outcomes_text": "\n".join(o.statement for o in data.outcomes),
                "eqf_level": None if data.level_not_applicable else data.eqf_level,
                "ects": data.ects,
                "hours": data.hours,
                "participation_form": data.participation_form,
                "published_at": now,
            }
            for spec_id, version_id, public_id, data in published
        ],
        "specification_id",
    )
    facets = [
        {"entry_id": entry_id, "kind": kind, "value": value}
        for entry_id, (_, _, _, data) in zip(entry_ids, published, strict=True)
        # The index reads only the regions and languages, which the data carries too.
        for kind, value in sorted(search._facets_of(data))  # type: ignore[arg-type]
    ]
    if facets:
        session.connection().execute(insert(CatalogueFacet.__table__), facets)
    if entry_ids:
        search.refresh_search_vectors(session, entry_ids)
