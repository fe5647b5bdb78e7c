"""Feedback benchmark (prints figures; not collected by pytest).

    python tests/benchmarks/bench_feedback.py [--submissions 400] [--responses 100000]
                                               [--database-url URL]

(a) Ingestion: survey submissions per second through the full HTTP stack (Flask test client,
    CSRF, form validation, the atomic use of the invitation, commit), against the rate of
    bare commits of the same rows (SQLAlchemy Core, one transaction per response) measured
    in the same run on the same database, one of each in turn.
(b) Results: a campaign with ``--responses`` responses (default 100,000; about 13 answer rows
    each) renders its results page from the maintained counts; prints the median time beside
    the SQL the page ran on every view before the counts were maintained (a GROUP BY over
    every answer) and the bare SQL the page runs now, all in the same run.

Default database: a fresh SQLite file in a temporary folder. ``--database-url`` points it at
an empty PostgreSQL database instead (it is migrated; its tables are then filled).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, update  # noqa: E402

from qaportal import create_app  # noqa: E402
from qaportal.audit.services import Actor  # noqa: E402
from qaportal.auth.tokens import hash_token  # noqa: E402
from qaportal.catalogue.models import Specification, SpecificationVersion  # noqa: E402
from qaportal.db import get_session, utcnow  # noqa: E402
from qaportal.feedback import aggregates, services  # noqa: E402
from qaportal.feedback import questionnaire as qn  # noqa: E402
from qaportal.feedback.models import (  # noqa: E402
    AnswerCount,
    Campaign,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackKind,
    FeedbackResponse,
    InvitationChannel,
    ResponseCount,
)
from qaportal.feedback.results import comment_sample  # noqa: E402
from qaportal.orgs.models import Organisation  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RNG = random.Random(20260616)


def _app(url: str, instance: Path) -> Any:
    from qaportal.migrate import upgrade

    upgrade("head", url=url)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench-" + "x" * 40,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://localhost",
        }
    )


def _setup(app: Any) -> tuple[str, str, int, int]:
    """Demo data, one specification and two campaigns; returns login, password and ids."""
    from qaportal.demo import seed_demo

    with app.app_context():
        logins = seed_demo()
        db = get_session()
        udv = db.execute(
            select(Organisation).where(Organisation.legal_name == "University of Demoville")
        ).scalar_one()
        spec = Specification(provider_id=udv.id)
        spec.versions.append(SpecificationVersion(number=1, title="Data literacy"))
        db.add(spec)
        db.flush()
        today = utcnow().date()
        ids = []
        for title in ("Ingestion", "Results"):
            campaign = services.create_campaign(
                db,
                udv,
                kind=FeedbackKind.LEARNER,
                title=title,
                opens_on=today,
                closes_on=today + dt.timedelta(days=300),
                specification_ids=[spec.id],
                actor=Actor.system("bench"),
            )
            ids.append(campaign.id)
        db.commit()
        return "admin@university.example.org", logins.password, ids[0], ids[1]


def _answers_for(questionnaire: qn.Questionnaire) -> dict[str, Any]:
    """A plausible random set of form answers (field name → value)."""
    data: dict[str, Any] = {}
    for item in questionnaire.items:
        if item.is_likert and RNG.random() < 0.95:
            data["q_" + item.code] = str(RNG.choice([1, 2, 3, 3, 4, 4, 4, 5, 5]))
        elif item.type == qn.SINGLE and RNG.random() < 0.9:
            data["q_" + item.code] = RNG.choice(item.options).code
        elif item.type == qn.MULTIPLE:
            data["q_" + item.code] = [o.code for o in RNG.sample(item.options, 2)]
        elif item.is_text and RNG.random() < 0.2:
            data["q_" + item.code] = "A comment about the course, " + "x" * RNG.randint(10, 200)
    return data


def _rows(
    questionnaire: qn.Questionnaire,
    response_id: str,
    campaign_id: int,
    spec_id: int,
    form: dict[str, Any],
) -> list[dict[str, Any]]:
    rows = []
    for item in questionnaire.items:
        value = form.get("q_" + item.code)
        if value is None:
            continue
        base = {
            "response_id": response_id,
            "campaign_id": campaign_id,
            "specification_id": spec_id,
            "item_code": item.code,
        }
        if item.is_likert:
            rows.append({**base, "choice": "", "value": int(value), "text": None})
        elif item.is_choice:
            for option in value if isinstance(value, list) else [value]:
                rows.append({**base, "choice": option, "value": None, "text": None})
        else:
            rows.append({**base, "choice": "", "value": None, "text": value})
    return rows


def _codes(app: Any, campaign_id: int, count: int) -> list[str]:
    with app.app_context():
        db = get_session()
        campaign = services.load_campaign(db, campaign_id)
        tokens = []
        for start in range(0, count, services.MAX_CODES_PER_BATCH):
            batch = min(services.MAX_CODES_PER_BATCH, count - start)
            printed = services.generate_codes(
                db, campaign, batch, Actor.system("bench"), "http://x"
            )
            tokens += [p.url.rsplit("/", 1)[1] for p in printed]
        db.commit()
        return tokens


def _bare_commit(
    engine: Any,
    work: tuple[int, str, list[dict[str, Any]]],
    campaign_id: int,
    version_id: int,
    spec_id: int,
    today: dt.date,
) -> None:
    """One response committed bare: one transaction, no web stack."""
    invitation_id, rid, rows = work
    with engine.begin() as conn:
        conn.execute(
            update(FeedbackInvitation)
            .where(FeedbackInvitation.id == invitation_id, FeedbackInvitation.used.is_(False))
            .values(used=True)
        )
        conn.execute(
            insert(FeedbackResponse).values(
                id=rid,
                campaign_id=campaign_id,
                questionnaire_version_id=version_id,
                specification_id=spec_id,
                submitted_on=today,
            )
        )
        if rows:
            conn.execute(insert(FeedbackAnswer), rows)


def bench_ingestion(app: Any, campaign_id: int, count: int) -> None:
    with app.app_context():
        db = get_session()
        campaign = services.load_campaign(db, campaign_id)
        questionnaire = qn.for_version(campaign.questionnaire_version)
        version_id = campaign.questionnaire_version_id
        spec_id = campaign.specification_ids[0]
    tokens = _codes(app, campaign_id, 2 * count)
    http_tokens, bare_tokens = tokens[:count], tokens[count:]

    # Each respondent opens the link and loads the page first (not timed); then the
    # submission itself is timed: CSRF check, validation, UPDATE … WHERE NOT used, INSERTs,
    # commit, redirect.
    prepared = []
    for token in http_tokens:
        client = app.test_client()
        assert client.get(f"/f/{token}").status_code == 303
        page = client.get("/f").get_data(as_text=True)
        prepared.append(
            (client, {"csrf_token": CSRF_RE.search(page).group(1), **_answers_for(questionnaire)})
        )

    # Bare commits of the same rows: one transaction per response, no web stack.
    engine = app.extensions["qaportal.engine"]
    with app.app_context():
        ids = dict(
            get_session()
            .execute(
                select(FeedbackInvitation.token_hash, FeedbackInvitation.id).where(
                    FeedbackInvitation.token_hash.in_([hash_token(t) for t in bare_tokens])
                )
            )
            .all()
        )
    work = []
    for token in bare_tokens:
        rid = str(uuid.uuid4())
        work.append(
            (
                ids[hash_token(token)],
                rid,
                _rows(questionnaire, rid, campaign_id, spec_id, _answers_for(questionnaire)),
            )
        )
    today = utcnow().date()

    # Interleaved, one of each in turn (which goes first alternates), so that whatever else
    # the machine does weighs on both alike.
    http_seconds = bare_seconds = 0.0
    for k, ((client, data), bare) in enumerate(zip(prepared, work, strict=True)):
        for step in ("http", "bare") if k % 2 == 0 else ("bare", "http"):
            start = time.perf_counter()
            if step == "http":
                response = client.post("/f", data=data)
                assert response.status_code == 303, response.status_code
                http_seconds += time.perf_counter() - start
            else:
                _bare_commit(engine, bare, campaign_id, version_id, spec_id, today)
                bare_seconds += time.perf_counter() - start

    # The same full journey, timed end to end (link, page, submission).
    journey_tokens = _codes(app, campaign_id, min(count, 200))
    start = time.perf_counter()
    for token in journey_tokens:
        client = app.test_client()
        client.get(f"/f/{token}")
        page = client.get("/f").get_data(as_text=True)
        client.post(
            "/f", data={"csrf_token": CSRF_RE.search(page).group(1), **_answers_for(questionnaire)}
        )
    journey_seconds = time.perf_counter() - start

    http_rate = count / http_seconds
    bare_rate = count / bare_seconds
    journey_rate = len(journey_tokens) / journey_seconds
    print(f"(a) ingestion on {engine.dialect.name}, {count} submissions each way, interleaved")
    print(
        f"    HTTP submissions (POST /f: CSRF, validation, atomic use, commit): {http_rate:7.1f}/s"
    )
    print(
        f"    full journey (link + survey page + POST, {len(journey_tokens)} runs):"
        f"          {journey_rate:7.1f}/s"
    )
    print(f"    bare commits of the same rows (Core, one transaction each):    {bare_rate:7.1f}/s")
    ratio = http_rate / bare_rate
    print(f"    HTTP / bare: {ratio:.2f} (bare commits are {1 / ratio:.1f}x faster; goal ≥ 0.4)")


def _bulk_responses(app: Any, campaign_id: int, count: int) -> None:
    """Fill a campaign with ``count`` responses (and as many used invitations) in bulk."""
    with app.app_context():
        db = get_session()
        campaign = services.load_campaign(db, campaign_id)
        questionnaire = qn.for_version(campaign.questionnaire_version)
        version_id = campaign.questionnaire_version_id
        spec_id = campaign.specification_ids[0]
    engine = app.extensions["qaportal.engine"]
    today = utcnow().date()
    batch = 5000
    started = time.perf_counter()
    for start in range(0, count, batch):
        n = min(batch, count - start)
        invitations = [
            {
                "campaign_id": campaign_id,
                "channel": InvitationChannel.CODE.value,
                "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
                "used": True,
                "reminders_sent": 0,
                "created_at": utcnow(),
            }
            for _ in range(n)
        ]
        responses, answers = [], []
        for _ in range(n):
            rid = str(uuid.uuid4())
            responses.append(
                {
                    "id": rid,
                    "campaign_id": campaign_id,
                    "questionnaire_version_id": version_id,
                    "specification_id": spec_id,
                    "submitted_on": today,
                }
            )
            answers += _rows(questionnaire, rid, campaign_id, spec_id, _answers_for(questionnaire))
        with engine.begin() as conn:
            conn.execute(insert(FeedbackInvitation.__table__), invitations)
            conn.execute(insert(FeedbackResponse.__table__), responses)
            conn.execute(insert(FeedbackAnswer.__table__), answers)
    with engine.begin() as conn:
        rows = conn.execute(
            select(func.count())
            .select_from(FeedbackAnswer)
            .where(FeedbackAnswer.campaign_id == campaign_id)
        ).scalar_one()
    took = time.perf_counter() - started
    print(f"    generated {count} responses ({rows} answer rows) in {took:.1f} s")
    # The bulk fill bypasses the submission path, so its counts are built once, as the
    # migration does for an upgraded database.
    started = time.perf_counter()
    with app.app_context():
        aggregates.rebuild(get_session(), [campaign_id])
        get_session().commit()
    print(f"    counts rebuilt from the answers in {time.perf_counter() - started:.1f} s")
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _full_aggregate(app: Any, campaign_id: int) -> None:
    """The SQL every view ran before the counts were maintained: grouping every answer."""
    engine = app.extensions["qaportal.engine"]
    a, r, i = FeedbackAnswer, FeedbackResponse, FeedbackInvitation
    with engine.connect() as conn:
        conn.execute(
            select(i.channel, i.used, func.count())
            .where(i.campaign_id == campaign_id)
            .group_by(i.channel, i.used)
        ).all()
        conn.execute(
            select(r.specification_id, func.count())
            .where(r.campaign_id == campaign_id)
            .group_by(r.specification_id)
        ).all()
        conn.execute(
            select(a.item_code, a.specification_id, a.value, a.choice, func.count())
            .where(a.campaign_id == campaign_id)
            .group_by(a.item_code, a.specification_id, a.value, a.choice)
        ).all()
        for code in ("comments_best", "comments_improve"):
            conn.execute(
                select(a.text)
                .where(a.campaign_id == campaign_id, a.item_code == code, a.text.is_not(None))
                .order_by(a.response_id)
                .limit(50)
            ).all()


def _bare_aggregation(app: Any, campaign_id: int) -> None:
    """The results page's SQL, run directly: the same queries, no ORM, no page."""
    engine = app.extensions["qaportal.engine"]
    c, rc = AnswerCount, ResponseCount
    with engine.connect() as conn:
        # The invitation counts are columns of the campaign row the page has loaded anyway.
        conn.execute(
            select(Campaign.invited_by_email, Campaign.invited_by_code).where(
                Campaign.id == campaign_id
            )
        ).all()
        conn.execute(
            select(rc.specification_key, rc.count).where(rc.campaign_id == campaign_id)
        ).all()
        conn.execute(
            select(c.item_code, c.specification_key, c.is_value, c.value, c.choice, c.count).where(
                c.campaign_id == campaign_id
            )
        ).all()
        for code in ("comments_best", "comments_improve"):
            conn.execute(comment_sample(campaign_id, code)).all()


