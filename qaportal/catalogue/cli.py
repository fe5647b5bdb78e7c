"""Scale data for the catalogue: ``qaportal catalogue generate --providers 1000 --specs 10000``.

Deterministic for a given ``--seed``: the same providers, titles, outcomes and public ids
every run. Rows go in with executemany (``INSERT … RETURNING`` in batches), bypassing the
per-object services for speed, and end in the same state the services would leave: a
published version per specification, its catalogue entry and facets (SQLite's FTS5 index
follows through its triggers; PostgreSQL's search vectors are refreshed at the end). Every
tenth specification also gets a draft version 2, which must stay out of the public pages.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.catalogue import search
from qaportal.catalogue.models import (
    CatalogueEntry,
    CatalogueFacet,
    FacetKind,
    LearningOutcome,
    ParticipationForm,
    QfEheaCycle,
    Specification,
    SpecificationVersion,
    Supervision,
    VersionStatus,
)
from qaportal.db import utcnow
from qaportal.orgs.models import Organisation, OrgKind, ProviderType
from qaportal.web.cache import public_content_changed

BATCH = 2000

COUNTRIES = {
    "AT": ["AT-9", "AT-6"],
    "BE": ["BE-BRU", "BE-VLG"],
    "DE": ["DE-BY", "DE-BE", "DE-NW"],
    "DK": ["DK-84"],
    "EE": [],
    "ES": ["ES-MD", "ES-CT"],
    "FI": ["FI-18", "FI-19"],
    "FR": ["FR-IDF", "FR-ARA"],
    "IE": [],
    "IT": ["IT-25", "IT-62"],
    "NL": ["NL-NH", "NL-ZH"],
    "PL": ["PL-14"],
    "PT": ["PT-11"],
    "SE": ["SE-AB"],
}
LANGUAGES = {
    "AT": "de",
    "BE": "nl",
    "DE": "de",
    "DK": "da",
    "EE": "et",
    "ES": "es",
    "FI": "fi",
    "FR": "fr",
    "IE": "en",
    "IT": "it",
    "NL": "nl",
    "PL": "pl",
    "PT": "pt",
    "SE": "sv",
}
TOPICS = [
    "Data Analytics",
    "Cybersecurity",
    "Renewable Energy Systems",
    "Project Management",
    "Digital Marketing",
    "Circular Economy",
    "Welding Technology",
    "Early Childhood Education",
    "Healthcare Informatics",
    "Supply Chain Logistics",
    "Cloud Computing",
    "Sustainable Agriculture",
    "Artificial Intelligence",
    "Financial Literacy",
    "Building Information Modelling",
    "Intercultural Communication",
    "Robotics Maintenance",
    "Public Procurement",
    "Water Management",
    "User Experience Design",
]
LEVELS = ["Introduction to", "Foundations of", "Applied", "Advanced", "Professional"]
AUDIENCES = [
    "for Engineers",
    "for Managers",
    "for Teachers",
    "for SMEs",
    "for Care Workers",
    "for Public Servants",
    "in Practice",
    "for Career Changers",
]
VERBS = ["Analyse", "Design", "Evaluate", "Apply", "Explain", "Implement", "Assess", "Develop"]
OBJECTS = [
    "the core methods of {topic}",
    "a small project in {topic} from plan to delivery",
    "risks and quality issues in {topic}",
    "tools commonly used in {topic}",
    "the regulatory framework that governs {topic}",
    "results of {topic} work to non-specialists",
]
CONTEXTS = ["in a workplace setting", "in a team", "under supervision", "independently", ""]
PROVIDER_WORDS = ["Institute", "Academy", "College", "University", "Training Centre", "School"]
QA_TEXT = "Internal QA system, externally reviewed by a registered agency"
PLACES = ["North", "South", "East", "West", "Central", "Riverside", "Lakeside", "Hill", "Harbour"]


class GenerateError(Exception):
    pass


@dataclass
class GenerateResult:
    providers: int
    specifications: int
    drafts: int
    outcomes: int


def _batches(
    rows: Sequence[dict[str, Any]], size: int = BATCH
) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert_returning_ids(
    session: Session, model: Any, rows: list[dict[str, Any]], key: str
) -> list[int]:
    """Batched INSERT … RETURNING (SQLAlchemy's "insertmanyvalues"); ids in row order.

    Rows are matched back through a unique ``key`` column instead of asking the database
    to keep parameter order, which would make SQLite insert one row per statement.
    """
    table = model.__table__
    by_key: dict[Any, int] = {}
    for batch in _batches(rows):
        result = session.execute(insert(table).returning(table.c.id, table.c[key]), batch)
        by_key.update((k, i) for i, k in result.all())
    return [by_key[row[key]] for row in rows]


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    table = model.__table__
    for batch in _batches(rows):
        session.execute(insert(table), batch)


ANALYZED_TABLES = (
    "organisations",
    "specifications",
    "specification_versions",
    "learning_outcomes",
    "catalogue_entries",
    "catalogue_facets",
)


def _analyze(session: Session) -> None:
    """Fresh planner statistics after a bulk load (otherwise PostgreSQL plans for 8 rows)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE " + ", ".join(ANALYZED_TABLES)))
    else:
        session.execute(text("ANALYZE"))


def _agency_id(session: Session) -> int | None:
    return session.execute(
        select(Organisation.id).where(Organisation.kind == OrgKind.AGENCY).limit(1)
    ).scalar_one_or_none()


def generate_catalogue(
    session: Session, providers: int, specs: int, seed: int = 1, actor: Actor | None = None
) -> GenerateResult:
    """Insert ``providers`` providers and ``specs`` published specifications.

    The caller commits.
    """
    rng = random.Random(seed)
    now = utcnow()
    agency_id = _agency_id(session)

    # --- providers
    provider_rows = []
    for i in range(providers):
        country = rng.choice(sorted(COUNTRIES))
        regions = COUNTRIES[country]
        provider_rows.append(
            {
                "kind": OrgKind.PROVIDER,
                "legal_name": f"{rng.choice(PLACES)} {rng.choice(PROVIDER_WORDS)} {seed}-{i + 1}",
                "acronym": f"P{seed}-{i + 1}",
                "country": country,
                "region": rng.choice(regions) if regions and rng.random() < 0.5 else None,
                "provider_type": rng.choice(list(ProviderType)),
                "website": f"https://provider-{seed}-{i + 1}.example.org",
                "managing_agency_id": agency_id,
            }
        )
    provider_ids = _insert_returning_ids(session, Organisation, provider_rows, "acronym")
    provider_country = {
        pid: row["country"] for pid, row in zip(provider_ids, provider_rows, strict=True)
    }

    # --- specifications and their published versions (content drawn once per spec)
    spec_rows, contents = [], []
    for _i in range(specs):
        provider_id = rng.choice(provider_ids)
        country = provider_country[provider_id]
        topic = rng.choice(TOPICS)
        title = f"{rng.choice(LEVELS)} {topic} {rng.choice(AUDIENCES)}"
        regions = [country]
        if COUNTRIES[country] and rng.random() < 0.4:
            regions.append(rng.choice(COUNTRIES[country]))
        languages = [LANGUAGES[country]] + (
            ["en"] if LANGUAGES[country] != "en" and rng.random() < 0.5 else []
        )
        outcomes = []
        for _ in range(rng.randint(3, 6)):
            context = rng.choice(CONTEXTS)
            outcomes.append(
                f"{rng.choice(VERBS)} {rng.choice(OBJECTS).format(topic=topic.lower())}"
                + (f" {context}" if context else "")
            )
        ects = (
            Decimal(rng.choice(["1", "2", "2.5", "3", "4", "5", "6", "10"]))
            if rng.random() < 0.8
            else None
        )
        hours = int((ects or Decimal(rng.randint(1, 6))) * rng.choice([25, 27, 30]))
        eqf = rng.randint(3, 8)
        cycle = {
            5: QfEheaCycle.SHORT,
            6: QfEheaCycle.FIRST,
            7: QfEheaCycle.SECOND,
            8: QfEheaCycle.THIRD,
        }.get(eqf)
        spec_rows.append(
            {
                "public_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "provider_id": provider_id,
                "created_at": now,
            }
        )
        contents.append(
            {
                "title": title,
                "issuer_regions": regions,
                "awarding_bodies": [{"name": f"Awarding body of provider {provider_id}"}],
                "ects": ects,
                "hours": hours,
                "eqf_level": eqf,
                "qf_ehea_cycle": cycle,
                "level_not_applicable": False,
                "assessment_type": rng.choice(
                    [
                        "Written exam of 90 minutes",
                        "Graded project with an oral defence",
                        "Portfolio of work assessed by two assessors",
                        "Practical demonstration observed at the workplace",
                    ]
                ),
                "participation_form": rng.choice(list(ParticipationForm)[:4]),
                "quality_assurance": QA_TEXT,
                "supervision": rng.choice(list(Supervision)),
                "languages": languages,
                "_outcomes": outcomes,
            }
        )
    if (
        spec_rows
        and session.execute(
            select(Specification.id).where(Specification.public_id == spec_rows[0]["public_id"])
        ).first()
    ):
        raise GenerateError(f"data of seed {seed} is already in this database; use another seed")
    spec_ids = _insert_returning_ids(session, Specification, spec_rows, "public_id")

    version_rows = []
    for spec_id, content in zip(spec_ids, contents, strict=True):
        row = {k: v for k, v in content.items() if not k.startswith("_")}
        row.update(
            specification_id=spec_id,
            number=1,
            status=VersionStatus.PUBLISHED,
            lock_version=1,
            created_at=now,
            updated_at=now,
            published_at=now,
        )
        version_rows.append(row)
    version_ids = _insert_returning_ids(
        session, SpecificationVersion, version_rows, "specification_id"
    )

    draft_rows = []
    for index in range(len(spec_ids)):
        if index % 10 == 9:
            row = dict(version_rows[index])
            row.update(
                number=2,
                status=VersionStatus.DRAFT,
                published_at=None,
                title=row["title"] + " (revised draft)",
            )
            draft_rows.append(row)
    _insert(session, SpecificationVersion, draft_rows)

    outcome_rows = [
        {"version_id": version_id, "position": position, "statement": statement}
        for version_id, content in zip(version_ids, contents, strict=True)
        for position, statement in enumerate(content["_outcomes"])
    ]
    _insert(session, LearningOutcome, outcome_rows)

    # --- the public catalogue's index, exactly as services.publish leaves it
    entry_rows = [
        {
            "specification_id": spec_id,
            "version_id": version_id,
            "provider_id": spec_row["provider_id"],
            "public_id": spec_row["public_id"],
            "title": content["title"],
            "outcomes_text": "\n".join(content["_outcomes"]),
            "eqf_level": content["eqf_level"],
            "ects": content["ects"],
            "hours": content["hours"],
            "participation_form": content["participation_form"],
            "published_at": now,
        }
        for spec_id, version_id, spec_row, content in zip(
            spec_ids, version_ids, spec_rows, contents, strict=True
        )
    ]
    entry_ids = _insert_returning_ids(session, CatalogueEntry, entry_rows, "specification_id")
    facet_rows = []
    for entry_id, content in zip(entry_ids, contents, strict=True):
        seen = set()
        for code in content["issuer_regions"]:
            seen.add((FacetKind.COUNTRY, code.split("-")[0]))
            if "-" in code:
                seen.add((FacetKind.REGION, code))
        for code in content["languages"]:
            seen.add((FacetKind.LANGUAGE, code))
        facet_rows += [{"entry_id": entry_id, "kind": k, "value": v} for k, v in sorted(seen)]
    _insert(session, CatalogueFacet, facet_rows)
    search.refresh_search_vectors(session)
    _analyze(session)
    # Published like the services publish: the public pages and their kept totals and
    # facet counts are renewed once the caller commits.
    public_content_changed(session)

    result = GenerateResult(providers, specs, len(draft_rows), len(outcome_rows))
    record(
        session,
        actor or Actor.system("catalogue generate"),
        "catalogue.generated",
        details={"seed": seed, **result.__dict__},
    )
    return result


def register(bp: Any) -> None:
    """``qaportal catalogue …`` commands, attached to the catalogue blueprint."""

    @bp.cli.command("generate")
    @click.option("--providers", default=1000, show_default=True, type=click.IntRange(1))
    @click.option("--specs", default=10000, show_default=True, type=click.IntRange(0))
    @click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
    @with_appcontext
    def generate(providers: int, specs: int, seed: int) -> None:
        """Insert scale data: PROVIDERS providers and SPECS published specifications."""
        import time

        from qaportal.db import get_session

        session = get_session()
        started = time.perf_counter()
        try:
            result = generate_catalogue(session, providers, specs, seed)
        except GenerateError as exc:
            session.rollback()
            raise click.ClickException(str(exc)) from exc
        session.commit()
        click.echo(
            f"Inserted {result.providers} providers, {result.specifications} published "
            f"specifications ({result.drafts} with a draft), {result.outcomes} learning outcomes "
            f"in {time.perf_counter() - started:.1f} s."
        )
