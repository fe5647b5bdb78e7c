"""Demo cases past the draft: one per stage of the review, so that every demo login finds work.

Each case is driven through the same services a user's request calls (self-assessment,
evidence, the workflow table, screening, panel, findings, report, decision, follow-up), acting
as the demo user whose turn it is: the guards, the audit chain and the outbox stay as real use
leaves them. Where a story needs time to have passed (a decision whose appeal window has
closed, a condition now overdue), the services' own ``today`` arguments carry the earlier date;
the one exception is marked where it happens.

Idempotent: a case is found by its provider and title; one commit per case, so an interrupted
run leaves whole cases only.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor
from qaportal.auth.models import User
from qaportal.cases import assessment, deadlines, screening, workflow
from qaportal.cases import services as cases
from qaportal.cases.models import Case, CaseState
from qaportal.db import utcnow
from qaportal.frameworks.models import Criterion
from qaportal.orgs.models import Organisation

OFFICER = "officer@agency.example.org"
CHAIR = "reviewer1@reviewers.example.org"
STUDENT = "reviewer2@reviewers.example.org"

# The steps a case goes through, in order; a plan names the last one it takes.
STEPS = (
    "submitted",  # self-assessment written, evidence uploaded, submitted
    "in_review",  # screened and accepted; chair seated, student invited
    "panel_active",  # every member has declared no conflict; the panel is announced
    "factual_check",  # judged, visited, consolidated; draft report sent to the provider
    "decided",  # comments answered, report final, decision recorded
    "follow_up",  # appeal window over, follow-up started, one condition answered
)


@dataclass(frozen=True)
class Plan:
    provider: str  # the provider's acronym
    admin: str  # the provider admin who applies and answers
    title: str
    scope: tuple[str, ...]  # specification titles of the provider's catalogue
    last_step: str
    outcome: str = "positive"  # the panel's and the agency's outcome, when it gets there
    decided_days_ago: int = 0
    publish: bool = False  # the decision in the register, its report and letter requested


PLANS = (
    Plan(
        "UDV",
        "admin@university.example.org",
        "Micro-credentials in continuing education",
        ("Data Literacy for Public Administration",),
        "submitted",
    ),
    Plan(
        "UDV",
        "admin@university.example.org",
        "Micro-credentials of the School of Engineering",
        ("Research Data Management Essentials",),
        "in_review",
    ),
    Plan(
        "UDV",
        "admin@university.example.org",
        "Micro-credentials of the Faculty of Business and Economics",
        ("Sustainable Supply Chain Management",),
        "factual_check",
        outcome="conditions",
    ),
    Plan(
        "UDV",
        "admin@university.example.org",
        "Micro-credentials in data and digital skills",
        ("Data Literacy for Public Administration", "Research Data Management Essentials"),
        "follow_up",
        outcome="conditions",
        decided_days_ago=45,
        publish=True,
    ),
    Plan(
        "NVTC",
        "admin@vet.example.org",
        "Micro-credentials in building services engineering",
        ("Heat Pump Installation and Maintenance",),
        "panel_active",
    ),
)

NARRATIVES = (
    "{provider} covers “{title}” in its quality handbook. The programme board assigns the "
    "responsibilities, the procedures are published on the intranet and every course team "
    "reports on them once a year.\n\n- procedure approved by the governing board in 2024\n- yearly "
    "report of each course team, discussed with student representatives",
    "For “{title}”, each micro-credential is reviewed after every run: the course team "
    "compares completion, assessment results and learner feedback with the targets it set, "
    "and the quality office checks that agreed improvements are made before the next run.",
    "“{title}” is part of the yearly quality cycle of {provider}. Learners, teaching staff "
    "and two employer representatives sit on the review group; its minutes and the action "
    "plan are part of the evidence. *We still have to extend this to our newest courses.*",
)
RATIONALES = (
    "The self-assessment and the interviews show a documented procedure that staff know and "
    "apply; the minutes of the programme board confirm it is used every year.",
    "The procedure is in place, but its results are not yet fed back to learners in a "
    "systematic way: only two of the course reports we read mention what changed.",
    "Clear responsibilities and good examples of improvement after learner feedback; the "
    "panel met learners who confirmed the account given in the self-assessment.",
)
RECOMMENDATION = (
    "Publish a short yearly summary of what changed after feedback, for learners and staff."
)
CONDITIONS = (
    # (criterion code, text, due in days from today; negative: overdue)
    (
        "P1.3",
        "Publish, for each micro-credential, a summary of the learner feedback of the last "
        "run and the improvements it led to.",
        30,
    ),
    (
        "P1.4",
        "Involve employers or other providers in the review of each micro-credential and "
        "document their feedback.",
        -3,
    ),
    (
        "1.9",
        "Complete the first yearly monitoring report of the micro-credential provision, "
        "approved by the programme board.",
        60,
    ),
)
EVIDENCE_TEXT = (
    b"Quality handbook for micro-credentials\n\n"
    b"1. Responsibilities: programme board, course teams, quality office.\n"
    b"2. Approval and yearly review of each micro-credential.\n"
    b"3. Learner and peer feedback: surveys after every run, results discussed with learners.\n"
)


@dataclass
class _Cast:
    """The demo's organisations and people, loaded once."""

    agency: Organisation
    providers: dict[str, Organisation]
    users: dict[str, User]

    def user(self, email: str) -> User:
        return self.users[email]

    def actor(self, email: str) -> Actor:
        user = self.users[email]
        return Actor(user.id, user.email)