def bench_results(app: Any, campaign_id: int, count: int, login: tuple[str, str]) -> None:
    print(f"(b) results page of a campaign with {count} responses")
    _bulk_responses(app, campaign_id, count)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"csrf_token": CSRF_RE.search(page).group(1), "email": login[0], "password": login[1]},
    )
    assert response.status_code == 302
    url = f"/feedback/campaigns/{campaign_id}/results"
    first = client.get(url)  # warm up (and check)
    assert first.status_code == 200 and "<svg" in first.get_data(as_text=True)
    page_times, sql_times, full_times = [], [], []
    for _ in range(5):
        start = time.perf_counter()
        assert client.get(url).status_code == 200
        page_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        _bare_aggregation(app, campaign_id)
        sql_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        _full_aggregate(app, campaign_id)
        full_times.append(time.perf_counter() - start)
    page_median, sql_median = statistics.median(page_times), statistics.median(sql_times)
    full_median = statistics.median(full_times)
    print(f"    results page, maintained counts (median of 5): {page_median * 1000:8.1f} ms")
    print(f"    before: the full aggregate per view (median of 5): {full_median * 1000:8.1f} ms")
    print(f"    bare SQL of the page now:                       {sql_median * 1000:8.1f} ms")
    print(f"    page / full aggregate: {page_median / full_median:.3f} (goal < 0.1)")
    print(f"    page / bare SQL: {page_median / sql_median:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--submissions", type=int, default=400)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = _app(url, Path(tmp) / "instance")
        email, password, ingestion_id, results_id = _setup(app)
        bench_ingestion(app, ingestion_id, args.submissions)
        bench_results(app, results_id, args.responses, (email, password))
        app.extensions["qaportal.engine"].dispose()


if __name__ == "__main__":
    main()
