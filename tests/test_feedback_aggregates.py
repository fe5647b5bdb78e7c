"""The maintained feedback counts equal a full recomputation from the answers."""

from __future__ import annotations

import importlib.util
import random
import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from qaportal.audit.services import Actor
from qaportal.db import get_session
from qaportal.feedback import aggregates, services
from qaportal.feedback import questionnaire as qn
from qaportal.feedback.models import (
    AnswerCount,
    BreakdownCount,
    Campaign,
    FeedbackKind,
    ResponseCount,
)
from tests.feedback_support import answer_directly, make_campaign, make_codes, make_specification

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


def _random_answers(
    rng: random.Random, questionnaire: qn.Questionnaire, spec_ids: list[int]
) -> services.Answers:
    """A plausible response: optional questions skipped now and then, every type used."""
    given = services.Answers(
        specification_id=rng.choice([*spec_ids, None]) if len(spec_ids) > 1 else None
    )
    for item in questionnaire.items:
        if not item.required and rng.random() < 0.3:
            continue
        if item.is_likert:
            given.likert[item.code] = rng.choice(sorted(item.values))
        elif item.is_choice:
            codes = sorted(item.option_codes)
            if item.type == qn.SINGLE:
                given.choices[item.code] = [rng.choice(codes)]
            else:
                given.choices[item.code] = rng.sample(codes, rng.randint(1, len(codes)))
        elif item.is_text:
            given.texts[item.code] = rng.choice(["", "Fine.", "Too fast in week 2."])
    if not (given.likert or given.choices or any(t.strip() for t in given.texts.values())):
        first = questionnaire.likert_items[0]
        given.likert[first.code] = min(first.values)
    return given


def _questionnaire(app: Flask, campaign_id: int) -> tuple[qn.Questionnaire, list[int]]:
    with app.app_context():
        campaign = get_session().get(Campaign, campaign_id)
        return qn.for_version(campaign.questionnaire_version), campaign.specification_ids


def _counts(app: Flask, campaign_id: int) -> tuple[aggregates.Counts, aggregates.Counts]:
    with app.app_context():
        db = get_session()
        return aggregates.maintained(db, campaign_id), aggregates.recompute(db, campaign_id)


def _invitations(app: Flask, campaign_id: int) -> tuple[tuple[int, int, int], ...]:
    """(emails, codes, used): as the pages read them, and counted from the invitation rows."""
    with app.app_context():
        db = get_session()
        campaign = db.get(Campaign, campaign_id)
        summary = services.summaries(db, [campaign])[0]
        shown = (summary.emails, summary.codes, summary.used)
        if campaign.swept_at is not None:  # the rows are gone; only the kept counts remain
            return (shown,)
        counted = aggregates.recount_invitations(db, [campaign_id])[campaign_id]
        return shown, (counted.emails, counted.codes, counted.used)


def _invite(app: Flask, campaign_id: int, addresses: list[str]) -> None:
    with app.app_context():
        db = get_session()
        campaign = services.load_campaign(db, campaign_id)
        data = ("email\n" + "\n".join(addresses)).encode()
        services.invite_by_email(db, campaign, data, Actor.system("test"), "http://x")
        db.commit()


def _campaigns(app: Flask) -> list[int]:
    a, b = make_specification(app, "Data literacy"), make_specification(app, "Green skills")
    return [
        make_campaign(app, [a, b], title="Two micro-credentials"),
        make_campaign(app, [a], title="One micro-credential"),
        make_campaign(app, [b], kind=FeedbackKind.PEER, title="Peers"),
    ]


def test_maintained_counts_equal_a_recomputation_and_freeze_on_close(app, demo):
    rng = random.Random(14)
    campaigns = _campaigns(app)
    for _ in range(3):  # interleaved rounds, so campaigns grow side by side
        for cid in campaigns:
            questionnaire, spec_ids = _questionnaire(app, cid)
            answers = [
                _random_answers(rng, questionnaire, spec_ids) for _ in range(rng.randint(4, 9))
            ]
            answer_directly(app, cid, answers)
            _invite(app, cid, [f"p{rng.random()}@example.org" for _ in range(rng.randint(0, 3))])
    for cid in campaigns:
        maintained, recomputed = _counts(app, cid)
        assert maintained == recomputed
        shown, counted = _invitations(app, cid)
        assert shown == counted
        assert shown[0] > 0 and shown[1] >= 12 and shown[2] == sum(recomputed[2].values())
        answers, _, responses = maintained
        assert sum(responses.values()) >= 12
        assert any(key[2] for key in answers) and any(key[4] for key in answers)
    peer_breakdown = _counts(app, campaigns[2])[0][1]
    assert {group for group, *_ in peer_breakdown} >= {"peer_type"}

    # Closing freezes them: a code handed out before the close no longer adds anything.
    closed = campaigns[0]
    late = make_codes(app, closed, 1)[0]
    before = _counts(app, closed)[0]
    invited_before = _invitations(app, closed)[1]
    with app.app_context():
        db = get_session()
        services.close_campaign(db, db.get(Campaign, closed), Actor.system("test"))
        db.commit()
        questionnaire, spec_ids = _questionnaire(app, closed)
        with pytest.raises(services.LinkProblem):
            invitation = services.redeem(db, late)
            services.submit_response(db, invitation, _random_answers(rng, questionnaire, spec_ids))
        db.rollback()
    after, recomputed = _counts(app, closed)
    assert after == before == recomputed
    # The invitations are deleted on close; their counts stay as they were, and nothing
    # more can be added to them.
    assert _invitations(app, closed) == (invited_before,)
    with app.app_context(), pytest.raises(services.FeedbackError):
        db = get_session()
        services.generate_codes(
            db, services.load_campaign(db, closed), 1, Actor.system("test"), "http://x"
        )
    assert _invitations(app, closed) == (invited_before,)