def _cast(session: Session, agency: Organisation) -> _Cast | None:
    providers = {
        org.acronym: org
        for org in session.execute(
            select(Organisation).where(Organisation.acronym.in_({p.provider for p in PLANS}))
        ).scalars()
    }
    wanted = {OFFICER, CHAIR, STUDENT, *(p.admin for p in PLANS)}
    users = {
        u.email: u for u in session.execute(select(User).where(User.email.in_(wanted))).scalars()
    }
    if len(providers) < len({p.provider for p in PLANS}) or set(users) != wanted:
        return None
    return _Cast(agency, providers, users)


def seed_stage_cases(session: Session, agency: Organisation) -> list[str]:
    """The cases of :data:`PLANS` (after the demo's draft, which must exist first); commits
    each. Returns their references in order."""
    cast = _cast(session, agency)
    if cast is None:
        return []
    references = []
    for plan in PLANS:
        provider = cast.providers[plan.provider]
        case = session.execute(
            select(Case).where(
                Case.provider_id == provider.id,
                Case.agency_id == agency.id,
                Case.title == plan.title,
            )
        ).scalar_one_or_none()
        if case is None:
            case = _drive(session, cast, plan)
            session.commit()
        if plan.publish:
            # Also for a case seeded by an earlier run: each step checks whether it was taken.
            jobs = _publish(session, cast, case)
            session.commit()
            _dispatch(_publish_report(session, cast, case, jobs))
        references.append(case.reference)
    return references


def _drive(session: Session, cast: _Cast, plan: Plan) -> Case:
    case = _open(session, cast, plan)
    last = STEPS.index(plan.last_step)
    _write_self_assessment(session, cast, plan, case)
    workflow.apply_transition(
        session, case, "submit", cast.user(plan.admin), cast.actor(plan.admin)
    )
    _due(session, cast, case, CaseState.SUBMITTED, 10)
    if last >= STEPS.index("in_review"):
        _screen(session, cast, case)
        _seat_panel(session, cast, case, everyone=last >= STEPS.index("panel_active"))
    if last >= STEPS.index("factual_check"):
        _review(session, cast, plan, case)
    if last >= STEPS.index("decided"):
        _factual_check(session, cast, plan, case)
        _decide(session, cast, plan, case)
    if last >= STEPS.index("follow_up"):
        _follow_up(session, cast, plan, case)
    return case


# ----- the provider's side ----------------------------------------------------------------


def _open(session: Session, cast: _Cast, plan: Plan) -> Case:
    from qaportal.catalogue.services import find_by_title

    provider = cast.providers[plan.provider]
    options = cases.framework_options(session, cast.agency, provider)
    specs = [find_by_title(session, provider.id, title) for title in plan.scope]
    admin = cast.user(plan.admin)
    return cases.open_case(
        session,
        provider,
        cast.agency,
        framework_ids=[o.framework_id for o in options if o.required],
        specification_ids=[s.id for s in specs if s is not None],
        contact_name=admin.display_name,
        contact_email=admin.email,
        title=plan.title,
        user=admin,
        actor=cast.actor(plan.admin),
    )


