"""The agency's reviewer pool: inviting reviewers, their profiles, filters."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor
from qaportal.auth.models import (
    Membership,
    OneTimeToken,
    ReviewerCategory,
    ReviewerProfile,
    Role,
    User,
)
from qaportal.db import get_session
from qaportal.notifications.models import OutboxMessage
from qaportal.orgs.models import Organisation, OrgKind
from tests.conftest import login, post_form

AGENCY_ADMIN = "admin@agency.example.org"


def agency_id(app) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(select(Organisation.id).where(Organisation.acronym == "DAQA"))
            .scalar_one()
        )


def reviewer_membership(app, email: str) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(
                select(Membership.id)
                .join(User, Membership.user_id == User.id)
                .where(User.email == email, Membership.role == Role.REVIEWER)
            )
            .scalar_one()
        )


def invite_data(**changes) -> dict:
    data = {
        "email": "Expert@Example.org",
        "display_name": "Erika Expert",
        "category": "employer",
        "expertise": "Digital skills in SMEs",
        "country": "AT",
        "languages": "de, EN",
        "available": "y",
    }
    data.update(changes)
    return data


def test_invite_reviewer_creates_account_profile_and_invitation(app, client, demo):
    agency = agency_id(app)
    login(client, AGENCY_ADMIN, demo.password)
    assert client.get(f"/agencies/{agency}/reviewers/invite").status_code == 200
    response = post_form(client, f"/agencies/{agency}/reviewers/invite", invite_data())
    assert response.status_code == 302
    with app.app_context():
        db = get_session()
        user = db.execute(select(User).where(User.email == "expert@example.org")).scalar_one()
        assert user.password_hash is None and user.display_name == "Erika Expert"
        membership = db.execute(
            select(Membership).where(Membership.user_id == user.id)
        ).scalar_one()
        assert membership.organisation_id == agency and membership.role == Role.REVIEWER
        profile = db.execute(
            select(ReviewerProfile).where(ReviewerProfile.membership_id == membership.id)
        ).scalar_one()
        assert profile.category == ReviewerCategory.EMPLOYER
        assert profile.country == "AT" and profile.languages == "de,en" and profile.available
        token = db.execute(select(OneTimeToken)).scalar_one()
        assert token.role == Role.REVIEWER and token.email == "expert@example.org"
        mail = db.execute(select(OutboxMessage)).scalar_one()
        assert mail.to_address == "expert@example.org"
        actions = set(db.execute(select(AuditEvent.action)).scalars())
    assert {"user.created", "invitation.sent", "reviewer.added"} <= actions
    page = client.get(f"/agencies/{agency}/reviewers").get_data(as_text=True)
    assert "Erika Expert" in page and "Invited, not yet accepted" in page
    assert "German, English" in page and "Employer / labour market" in page

    # The invitee accepts: the pre-created account gets its password and stays in the pool.
    from qaportal.auth.invitations import accept_invitation

    link = re.search(r"/invitations/(\S+)", mail.body_text).group(1)
    with app.app_context():
        db = get_session()
        accept_invitation(db, link, "Erika Expert", "a long enough passphrase 42", Actor.system())
        db.commit()
    page = client.get(f"/agencies/{agency}/reviewers").get_data(as_text=True)
    assert "Invited, not yet accepted" not in page
    reviewer = app.test_client()
    login(reviewer, "expert@example.org", "a long enough passphrase 42")


def test_inviting_someone_already_in_the_pool_is_refused(app, client, demo):
    agency = agency_id(app)
    login(client, AGENCY_ADMIN, demo.password)
    response = post_form(
        client,
        f"/agencies/{agency}/reviewers/invite",
        invite_data(email="reviewer1@reviewers.example.org"),
    )
    assert response.status_code == 200
    assert "already in the reviewer pool" in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().execute(select(OneTimeToken)).first() is None


def test_existing_account_joins_the_pool(app, client, demo):
    """An officer of the agency (an existing account) can also be a reviewer."""
    agency = agency_id(app)
    login(client, AGENCY_ADMIN, demo.password)
    response = post_form(
        client,
        f"/agencies/{agency}/reviewers/invite",
        invite_data(email="officer@agency.example.org"),
    )
    assert response.status_code == 302
    with app.app_context():
        user = (
            get_session()
            .execute(select(User).where(User.email == "officer@agency.example.org"))
            .scalar_one()
        )
        assert user.password_hash is not None  # untouched
        assert {m.role for m in user.memberships} == {Role.AGENCY_OFFICER, Role.REVIEWER}


def test_bad_reviewer_input_gets_field_errors(app, client, demo):
    agency = agency_id(app)
    login(client, AGENCY_ADMIN, demo.password)
    response = post_form(
        client,
        f"/agencies/{agency}/reviewers/invite",
        invite_data(
            email="not an email", languages="de, xx, klingon", category="wizard", country="XX"
        ),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Enter a valid email address." in page
    assert "Unknown language codes: xx, klingon." in page
    assert "Choose a category from the list." in page
    assert "Choose a country from the list." in page
    assert 'value="de, xx, klingon"' in page and "Digital skills in SMEs" in page
    with app.app_context():
        assert (
            get_session().execute(select(User).where(User.email == "not an email")).first() is None
        )


def test_edit_reviewer_profile_is_audited(app, client, demo):
    agency = agency_id(app)
    membership = reviewer_membership(app, "reviewer1@reviewers.example.org")
    login(client, AGENCY_ADMIN, demo.password)
    url = f"/agencies/{agency}/reviewers/{membership}/edit"
    form = client.get(url).get_data(as_text=True)
    assert "Curriculum design" in form
    response = post_form(
        client,
        url,
        {
            "category": "qa_expert",
            "expertise": "Curriculum design; ESG",
            "country": "DE",
            "languages": "de,en,fr",
        },  # "available" unticked
    )
    assert response.status_code == 302
    with app.app_context():
        db = get_session()
        profile = db.execute(
            select(ReviewerProfile).where(ReviewerProfile.membership_id == membership)
        ).scalar_one()
        assert profile.category == ReviewerCategory.QA_EXPERT
        assert profile.languages == "de,en,fr" and profile.available is False
        event = db.execute(
            select(AuditEvent).where(AuditEvent.action == "reviewer.updated")
        ).scalar_one()
    details = json.loads(event.details)
    assert details["category"] == ["academic", "qa_expert"]
    assert details["available"] == [True, False]
    assert "country" not in details


def test_reviewer_of_another_agency_is_404(app, client, demo):
    agency = agency_id(app)
    with app.app_context():
        db = get_session()
        other = Organisation(kind=OrgKind.AGENCY, legal_name="Other Agency")
        db.add(other)
        db.flush()
        user = User(email="elsewhere@example.org", display_name="Else Where")
        db.add(user)
        db.flush()
        m = Membership(user_id=user.id, organisation_id=other.id, role=Role.REVIEWER)
        db.add(m)
        db.commit()
        other_id, other_membership = other.id, m.id
    login(client, AGENCY_ADMIN, demo.password)
    assert client.get(f"/agencies/{agency}/reviewers/{other_membership}/edit").status_code == 404
    assert client.get(f"/agencies/{other_id}/reviewers").status_code == 404
    # A non-reviewer membership of one's own agency is not a pool entry either.
    officer = None
    with app.app_context():
        officer = (
            get_session()
            .execute(select(Membership.id).where(Membership.role == Role.AGENCY_OFFICER))
            .scalar_one()
        )
    assert client.get(f"/agencies/{agency}/reviewers/{officer}/edit").status_code == 404


def test_only_agency_admins_manage_the_pool(app, demo):
    agency = agency_id(app)
    for email, status in [
        ("officer@agency.example.org", 403),
        ("reviewer1@reviewers.example.org", 403),
        ("admin@university.example.org", 404),
    ]:
        c = app.test_client()
        login(c, email, demo.password)
        assert c.get(f"/agencies/{agency}/reviewers").status_code == status, email
        assert c.get(f"/agencies/{agency}/reviewers/invite").status_code == status, email


def _add_reviewers(app, agency: int, count: int, start: int = 0) -> None:
    with app.app_context():
        db = get_session()
        for i in range(start, start + count):
            user = User(email=f"pool{i}@example.org", display_name=f"Pool Reviewer {i:02d}")
            db.add(user)
            db.flush()
            m = Membership(user_id=user.id, organisation_id=agency, role=Role.REVIEWER)
            m.reviewer_profile = ReviewerProfile(
                category=ReviewerCategory.INTERNATIONAL if i % 2 else ReviewerCategory.STUDENT,
                expertise="Testing",
                country="FR" if i % 3 == 0 else "IT",
                languages="fr,it" if i % 3 == 0 else "it",
                available=i % 4 != 0,
            )
            db.add(m)
        db.commit()


def test_filters(app, client, demo):
    agency = agency_id(app)
    _add_reviewers(app, agency, 6)
    login(client, AGENCY_ADMIN, demo.password)

    def names(query: str) -> set[str]:
        page = client.get(f"/agencies/{agency}/reviewers?{query}").get_data(as_text=True)
        return set(re.findall(r"(Rita Reviewer|Ruben Reviewer|Pool Reviewer \d\d)", page))

    assert len(names("")) == 8
    assert names("category=academic") == {"Rita Reviewer"}
    assert names("country=FI") == {"Ruben Reviewer"}
    assert names("country=FR") == {"Pool Reviewer 00", "Pool Reviewer 03"}
    assert names("language=fr") == {"Pool Reviewer 00", "Pool Reviewer 03"}
    assert names("language=it&category=international") == {
        "Pool Reviewer 01",
        "Pool Reviewer 03",
        "Pool Reviewer 05",
    }
    assert names("available=no") == {"Pool Reviewer 00", "Pool Reviewer 04"}
    assert "Rita Reviewer" in names("available=yes")
    # "e" must not match "en" or "de": languages are matched as whole codes.
    page = client.get(f"/agencies/{agency}/reviewers?language=xx").get_data(as_text=True)
    assert "Unknown language code: xx." in page
    assert len(names("language=xx")) == 8  # an invalid filter is ignored, not an error page
    assert names("language=en") == {"Rita Reviewer", "Ruben Reviewer"}


def test_reviewer_list_query_count_does_not_grow_with_rows(app, client, demo, count_queries):
    agency = agency_id(app)
    login(client, AGENCY_ADMIN, demo.password)
    client.get(f"/agencies/{agency}/reviewers")
    with count_queries() as few:
        client.get(f"/agencies/{agency}/reviewers")
    _add_reviewers(app, agency, 20)
    with count_queries() as many:
        page = client.get(f"/agencies/{agency}/reviewers").get_data(as_text=True)
    assert "Pool Reviewer 19" in page
    assert many.count == few.count


def test_removing_an_invited_reviewer_revokes_the_invitation(app, client, demo):
    agency = agency_id(app)
    login(client, AGENCY_ADMIN, demo.password)
    post_form(client, f"/agencies/{agency}/reviewers/invite", invite_data())
    membership = reviewer_membership(app, "expert@example.org")
    response = post_form(
        client,
        f"/orgs/{agency}/members/{membership}/remove",
        {},
        token_from=f"/orgs/{agency}/staff",
    )
    assert response.status_code == 302
    with app.app_context():
        db = get_session()
        assert db.get(Membership, membership) is None
        assert db.execute(select(ReviewerProfile)).scalars().all()  # the demo reviewers' remain
        token = db.execute(select(OneTimeToken)).scalar_one()
        assert token.revoked_at is not None
        event = db.execute(
            select(AuditEvent).where(AuditEvent.action == "membership.removed")
        ).scalar_one()
    assert json.loads(event.details)["invitations_revoked"] == 1


def test_a_filter_value_comes_back_as_text_in_its_error(app, client, demo):
    """The error names the codes typed in; they are the visitor's text, never markup (a
    lazily translated message used to pass into the page unescaped)."""
    agency = agency_id(app)
    login(client, AGENCY_ADMIN, demo.password)
    for typed in ("<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>"):
        page = client.get(f"/agencies/{agency}/reviewers", query_string={"language": typed})
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "Unknown language code" in html and "&lt;" in html
