"""The audit-trail browser: scope, filters, pagination, chain verification."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, text

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor, record
from qaportal.db import get_session
from qaportal.orgs.models import Organisation, OrgKind
from tests.conftest import login, post_form

AGENCY_ADMIN = "admin@agency.example.org"


def ids(app) -> dict[str, int]:
    with app.app_context():
        rows = get_session().execute(select(Organisation.acronym, Organisation.id)).all()
    return {acronym: oid for acronym, oid in rows}


def shown_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="muted">#(\d+)</span>', page)]


def add_events(app, count: int, organisation_id: int | None, action: str = "test.event") -> None:
    with app.app_context():
        db = get_session()
        for i in range(count):
            record(
                db,
                Actor(None, f"robot{i}@example.org", "192.0.2.7"),
                action,
                object_type="thing",
                object_id=i,
                organisation_id=organisation_id,
                details={"n": i, "note": "<b>not html</b>"},
            )
        db.commit()


def test_admin_sees_the_trail_newest_first_with_details(app, client, demo):
    agency = ids(app)["DAQA"]
    login(client, AGENCY_ADMIN, demo.password)
    add_events(app, 3, agency)
    response = client.get(f"/agencies/{agency}/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = shown_ids(page)
    assert shown == sorted(shown, reverse=True)
    # an action nobody declared is humanised, never shown as its key
    assert "robot2@example.org — Test: event: thing no. 2" in page and "192.0.2.7" in page
    assert "test.event<" not in page
    assert "<dd>&lt;b&gt;not html&lt;/b&gt;</dd>" in page  # details are escaped, label/value
    assert "<dt>N</dt><dd>2</dd>" in page
    # the admin's own sign-in (no organisation) is in scope
    assert f"{AGENCY_ADMIN} signed in" in page
    assert "Demo Agency for Quality Assurance (DAQA)" in page
    assert '<th scope="col">' in page and "<caption>" in page


def test_events_of_another_agency_are_not_shown(app, client, demo):
    agency = ids(app)["DAQA"]
    with app.app_context():
        db = get_session()
        other = Organisation(kind=OrgKind.AGENCY, legal_name="Other Agency", acronym="OA")
        db.add(other)
        db.commit()
        other_id = other.id
    add_events(app, 2, other_id, action="secret.other")
    add_events(app, 1, None, action="system.unscoped")
    login(client, AGENCY_ADMIN, demo.password)
    page = client.get(f"/agencies/{agency}/audit").get_data(as_text=True)
    assert "secret.other" not in page and "system.unscoped" not in page
    # and another agency's trail is not reachable
    assert client.get(f"/agencies/{other_id}/audit").status_code == 404
    page = client.get(f"/agencies/{agency}/audit?organisation={other_id}").get_data(as_text=True)
    assert "Choose an organisation from the list." in page and "secret.other" not in page


def test_filters(app, client, demo):
    org = ids(app)
    login(client, AGENCY_ADMIN, demo.password)
    add_events(app, 3, org["UDV"], action="case.submitted")
    add_events(app, 2, org["NVTC"], action="case.returned")
    base = f"/agencies/{org['DAQA']}/audit"

    def actions(query: str) -> list[str]:
        page = client.get(f"{base}?{query}").get_data(as_text=True)
        return re.findall(r'<td data-action="([^"]+)">', page)

    assert set(actions("action=case.")) == {"case.submitted", "case.returned"}
    assert actions("action=case.sub") == ["case.submitted"] * 3
    assert actions("actor=%25") == []  # % is not a wildcard
    page = client.get(f"{base}?action=case%25").get_data(as_text=True)
    assert "Use lower-case letters, digits, _ and . only." in page
    assert actions("actor=ROBOT1@") == ["case.returned", "case.submitted"]
    assert set(actions("object_type=thing&object_id=2")) == {"case.submitted"}
    nvtc = set(actions(f"organisation={org['NVTC']}"))
    assert "case.returned" in nvtc and "case.submitted" not in nvtc
    assert set(actions(f"organisation={org['NVTC']}&action=case.")) == {"case.returned"}
    today = dt.datetime.now(dt.UTC).date()
    tomorrow, yesterday = today + dt.timedelta(days=1), today - dt.timedelta(days=1)
    assert len(actions(f"action=case.&date_from={today}&date_to={today}")) == 5
    assert actions(f"date_from={tomorrow}") == []
    assert actions(f"date_to={yesterday}") == []
    page = client.get(f"{base}?date_from=not-a-date&action=case.returned").get_data(as_text=True)
    assert "Not a valid date value." in page
    assert set(re.findall(r'<td data-action="([^"]+)">', page)) == {"case.returned"}
    assert 'value="case.returned"' in page  # the filter form keeps what was typed


def test_pagination_keeps_filters(app, client, demo):
    agency = ids(app)["DAQA"]
    add_events(app, 60, agency, action="bulk.event")
    login(client, AGENCY_ADMIN, demo.password)
    page = client.get(f"/agencies/{agency}/audit?action=bulk.").get_data(as_text=True)
    assert "Page 1 of 2" in page and "60 events" in page
    assert "action=bulk." in page and "page=2" in page
    second = client.get(f"/agencies/{agency}/audit?action=bulk.&page=2").get_data(as_text=True)
    assert len(shown_ids(second)) == 10


def test_query_count_does_not_grow_with_rows(app, client, demo, count_queries):
    agency = ids(app)["DAQA"]
    login(client, AGENCY_ADMIN, demo.password)
    client.get(f"/agencies/{agency}/audit")
    with count_queries() as few:
        client.get(f"/agencies/{agency}/audit")
    add_events(app, 50, agency)
    add_events(app, 5, ids(app)["UDV"])
    with count_queries() as many:
        page = client.get(f"/agencies/{agency}/audit").get_data(as_text=True)
    assert len(shown_ids(page)) == 50
    # names are looked up once per object type on the page; these events have none
    # (tests/test_audit_words.py counts them for a page of named objects)
    assert many.count <= few.count


def test_verify_the_chain(app, client, demo):
    agency = ids(app)["DAQA"]
    login(client, AGENCY_ADMIN, demo.password)
    add_events(app, 3, agency)
    response = post_form(
        client,
        f"/agencies/{agency}/audit/verify",
        {},
        token_from=f"/agencies/{agency}/audit",
        follow_redirects=True,
    )
    assert "The audit trail is intact" in response.get_data(as_text=True)
    with app.app_context():
        db = get_session()
        victim = (
            db.execute(
                select(AuditEvent.id)
                .where(AuditEvent.action == "test.event")
                .order_by(AuditEvent.id)
            )
            .scalars()
            .first()
        )
        # Tamper below the ORM (which refuses updates), as an attacker with SQL access would.
        db.execute(
            text("UPDATE audit_events SET actor_label = 'someone-else' WHERE id = :id"),
            {"id": victim},
        )
        db.commit()
    response = post_form(
        client,
        f"/agencies/{agency}/audit/verify",
        {},
        token_from=f"/agencies/{agency}/audit",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert f"The audit trail is broken at event {victim}" in page
    assert "its content does not match its hash" in page


def test_only_agency_admins_see_the_trail(app, demo):
    agency = ids(app)["DAQA"]
    for email, status in [
        ("officer@agency.example.org", 403),
        ("reviewer1@reviewers.example.org", 403),
        ("admin@university.example.org", 404),
        ("editor@vet.example.org", 404),
    ]:
        c = app.test_client()
        login(c, email, demo.password)
        assert c.get(f"/agencies/{agency}/audit").status_code == status, email
        r = post_form(c, f"/agencies/{agency}/audit/verify", {}, token_from="/dashboard")
        assert r.status_code == status, email
    anonymous = app.test_client()
    assert anonymous.get(f"/agencies/{agency}/audit").status_code == 302