def _criteria(session: Session, case: Case) -> list[Criterion]:
    versions = [cf.framework_version_id for cf in case.frameworks]
    return list(
        session.execute(
            select(Criterion)
            .where(Criterion.framework_version_id.in_(versions))
            .order_by(Criterion.framework_version_id, Criterion.position)
        ).scalars()
    )


def _write_self_assessment(session: Session, cast: _Cast, plan: Plan, case: Case) -> None:
    """An answer to every question of every criterion, and the quality handbook as evidence
    of the criteria that ask for some."""
    from qaportal.evidence import services as evidence
    from qaportal.evidence.storage import get_storage

    admin, actor = cast.user(plan.admin), cast.actor(plan.admin)
    provider = cast.providers[plan.provider].display_name
    criteria = _criteria(session, case)
    for i, criterion in enumerate(criteria):
        spec = assessment.criterion_spec(session, criterion)
        values: dict[str, Any] = {}
        for q in spec.value_questions:
            if q.options:
                values[q.code] = q.options[0].value
            elif q.is_figure:
                values[q.code] = "87" if q.unit == "percentage" else str(12 + i)
            else:
                values[q.code] = "See the quality handbook, section 2."
        narrative = NARRATIVES[i % len(NARRATIVES)].format(provider=provider, title=criterion.title)
        rating = spec.scale[-2].value if len(spec.scale) >= 2 else None
        data = assessment.AnswerData(narrative, rating, values)
        assessment.save_answer(session, case, criterion, data, 0, admin, actor)
    storage = get_storage(current_app)
    received = evidence.receive(storage, io.BytesIO(EVIDENCE_TEXT), "quality-handbook.txt")
    evidence.add_evidence(
        session,
        storage,
        case,
        received,
        title="Quality handbook for micro-credentials",
        criterion_ids=[c.id for c in criteria if c.evidence_required],
        user=admin,
        actor=actor,
    )


# ----- the agency and the panel -------------------------------------------------------------


def _due(session: Session, cast: _Cast, case: Case, stage: CaseState, days: int, **kw: Any) -> None:
    today = utcnow().date()
    deadlines.set_deadline(
        session,
        case,
        stage,
        today + dt.timedelta(days=days),
        cast.user(OFFICER),
        cast.actor(OFFICER),
        **kw,
    )


def _screen(session: Session, cast: _Cast, case: Case) -> None:
    officer, actor = cast.user(OFFICER), cast.actor(OFFICER)
    notes = {"eligible": "Recognised provider within the agency's scope.", "language": "English."}
    answers = {code: screening.Answer(True, notes.get(code, "")) for code in screening.CODES}
    screening.save_checklist(session, case, answers, officer, actor)
    workflow.apply_transition(session, case, "screen", officer, actor)
    _due(session, cast, case, CaseState.IN_REVIEW, 42)


def _seat_panel(session: Session, cast: _Cast, case: Case, *, everyone: bool) -> None:
    """Reviewer 1 chairs and has declared no conflict; reviewer 2, the pool's student, is
    invited and declares too only if ``everyone`` (else the declaration waits for them). The
    members who accepted are announced to the provider."""
    from qaportal.reviews import services as panel
    from qaportal.reviews.models import PanelRole

    officer, actor = cast.user(OFFICER), cast.actor(OFFICER)
    chair = panel.invite(session, case, cast.user(CHAIR).id, PanelRole.CHAIR, officer, actor)
    student = panel.invite(session, case, cast.user(STUDENT).id, PanelRole.STUDENT, officer, actor)
    note = f"I have never worked for, studied at or advised {case.provider.display_name}."
    panel.accept(session, chair, cast.actor(CHAIR), note)
    if everyone:
        panel.accept(session, student, cast.actor(STUDENT), note)
    panel.announce(session, case, actor)


def _level(scale: list[Any], i: int) -> str:
    """Mostly the second-best level of the scale, now and then the best or the one below."""
    offset = (2, 2, 1, 2, 3)[i % 5] if len(scale) >= 3 else 1
    return scale[-min(offset, len(scale))].value