def test_rebuild_and_the_migration_backfill_restore_the_counts(app, demo):
    rng = random.Random(7)
    campaigns = _campaigns(app)
    for cid in campaigns:
        questionnaire, spec_ids = _questionnaire(app, cid)
        answer_directly(app, cid, [_random_answers(rng, questionnaire, spec_ids) for _ in range(8)])
    _invite(app, campaigns[1], ["a@example.org", "b@example.org"])
    expected = {cid: _counts(app, cid)[1] for cid in campaigns}
    invited = {cid: _invitations(app, cid)[1] for cid in campaigns}

    def wipe() -> None:
        db = get_session()
        for model in (AnswerCount, BreakdownCount, ResponseCount):
            db.execute(delete(model))
        db.execute(update(Campaign).values(invited_by_email=None, invited_by_code=None))
        db.commit()

    with app.app_context():
        wipe()
        assert aggregates.maintained(get_session(), campaigns[0]) == ({}, {}, {})
        assert _invitations(app, campaigns[1])[0] == (0, 0, 0)
    result = app.test_cli_runner().invoke(args=["feedback", "rebuild-aggregates"])
    assert result.exit_code == 0, result.output
    assert {cid: _counts(app, cid)[0] for cid in campaigns} == expected
    assert {cid: _invitations(app, cid)[0] for cid in campaigns} == invited

    path = (
        Path(__file__).resolve().parents[1]
        / "migrations"
        / "versions"
        / "0017_feedback_aggregates.py"
    )
    spec = importlib.util.spec_from_file_location("migration_0017", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    later = _migration("0019_feedback_counters.py")
    with app.app_context():
        wipe()
        db = get_session()
        for statement in (*migration.BACKFILL, *later.BACKFILL):
            db.execute(text(statement))
        db.commit()
    assert {cid: _counts(app, cid)[0] for cid in campaigns} == expected
    assert {cid: _invitations(app, cid)[0] for cid in campaigns} == invited
    assert invited[campaigns[1]] == (2, 8, 8)


def _migration(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), MIGRATIONS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.postgres
def test_parallel_submissions_lose_no_count(app, demo):
    campaign_id = _campaigns(app)[0]
    questionnaire, spec_ids = _questionnaire(app, campaign_id)
    # Few distinct answers, so that parallel submissions keep hitting the same count rows.
    rng = random.Random(3)
    given = [_random_answers(rng, questionnaire, spec_ids) for _ in range(3)]
    workers, each = 8, 6
    tokens = make_codes(app, campaign_id, workers * each)
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with app.app_context():
                db = get_session()
                barrier.wait()
                for n, token in enumerate(tokens[index * each : (index + 1) * each]):
                    for _attempt in range(10):
                        try:
                            invitation = services.redeem(db, token)
                            services.submit_response(db, invitation, given[(index + n) % 3])
                            db.commit()
                            break
                        except DBAPIError as exc:  # a deadlock victim is rolled back whole
                            db.rollback()
                            if "deadlock" not in str(exc).lower():
                                raise
                    else:
                        raise AssertionError("submission kept deadlocking")
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    maintained, recomputed = _counts(app, campaign_id)
    assert maintained == recomputed
    assert sum(maintained[2].values()) == workers * each


def test_the_comment_sample_reads_an_index_in_order_and_stops(app, demo):
    """The sample must not sort every comment of a question (it did, at 100,000 responses)."""
    from qaportal.feedback.results import COMMENTS_SHOWN, comment_sample

    cid = _campaigns(app)[1]
    questionnaire, _ = _questionnaire(app, cid)
    item = next(i for i in questionnaire.items if i.is_text)
    texts = [f"Comment {n}" for n in range(COMMENTS_SHOWN + 5)]
    answer_directly(app, cid, [services.Answers(texts={item.code: t}) for t in texts])
    with app.app_context():
        db = get_session()
        query = comment_sample(cid, item.code)
        shown = list(db.execute(query).scalars())
        # the sample: as many as the page shows, in random-id order, not in order of arrival
        assert len(shown) == COMMENTS_SHOWN and set(shown) < set(texts)
        if db.get_bind().dialect.name != "sqlite":
            return
        sql = str(query.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = " | ".join(
            str(row[-1]) for row in db.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        )
    assert "ix_feedback_answers_comments" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.postgres
def test_parallel_invitations_lose_no_count(app, demo):
    campaign_id = _campaigns(app)[1]
    workers, each = 4, 5
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            for n in range(each):
                if n % 2:
                    _invite(app, campaign_id, [f"w{index}-{n}@example.org"])
                else:
                    make_codes(app, campaign_id, 3)
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    shown, counted = _invitations(app, campaign_id)
    assert shown == counted == (workers * 2, workers * 3 * 3, 0)
