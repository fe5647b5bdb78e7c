"""Random actors, random actions: a case never leaves the declared transition table.

A Hypothesis state machine opens a fresh case of the demo university and then, step by
step, lets any persona (the agency, both providers' staff, reviewers on and off the panel,
an anonymous visitor) try any action of ``workflow.ACTIONS`` or a bogus one, directly
through ``apply_transition`` and through the case page's HTTP endpoint. Other rules do
what the guards ask for (answer the self-assessment, fill the screening checklist, form the
panel, write the report, decide...), so that the machine also reaches the later stages.
After every step the invariants below hold; everything is read from the table, so rows
added to it are covered without a change here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor, compute_hash, event_details, verify_chain
from qaportal.auth.models import User
from qaportal.cases import services as case_services
from qaportal.cases import workflow
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from tests.casekit import criterion_def, make_framework, make_spec, narrative_q, org, rating_q
from tests.casekit import user as user_by_email
from tests.conftest import csrf_token, login

PERSONAS: dict[str, str | None] = {
    "anonymous": None,
    "agency_admin": "admin@agency.example.org",
    "agency_officer": "officer@agency.example.org",
    "reviewer1": "reviewer1@reviewers.example.org",
    "reviewer2": "reviewer2@reviewers.example.org",
    "provider_admin": "admin@university.example.org",
    "provider_editor": "editor@university.example.org",
    "other_admin": "admin@vet.example.org",
    "other_editor": "editor@vet.example.org",
}
SIGNED_IN = [name for name, email in PERSONAS.items() if email]
# Staff of another provider have no business on the case whatever its state.
NO_BUSINESS = {PERSONAS["other_admin"], PERSONAS["other_editor"]}
ACTIONS = [*sorted(workflow.ACTIONS), "bogus", "publish"]
# Sign-in failures are coalesced (qaportal.audit.services.record_repeated): not a change.
COALESCED_PREFIX = "auth."


STATES = {state.value for state in CaseState}


def reachable_states() -> set[CaseState]:
    seen, todo = {CaseState.DRAFT}, [CaseState.DRAFT]
    while todo:
        state = todo.pop()
        for t in workflow.TRANSITIONS:
            if t.source == state and t.target not in seen:
                seen.add(t.target)
                todo.append(t.target)
    return seen


def is_transition_event(event: AuditEvent) -> bool:
    """A state change of the case: named after an action of the table, or carrying from/to."""
    if not event.action.startswith("case."):
        return False
    if event.action[5:] in workflow.ACTIONS:
        return True
    # A state change recorded under another name would be a way around the table too.
    details = event_details(event)
    return details.get("from") in STATES and details.get("to") in STATES


# ----- what makes guards satisfiable: each step tries one of these (errors are expected) -----


def _actor(u: Any) -> Actor:
    return Actor(u.id, u.email)


def _answer_self_assessment(db: Any, case: Case, users: dict[str, Any]) -> None:
    from qaportal.cases import assessment
    from qaportal.frameworks.models import Criterion

    editor = users["provider_editor"]
    for _link, version in assessment.case_framework_versions(db, case):
        for criterion in db.execute(
            select(Criterion).where(Criterion.framework_version_id == version.id)
        ).scalars():
            existing = assessment.find_answer(db, case, criterion)
            assessment.save_answer(
                db,
                case,
                criterion,
                assessment.AnswerData(narrative="How we do it.", rating="fully"),
                existing.lock_version if existing else 0,
                editor,
                _actor(editor),
            )


def _screening(met: bool) -> Callable[..., None]:
    def fill(db: Any, case: Case, users: dict[str, Any]) -> None:
        from qaportal.cases import screening

        officer = users["agency_officer"]
        posted = {
            code: screening.Answer(met=met, note="" if met else "Missing the 2024 figures.")
            for code in screening.CODES
        }
        screening.save_checklist(db, case, posted, officer, _actor(officer))

    return fill


def _invite(reviewer: str, role: str) -> Callable[..., None]:
    def invite(db: Any, case: Case, users: dict[str, Any]) -> None:
        from qaportal.reviews import services
        from qaportal.reviews.models import PanelRole

        officer = users["agency_officer"]
        services.invite(db, case, users[reviewer].id, PanelRole(role), officer, _actor(officer))

    return invite


def _accept(reviewer: str) -> Callable[..., None]:
    def accept(db: Any, case: Case, users: dict[str, Any]) -> None:
        from qaportal.reviews import services
        from qaportal.reviews.models import PanelMember

        member = db.execute(
            select(PanelMember).where(
                PanelMember.case_id == case.id, PanelMember.user_id == users[reviewer].id
            )
        ).scalar_one()
        services.accept(db, member, _actor(users[reviewer]), "No conflict.")

    return accept


def _write_report(db: Any, case: Case, users: dict[str, Any]) -> None:
    from qaportal.reviews import findings
    from qaportal.reviews.models import Outcome

    for chair in (users["reviewer1"], users["reviewer2"]):
        try:
            done = findings.consolidated(db, case)
            for facts in findings.criteria(db, case):
                row = done.get(facts.id)
                findings.save_consolidated(
                    db,
                    case,
                    facts,
                    findings.FindingData(facts.scale[-1].value, "Well evidenced.", ""),
                    row.lock_version if row else 0,
                    chair,
                    _actor(chair),
                )
            report = findings.report_of(db, case)
            findings.save_outcome(
                db,
                case,
                Outcome.POSITIVE,
                "A sound system.",
                report.lock_version if report else 0,
                chair,
                _actor(chair),
            )
            visit = findings.site_visit(db, case)
            findings.save_site_visit(
                db,
                case,
                findings.VisitData(
                    utcnow().date(), "online", {findings.PARTICIPANT_GROUPS[0][0]: "The rector"}
                ),
                visit.lock_version if visit else 0,
                chair,
                _actor(chair),
            )
            return
        except Exception:
            db.rollback()
    raise RuntimeError("no reviewer could write the report")


def _factual_comments(db: Any, case: Case, users: dict[str, Any]) -> None:
    from qaportal.reviews import report
    from qaportal.reviews.models import FactualComment

    admin = users["provider_admin"]
    report.submit_comments(db, case, "One date is wrong.", {}, admin, _actor(admin))
    for comment in db.execute(
        select(FactualComment).where(
            FactualComment.case_id == case.id, FactualComment.responded_at.is_(None)
        )
    ).scalars():
        chair = users["reviewer1"]
        report.respond(db, case, comment, "Corrected.", chair, _actor(chair))


def _decide(outcome: str) -> Callable[..., None]:
    def decide(db: Any, case: Case, users: dict[str, Any]) -> None:
        from qaportal.decisions import services
        from qaportal.decisions.models import Outcome

        officer = users["agency_officer"]
        conditions = []
        if outcome == Outcome.CONDITIONAL:
            criterion = services.case_criteria(db, case)[0]
            conditions = [
                services.ConditionData(
                    "Publish the policy.", criterion.id, utcnow().date() + dt.timedelta(days=90)
                )
            ]
        data = services.DecisionData(
            outcome=outcome,
            eqa_status="voluntary",
            rationale="The panel's report.",
            conditions=conditions,
        )
        services.decide(db, case, data, officer, _actor(officer))

    return decide


def _appeal(db: Any, case: Case, users: dict[str, Any]) -> None:
    from qaportal.decisions import services

    admin = users["provider_admin"]
    services.lodge_appeal(db, case, "The panel misread our figures.", admin, _actor(admin))


def _appeal_outcome(db: Any, case: Case, users: dict[str, Any]) -> None:
    from qaportal.decisions import services

    officer = users["agency_officer"]
    appeal = services.open_appeal(db, case.id)
    if not appeal.committee:
        candidates = [u.id for u in services.committee_candidates(db, case)]
        services.name_committee(db, case, appeal, candidates[:1], _actor(officer))
    services.decide_appeal(
        db, case, appeal, "upheld", "The decision stands.", None, officer, _actor(officer)
    )


def _appeal_window_passes(db: Any, case: Case, users: dict[str, Any]) -> None:
    """Time moves on: the current decision was taken a year ago (the window is in days)."""
    from qaportal.decisions import services

    decision = services.current_decision(db, case.id)
    decision.decided_at = utcnow() - dt.timedelta(days=366)
    db.flush()


def _conditions(db: Any, case: Case, users: dict[str, Any]) -> None:
    from qaportal.decisions import services
    from qaportal.decisions.models import Decision, DecisionCondition

    admin, officer = users["provider_admin"], users["agency_officer"]
    for condition in db.execute(
        select(DecisionCondition).join(Decision).where(Decision.case_id == case.id)
    ).scalars():
        services.answer_condition(db, case, condition, "Published.", None, admin, _actor(admin))
        services.assess_condition(db, case, condition, True, "Seen.", officer, _actor(officer))


ENABLERS: dict[str, Callable[..., None]] = {
    "answer self-assessment": _answer_self_assessment,
    "screening met": _screening(True),
    "screening not met": _screening(False),
    "invite reviewer1 as chair": _invite("reviewer1", "chair"),
    "invite reviewer2 as member": _invite("reviewer2", "member"),
    "invite reviewer2 as chair": _invite("reviewer2", "chair"),
    "reviewer1 accepts": _accept("reviewer1"),
    "reviewer2 accepts": _accept("reviewer2"),
    "chair writes the report": _write_report,
    "provider comments, panel responds": _factual_comments,
    "decide positive": _decide("positive"),
    "decide with conditions": _decide("positive with conditions or restrictions"),
    "decide negative": _decide("negative"),
    "provider appeals": _appeal,
    "committee upholds": _appeal_outcome,
    "the appeal window passes": _appeal_window_passes,
    "conditions answered and met": _conditions,
}


# ----- the machine ---------------------------------------------------------------------------


class Snapshot:
    def __init__(self, db: Any, case_id: int) -> None:
        case = db.get(Case, case_id)
        db.refresh(case)
        self.state = case.state
        self.lock_version = case.lock_version
        self.events = db.execute(
            select(func.count(AuditEvent.id)).where(~AuditEvent.action.startswith(COALESCED_PREFIX))
        ).scalar_one()

    def same(self, other: Snapshot) -> bool:
        return (self.state, self.lock_version, self.events) == (
            other.state,
            other.lock_version,
            other.events,
        )


def build_machine(app: Any, password: str, framework_id: int, spec_id: int) -> type:
    reachable = reachable_states()
    clients: dict[str, Any] = {}
    tokens: dict[str, str] = {}
    stats: Counter[str] = Counter()
    with app.app_context():
        db = get_session()
        user_ids = {name: user_by_email(db, email).id for name, email in PERSONAS.items() if email}

    def client_of(persona: str) -> tuple[Any, str]:
        if persona not in clients:
            client = app.test_client()
            if PERSONAS[persona]:
                login(client, PERSONAS[persona], password)
                tokens[persona] = csrf_token(client, "/")
            else:
                tokens[persona] = csrf_token(client, "/login")
            clients[persona] = client
        return clients[persona], tokens[persona]

    class Workflow(RuleBasedStateMachine):
        case_id: int
        last_event_id: int
        chain_tail: tuple[int, str]
        before: Snapshot

        # ----- setup ---------------------------------------------------------------------

        @initialize()
        def open_case(self) -> None:
            with app.app_context():
                db = get_session()
                udv, agency = org(db, "UDV"), org(db, "DAQA")
                admin = user_by_email(db, PERSONAS["provider_admin"])
                case = case_services.open_case(
                    db,
                    udv,
                    agency,
                    framework_ids=[framework_id],
                    specification_ids=[spec_id],
                    contact_name="Paula Provider",
                    contact_email="contact@university.example.org",
                    user=admin,
                    actor=_actor(admin),
                )
                db.commit()
                self.case_id = case.id
                last = db.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalar()
                self.last_event_id = last.id
                self.chain_tail = (last.id, last.hash)
                self.before = Snapshot(db, case.id)

        def _users(self, db: Any) -> dict[str, Any]:
            return {name: db.get(User, uid) for name, uid in user_ids.items()}

        # ----- actions by anyone ---------------------------------------------------------

        def _apply(self, persona: str, action: str, reason: str) -> None:
            with app.app_context():
                db = get_session()
                before = Snapshot(db, self.case_id)
                case = db.get(Case, self.case_id)
                actor_user = db.get(User, user_ids[persona])
                try:
                    workflow.apply_transition(
                        db, case, action, actor_user, _actor(actor_user), reason=reason
                    )
                except workflow.TransitionError:
                    db.rollback()
                    stats["refused"] += 1
                    assert Snapshot(db, self.case_id).same(before), (persona, action)
                else:
                    db.commit()
                    stats[f"done {action}"] += 1

        @rule(
            persona=st.sampled_from(SIGNED_IN),
            action=st.sampled_from(ACTIONS),
            reason=st.sampled_from(["", "  ", "Please add the 2024 figures."]),
        )
        def anyone_tries_anything(self, persona: str, action: str, reason: str) -> None:
            self._apply(persona, action, reason)

        @rule(data=st.data())
        def someone_takes_an_offered_action(self, data: st.DataObject) -> None:
            """An action the case page offers (guards may still refuse it)."""
            with app.app_context():
                db = get_session()
                case = db.get(Case, self.case_id)
                offers = [
                    (name, t.action)
                    for name, u in self._users(db).items()
                    for t in workflow.available_transitions(u, case)
                ]
            if offers:
                persona, action = data.draw(st.sampled_from(offers))
                self._apply(persona, action, "Reason given.")

        @rule(
            persona=st.sampled_from(list(PERSONAS)),
            action=st.sampled_from(ACTIONS),
            reason=st.sampled_from(["", "Please add the 2024 figures."]),
        )
        def anyone_posts_to_the_case_page(self, persona: str, action: str, reason: str) -> None:
            client, token = client_of(persona)
            with app.app_context():
                before = Snapshot(get_session(), self.case_id)
            response = client.post(
                f"/cases/{self.case_id}/transition",
                data={"csrf_token": token, "action": action, "reason": reason},
            )
            status = response.status_code
            assert status in {302, 400, 403, 404, 409}, (persona, action, status)
            if PERSONAS[persona] is None:
                assert status == 302 and "/login" in response.headers["Location"]
            refused = status != 302 or PERSONAS[persona] is None
            if refused:
                with app.app_context():
                    assert Snapshot(get_session(), self.case_id).same(before), (persona, action)
            stats[f"http {status}"] += 1

        # ----- doing what the guards ask for --------------------------------------------

        def _enable(self, name: str) -> None:
            with app.app_context():
                db = get_session()
                case = db.get(Case, self.case_id)
                try:
                    ENABLERS[name](db, case, self._users(db))
                except Exception as exc:  # refused in this state, or an API that moved
                    db.rollback()
                    stats[f"{name}: {type(exc).__name__}"] += 1
                else:
                    db.commit()
                    stats[f"{name}: done"] += 1

        @rule(name=st.sampled_from(sorted(ENABLERS)))
        def prepare(self, name: str) -> None:
            self._enable(name)

        @rule(data=st.data())
        def push_forward(self, data: st.DataObject) -> None:
            """Everything the guards of the current state ask for, then an offered action."""
            decision = data.draw(st.sampled_from([n for n in ENABLERS if n.startswith("decide ")]))
            for name in ENABLERS:
                if name == decision or not name.startswith(("screening not met", "decide ")):
                    self._enable(name)
            with app.app_context():
                db = get_session()
                case = db.get(Case, self.case_id)
                offers = [
                    (name, t.action)
                    for name, u in self._users(db).items()
                    for t in workflow.available_transitions(u, case)
                    if t.action != "withdraw"
                ]
            if offers:
                persona, action = data.draw(st.sampled_from(offers))
                self._apply(persona, action, "Reason given.")

        # ----- what must always hold -----------------------------------------------------

        @invariant()
        def the_case_stays_inside_the_table(self) -> None:
            with app.app_context():
                db = get_session()
                now = Snapshot(db, self.case_id)
                case = db.get(Case, self.case_id)
                assert now.state in reachable, now.state
                stats[f"state {now.state.value}"] += 1
                events = (
                    db.execute(
                        select(AuditEvent)
                        .where(
                            AuditEvent.id > self.last_event_id,
                            AuditEvent.object_type == "case",
                            AuditEvent.object_id == str(self.case_id),
                        )
                        .order_by(AuditEvent.id)
                    )
                    .scalars()
                    .all()
                )
                moves = [e for e in events if is_transition_event(e)]
                state = self.before.state
                for event in moves:
                    details = event_details(event)
                    action = event.action.removeprefix("case.")
                    row = workflow.find_transition(CaseState(details["from"]), action)
                    assert row is not None, f"{event.action} from {details['from']}: no such row"
                    assert details["from"] == state.value, (event.action, details, state)
                    assert details["to"] == row.target.value, (event.action, details)
                    assert event.actor_user_id is not None, event.action
                    actor_user = db.get(User, event.actor_user_id)
                    assert actor_user.email not in NO_BUSINESS, event.action
                    if row.party in workflow.PANEL_PARTIES:
                        assert row.party in workflow.panel_parties(actor_user, case), (
                            event.action,
                            actor_user.email,
                        )
                    assert workflow.roles_on_case(actor_user, case) & row.roles, (
                        event.action,
                        actor_user.email,
                    )
                    state = row.target
                # Every change of state is one of these events, and none is missing.
                assert state == now.state, (self.before.state, [e.action for e in moves], now)
                if events:
                    self.last_event_id = events[-1].id
                # The chain's new links, here; the whole chain in teardown (it grows with
                # every example, and walking it after every step would dominate the run).
                for event in db.execute(
                    select(AuditEvent)
                    .where(AuditEvent.id > self.chain_tail[0])
                    .order_by(AuditEvent.id)
                ).scalars():
                    assert event.prev_hash == self.chain_tail[1], event.id
                    assert compute_hash(event.prev_hash, event) == event.hash, event.id
                    self.chain_tail = (event.id, event.hash)
                self.before = now

        def teardown(self) -> None:
            if hasattr(self, "case_id"):
                with app.app_context():
                    report = verify_chain(get_session())
                    assert report.ok, report

    Workflow.stats = stats  # type: ignore[attr-defined]
    return Workflow


def _world(app: Any) -> tuple[int, int]:
    """A framework whose one criterion asks for a narrative and a self-rating, and a complete
    specification of the demo university for the scope."""
    with app.app_context():
        db = get_session()
        version = make_framework(
            db,
            "stateful-fw",
            [criterion_def("S1", "Policy", questions=[narrative_q(), rating_q()])],
        )
        spec = make_spec(db, org(db, "UDV").id, "Data analysis for beginners")
        db.commit()
        return version.framework_id, spec.id


def test_random_actors_never_take_a_case_outside_the_table(app, demo):
    framework_id, spec_id = _world(app)
    machine = build_machine(app, demo.password, framework_id, spec_id)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=int(os.environ.get("QAPORTAL_STATEFUL_EXAMPLES", "25")),
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    reached = {key.removeprefix("state ") for key in machine.stats if key.startswith("state ")}
    print(sorted(machine.stats.items()))
    # Not a vacuous run: the machine gets past submission and screening.
    assert {"draft", "submitted", "in_review"} <= reached, reached