def _review(session: Session, cast: _Cast, plan: Plan, case: Case) -> None:
    """The chair judges every criterion, the student member those of principle 1 (quality,
    learners' and peers' feedback: where a learner's view counts most, and fewer saves keep
    the demo's start-up short); the chair records the visit, consolidates, sets the
    recommended outcome and sends the draft report."""
    from qaportal.reviews import findings
    from qaportal.reviews.models import Outcome, VisitFormat

    chair_user = cast.user(CHAIR)
    facts = findings.criteria(session, case)
    for email in (CHAIR, STUDENT):
        member = findings.active_member(session, case, cast.user(email))
        assert member is not None
        for i, fact in enumerate(facts):
            if email == STUDENT and not fact.code.startswith("P1."):
                continue
            data = findings.FindingData(
                _level(fact.scale, i + (email == STUDENT)),
                RATIONALES[i % len(RATIONALES)],
                RECOMMENDATION if i % 4 == 1 else "",
            )
            findings.save_judgement(session, case, member, fact, data, 0, cast.actor(email))
    visit = findings.VisitData(
        utcnow().date() - dt.timedelta(days=21),
        VisitFormat.ON_SITE.value,
        {
            "management": "Director; head of continuing education",
            "teaching": "Six course leaders",
            "learners": "Eight current and former learners",
            "employers": "Two employer representatives",
            "qa_staff": "Quality office",
        },
        agenda="Day 1: management, quality office, course teams. Day 2: learners, employers.",
        notes="Learners confirmed that feedback is asked after every run.",
    )
    findings.save_site_visit(session, case, visit, 0, chair_user, cast.actor(CHAIR))
    for i, fact in enumerate(facts):
        data = findings.FindingData(
            _level(fact.scale, i), RATIONALES[i % len(RATIONALES)], RECOMMENDATION
        )
        findings.save_consolidated(session, case, fact, data, 0, chair_user, cast.actor(CHAIR))
    outcome = Outcome.CONDITIONS if plan.outcome == "conditions" else Outcome.POSITIVE
    summary = (
        "The provider runs a working internal quality assurance system for its "
        "micro-credentials. Learners' and peers' feedback is collected but not yet used "
        "systematically; the panel recommends conditions on these points."
        if outcome == Outcome.CONDITIONS
        else "The provider's internal quality assurance covers all four elements of "
        "principle 1 and is applied consistently; the panel recommends a positive decision."
    )
    findings.save_outcome(session, case, outcome, summary, 0, chair_user, cast.actor(CHAIR))
    workflow.apply_transition(session, case, "send_draft_report", chair_user, cast.actor(CHAIR))


def _factual_check(session: Session, cast: _Cast, plan: Plan, case: Case) -> None:
    """The provider comments (or finds no error); the chair answers and finalises."""
    from qaportal.reviews import report

    admin = cast.user(plan.admin)
    general = (
        "The site visit took place on two days, not one as the summary says."
        if plan.outcome == "conditions"
        else ""
    )
    made = report.submit_comments(session, case, general, {}, admin, cast.actor(plan.admin))
    chair_user = cast.user(CHAIR)
    for comment in made:
        report.respond(
            session,
            case,
            comment,
            "Corrected: the visit lasted two days.",
            chair_user,
            cast.actor(CHAIR),
        )
    workflow.apply_transition(session, case, "finalise_report", chair_user, cast.actor(CHAIR))


def _decide(session: Session, cast: _Cast, plan: Plan, case: Case) -> None:
    from qaportal.decisions import services as decisions
    from qaportal.decisions.models import EqaStatus, Outcome

    decided_on = utcnow().date() - dt.timedelta(days=plan.decided_days_ago)
    today = utcnow().date()
    criteria = {c.code: c.id for c in _criteria(session, case)}
    conditions = [
        decisions.ConditionData(text, criteria.get(code), today + dt.timedelta(days=days))
        for code, text, days in CONDITIONS
        if plan.outcome == "conditions"
    ]
    data = decisions.DecisionData(
        outcome=(Outcome.CONDITIONAL if conditions else Outcome.POSITIVE).value,
        eqa_status=EqaStatus.VOLUNTARY.value,
        rationale=(
            "The agency follows the panel's recommendation: the internal quality assurance "
            "of the provider covers the micro-credential, the course, learners' and peers' "
            "feedback. "
            + ("The conditions below are to be met by their due dates." if conditions else "")
        ).strip(),
        conditions=conditions,
    )
    decision = decisions.decide(
        session, case, data, cast.user(OFFICER), cast.actor(OFFICER), today=decided_on
    )
    if plan.decided_days_ago:
        # The one step outside the services: the decision's time stamp follows its date, so
        # that its appeal window (counted from the time stamp) closed as the story says.
        decision.decided_at = decision.decided_at - dt.timedelta(days=plan.decided_days_ago)
        session.flush()


