"""The maintained feedback counts equal a full recomputation from the answers."""

from __future__ import annotations

import importlib.util
import random
import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, text
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
    for cid in campaigns:
        maintained, recomputed = _counts(app, cid)
        assert maintained == recomputed
        answers, _, responses = maintained
        assert sum(responses.values()) >= 12
        assert any(key[2] for key in answers) and any(key[4] for key in answers)
    peer_breakdown = _counts(app, campaigns[2])[0][1]
    assert {group for group, *_ in peer_breakdown} >= {"peer_type"}

    # Closing freezes them: a code handed out before the close no longer adds anything.
    closed = campaigns[0]
    late = make_codes(app, closed, 1)[0]
    before = _counts(app, closed)[0]
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


def test_rebuild_and_the_migration_backfill_restore_the_counts(app, demo):
    rng = random.Random(7)
    campaigns = _campaigns(app)
    for cid in campaigns:
        questionnaire, spec_ids = _questionnaire(app, cid)
        answer_directly(app, cid, [_random_answers(rng, questionnaire, spec_ids) for _ in range(8)])
    expected = {cid: _counts(app, cid)[1] for cid in campaigns}

    def wipe() -> None:
        db = get_session()
        for model in (AnswerCount, BreakdownCount, ResponseCount):
            db.execute(delete(model))
        db.commit()

    with app.app_context():
        wipe()
        assert aggregates.maintained(get_session(), campaigns[0]) == ({}, {}, {})
    result = app.test_cli_runner().invoke(args=["feedback", "rebuild-aggregates"])
    assert result.exit_code == 0, result.output
    assert {cid: _counts(app, cid)[0] for cid in campaigns} == expected

    path = (
        Path(__file__).resolve().parents[1]
        / "migrations"
        / "versions"
        / "0017_feedback_aggregates.py"
    )
    spec = importlib.util.spec_from_file_location("migration_0017", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        wipe()
        db = get_session()
        for statement in migration.BACKFILL:
            db.execute(text(statement))
        db.commit()
    assert {cid: _counts(app, cid)[0] for cid in campaigns} == expected


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
