"""Scale data for the load test, written into the production shape's database.

    . "$(scripts/production-shape.sh env)"   # or let ``python -m tests.load.run`` do it
    python -m tests.load.seed [--scale 1.0] [--out RUN/load]

At scale 1: the demo (its users, cases at every stage and a published decision with its
report), 1,000 providers and 10,000 published specifications (``qaportal catalogue
generate``), 2,000 cases across those providers, and 1,000,000 feedback answers in twenty
campaigns; then an open campaign whose one-time codes the load test spends. ``--scale 0.1``
makes a tenth of everything. Each part is skipped when it is already there, so a second run
only prints what it finds.

The bulk parts go straight to the tables (Core inserts in batches): they bypass the
submission path, so the feedback counts are rebuilt from the stored answers afterwards, as
``qaportal feedback rebuild-aggregates`` does. Writes ``seed.json`` (logins, ids) and
``codes.txt`` (the unused survey codes, one a line) into ``--out`` for the locustfile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from qaportal import create_app
from qaportal.audit.services import Actor
from qaportal.cases.models import Case, CaseFramework, CaseState
from qaportal.catalogue.cli import generate_catalogue
from qaportal.catalogue.models import Specification, SpecificationVersion, VersionStatus
from qaportal.db import get_session, utcnow
from qaportal.demo import ACCOUNTS, seed_all
from qaportal.feedback import aggregates, services
from qaportal.feedback import questionnaire as qn
from qaportal.feedback.models import (
    Campaign,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackKind,
    FeedbackResponse,
    InvitationChannel,
    ResponseCount,
)
from qaportal.orgs.models import Organisation
from qaportal.register.models import RegisterPublication

ACTOR = Actor.system("load-seed")
GENERATED_SEED = 14  # the providers of `catalogue generate --seed 14` are this run's
LOAD_CAMPAIGN = "Load test campaign"
BULK_CAMPAIGNS = 20
RNG = random.Random(20261130)
OPEN_STATES = [
    CaseState.DRAFT,
    CaseState.SUBMITTED,
    CaseState.IN_REVIEW,
    CaseState.FACTUAL_CHECK,
    CaseState.DECISION_PENDING,
    CaseState.FOLLOW_UP,
    CaseState.CLOSED,
]


def _say(message: str, started: float) -> None:
    print(f"  [{time.perf_counter() - started:6.1f}s] {message}", flush=True)


def _agency_id(db: Any) -> int:
    return db.execute(
        select(Organisation.id).where(Organisation.legal_name.like("%Agency%")).limit(1)
    ).scalar_one()


def _generated_providers(db: Any) -> list[int]:
    return list(
        db.execute(
            select(Organisation.id)
            .where(Organisation.acronym.like(f"P{GENERATED_SEED}-%"))
            .order_by(Organisation.id)
        ).scalars()
    )


def seed_catalogue(db: Any, providers: int, specs: int, started: float) -> list[int]:
    have = _generated_providers(db)
    if have:
        _say(f"catalogue: {len(have)} generated providers already there", started)
        return have
    result = generate_catalogue(db, providers, specs, GENERATED_SEED, ACTOR)
    db.commit()
    _say(f"catalogue: {result.providers} providers, {result.specifications} specs", started)
    return _generated_providers(db)


def seed_cases(db: Any, provider_ids: list[int], count: int, started: float) -> None:
    prefix = "LOAD-"
    have = db.execute(
        select(func.count()).select_from(Case).where(Case.reference.like(prefix + "%"))
    ).scalar_one()
    if have:
        _say(f"cases: {have} already there", started)
        return
    agency_id = _agency_id(db)
    # Every case asks the framework the demo's draft case asks, so its pages have criteria.
    framework_version_id = db.execute(
        select(CaseFramework.framework_version_id).limit(1)
    ).scalar_one()
    engine = db.get_bind()
    now = utcnow()
    rows = [
        {
            "reference": f"{prefix}{i + 1:06d}",
            "provider_id": RNG.choice(provider_ids),
            "agency_id": agency_id,
            "state": RNG.choice(OPEN_STATES).value,
            "title": f"Accreditation review {i + 1}",
            "contact_name": "Load Contact",
            "contact_email": f"contact{i + 1}@load.example.org",
            "created_at": now - dt.timedelta(days=RNG.randint(0, 700)),
            "lock_version": 1,
        }
        for i in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Case.__table__), rows)
        ids = conn.execute(
            select(Case.id).where(Case.reference.like(prefix + "%")).order_by(Case.id)
        ).scalars()
        conn.execute(
            insert(CaseFramework.__table__),
            [
                {"case_id": case_id, "framework_version_id": framework_version_id, "required": True}
                for case_id in ids
            ],
        )
    _say(f"cases: {count} inserted", started)


def _answers(questionnaire: qn.Questionnaire) -> list[tuple[str, str, int | None, str | None]]:
    """(item, choice, value, text) of one plausible response."""
    out: list[tuple[str, str, int | None, str | None]] = []
    for item in questionnaire.items:
        if item.is_likert and RNG.random() < 0.95:
            out.append((item.code, "", RNG.choice([1, 2, 3, 3, 4, 4, 4, 5, 5]), None))
        elif item.type == qn.SINGLE and RNG.random() < 0.9:
            out.append((item.code, RNG.choice(item.options).code, None, None))
        elif item.type == qn.MULTIPLE:
            out += [(item.code, o.code, None, None) for o in RNG.sample(item.options, 2)]
        elif item.is_text and RNG.random() < 0.2:
            out.append((item.code, "", None, "A comment about the course " + "x" * 40))
    return out


def _new_campaign(db: Any, provider: Organisation, spec_id: int, title: str) -> Campaign:
    today = utcnow().date()
    return services.create_campaign(
        db,
        provider,
        kind=FeedbackKind.LEARNER,
        title=title,
        opens_on=today,
        closes_on=today + dt.timedelta(days=300),
        specification_ids=[spec_id],
        actor=ACTOR,
    )


def seed_feedback(db: Any, provider_ids: list[int], answers: int, started: float) -> None:
    have = db.execute(
        select(func.count())
        .select_from(FeedbackAnswer)
        .join(Campaign, Campaign.id == FeedbackAnswer.campaign_id)
        .where(Campaign.title.like("Bulk %"))
    ).scalar_one()
    if have:
        _say(f"feedback: {have} bulk answers already there", started)
        bulk = list(db.execute(select(Campaign.id).where(Campaign.title.like("Bulk %"))).scalars())
        counted = db.execute(
            select(func.count())
            .select_from(ResponseCount)
            .where(ResponseCount.campaign_id.in_(bulk))
        ).scalar_one()
        if not counted:
            _rebuild_counts(db, bulk, started)
        return
    campaigns = []
    for i, provider_id in enumerate(provider_ids[:BULK_CAMPAIGNS]):
        spec_id = db.execute(
            select(Specification.id).where(Specification.provider_id == provider_id).limit(1)
        ).scalar_one_or_none()
        if spec_id is None:
            continue
        provider = db.get(Organisation, provider_id)
        campaigns.append((_new_campaign(db, provider, spec_id, f"Bulk {i + 1}"), spec_id))
    db.commit()
    engine = db.get_bind()
    per_campaign = answers // len(campaigns)
    today = utcnow().date()
    for campaign, spec_id in campaigns:
        questionnaire = qn.for_version(campaign.questionnaire_version)
        written = 0
        while written < per_campaign:
            invitations, responses, rows = [], [], []
            while written + len(rows) < per_campaign and len(rows) < 50_000:
                rid = str(uuid.uuid4())
                invitations.append(
                    {
                        "campaign_id": campaign.id,
                        "channel": InvitationChannel.CODE.value,
                        "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
                        "used": True,
                        "reminders_sent": 0,
                        "created_at": utcnow(),
                    }
                )
                responses.append(
                    {
                        "id": rid,
                        "campaign_id": campaign.id,
                        "questionnaire_version_id": campaign.questionnaire_version_id,
                        "specification_id": spec_id,
                        "submitted_on": today,
                    }
                )
                for item, choice, value, text in _answers(questionnaire):
                    rows.append(
                        {
                            "response_id": rid,
                            "campaign_id": campaign.id,
                            "specification_id": spec_id,
                            "item_code": item,
                            "choice": choice,
                            "value": value,
                            "text": text,
                        }
                    )
            with engine.begin() as conn:
                conn.execute(insert(FeedbackInvitation.__table__), invitations)
                conn.execute(insert(FeedbackResponse.__table__), responses)
                conn.execute(insert(FeedbackAnswer.__table__), rows)
            written += len(rows)
        _say(f"feedback: campaign {campaign.id}: {written} answers", started)
    _rebuild_counts(db, [c.id for c, _ in campaigns], started)


def _rebuild_counts(db: Any, campaign_ids: list[int], started: float) -> None:
    # Fresh statistics first: planned on the empty table's, the recount's self-join of the
    # answers is a nested loop over a million rows (minutes per campaign instead of seconds).
    db.commit()
    with db.get_bind().begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    aggregates.rebuild(db, campaign_ids)
    db.commit()
    _say("feedback: counts rebuilt from the answers", started)


def load_campaign(db: Any, codes: int, started: float) -> tuple[int, list[str]]:
    """An open campaign of the demo university and ``codes`` fresh one-time codes."""
    udv = db.execute(
        select(Organisation).where(Organisation.legal_name == "University of Demoville")
    ).scalar_one()
    campaign = db.execute(
        select(Campaign).where(Campaign.title == LOAD_CAMPAIGN)
    ).scalar_one_or_none()
    if campaign is None:
        spec_id = db.execute(
            select(Specification.id).where(Specification.provider_id == udv.id).limit(1)
        ).scalar_one()
        campaign = _new_campaign(db, udv, spec_id, LOAD_CAMPAIGN)
        db.commit()
    tokens: list[str] = []
    while len(tokens) < codes:
        batch = min(services.MAX_CODES_PER_BATCH, codes - len(tokens))
        printed = services.generate_codes(db, campaign, batch, ACTOR, "https://x")
        tokens += [p.url.rsplit("/", 1)[1] for p in printed]
    db.commit()
    _say(f"load campaign {campaign.id}: {len(tokens)} new codes", started)
    return campaign.id, tokens


def _public_ids(db: Any) -> list[str]:
    """Specifications the public catalogue shows (a draft has a public id already)."""
    return list(
        db.execute(
            select(Specification.public_id)
            .join(SpecificationVersion)
            .where(SpecificationVersion.status == VersionStatus.PUBLISHED)
            .order_by(func.random())
            .limit(500)
        ).scalars()
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the issue's sizes")
    parser.add_argument("--codes", type=int, default=20_000, help="survey codes to spend")
    parser.add_argument("--out", type=Path, default=None, help="default: <instance>/../load")
    args = parser.parse_args(argv)
    if os.environ.get("QAPORTAL_ENV") != "production":
        parser.error("load the production shape's env file first (see the docstring)")
    started = time.perf_counter()
    app = create_app()
    out = args.out or Path(app.instance_path).parent / "load"
    out.mkdir(parents=True, exist_ok=True)
    marker, seed_file = out / "scale", out / "seed.json"
    if marker.exists() and float(marker.read_text()) != args.scale:
        parser.error(
            f"this shape holds scale {marker.read_text().strip()} data: stop it and delete its "
            "run folder (or use another QAPORTAL_SHAPE_DIR) to seed another scale"
        )
    if marker.exists() and seed_file.exists():
        # Seeded before: only fresh codes, since the last run spent its own.
        with app.app_context():
            _campaign_id, tokens = load_campaign(get_session(), args.codes, started)
            info = json.loads(seed_file.read_text())
            info["public_ids"] = _public_ids(get_session())
        seed_file.write_text(json.dumps(info, indent=1))
        (out / "codes.txt").write_text("\n".join(tokens) + "\n")
        return
    marker.write_text(str(args.scale))
    with app.app_context():
        db = get_session()
        summary = seed_all(db)
        _say("demo seeded", started)
        providers = seed_catalogue(
            db, max(1, int(1000 * args.scale)), int(10_000 * args.scale), started
        )
        seed_cases(db, providers, int(2000 * args.scale), started)
        seed_feedback(db, providers, int(1_000_000 * args.scale), started)
        campaign_id, tokens = load_campaign(db, args.codes, started)
        udv_id = db.execute(
            select(Organisation.id).where(Organisation.legal_name == "University of Demoville")
        ).scalar_one()
        draft = db.execute(
            select(Case.id).where(Case.reference == summary.case_reference)
        ).scalar_one()
        foreign_case = db.execute(
            select(Case.id).where(Case.provider_id != udv_id).order_by(Case.id.desc()).limit(1)
        ).scalar_one()
        decisions = list(db.execute(select(RegisterPublication.decision_id)).scalars())
        public_ids = _public_ids(db)
    info = {
        "password": summary.password,
        "accounts": [[email, role.value, org] for email, _n, role, org in ACCOUNTS],
        "udv_id": udv_id,
        "draft_case_id": draft,
        "foreign_case_id": foreign_case,
        "load_campaign_id": campaign_id,
        "decision_ids": decisions,
        "public_ids": public_ids,
        "provider_ids": providers[:500],
    }
    seed_file.write_text(json.dumps(info, indent=1))
    (out / "codes.txt").write_text("\n".join(tokens) + "\n")
    _say(f"wrote {out / 'seed.json'} and {len(tokens)} codes", started)


if __name__ == "__main__":
    main()