def _follow_up(session: Session, cast: _Cast, plan: Plan, case: Case) -> None:
    """The officer starts the follow-up; the provider answers the first condition, with the
    case's handbook as evidence. The others stay open, one of them overdue."""
    from qaportal.decisions import followup
    from qaportal.decisions import services as decisions
    from qaportal.evidence.models import Evidence

    workflow.apply_transition(
        session, case, "start_follow_up", cast.user(OFFICER), cast.actor(OFFICER)
    )
    _due(session, cast, case, CaseState.FOLLOW_UP, 60)
    decision = decisions.current_decision(session, case.id)
    assert decision is not None
    first = min(decision.conditions, key=lambda c: c.id)
    handbook = (
        session.execute(select(Evidence.id).where(Evidence.case_id == case.id)).scalars().first()
    )
    followup.answer_condition(
        session,
        case,
        first,
        "Since the spring run, each micro-credential page shows the results of the last "
        "learner survey and a short list of what changed; see section 3 of the handbook.",
        handbook,
        cast.user(plan.admin),
        cast.actor(plan.admin),
    )


# ----- the public face ----------------------------------------------------------------------


def _publish(session: Session, cast: _Cast, case: Case) -> list[str]:
    """The officer publishes the decision in the register and asks for the accreditation
    report and the decision letter. Returns the ids of the rendering jobs queued, to dispatch
    once committed. A step already taken is skipped, so a re-run adds nothing, and a
    publication someone has withdrawn stays withdrawn."""
    from qaportal.decisions import services as decisions
    from qaportal.register import services as register
    from qaportal.reporting import services as reporting
    from qaportal.reporting.access import ACCREDITATION_REPORT, DECISION_LETTER
    from qaportal.reporting.models import GeneratedDocument

    officer, actor = cast.user(OFFICER), cast.actor(OFFICER)
    decision = decisions.current_decision(session, case.id)
    if decision is None:
        return []
    if register.publication_of(session, decision) is None:
        register.publish(session, case, decision, user=officer, actor=actor)
    made = set(
        session.execute(
            select(GeneratedDocument.kind).where(GeneratedDocument.case_id == case.id)
        ).scalars()
    )
    requested = reporting.latest_jobs(session, case)
    press = reporting.get_press()
    jobs = []
    for kind in (ACCREDITATION_REPORT, DECISION_LETTER):
        if kind in made or kind in requested:
            continue
        job = reporting.queue_generation(session, case, kind, actor=actor, locale="en", press=press)
        jobs.append(job.id)
    return jobs


def _publish_report(session: Session, cast: _Cast, case: Case, job_ids: list[str]) -> list[str]:
    """Render the accreditation report now and publish it, as the officer would on the
    Documents tab, so the demo register offers a report to download from the first page.
    Returns the other jobs, left to the queue."""
    from qaportal.jobs.models import BackgroundJob
    from qaportal.jobs.runner import run_job
    from qaportal.reporting import services as reporting
    from qaportal.reporting.access import ACCREDITATION_REPORT
    from qaportal.reporting.models import GeneratedDocument

    rest = []
    for job_id in job_ids:
        job = session.get(BackgroundJob, job_id)
        if job is None or job.payload.get("kind") != ACCREDITATION_REPORT:
            rest.append(job_id)
            continue
        run_job(job_id)
        document = session.execute(
            select(GeneratedDocument)
            .where(
                GeneratedDocument.case_id == case.id,
                GeneratedDocument.kind == ACCREDITATION_REPORT,
            )
            .order_by(GeneratedDocument.version.desc())
            .limit(1)
        ).scalar_one_or_none()
        if document is not None and reporting.publish_refusal(document) is None:
            reporting.publish(session, document, user=cast.user(OFFICER), actor=cast.actor(OFFICER))
            session.commit()
    return rest


def _dispatch(job_ids: list[str]) -> None:
    """Hand the jobs to the queue: the demo's in-process workers render the PDFs once it
    serves, so start-up does not wait for them. An immediate queue (the tests') would render
    them here instead: there they stay queued."""
    from qaportal import tasks

    if current_app.config.get("QUEUE_IMMEDIATE"):
        return
    for job_id in job_ids:
        tasks.dispatch(job_id)
